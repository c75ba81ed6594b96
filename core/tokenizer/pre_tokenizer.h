// Pre-tokenizers of HF `tokenizers`: Split (the GPT-2, Llama-3 and Qwen2 patterns as hand-written
// scanners over code points, or a literal string), ByteLevel and Metaspace, alone or in a Sequence.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace spct::tok {

// The Split regexes this implementation knows, each matched exactly as Oniguruma does.
enum class SplitPattern { gpt2, llama3, qwen2 };

// Returns the pattern for a regex string from tokenizer.json; throws spct::Error naming `source`
// for any other regex.
SplitPattern parse_split_pattern(const std::string& regex, const std::string& source);

struct Span {
  uint32_t begin, end;  // byte offsets into the pre-tokenized text
};

// Appends the regex matches and the gaps between them, in order, to out (Isolated behaviour).
void split_by_pattern(SplitPattern pattern, std::string_view text, uint32_t offset, std::vector<Span>& out);

enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

class PreTokenizer {
 public:
  PreTokenizer() = default;
  // `config` is tokenizer.json's "pre_tokenizer" (null allowed).
  PreTokenizer(const nlohmann::json& config, const std::string& source);

  // Splits `text` (one normalized segment) into pieces. May rewrite text (Metaspace, prefix space).
  // at_text_start: the segment begins the input (Metaspace's prepend_scheme "first").
  void split(std::string& text, bool at_text_start, std::vector<Span>& pieces) const;
  bool byte_level() const { return byte_level_; }

 private:
  struct Step {
    enum Kind { regex, literal_split, byte_level, metaspace } kind;
    SplitPattern pattern = SplitPattern::gpt2;
    std::string literal;
    SplitBehavior behavior = SplitBehavior::isolated;
    bool invert = false;
    bool add_prefix_space = false;             // ByteLevel
    bool use_regex = false;                    // ByteLevel: split with the GPT-2 pattern
    std::string replacement = "\xE2\x96\x81";  // Metaspace: U+2581
    std::string prepend_scheme = "always";     // Metaspace
    bool split = true;                         // Metaspace
  };
  void add_step(const nlohmann::json& config, const std::string& source);

  std::vector<Step> steps_;
  bool byte_level_ = false;
};

}  // namespace spct::tok
