// One decode step of continuous batching as device work only: forward the last token of every
// slot in [0, B), sample the next one, record it, advance. No host value depends on the data,
// so the step is safe to capture as a CUDA graph (rollout/step_graphs.h) and needs no host sync.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>

#include "core/model.h"
#include "rollout/kv_cache.h"
#include "rollout/sampler.h"

namespace spct {

// Per-slot state, allocated once for every slot; a step works on the first B rows (views, so
// their addresses stay fixed for graph replay).
struct DecodeState {
  at::Tensor tok;        // (slots,) int64: the token fed next (the last prompt token, then the last sampled)
  at::Tensor len;        // (slots,) int64: its column in the cache = its position
  at::Tensor counter;    // (slots,) int64: index of the token being sampled (0 = first new token)
  SamplerRows rows;      // (slots,) per-slot sampling parameters
  at::Tensor out_tok;    // (slots, window) int64: tokens sampled since the last host sync
  at::Tensor out_lp;     // (slots, window) float32: their logprobs
  at::Tensor col;        // (1,) int64: column of out_tok written next (steps since the last sync)
  int64_t capacity = 0;  // cache columns per slot

  static DecodeState allocate(int64_t slots, int64_t window, int64_t capacity, at::Device device);
};

// The first B slots of `cache` as a cache of B rows (views sharing its storage), reading `span`
// columns, with row lengths taken from state.len.
KVCache slot_view(const KVCache& cache, const DecodeState& state, int64_t B, int64_t span);

// One step over slots [0, B). Rows past their end keep stepping harmlessly (their column is
// clamped inside the cache) until the host retires them at the next sync. `kernels`:
// ForwardOptions::decode_kernels.
void decode_step(const Transformer& model, KVCache& view, DecodeState& state, int64_t B, bool any_filter, bool kernels);

}  // namespace spct
