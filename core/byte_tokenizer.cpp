#include "core/byte_tokenizer.h"

#include "core/error.h"

namespace spct {

const std::vector<std::string>& ByteTokenizer::special_texts() {
  static const std::vector<std::string> texts = {"<|bos|>",  "<|eos|>",       "<|pad|>", "<|system|>",
                                                 "<|user|>", "<|assistant|>", "<|end|>"};
  return texts;
}

std::vector<int32_t> ByteTokenizer::encode(const std::string& text, bool add_bos, bool parse_special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() + 1);
  if (add_bos) ids.push_back(kBos);
  const auto& specials = special_texts();
  for (size_t i = 0; i < text.size();) {
    bool matched = false;
    if (parse_special && text[i] == '<') {
      for (size_t s = 0; s < specials.size(); ++s) {
        if (text.compare(i, specials[s].size(), specials[s]) == 0) {
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

}  // namespace spct
