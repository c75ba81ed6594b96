// The model's door to the CUDA kernels of kernels/ for one rollout decode step (a one-token
// forward over a per-row cache): RMSNorm with the residual add fused in, SwiGLU/GeGLU in one
// kernel. Rotary fused into the K/V write and flash-decoding attention belong to the cache,
// which owns the layout (AttentionCache::fused_decode_attention, rollout/kv_cache.cpp). Each rounds where the generic
// LibTorch ops round. In builds without the kernels (CPU LibTorch, or no nvcc) fit() is false and the model keeps its
// generic ops, so the CPU path and its bit-exact tests do not change.
#pragma once
#include <ATen/ATen.h>

#include <utility>

#include "core/model_config.h"

namespace spct {

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
// The config's activation of gate times up.
at::Tensor glu(const at::Tensor& gate, const at::Tensor& up, const ModelConfig& config);

}  // namespace decode_kernels
}  // namespace spct
