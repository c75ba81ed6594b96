#include "kernels/layer_ops.h"

#include <algorithm>
#include <cmath>

#include "kernels/vec.cuh"

namespace spct::kernels {
namespace {

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
__device__ float block_sum(float x) {
  __shared__ float partial[32];
  for (int off = 16; off > 0; off /= 2) x += __shfl_xor_sync(0xffffffffu, x, off);
  const int warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  if ((threadIdx.x & 31) == 0) partial[warp] = x;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < warps; ++w) total += partial[w];
  return total;
}

// One block per row, 8 values per thread and step. The second pass re-reads the row (from L1/L2)
// instead of holding it in registers, so any hidden size works with one block shape.
template <typename T>
__global__ void rms_norm_kernel(const RmsNormArgs a) {
  const int64_t row = blockIdx.x;
  const int nvec = a.dim / 8;
  const T* x = static_cast<const T*>(a.x) + row * a.x_stride;
  const T* r = a.residual ? static_cast<const T*>(a.residual) + row * a.residual_stride : nullptr;
  T* sum = a.sum ? static_cast<T*>(a.sum) + row * a.sum_stride : nullptr;
  T* out = static_cast<T*>(a.out) + row * a.out_stride;
  const T* w = static_cast<const T*>(a.weight);
  // The row's values: x, or round(x + residual) as LibTorch's add gives.
  auto load_row = [&](int v, float(&f)[8]) {
    load8(x + v * 8, f);
    if (!r) return;
    float g[8];
    load8(r + v * 8, g);
#pragma unroll
    for (int i = 0; i < 8; ++i) f[i] = round_to<T>(f[i] + g[i]);
  };
  float squares = 0.0f;
  for (int v = threadIdx.x; v < nvec; v += blockDim.x) {
    float f[8];
    load_row(v, f);
    if (sum) store8(sum + v * 8, f);
#pragma unroll
    for (int i = 0; i < 8; ++i) squares += f[i] * f[i];
  }
  const float inv = rsqrtf(block_sum(squares) / a.dim + a.eps);
  for (int v = threadIdx.x; v < nvec; v += blockDim.x) {
    float f[8], wf[8];
    if (sum)
      load8(sum + v * 8, f);  // this thread's own writes (sum may alias x)
    else
      load_row(v, f);
    load8(w + v * 8, wf);
#pragma unroll
    for (int i = 0; i < 8; ++i) f[i] = a.gemma ? f[i] * inv * (1.0f + wf[i]) : wf[i] * round_to<T>(f[i] * inv);
    store8(out + v * 8, f);
  }
}

// One block per row: cos/sin of the row's position in shared memory, then one thread per
// (head, i) pair of columns i and i + D/2.
template <typename T>
__global__ void rotary_kernel(const RotaryCacheArgs a) {
  extern __shared__ float table[];  // cos[D/2], sin[D/2], rounded to T
  const int b = blockIdx.x, half = a.head_dim / 2;
  const float pos = static_cast<float>(a.positions[b]);
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    const float f = pos * a.inv_freq[i];
    table[i] = round_to<T>(cosf(f));
    table[half + i] = round_to<T>(sinf(f));
  }
  __syncthreads();
  const int64_t col = a.row_length[b];
  for (int idx = threadIdx.x; idx < (a.heads + a.kv_heads) * half; idx += blockDim.x) {
    const int j = idx / half, i = idx % half;
    const bool is_q = j < a.heads;
    const T* src = is_q ? static_cast<const T*>(a.q) + b * a.q_stride_b + j * a.q_stride_h
                        : static_cast<const T*>(a.k) + b * a.kv_stride_b + (j - a.heads) * a.kv_stride_h;
    T* dst = is_q ? static_cast<T*>(a.q) + b * a.q_stride_b + j * a.q_stride_h
                  : static_cast<T*>(a.k_cache) + b * a.cache_stride_b + (j - a.heads) * a.cache_stride_h +
                        col * a.cache_stride_s;
    const float x1 = to_float(src[i]), x2 = to_float(src[i + half]), c = table[i], s = table[half + i];
    // HF: x * cos + rotate_half(x) * sin with rotate_half(x) = (-x2, x1); three rounded ops.
    dst[i] = from_float<T>(round_to<T>(x1 * c) + round_to<T>(x2 * -s));
    dst[i + half] = from_float<T>(round_to<T>(x2 * c) + round_to<T>(x1 * s));
  }
  for (int idx = threadIdx.x; idx < a.kv_heads * a.head_dim; idx += blockDim.x) {
    const int j = idx / a.head_dim, d = idx % a.head_dim;
    static_cast<T*>(a.v_cache)[b * a.cache_stride_b + j * a.cache_stride_h + col * a.cache_stride_s + d] =
        static_cast<const T*>(a.v)[b * a.kv_stride_b + j * a.kv_stride_h + d];
  }
}

// LibTorch's float formulas (aten/src/ATen/native/cuda/ActivationSiluKernel.cu, GeluKernel.cu).
__device__ __forceinline__ float silu(float x) { return x / (1.0f + expf(-x)); }
__device__ __forceinline__ float gelu_tanh(float x) {
  constexpr float kBeta = static_cast<float>(M_SQRT2 * M_2_SQRTPI * 0.5);
  constexpr float kKappa = 0.044715f;
  const float inner = kBeta * (x + kKappa * (x * x * x));
  return 0.5f * x * (1.0f + tanhf(inner));
}

template <typename T>
__global__ void glu_kernel(const GluArgs a) {
  const int64_t row = blockIdx.y;
  const int v = blockIdx.x * blockDim.x + threadIdx.x;
  if (v >= a.dim / 8) return;
  float g[8], u[8];
  load8(static_cast<const T*>(a.gate) + row * a.gate_stride + v * 8, g);
  load8(static_cast<const T*>(a.up) + row * a.up_stride + v * 8, u);
#pragma unroll
  for (int i = 0; i < 8; ++i) g[i] = round_to<T>(a.act == GluAct::silu ? silu(g[i]) : gelu_tanh(g[i])) * u[i];
  store8(static_cast<T*>(a.out) + row * a.out_stride + v * 8, g);
}

bool rows_ok(const void* p, int64_t stride) { return !p || (aligned16(p) && stride % 8 == 0); }

}  // namespace

cudaError_t rms_norm(const RmsNormArgs& a, cudaStream_t stream) {
  const bool ok = a.rows > 0 && a.dim > 0 && a.dim % 8 == 0 && a.x && a.weight && a.out && (!a.sum || a.residual) &&
                  rows_ok(a.x, a.x_stride) && rows_ok(a.residual, a.residual_stride) && rows_ok(a.sum, a.sum_stride) &&
                  rows_ok(a.out, a.out_stride) && aligned16(a.weight);
  if (!ok) return cudaErrorInvalidValue;
  const int threads = std::min(1024, (a.dim / 8 + 31) / 32 * 32);
  if (a.dtype == DType::bf16)
    rms_norm_kernel<__nv_bfloat16><<<a.rows, threads, 0, stream>>>(a);
  else
    rms_norm_kernel<__half><<<a.rows, threads, 0, stream>>>(a);
  return cudaGetLastError();
}

cudaError_t rotary_to_cache(const RotaryCacheArgs& a, cudaStream_t stream) {
  const bool ok = a.batch > 0 && a.heads > 0 && a.kv_heads > 0 && a.head_dim > 0 && a.head_dim % 2 == 0 && a.q && a.k &&
                  a.v && a.positions && a.row_length && a.inv_freq && a.k_cache && a.v_cache;
  if (!ok) return cudaErrorInvalidValue;
  const size_t table = static_cast<size_t>(a.head_dim) * sizeof(float);
  if (a.dtype == DType::bf16)
    rotary_kernel<__nv_bfloat16><<<a.batch, 128, table, stream>>>(a);
  else
    rotary_kernel<__half><<<a.batch, 128, table, stream>>>(a);
  return cudaGetLastError();
}

cudaError_t glu(const GluArgs& a, cudaStream_t stream) {
  const bool ok = a.rows > 0 && a.rows <= 65535 && a.dim > 0 && a.dim % 8 == 0 && a.gate && a.up && a.out &&
                  rows_ok(a.gate, a.gate_stride) && rows_ok(a.up, a.up_stride) && rows_ok(a.out, a.out_stride);
  if (!ok) return cudaErrorInvalidValue;
  const dim3 grid((a.dim / 8 + 255) / 256, a.rows);
  if (a.dtype == DType::bf16)
    glu_kernel<__nv_bfloat16><<<grid, 256, 0, stream>>>(a);
  else
    glu_kernel<__half><<<grid, 256, 0, stream>>>(a);
  return cudaGetLastError();
}

}  // namespace spct::kernels
