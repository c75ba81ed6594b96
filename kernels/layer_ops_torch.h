// LibTorch face of kernels/layer_ops.h (CUDA builds only): tensors in and out on the current
// CUDA stream, new tensors from LibTorch's caching allocator (CUDA-graph safe).
#pragma once
#include <ATen/ATen.h>

#include <utility>

namespace spct::kernels {

// RMSNorm over the last axis of x (rows of `dim` values, the last axis contiguous).
at::Tensor rms_norm_torch(const at::Tensor& x, const at::Tensor& weight, double eps, bool gemma);
// {x + residual, rms_norm(x + residual)}: the residual stream's add fused into the next norm.
std::pair<at::Tensor, at::Tensor> add_rms_norm_torch(const at::Tensor& x, const at::Tensor& residual,
                                                     const at::Tensor& weight, double eps, bool gemma);
// q (B, H, D) rotated in place; k, v (B, H_kv, D) rotated and copied into k_cache / v_cache
// (B, H_kv, capacity, D) at column row_length[b]. positions, row_length: (B,) int64;
// inv_freq: (D / 2) float32.
void rotary_to_cache_torch(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& positions,
                           const at::Tensor& row_length, const at::Tensor& inv_freq, const at::Tensor& k_cache,
                           const at::Tensor& v_cache);
// act(gate) * up, act SiLU or (gelu) GELU-tanh; gate and up of equal shape.
at::Tensor glu_torch(const at::Tensor& gate, const at::Tensor& up, bool gelu);

}  // namespace spct::kernels
