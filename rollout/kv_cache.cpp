#include "rollout/kv_cache.h"

#include "core/error.h"

#ifdef SPCT_CUDA_KERNELS
#include "kernels/decode_attention_torch.h"
#include "kernels/layer_ops_torch.h"
#endif

namespace spct {

KVCache KVCache::allocate(const ModelConfig& config, int64_t batch, int64_t capacity, at::TensorOptions options) {
  SPCT_CHECK(batch > 0 && capacity > 0, "KV cache: batch (", batch, ") and capacity (", capacity, ") must be positive");
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
  if (per_row()) row_length = row_length.index_select(0, rows);
}

CacheWindow KVCache::begin_forward(int64_t B, int64_t T, const at::Tensor& new_valid) {
  SPCT_CHECK(!per_row() || T == 1, "KV cache: the per-row layout takes one token per row, got ", T);
  const int64_t S = per_row() ? span : length + T;
  SPCT_CHECK(batch() == B, "KV cache holds ", batch(), " rows, input has ", B);
  SPCT_CHECK(S <= capacity(), "KV cache full: ", S, " slots needed, capacity ", capacity());
  CacheWindow window;
  window.span = S;
  if (per_row()) {
    window.row_length = row_length;
    return window;
  }
  valid.narrow(1, length, T).copy_(new_valid);
  window.past = length;
  window.key_valid = valid.narrow(1, 0, S);
  return window;
}

void KVCache::end_forward(int64_t T) {
  if (!per_row()) length += T;
}

std::pair<at::Tensor, at::Tensor> KVCache::store(int64_t layer, const at::Tensor& kn, const at::Tensor& vn) {
  const int64_t T = kn.size(2);
  if (!per_row()) {
    k[layer].narrow(2, length, T).copy_(kn);
    v[layer].narrow(2, length, T).copy_(vn);
    return {k[layer].narrow(2, 0, length + T), v[layer].narrow(2, 0, length + T)};
  }
  // A scatter at per-row columns: no host value involved, so the step can be a CUDA graph.
  SPCT_CHECK(T == 1, "KV cache: the per-row layout takes one token per row, got ", T);
  SPCT_CHECK(span > 0 && span <= capacity(), "KV cache: span ", span, " outside (0, ", capacity(), "]");
  const at::Tensor col = row_length.view({-1, 1, 1, 1}).expand_as(kn);
  k[layer].scatter_(2, col, kn);
  v[layer].scatter_(2, col, vn);
  return {k[layer].narrow(2, 0, span), v[layer].narrow(2, 0, span)};
}

#ifdef SPCT_CUDA_KERNELS
bool KVCache::has_fused_decode() const { return per_row(); }

at::Tensor KVCache::fused_decode_attention(int64_t layer, const at::Tensor& q, const at::Tensor& kn,
                                           const at::Tensor& vn, const at::Tensor& positions,
                                           const at::Tensor& inv_freq, const ModelConfig& c, bool sliding) {
  kernels::rotary_to_cache_torch(q, kn, vn, positions, row_length, inv_freq, k[layer], v[layer]);
  return kernels::decode_attention_torch(q, k[layer], v[layer], row_length, span, c.attn_scale(),
                                         c.attn_logit_softcapping, sliding ? c.sliding_window : 0);
}
#else
bool KVCache::has_fused_decode() const { return false; }

at::Tensor KVCache::fused_decode_attention(int64_t layer, const at::Tensor& q, const at::Tensor& kn,
                                           const at::Tensor& vn, const at::Tensor& positions,
                                           const at::Tensor& inv_freq, const ModelConfig& c, bool sliding) {
  return AttentionCache::fused_decode_attention(layer, q, kn, vn, positions, inv_freq, c, sliding);
}
#endif

void KVCache::copy_rows_from(const KVCache& src, const at::Tensor& src_rows, const at::Tensor& dst_rows,
                             int64_t columns) {
  SPCT_CHECK(src.k.size() == k.size() && columns <= capacity() && columns <= src.capacity(),
             "KV cache copy: ", src.k.size(), " vs ", k.size(), " layers, ", columns, " columns of ", src.capacity(),
             " -> ", capacity());
  if (columns == 0) return;
  for (size_t l = 0; l < k.size(); ++l) {
    k[l].narrow(2, 0, columns).index_copy_(0, dst_rows, src.k[l].index_select(0, src_rows).narrow(2, 0, columns));
    v[l].narrow(2, 0, columns).index_copy_(0, dst_rows, src.v[l].index_select(0, src_rows).narrow(2, 0, columns));
  }
}

size_t KVCache::bytes() const {
  size_t n = 0;
  for (const auto& t : k) n += t.numel() * t.element_size();
  for (const auto& t : v) n += t.numel() * t.element_size();
  return n;
}

}  // namespace spct
