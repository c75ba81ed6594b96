// The BPE model of HF `tokenizers` (models.BPE): merges applied by rank to one pre-token, with
// ignore_merges, byte fallback (<0xNN>), unk fusing, and a per-word cache.
//
// Byte-level models (GPT-2, Llama-3, Qwen2) keep their vocabulary in the GPT-2 byte-to-unicode
// alphabet; this model converts those keys back to raw bytes once at load, so encoding works on
// the raw UTF-8 of each pre-token without mapping every byte to a character.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace spct::tok {

struct BpeOptions {
  bool byte_level = false;     // vocabulary in the byte-to-unicode alphabet (ByteLevel pre-tokenizer)
  bool ignore_merges = false;  // a pre-token that is itself in the vocabulary is emitted whole
  bool byte_fallback = false;  // unknown characters become <0xNN> tokens
  bool fuse_unk = false;
  std::string unk_token;  // empty: unknown characters are dropped (as HF does)
};

class Bpe {
 public:
  // `vocab` maps token strings (as in tokenizer.json) to ids; merges are pairs of such strings
  // in rank order. Throws spct::Error (prefixed with `source`) for merges outside the vocabulary.
  Bpe(const std::vector<std::pair<std::string, int32_t>>& vocab,
      const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options, const std::string& source);

  // Appends the ids of one pre-token (raw UTF-8 bytes) to out.
  void encode(std::string_view word, std::vector<int32_t>& out) const;

  int32_t token_to_id(std::string_view token) const;  // -1 if absent
  const std::string* id_to_token(int32_t id) const;   // nullptr if absent
  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  int32_t max_id() const { return max_id_; }
  bool byte_level() const { return options_.byte_level; }

 private:
  struct Merge {
    int32_t rank, id;
  };
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;
  void initial_symbols(std::string_view word, std::vector<int32_t>& ids, std::vector<uint32_t>& lens) const;
  const Merge* find_merge(int32_t a, int32_t b) const;

  BpeOptions options_;
  std::unordered_map<std::string, int32_t> token_ids_;  // tokenizer.json form
  std::unordered_map<std::string, int32_t> key_ids_;    // raw bytes for byte-level models
  std::vector<std::string> tokens_;                     // id -> tokenizer.json form
  int32_t max_id_ = -1;
  std::unordered_map<uint64_t, Merge> merges_;
  std::array<int32_t, 256> byte_ids_{};      // byte-level: id of each single byte
  std::array<int32_t, 256> fallback_ids_{};  // byte fallback: id of <0xNN>
  int32_t unk_id_ = -1;

  // Per-word cache, sharded so data-loader threads rarely contend.
  static constexpr int kShards = 16;
  static constexpr size_t kMaxEntriesPerShard = 1 << 15;
  static constexpr size_t kMaxCachedWord = 256;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>> words;
  };
  std::unique_ptr<Shard[]> cache_;
};

// GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards.
char32_t byte_to_unicode(uint8_t b);
// Inverse; -1 for a character outside the alphabet.
int unicode_to_byte(char32_t c);

}  // namespace spct::tok
