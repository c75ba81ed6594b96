// The byte-level tokenizer of the built-in tiny model: ids 0..255 are raw bytes, then a few
// special tokens. Any text round-trips exactly; no tokenizer files are needed.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/tokenizer.h"

namespace spct {

class ByteTokenizer : public Tokenizer {
 public:
  static constexpr int32_t kBos = 256, kEos = 257, kPad = 258;
  static constexpr int32_t kSystem = 259, kUser = 260, kAssistant = 261, kEnd = 262;
  static constexpr int64_t kVocabSize = 264;  // padded to a multiple of 8

  // Special tokens written as text ("<|user|>") always become their ids; add_special prepends BOS.
  std::vector<int32_t> encode(std::string_view text, bool add_special = true) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const override;
  int32_t vocab_size() const override { return static_cast<int32_t>(kVocabSize); }
  int32_t bos_id() const override { return kBos; }
  int32_t eos_id() const override { return kEos; }
  int32_t pad_id() const override { return kPad; }
  bool is_special(int32_t id) const override { return id >= 256; }
  int32_t token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;

  static const std::vector<std::string>& special_texts();  // index i is id 256 + i
};

// The byte tokenizer for "tiny" (model or tokenizer_dir) and for directories whose
// tokenizer_config.json says {"spct_tokenizer": "byte"} (what spct writes when it exports a model
// trained with it); otherwise the HF tokenizer of tokenizer_dir, or of the model directory.
std::unique_ptr<Tokenizer> tokenizer_for_model(const std::string& model_path, const std::string& tokenizer_dir = "");

}  // namespace spct
