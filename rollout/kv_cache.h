// Preallocated key/value cache for incremental decoding, in one of two layouts:
// - shared length (prefill, simple decoding): every row fills the same columns in step (prompts
//   are padded), `length` counts the columns filled and `valid` marks which hold real tokens;
// - per row (continuous batching, rollout/engine.h): `row_length` (B,) is defined and row b holds
//   its own tokens in columns [0, row_length[b]); a one-token forward writes row b's K/V at column
//   row_length[b] and attends to columns [0, row_length[b]] within the first `span` columns. Rows
//   then join and leave independently; `length` and `valid` are unused.
#pragma once
#include <ATen/ATen.h>

#include <utility>
#include <vector>

#include "core/attention_cache.h"
#include "core/model_config.h"

namespace spct {

struct KVCache : AttentionCache {
  std::vector<at::Tensor> k, v;  // per layer: (B, H_kv, capacity, D)
  at::Tensor valid;              // (B, capacity) bool
  int64_t length = 0;            // slots filled so far
  at::Tensor row_length;         // (B,) int64, per-row layout only
  int64_t span = 0;              // columns attention reads in the per-row layout

  static KVCache allocate(const ModelConfig& config, int64_t batch, int64_t capacity, at::TensorOptions options);
  int64_t batch() const { return valid.size(0); }
  int64_t capacity() const { return valid.size(1); }
  bool per_row() const { return row_length.defined(); }
  // Keeps only the given rows (finished sequences leave the batch).
  void select_rows(const at::Tensor& rows);
  // The model's side (core/attention_cache.h). store() writes this forward's keys and values
  // (B, H_kv, T, D) of `layer` and returns the keys and values attention reads: (B, H_kv, S, D)
  // with S = length + T, or `span` per row.
  CacheWindow begin_forward(int64_t batch, int64_t tokens, const at::Tensor& valid) override;
  std::pair<at::Tensor, at::Tensor> store(int64_t layer, const at::Tensor& k, const at::Tensor& v) override;
  void end_forward(int64_t tokens) override;
  // Through kernels/ (rotary fused into the K/V write, flash-decoding attention) in builds that
  // have them; the model asks has_fused_decode() first.
  bool has_fused_decode() const override;
  at::Tensor fused_decode_attention(int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const at::Tensor& positions, const at::Tensor& inv_freq, const ModelConfig& config,
                                    bool sliding) override;
  // Copies columns [0, columns) of src's rows src_rows into this cache's rows dst_rows (int64
  // index tensors of equal length): a prefilled prompt moves into generation slots this way.
  void copy_rows_from(const KVCache& src, const at::Tensor& src_rows, const at::Tensor& dst_rows, int64_t columns);
  size_t bytes() const;
};

}  // namespace spct
