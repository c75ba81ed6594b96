// Normalizers of HF `tokenizers`: NFC, Replace (literal), Prepend, Strip, Sequence.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace spct::tok {

class Normalizer {
 public:
  Normalizer() = default;
  // `config` is tokenizer.json's "normalizer" (null allowed); errors name `source`.
  Normalizer(const nlohmann::json& config, const std::string& source);

  std::string apply(std::string_view text) const;
  bool empty() const { return steps_.empty(); }

 private:
  struct Step {
    enum Kind { nfc, replace, prepend, strip } kind;
    std::string from, to;              // replace: literal pattern and content; prepend: `to`
    bool left = false, right = false;  // strip
  };
  void add_step(const nlohmann::json& config, const std::string& source);
  std::vector<Step> steps_;
};

}  // namespace spct::tok
