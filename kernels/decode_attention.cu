#include "kernels/decode_attention.h"

#include <algorithm>
#include <cmath>

#include "kernels/vec.cuh"

namespace spct::kernels {
namespace {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kUnroll = 4;     // keys in flight per lane group per iteration
constexpr int kMinChunk = 64;  // keys per split at least
constexpr int kMaxSplits = 64;
constexpr float kLog2e = 1.4426950408889634f;

// Lane groups of D / 8 lanes each hold one key (8 values per lane, one 16-byte load); a warp
// holds 32 / (D / 8) keys at a time. Every lane keeps the running max, sum and weighted value
// sum (its 8 columns) of each of the G query heads, in the log2 domain.
template <typename T, int D, int GMAX>
__global__ void __launch_bounds__(kThreads) split_kernel(const DecodeAttentionArgs a, int chunk) {
  constexpr int L = D / 8;
  constexpr int kGroupsPerWarp = 32 / L;
  constexpr int kGroups = kWarps * kGroupsPerWarp;
  __shared__ float sm_m[kGroups][GMAX], sm_l[kGroups][GMAX];
  __shared__ float sm_acc[kGroups][GMAX][D];

  const int split = blockIdx.x, kvh = blockIdx.y, b = blockIdx.z;
  const int G = a.heads / a.kv_heads;
  const int lane = threadIdx.x & 31, sub = lane % L;
  const int grp = (threadIdx.x >> 5) * kGroupsPerWarp + lane / L;
  const int64_t pos = a.row_length[b];
  const int hi = static_cast<int>(min(pos + 1, static_cast<int64_t>(a.span)));
  const int lo = a.window > 0 ? static_cast<int>(max(pos - a.window + 1, static_cast<int64_t>(0))) : 0;
  const int c0 = max(lo, split * chunk), c1 = min(hi, split * chunk + chunk);

  // Scores in log2 units: scale (and log2 e when no soft-capping follows) folded into q.
  const float qmul = a.softcap > 0.0f ? a.scale : a.scale * kLog2e;
  float q[GMAX][8];
#pragma unroll
  for (int g = 0; g < GMAX; ++g) {
    if (g < G) load8(static_cast<const T*>(a.q) + b * a.q_stride_b + (kvh * G + g) * a.q_stride_h + sub * 8, q[g]);
#pragma unroll
    for (int i = 0; i < 8; ++i) q[g][i] = g < G ? q[g][i] * qmul : 0.0f;  // heads past G stay unused
  }
  float m[GMAX], l[GMAX], acc[GMAX][8];
#pragma unroll
  for (int g = 0; g < GMAX; ++g) {
    m[g] = -INFINITY;
    l[g] = 0.0f;
#pragma unroll
    for (int i = 0; i < 8; ++i) acc[g][i] = 0.0f;
  }
  const int64_t head_off = b * a.kv_stride_b + kvh * a.kv_stride_h + sub * 8;
  const T* kp = static_cast<const T*>(a.k) + head_off;
  const T* vp = static_cast<const T*>(a.v) + head_off;

  // Every warp runs the same iterations (shuffles need all lanes); keys past c1 are masked.
  for (int t0 = c0; t0 < c1; t0 += kGroups * kUnroll) {
    float s[kUnroll][GMAX];
    float kv[kUnroll][8];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int key = t0 + u * kGroups + grp;
      if (key < c1)
        load8(kp + key * a.kv_stride_s, kv[u]);
      else
#pragma unroll
        for (int i = 0; i < 8; ++i) kv[u][i] = 0.0f;
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
#pragma unroll
      for (int g = 0; g < GMAX; ++g) {
        float dot = 0.0f;
#pragma unroll
        for (int i = 0; i < 8; ++i) dot = fmaf(q[g][i], kv[u][i], dot);
#pragma unroll
        for (int off = L / 2; off > 0; off /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, off);
        if (a.softcap > 0.0f) dot = a.softcap * tanhf(dot / a.softcap) * kLog2e;
        s[u][g] = t0 + u * kGroups + grp < c1 ? dot : -INFINITY;
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int key = t0 + u * kGroups + grp;
      if (key < c1)
        load8(vp + key * a.kv_stride_s, kv[u]);
      else
#pragma unroll
        for (int i = 0; i < 8; ++i) kv[u][i] = 0.0f;
    }
#pragma unroll
    for (int g = 0; g < GMAX; ++g) {
      float mx = m[g];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) mx = fmaxf(mx, s[u][g]);
      const float base = mx == -INFINITY ? 0.0f : mx;  // no key yet: keep everything at zero
      const float alpha = exp2f(m[g] - base);
      l[g] *= alpha;
#pragma unroll
      for (int i = 0; i < 8; ++i) acc[g][i] *= alpha;
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const float p = exp2f(s[u][g] - base);
        l[g] += p;
#pragma unroll
        for (int i = 0; i < 8; ++i) acc[g][i] = fmaf(p, kv[u][i], acc[g][i]);
      }
      m[g] = mx;
    }
  }

  // Merge the block's lane groups through shared memory.
#pragma unroll
  for (int g = 0; g < GMAX; ++g) {
    if (g >= G) continue;
#pragma unroll
    for (int i = 0; i < 8; ++i) sm_acc[grp][g][sub * 8 + i] = acc[g][i];
    if (sub == 0) {
      sm_m[grp][g] = m[g];
      sm_l[grp][g] = l[g];
    }
  }
  __syncthreads();
  for (int idx = threadIdx.x; idx < G * D; idx += kThreads) {
    const int g = idx / D, d = idx % D, h = kvh * G + g;
    float mx = -INFINITY;
    for (int j = 0; j < kGroups; ++j) mx = fmaxf(mx, sm_m[j][g]);
    const float base = mx == -INFINITY ? 0.0f : mx;
    float sum = 0.0f, val = 0.0f;
    for (int j = 0; j < kGroups; ++j) {
      const float w = exp2f(sm_m[j][g] - base);
      sum += sm_l[j][g] * w;
      val += sm_acc[j][g][d] * w;
    }
    const float o = sum > 0.0f ? val / sum : 0.0f;  // a row with no key (a retired row) gives 0
    if (a.splits == 1) {
      static_cast<T*>(a.out)[b * a.out_stride_b + h * a.out_stride_h + d] = from_float<T>(o);
    } else {
      const int64_t row = (static_cast<int64_t>(b) * a.heads + h) * a.splits + split;
      a.workspace[row * D + d] = o;
      if (d == 0) {
        float* lse = a.workspace + static_cast<int64_t>(a.batch) * a.heads * a.splits * D;
        lse[row] = sum > 0.0f ? base + log2f(sum) : -INFINITY;
      }
    }
  }
}

// One block per (row, head), one thread per column: weights 2^(lse_i - max) over the splits.
template <typename T>
__global__ void combine_kernel(const DecodeAttentionArgs a) {
  const int b = blockIdx.x / a.heads, h = blockIdx.x % a.heads, d = threadIdx.x;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * a.splits;
  const float* o = a.workspace;
  const float* lse = a.workspace + static_cast<int64_t>(a.batch) * a.heads * a.splits * a.head_dim;
  float mx = -INFINITY;
  for (int i = 0; i < a.splits; ++i) mx = fmaxf(mx, lse[row + i]);
  const float base = mx == -INFINITY ? 0.0f : mx;
  float sum = 0.0f, val = 0.0f;
  for (int i = 0; i < a.splits; ++i) {
    const float w = exp2f(lse[row + i] - base);
    sum += w;
    val += w * o[(row + i) * a.head_dim + d];
  }
  static_cast<T*>(a.out)[b * a.out_stride_b + h * a.out_stride_h + d] = from_float<T>(sum > 0.0f ? val / sum : 0.0f);
}

template <typename T, int D, int GMAX>
cudaError_t launch(const DecodeAttentionArgs& a, cudaStream_t stream) {
  const int per_split = (a.span + a.splits - 1) / a.splits;
  const int chunk = (per_split + kMinChunk - 1) / kMinChunk * kMinChunk;
  split_kernel<T, D, GMAX><<<dim3(a.splits, a.kv_heads, a.batch), kThreads, 0, stream>>>(a, chunk);
  if (a.splits > 1) combine_kernel<T><<<a.batch * a.heads, D, 0, stream>>>(a);
  return cudaGetLastError();
}

template <typename T, int D>
cudaError_t launch_group(const DecodeAttentionArgs& a, cudaStream_t stream) {
  const int G = a.heads / a.kv_heads;
  if (G <= 2) return launch<T, D, 2>(a, stream);
  if (G <= 4) return launch<T, D, 4>(a, stream);
  return launch<T, D, 8>(a, stream);
}

template <typename T>
cudaError_t launch_dim(const DecodeAttentionArgs& a, cudaStream_t stream) {
  return a.head_dim == 64 ? launch_group<T, 64>(a, stream) : launch_group<T, 128>(a, stream);
}

bool valid(const DecodeAttentionArgs& a) {
  const bool shapes = a.batch > 0 && a.kv_heads > 0 && a.heads % a.kv_heads == 0 && a.span > 0 && a.splits >= 1 &&
                      a.splits <= kMaxSplits && a.batch <= 65535 && a.kv_heads <= 65535 &&
                      decode_attention_supported(a.head_dim, a.heads / a.kv_heads);
  const bool pointers = a.q && a.k && a.v && a.out && a.row_length && (a.splits == 1 || a.workspace);
  // 16-byte loads of q, K and V rows.
  const bool vectors = aligned16(a.q) && aligned16(a.k) && aligned16(a.v) && a.q_stride_b % 8 == 0 &&
                       a.q_stride_h % 8 == 0 && a.kv_stride_b % 8 == 0 && a.kv_stride_h % 8 == 0 &&
                       a.kv_stride_s % 8 == 0;
  return shapes && pointers && vectors;
}

}  // namespace

bool decode_attention_supported(int head_dim, int group) {
  return (head_dim == 64 || head_dim == 128) && group >= 1 && group <= 8;
}

int decode_attention_splits(int batch, int kv_heads, int span, int sm_count) {
  // About four blocks per SM: enough in flight to saturate HBM, few partials to merge.
  const int blocks = std::max(1, batch * kv_heads);
  const int want = (4 * std::max(1, sm_count) + blocks - 1) / blocks;
  const int most = std::min(kMaxSplits, (std::max(1, span) + kMinChunk - 1) / kMinChunk);
  return std::max(1, std::min(want, most));
}

size_t decode_attention_workspace_floats(int batch, int heads, int head_dim, int splits) {
  if (splits <= 1) return 0;
  return static_cast<size_t>(batch) * heads * splits * (head_dim + 1);
}

cudaError_t decode_attention(const DecodeAttentionArgs& a, cudaStream_t stream) {
  if (!valid(a)) return cudaErrorInvalidValue;
  return a.dtype == DType::bf16 ? launch_dim<__nv_bfloat16>(a, stream) : launch_dim<__half>(a, stream);
}

}  // namespace spct::kernels
