// The model's door to the CUDA kernels of kernels/ for one rollout decode step (a one-token
// forward over the per-row KV cache, rollout/kv_cache.h): RMSNorm with the residual add fused
// in, rotary fused into the K/V cache write, flash-decoding attention, SwiGLU/GeGLU in one
// kernel. Each rounds where the generic LibTorch ops round. In builds without the kernels (CPU
// LibTorch, or no nvcc) fit() is false and the model keeps its generic ops, so the CPU path and
// its bit-exact tests do not change.
#pragma once
#include <ATen/ATen.h>

#include <utility>

#include "core/model_config.h"

namespace spct {

struct KVCache;

namespace decode_kernels {

// Whether a decode step of this model on tensors like `like` (a weight) runs the kernels: the
// build has them, `like` is CUDA bf16/fp16, head_dim is 64 or 128, at most 8 query heads per KV
// head, hidden and intermediate sizes multiples of 8.
bool fit(const ModelConfig& config, const at::Tensor& like);

// The config's RMSNorm (Gemma's 1 + w or not) over the last axis.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, const ModelConfig& config);
// {x + residual, rms_norm(x + residual)}.
std::pair<at::Tensor, at::Tensor> add_rms_norm(const at::Tensor& x, const at::Tensor& residual,
                                               const at::Tensor& weight, const ModelConfig& config);
// Rotates q (B, H, D) in place and k (B, H_kv, D) into the per-row cache of `layer` at each row's
// column, with v; positions (B,) int64, inv_freq (D / 2) float32.
void rotary_to_cache(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& positions,
                     const at::Tensor& inv_freq, KVCache& cache, int64_t layer);
// Attention of the rotated queries q (B, H, D) over the per-row cache of `layer`, which already
// holds this step's K/V: (B, H, D). Soft-capping and the sliding window (sliding layers) as the
// config says.
at::Tensor attention(const ModelConfig& config, bool sliding, int64_t layer, const at::Tensor& q,
                     const KVCache& cache);
// The config's activation of gate times up.
at::Tensor glu(const at::Tensor& gate, const at::Tensor& up, const ModelConfig& config);

}  // namespace decode_kernels
}  // namespace spct
