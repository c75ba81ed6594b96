// GQA decode attention over the rollout engine's per-row KV cache (flash-decoding).
//
// One query token per row. Row b's keys are the cache columns [0, row_length[b]] (its own K/V
// already written there by this step), limited to the first `span` columns and, with a sliding
// window w, to the columns c with row_length[b] - c < w: exactly the mask core/model.cpp builds
// for the per-row layout. Query head h reads KV head h / G (G = heads / kv_heads); a thread
// block loads each key and value once for all G heads of its group. The sequence is split into
// chunks processed by separate blocks; a second kernel merges the chunks' partial results with
// their log-sum-exp. Inputs bf16 or fp16, math in float32, output in the input type.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "kernels/dtype.h"

namespace spct::kernels {

struct DecodeAttentionArgs {
  DType dtype = DType::bf16;
  int batch = 0, heads = 0, kv_heads = 0, head_dim = 0;
  // q[b, h, :] starts at q + b * q_stride_b + h * q_stride_h (elements; the D values contiguous).
  const void* q = nullptr;
  int64_t q_stride_b = 0, q_stride_h = 0;
  // K and V caches (B, H_kv, capacity, D) with the same strides; column s of row b, head j at
  // b * kv_stride_b + j * kv_stride_h + s * kv_stride_s.
  const void* k = nullptr;
  const void* v = nullptr;
  int64_t kv_stride_b = 0, kv_stride_h = 0, kv_stride_s = 0;
  const int64_t* row_length = nullptr;  // (B,) on the device: each row's query position
  int span = 0;                         // columns a row may read
  float scale = 1.0f;                   // softmax scale applied to q.k
  float softcap = 0.0f;                 // > 0: scores = softcap * tanh(scores / softcap) (Gemma-2)
  int window = 0;                       // > 0: sliding window
  void* out = nullptr;                  // out[b, h, :] like q
  int64_t out_stride_b = 0, out_stride_h = 0;
  int splits = 1;              // from decode_attention_splits()
  float* workspace = nullptr;  // decode_attention_workspace_floats() floats when splits > 1
};

// Whether the kernel handles this head size and group size (heads per KV head).
bool decode_attention_supported(int head_dim, int group);
// How many chunks to split each row's sequence into so that the grid fills `sm_count` SMs.
int decode_attention_splits(int batch, int kv_heads, int span, int sm_count);
size_t decode_attention_workspace_floats(int batch, int heads, int head_dim, int splits);
// Enqueues the attention on `stream`; no host synchronization and no allocation (safe inside
// CUDA graph capture). Returns the launch error, cudaErrorInvalidValue for unsupported
// arguments (see decode_attention_supported; pointers and strides must allow 16-byte loads).
cudaError_t decode_attention(const DecodeAttentionArgs& args, cudaStream_t stream);

}  // namespace spct::kernels
