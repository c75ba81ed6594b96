// LibTorch face of kernels/decode_attention.h (CUDA builds only): tensors in, tensor out, on
// the current CUDA stream. Allocates only through LibTorch's caching allocator, so it can be
// captured in a CUDA graph.
#pragma once
#include <ATen/ATen.h>

namespace spct::kernels {

// Whether decode_attention_torch handles a query of this dtype/device with these head counts.
bool decode_attention_fits(const at::Tensor& q, int64_t heads, int64_t kv_heads, int64_t head_dim);

// q: (B, H, D), the last axis contiguous. k_cache, v_cache: (B, H_kv, capacity, D) with equal
// strides. row_length: (B,) int64, each row's query column. Returns (B, H, D) contiguous.
at::Tensor decode_attention_torch(const at::Tensor& q, const at::Tensor& k_cache, const at::Tensor& v_cache,
                                  const at::Tensor& row_length, int64_t span, double scale, double softcap,
                                  int64_t window);

}  // namespace spct::kernels
