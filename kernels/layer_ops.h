// Fused elementwise kernels of one decode layer, each replacing several LibTorch ops and
// rounding where those ops round (core/model.cpp), so results match the generic path up to the
// order of float32 sums. Launchers enqueue on `stream`, never synchronize or allocate (safe in
// CUDA graph capture), and return cudaErrorInvalidValue for arguments they do not handle: every
// row length a multiple of 8 and every row 16-byte aligned (8 values per load).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/dtype.h"

namespace spct::kernels {

// RMSNorm of each row of x, optionally of x + residual: s = round(x + residual) (written to
// `sum` when given, which may alias x), y = round(w * round(s / rms(s))), or with `gemma`
// y = round(s / rms(s) * (1 + w)); rms in float32 with eps. `out` may alias x.
struct RmsNormArgs {
  DType dtype = DType::bf16;
  int rows = 0, dim = 0;
  const void* x = nullptr;
  const void* residual = nullptr;  // optional
  void* sum = nullptr;             // optional, needs residual
  const void* weight = nullptr;    // (dim,)
  void* out = nullptr;
  int64_t x_stride = 0, residual_stride = 0, sum_stride = 0, out_stride = 0;  // between rows, elements
  float eps = 1e-6f;
  bool gemma = false;
};
cudaError_t rms_norm(const RmsNormArgs& args, cudaStream_t stream);

// Rotary embedding of one token per row, HF's rotate_half convention, applied to the queries in
// place and to the keys on their way into the per-row KV cache; the values are copied there
// too. Row b uses rotary position positions[b] and writes cache column row_length[b]. Tables as
// LibTorch computes them: f = float(position) * inv_freq[i], cos and sin rounded to the element
// type, x * cos and x' * sin rounded, then their sum.
struct RotaryCacheArgs {
  DType dtype = DType::bf16;
  int batch = 0, heads = 0, kv_heads = 0, head_dim = 0;
  void* q = nullptr;  // q[b, h, :] at b * q_stride_b + h * q_stride_h
  int64_t q_stride_b = 0, q_stride_h = 0;
  const void* k = nullptr;  // this step's keys and values, like q
  const void* v = nullptr;
  int64_t kv_stride_b = 0, kv_stride_h = 0;
  const int64_t* positions = nullptr;   // (B,)
  const int64_t* row_length = nullptr;  // (B,), each < capacity
  const float* inv_freq = nullptr;      // (D / 2,)
  void* k_cache = nullptr;              // (B, H_kv, capacity, D) with equal strides
  void* v_cache = nullptr;
  int64_t cache_stride_b = 0, cache_stride_h = 0, cache_stride_s = 0;
};
cudaError_t rotary_to_cache(const RotaryCacheArgs& args, cudaStream_t stream);

// out = round(round(act(gate)) * up) with act SiLU (SwiGLU) or GELU's tanh approximation
// (GeGLU), computed in float32 as LibTorch does.
enum class GluAct { silu, gelu_tanh };
struct GluArgs {
  DType dtype = DType::bf16;
  GluAct act = GluAct::silu;
  int rows = 0, dim = 0;
  const void* gate = nullptr;
  const void* up = nullptr;
  void* out = nullptr;
  int64_t gate_stride = 0, up_stride = 0, out_stride = 0;
};
cudaError_t glu(const GluArgs& args, cudaStream_t stream);

}  // namespace spct::kernels
