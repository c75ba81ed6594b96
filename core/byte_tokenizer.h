// The byte-level tokenizer of the built-in tiny model: ids 0..255 are raw bytes, then a few
// special tokens. Any text round-trips exactly; no tokenizer files are needed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace spct {

class ByteTokenizer {
 public:
  static constexpr int32_t kBos = 256, kEos = 257, kPad = 258;
  static constexpr int32_t kSystem = 259, kUser = 260, kAssistant = 261, kEnd = 262;
  static constexpr int64_t kVocabSize = 264;  // padded to a multiple of 8

  // Special tokens written as text ("<|user|>") become their ids when parse_special is set.
  std::vector<int32_t> encode(const std::string& text, bool add_bos = false, bool parse_special = true) const;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const;
  static const std::vector<std::string>& special_texts();  // index i is id 256 + i
};

}  // namespace spct
