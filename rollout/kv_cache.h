// Preallocated key/value cache for incremental decoding. Every row of the batch fills the same
// slots in step (prompts are left-padded), and `valid` marks which slots hold real tokens so that
// attention never looks at padding.
#pragma once
#include <ATen/ATen.h>

#include <vector>

#include "core/model_config.h"

namespace spct {

struct KVCache {
  std::vector<at::Tensor> k, v;  // per layer: (B, H_kv, capacity, D)
  at::Tensor valid;              // (B, capacity) bool
  int64_t length = 0;            // slots filled so far

  static KVCache allocate(const ModelConfig& config, int64_t batch, int64_t capacity,
                          at::TensorOptions options);
  int64_t batch() const { return valid.size(0); }
  int64_t capacity() const { return valid.size(1); }
  // Keeps only the given rows (finished sequences leave the batch).
  void select_rows(const at::Tensor& rows);
  size_t bytes() const;
};

}  // namespace spct
