#include "rollout/kv_cache.h"

#include "core/error.h"

namespace spct {

KVCache KVCache::allocate(const ModelConfig& config, int64_t batch, int64_t capacity,
                          at::TensorOptions options) {
  SPCT_CHECK(batch > 0 && capacity > 0, "KV cache: batch (", batch, ") and capacity (", capacity,
             ") must be positive");
  KVCache cache;
  for (int64_t l = 0; l < config.num_layers; ++l) {
    cache.k.push_back(at::zeros({batch, config.num_kv_heads, capacity, config.head_dim}, options));
    cache.v.push_back(at::zeros({batch, config.num_kv_heads, capacity, config.head_dim}, options));
  }
  cache.valid = at::zeros({batch, capacity}, options.dtype(at::kBool));
  return cache;
}

void KVCache::select_rows(const at::Tensor& rows) {
  for (auto& t : k) t = t.index_select(0, rows);
  for (auto& t : v) t = t.index_select(0, rows);
  valid = valid.index_select(0, rows);
}

size_t KVCache::bytes() const {
  size_t n = 0;
  for (const auto& t : k) n += t.numel() * t.element_size();
  for (const auto& t : v) n += t.numel() * t.element_size();
  return n;
}

}  // namespace spct
