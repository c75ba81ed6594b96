// Decoders of HF `tokenizers`: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace,
// Sequence. Each step maps the list of token strings to a new list, as decode_chain does; the
// result is their concatenation.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace spct::tok {

class Decoder {
 public:
  Decoder() = default;
  // `config` is tokenizer.json's "decoder" (null: tokens are joined with spaces, as HF does).
  Decoder(const nlohmann::json& config, const std::string& source);

  std::string decode(std::vector<std::string> tokens) const;

 private:
  struct Step {
    enum Kind { byte_level, replace, byte_fallback, fuse, strip, metaspace } kind;
    std::string from, to;  // replace; metaspace: `from` is the replacement character
    std::string content;   // strip: the character stripped
    int start = 0, stop = 0;
    bool prepend_first = true;  // metaspace: prepend_scheme != never
  };
  void add_step(const nlohmann::json& config, const std::string& source);
  std::vector<Step> steps_;
  bool joined_with_spaces_ = true;
};

}  // namespace spct::tok
