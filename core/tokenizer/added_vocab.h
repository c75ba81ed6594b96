// Added and special tokens (tokenizer.json's "added_tokens"), found in the text before the model
// sees it, as HF's AddedVocabulary does: leftmost-longest match, with the single_word, lstrip,
// rstrip and normalized flags.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace spct::tok {

class Normalizer;

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = true;  // matched in the normalized text (content normalized too)
};

class AddedVocab {
 public:
  struct Segment {
    int32_t id;  // >= 0: an added token; -1: text to tokenize
    uint32_t begin, end;
  };

  void build(std::vector<AddedToken> tokens, const Normalizer& normalizer);

  // Splits text at the tokens whose `normalized` flag equals `normalized`; segments cover text.
  void split(std::string_view text, bool normalized, std::vector<Segment>& out) const;

  const AddedToken* find(int32_t id) const;
  int32_t id_of(const std::string& content) const;  // -1 if absent
  const std::vector<AddedToken>& tokens() const { return tokens_; }
  bool has_normalized() const { return normalized_.nodes.size() > 1; }

 private:
  struct Trie {
    struct Node {
      int32_t token = -1;  // index into tokens_
      std::vector<std::pair<uint8_t, int32_t>> kids;
    };
    std::vector<Node> nodes{Node{}};
    bool first[256] = {};
    void insert(const std::string& pattern, int32_t token);
    // Longest pattern starting at text[i]: its end, or 0 with *token = -1.
    size_t longest(std::string_view text, size_t i, int32_t* token) const;
  };

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, int32_t> by_content_;
  Trie raw_, normalized_;
};

}  // namespace spct::tok
