#include "core/tokenizer/bpe.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <queue>

#include "core/error.h"
#include "core/tokenizer/unicode.h"

namespace spct::tok {
namespace {

struct ByteMaps {
  std::array<char32_t, 256> to_unicode{};
  std::unordered_map<char32_t, int> to_byte;
  ByteMaps() {
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      to_unicode[b] = printable ? b : 256 + n++;
      to_byte[to_unicode[b]] = b;
    }
  }
};
const ByteMaps& byte_maps() {
  static const ByteMaps maps;
  return maps;
}

// The raw bytes a byte-level token stands for, or false if it has a character outside the alphabet.
bool byte_level_key(const std::string& token, std::string* key) {
  key->clear();
  for (size_t i = 0; i < token.size();) {
    int len;
    char32_t c = decode_utf8(token, i, &len);
    int b = unicode_to_byte(c);
    if (b < 0) return false;
    *key += static_cast<char>(b);
    i += len;
  }
  return true;
}

uint64_t pair_key(int32_t a, int32_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

}  // namespace

char32_t byte_to_unicode(uint8_t b) { return byte_maps().to_unicode[b]; }

int unicode_to_byte(char32_t c) {
  const auto& m = byte_maps().to_byte;
  auto it = m.find(c);
  return it == m.end() ? -1 : it->second;
}

Bpe::Bpe(const std::vector<std::pair<std::string, int32_t>>& vocab,
         const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options, const std::string& source)
    : options_(std::move(options)), cache_(new Shard[kShards]) {
  for (const auto& [token, id] : vocab) max_id_ = std::max(max_id_, id);
  tokens_.resize(max_id_ + 1);
  std::string key;
  for (const auto& [token, id] : vocab) {
    SPCT_CHECK(id >= 0, source, ": model.vocab: negative id ", id, " for token '", token, "'");
    token_ids_[token] = id;
    tokens_[id] = token;
    if (!options_.byte_level)
      key_ids_[token] = id;
    else if (byte_level_key(token, &key))
      key_ids_[key] = id;
  }
  byte_ids_.fill(-1);
  fallback_ids_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    auto it = key_ids_.find(std::string(1, static_cast<char>(b)));
    if (options_.byte_level && it != key_ids_.end()) byte_ids_[b] = it->second;
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto fb = token_ids_.find(name);
    if (fb != token_ids_.end()) fallback_ids_[b] = fb->second;
  }
  if (!options_.unk_token.empty()) {
    auto it = token_ids_.find(options_.unk_token);
    SPCT_CHECK(it != token_ids_.end(), source, ": model.unk_token '", options_.unk_token, "' is not in the vocabulary");
    unk_id_ = it->second;
  }
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto ia = token_ids_.find(a), ib = token_ids_.find(b), ic = token_ids_.find(a + b);
    SPCT_CHECK(ia != token_ids_.end() && ib != token_ids_.end() && ic != token_ids_.end(), source, ": model.merges[",
               rank, "] ('", a, "', '", b, "') uses a token that is not in the vocabulary");
    merges_[pair_key(ia->second, ib->second)] = Merge{static_cast<int32_t>(rank), ic->second};
  }
}

int32_t Bpe::token_to_id(std::string_view token) const {
  auto it = token_ids_.find(std::string(token));
  return it == token_ids_.end() ? -1 : it->second;
}

const std::string* Bpe::id_to_token(int32_t id) const {
  if (id < 0 || id > max_id_ || tokens_[id].empty()) return nullptr;
  return &tokens_[id];
}

const Bpe::Merge* Bpe::find_merge(int32_t a, int32_t b) const {
  auto it = merges_.find(pair_key(a, b));
  return it == merges_.end() ? nullptr : &it->second;
}

// The symbols BPE starts from, as HF's BPE::merge_word builds them: one per character (per byte
// for byte-level models), <0xNN> tokens for unknown characters with byte fallback, else <unk>
// (consecutive unknowns fused when fuse_unk), else nothing.
void Bpe::initial_symbols(std::string_view word, std::vector<int32_t>& ids, std::vector<uint32_t>& lens) const {
  ids.clear();
  lens.clear();
  bool pending_unk = false;
  auto flush_unk = [&]() {
    if (pending_unk) ids.push_back(unk_id_);
    pending_unk = false;
  };
  std::string ch;
  for (size_t i = 0; i < word.size();) {
    int len = 1;
    int32_t id = -1;
    if (options_.byte_level) {
      id = byte_ids_[static_cast<uint8_t>(word[i])];
    } else {
      decode_utf8(word, i, &len);
      ch.assign(word.substr(i, len));
      auto it = key_ids_.find(ch);
      if (it != key_ids_.end()) id = it->second;
    }
    if (id >= 0) {
      flush_unk();
      ids.push_back(id);
    } else if (options_.byte_fallback && std::all_of(word.begin() + i, word.begin() + i + len, [&](char b) {
                 return fallback_ids_[static_cast<uint8_t>(b)] >= 0;
               })) {
      // HF leaves a pending <unk> pending here: it lands after these bytes.
      for (int k = 0; k < len; ++k) ids.push_back(fallback_ids_[static_cast<uint8_t>(word[i + k])]);
    } else if (unk_id_ >= 0) {
      if (!options_.fuse_unk) flush_unk();
      pending_unk = true;
    }
    i += len;
  }
  flush_unk();
}

// Merges by rank, lowest first and leftmost on ties: HF's Word::merge_all with its priority queue.
void Bpe::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  thread_local std::vector<int32_t> ids, prev, next;
  thread_local std::vector<uint32_t> lens;
  initial_symbols(word, ids, lens);
  const int n = static_cast<int>(ids.size());
  if (n <= 1) {
    out.insert(out.end(), ids.begin(), ids.end());
    return;
  }
  prev.resize(n);
  next.resize(n);
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  struct Item {
    int32_t rank, pos, id;
    bool operator>(const Item& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  thread_local std::vector<Item> storage;
  storage.clear();
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue(std::greater<Item>(), std::move(storage));
  for (int i = 0; i + 1 < n; ++i)
    if (const Merge* m = find_merge(ids[i], ids[i + 1])) queue.push({m->rank, i, m->id});
  while (!queue.empty()) {
    Item top = queue.top();
    queue.pop();
    int pos = top.pos;
    if (ids[pos] < 0 || next[pos] < 0) continue;
    int right = next[pos];
    const Merge* m = find_merge(ids[pos], ids[right]);
    if (!m || m->id != top.id) continue;
    ids[pos] = top.id;
    ids[right] = -1;
    next[pos] = next[right];
    if (next[pos] >= 0) prev[next[pos]] = pos;
    if (prev[pos] >= 0)
      if (const Merge* l = find_merge(ids[prev[pos]], ids[pos])) queue.push({l->rank, prev[pos], l->id});
    if (next[pos] >= 0)
      if (const Merge* r = find_merge(ids[pos], ids[next[pos]])) queue.push({r->rank, pos, r->id});
  }
  for (int i = 0; i >= 0; i = next[i]) out.push_back(ids[i]);
}

void Bpe::encode(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    auto it = key_ids_.find(std::string(word));
    if (it != key_ids_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (word.size() > kMaxCachedWord) {
    merge_word(word, out);
    return;
  }
  std::string key(word);
  Shard& shard = cache_[std::hash<std::string>()(key) % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.words.find(key);
    if (it != shard.words.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  size_t start = out.size();
  merge_word(word, out);
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.words.size() < kMaxEntriesPerShard)
    shard.words.emplace(std::move(key), std::vector<int32_t>(out.begin() + start, out.end()));
}

}  // namespace spct::tok
