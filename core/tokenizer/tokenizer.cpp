#include "core/tokenizer/tokenizer.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/tokenizer/hf_tokenizer.h"

namespace spct {
namespace {

using nlohmann::json;

bool ends_with_replacement(const std::string& s) {
  return s.size() >= 3 && s.compare(s.size() - 3, 3, "\xEF\xBF\xBD") == 0;
}

// "<0xNN>": HF's ByteFallback decoder turns a whole run of these into text or, when the run is not
// valid UTF-8, into one U+FFFD per byte, so a run is only final once a non-byte token follows.
bool is_byte_token(const std::string& token) {
  return token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>';
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

json parse_json(const std::string& text, const std::string& path) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw_error(path, ": not valid JSON: ", e.what());
  }
}

// A special token in tokenizer_config.json: a string or a serialized AddedToken {"content": ...}.
std::string token_text(const json& cfg, const char* key) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content")) return (*it)["content"].get<std::string>();
  return "";
}

// tokenizer_config.json's chat_template: a string, or a list of {name, template} (take "default").
std::string chat_template_text(const json& cfg) {
  auto it = cfg.find("chat_template");
  if (it == cfg.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    for (const json& t : *it)
      if (t.value("name", "") == "default") return t.value("template", "");
    if (!it->empty()) return (*it)[0].value("template", "");
  }
  return "";
}

tok::TokenizerConfig load_config(const std::string& dir) {
  tok::TokenizerConfig config;
  const std::string path = dir + "/tokenizer_config.json";
  std::string text;
  if (read_file(path, &text)) {
    json cfg = parse_json(text, path);
    SPCT_CHECK(cfg.is_object(), path, ": expected a JSON object");
    config.bos_token = token_text(cfg, "bos_token");
    config.eos_token = token_text(cfg, "eos_token");
    config.pad_token = token_text(cfg, "pad_token");
    config.chat_template = chat_template_text(cfg);
    if (cfg.contains("add_bos_token") && cfg["add_bos_token"].is_boolean())
      config.add_bos = cfg["add_bos_token"].get<bool>();
    if (cfg.contains("add_eos_token") && cfg["add_eos_token"].is_boolean())
      config.add_eos = cfg["add_eos_token"].get<bool>();
  }
  if (config.chat_template.empty()) read_file(dir + "/chat_template.jinja", &config.chat_template);
  return config;
}

}  // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(tokenizer), skip_special_(skip_special) {}

std::string StreamDecoder::step(int32_t id) {
  window_.push_back(id);
  if (is_byte_token(tokenizer_.id_to_token(id))) return "";
  std::string text = tokenizer_.decode(window_, skip_special_);
  if (text.size() <= emitted_ || ends_with_replacement(text)) return "";
  std::string fresh = text.substr(emitted_);
  // Keep as context the last token that decodes cleanly on its own (not a lone byte), so the
  // decoders' first-token and byte-grouping rules see the same neighbours as a full decode.
  for (size_t k = window_.size(); k-- > 0;) {
    std::string alone = tokenizer_.decode({window_[k]}, skip_special_);
    if (!is_byte_token(tokenizer_.id_to_token(window_[k])) && alone.find("\xEF\xBF\xBD") == std::string::npos) {
      window_.erase(window_.begin(), window_.begin() + k);
      break;
    }
  }
  emitted_ = tokenizer_.decode(window_, skip_special_).size();
  return fresh;
}

std::string StreamDecoder::finish() {
  std::string text = tokenizer_.decode(window_, skip_special_);
  std::string rest = text.size() > emitted_ ? text.substr(emitted_) : "";
  window_.clear();
  emitted_ = 0;
  return rest;
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir) {
  const std::string path = dir + "/tokenizer.json";
  std::string text;
  SPCT_CHECK(read_file(path, &text), path, ": cannot read (is ", dir, " an HF tokenizer directory?)");
  json j = parse_json(text, path);
  tok::TokenizerConfig config = load_config(dir);
  try {
    return std::make_unique<tok::HfTokenizer>(j, std::move(config), path);
  } catch (const json::exception& e) {
    throw_error(path, ": unexpected structure: ", e.what());
  }
}

}  // namespace spct
