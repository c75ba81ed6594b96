#include "core/tokenizer/normalizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/tokenizer/unicode.h"

namespace spct::tok {
namespace {

std::string replace_all(std::string_view text, const std::string& from, const std::string& to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t hit; (hit = text.find(from, pos)) != std::string_view::npos; pos = hit + from.size()) {
    out.append(text.substr(pos, hit - pos));
    out += to;
  }
  out.append(text.substr(pos));
  return out;
}

// Strips regex whitespace (Rust char::is_whitespace) from either end.
std::string strip(std::string_view text, bool left, bool right) {
  size_t begin = 0, end = text.size();
  while (left && begin < end) {
    int len;
    if (!is_regex_space(decode_utf8(text, begin, &len))) break;
    begin += len;
  }
  while (right && end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    int len;
    if (!is_regex_space(decode_utf8(text, start, &len))) break;
    end = start;
  }
  return std::string(text.substr(begin, end - begin));
}

}  // namespace

Normalizer::Normalizer(const nlohmann::json& config, const std::string& source) {
  if (!config.is_null()) add_step(config, source);
}

void Normalizer::add_step(const nlohmann::json& j, const std::string& source) {
  SPCT_CHECK(j.is_object() && j.contains("type"), source, ": normalizer: expected an object with a \"type\"");
  std::string type = j["type"].get<std::string>();
  if (type == "Sequence") {
    for (const auto& sub : j.at("normalizers")) add_step(sub, source);
  } else if (type == "NFC") {
    steps_.push_back({Step::nfc, "", ""});
  } else if (type == "Replace") {
    const auto& pat = j.at("pattern");
    SPCT_CHECK(pat.contains("String"), source,
               ": normalizer Replace: only literal {\"String\": ...} patterns are supported");
    steps_.push_back({Step::replace, pat["String"].get<std::string>(), j.at("content").get<std::string>()});
  } else if (type == "Prepend") {
    steps_.push_back({Step::prepend, "", j.at("prepend").get<std::string>()});
  } else if (type == "Strip") {
    Step s{Step::strip, "", ""};
    s.left = j.value("strip_left", true);
    s.right = j.value("strip_right", true);
    steps_.push_back(s);
  } else {
    throw_error(source, ": unsupported normalizer type '", type,
                "' (supported: NFC, Replace, Prepend, Strip, Sequence)");
  }
}

std::string Normalizer::apply(std::string_view text) const {
  std::string s(text);
  for (const Step& step : steps_) {
    switch (step.kind) {
      case Step::nfc: s = nfc(s); break;
      case Step::replace:
        if (!step.from.empty()) s = replace_all(s, step.from, step.to);
        break;
      case Step::prepend:
        if (!s.empty()) s.insert(0, step.to);
        break;
      case Step::strip: s = strip(s, step.left, step.right); break;
    }
  }
  return s;
}

}  // namespace spct::tok
