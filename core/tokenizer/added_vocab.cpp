#include "core/tokenizer/added_vocab.h"

#include <algorithm>

#include "core/tokenizer/normalizer.h"
#include "core/tokenizer/unicode.h"

namespace spct::tok {
namespace {

// Rust regex \w: letters, marks, numbers, connector punctuation.
bool is_word_char(char32_t c) { return c == '_' || is_letter(c) || is_number(c) || combining_class(c) != 0; }

char32_t last_char(std::string_view s) {
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  int len;
  return decode_utf8(s, i, &len);
}

// Start of the whitespace run that ends s (HF's space_leftmost_at_end).
size_t trailing_space_start(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t i = end - 1;
    while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
    int len;
    if (!is_regex_space(decode_utf8(s, i, &len))) break;
    end = i;
  }
  return end;
}

size_t leading_space_length(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    int len;
    if (!is_regex_space(decode_utf8(s, i, &len))) break;
    i += len;
  }
  return i;
}

}  // namespace

void AddedVocab::Trie::insert(const std::string& pattern, int32_t token) {
  if (pattern.empty()) return;
  int32_t node = 0;
  for (unsigned char c : pattern) {
    int32_t next = -1;
    for (const auto& [byte, child] : nodes[node].kids)
      if (byte == c) next = child;
    if (next < 0) {
      next = static_cast<int32_t>(nodes.size());
      nodes[node].kids.push_back({c, next});
      nodes.emplace_back();
    }
    node = next;
  }
  if (nodes[node].token < 0) nodes[node].token = token;
  first[static_cast<unsigned char>(pattern[0])] = true;
}

size_t AddedVocab::Trie::longest(std::string_view text, size_t i, int32_t* token) const {
  *token = -1;
  size_t end = 0;
  int32_t node = 0;
  for (size_t k = i; k < text.size(); ++k) {
    int32_t next = -1;
    for (const auto& [byte, child] : nodes[node].kids)
      if (byte == static_cast<unsigned char>(text[k])) next = child;
    if (next < 0) break;
    node = next;
    if (nodes[node].token >= 0) {
      *token = nodes[node].token;
      end = k + 1;
    }
  }
  return end;
}

void AddedVocab::build(std::vector<AddedToken> tokens, const Normalizer& normalizer) {
  tokens_ = std::move(tokens);
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    by_id_[t.id] = i;
    by_content_.emplace(t.content, t.id);
    if (t.normalized)
      normalized_.insert(normalizer.apply(t.content), static_cast<int32_t>(i));
    else
      raw_.insert(t.content, static_cast<int32_t>(i));
  }
}

const AddedToken* AddedVocab::find(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

int32_t AddedVocab::id_of(const std::string& content) const {
  auto it = by_content_.find(content);
  return it == by_content_.end() ? -1 : it->second;
}

// HF's AddedVocabulary::find_matches.
void AddedVocab::split(std::string_view text, bool normalized, std::vector<Segment>& out) const {
  const Trie& trie = normalized ? normalized_ : raw_;
  size_t done = 0;  // text before this is emitted
  for (size_t i = 0; i < text.size();) {
    int32_t index;
    size_t match_end = trie.first[static_cast<unsigned char>(text[i])] ? trie.longest(text, i, &index) : 0;
    if (!match_end) {
      ++i;
      continue;
    }
    const AddedToken& t = tokens_[index];
    size_t start = i, stop = match_end;
    i = match_end;
    if (t.single_word) {
      bool word_before = start > 0 && is_word_char(last_char(text.substr(0, start)));
      int len;
      bool word_after = stop < text.size() && is_word_char(decode_utf8(text, stop, &len));
      if (word_before || word_after) continue;
    }
    if (t.lstrip) start = std::max(trailing_space_start(text.substr(0, start)), done);
    if (t.rstrip) stop += leading_space_length(text.substr(stop));
    if (done < start) out.push_back({-1, static_cast<uint32_t>(done), static_cast<uint32_t>(start)});
    out.push_back({t.id, static_cast<uint32_t>(start), static_cast<uint32_t>(stop)});
    done = stop;
    i = std::max(i, stop);
  }
  if (done < text.size()) out.push_back({-1, static_cast<uint32_t>(done), static_cast<uint32_t>(text.size())});
}

}  // namespace spct::tok
