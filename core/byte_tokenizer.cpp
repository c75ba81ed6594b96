#include "core/byte_tokenizer.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include "core/error.h"

namespace spct {

const std::vector<std::string>& ByteTokenizer::special_texts() {
  static const std::vector<std::string> texts = {"<|bos|>",  "<|eos|>",       "<|pad|>", "<|system|>",
                                                 "<|user|>", "<|assistant|>", "<|end|>"};
  return texts;
}

std::vector<int32_t> ByteTokenizer::encode(std::string_view text, bool add_special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() + 1);
  if (add_special) ids.push_back(kBos);
  const auto& specials = special_texts();
  for (size_t i = 0; i < text.size();) {
    bool matched = false;
    if (text[i] == '<') {
      for (size_t s = 0; s < specials.size(); ++s) {
        if (text.substr(i, specials[s].size()) == specials[s]) {
          ids.push_back(static_cast<int32_t>(256 + s));
          i += specials[s].size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) ids.push_back(static_cast<unsigned char>(text[i++]));
  }
  return ids;
}

std::string ByteTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string out;
  const auto& specials = special_texts();
  for (int32_t id : ids) {
    SPCT_CHECK(id >= 0 && id < kVocabSize, "byte tokenizer: id ", id, " is outside the vocabulary");
    if (id < 256) {
      out.push_back(static_cast<char>(id));
    } else if (!skip_special && id - 256 < static_cast<int32_t>(specials.size())) {
      out += specials[id - 256];
    }
  }
  return out;
}

int32_t ByteTokenizer::token_to_id(std::string_view token) const {
  const auto& specials = special_texts();
  for (size_t s = 0; s < specials.size(); ++s)
    if (token == specials[s]) return static_cast<int32_t>(256 + s);
  return token.size() == 1 ? static_cast<unsigned char>(token[0]) : -1;
}

std::string ByteTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || id >= kVocabSize) return "";
  if (id < 256) return std::string(1, static_cast<char>(id));
  const auto& specials = special_texts();
  return id - 256 < static_cast<int32_t>(specials.size()) ? specials[id - 256] : "";
}

std::unique_ptr<Tokenizer> tokenizer_for_model(const std::string& model_path, const std::string& tokenizer_dir) {
  const std::string dir = tokenizer_dir.empty() ? model_path : tokenizer_dir;
  if (dir == "tiny") return std::make_unique<ByteTokenizer>();
  std::ifstream in(dir + "/tokenizer_config.json");
  if (in.good()) {
    const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("spct_tokenizer", "") == "byte") return std::make_unique<ByteTokenizer>();
  }
  return load_tokenizer(dir);
}

}  // namespace spct
