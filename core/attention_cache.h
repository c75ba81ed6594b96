// What the model needs from a key/value cache, and all it knows of one: the model writes each
// layer's new keys and values through store() and attends to what it returns. The rollout's
// KVCache (rollout/kv_cache.h) implements it; the layout of the cache stays the rollout's.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <utility>

#include "core/model_config.h"

namespace spct {

// Where a forward's new tokens go, as begin_forward() reports it. Two layouts:
// - shared length: every row's new tokens fill columns [past, past + T) (prompts are padded);
//   key_valid (B, span) marks which of the columns attention reads hold real tokens;
// - per row (continuous batching): one new token per row, written at column row_length[b];
//   row b attends to columns [0, row_length[b]] and every column below it holds a real token.
struct CacheWindow {
  int64_t past = 0;       // shared length: columns filled before this forward
  int64_t span = 0;       // columns attention reads
  at::Tensor key_valid;   // (B, span) bool, shared length only
  at::Tensor row_length;  // (B,) int64, per row only: each row's column for this token
  bool per_row() const { return row_length.defined(); }
};

class AttentionCache {
 public:
  virtual ~AttentionCache() = default;
  // Starts a forward of `tokens` new tokens in each of `batch` rows; valid (B, T) bool marks
  // padding. Checks that they fit.
  virtual CacheWindow begin_forward(int64_t batch, int64_t tokens, const at::Tensor& valid) = 0;
  // Writes `layer`'s new keys and values (B, H_kv, T, D) and returns those attention reads,
  // (B, H_kv, span, D).
  virtual std::pair<at::Tensor, at::Tensor> store(int64_t layer, const at::Tensor& k, const at::Tensor& v) = 0;
  // Ends the forward begun last: the new tokens count as filled.
  virtual void end_forward(int64_t tokens) = 0;

  // A decode step through fused CUDA kernels (core/decode_kernels.h), for a per-row window only:
  // rotates q (B, H, D) and k (B, H_kv, D) at positions (B,) with inv_freq (D / 2, float32),
  // writes k and v at each row's column, and returns the attention of q over `layer`'s cache,
  // (B, H, D), with the config's soft-capping and, on a sliding layer, its window. A cache that
  // cannot (the default) says so and the model keeps its generic ops.
  virtual bool has_fused_decode() const { return false; }
  virtual at::Tensor fused_decode_attention(int64_t layer, const at::Tensor& q, const at::Tensor& k,
                                            const at::Tensor& v, const at::Tensor& positions,
                                            const at::Tensor& inv_freq, const ModelConfig& config, bool sliding);
};

}  // namespace spct
