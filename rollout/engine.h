// The rollout engine: continuous batching over a fixed set of generation slots.
// - Requests wait in a queue; a request's n samples share one prefill of its prompt, whose K/V is
//   copied into n slots (prefix sharing).
// - Slots decode together (rollout/decode_step.h); a finished sequence leaves its slot at the
//   next host sync and a queued sample takes it. The number of slots comes from the memory
//   budget (rollout/memory_budget.h) and max_batch_size.
// - The host syncs every `sync_every` steps (or sooner when a sequence reaches its token limit)
//   to read the new tokens, detect stop ids and stop strings, and schedule. Between syncs the
//   device runs on its own, as CUDA graphs when enabled.
// - A sample's tokens depend only on its prompt, parameters and seed (rollout/sampler.h), never
//   on which other requests run, in which slot, or whether its prefill was shared.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/model.h"
#include "rollout/sampler.h"

namespace spct {

struct Request {
  std::vector<int32_t> prompt;
  SamplingParams params;  // sample j draws from seed params.seed + j
  int64_t n = 1;
};

struct Generation {
  std::vector<int32_t> tokens;  // new tokens, the stop token (or the one completing a stop string) included
  std::vector<float> logprobs;  // one per new token
  std::string text;             // decoded tokens, cut before a matched stop string (empty without a detokenizer)
  std::string finish_reason;    // "stop" (stop id or stop string) or "length"
};

struct EngineOptions {
  double memory_budget_gb = 8.0;  // KV cache + workspaces, weights excluded
  int64_t max_batch_size = 64;    // slots at most
  int64_t prefill_tokens = 8192;  // prompt tokens prefilled together at most (a longer prompt alone)
  int64_t sync_every = 16;        // decode steps between host syncs
  bool cuda_graphs = true;
  // Decode steps through the CUDA kernels of kernels/ where the build has them and the model fits
  // (core/decode_kernels.h); false: LibTorch's generic ops. Off by default: on one H200 the
  // kernels' step is slower than the generic one today (bench/RESULTS.md, docs/kernels.md).
  bool decode_kernels = false;
};

struct EngineStats {
  int64_t slots = 0;
  int64_t steps = 0, syncs = 0, prefills = 0, graphs = 0;
  int64_t generated = 0;  // tokens returned
  double prefill_s = 0, decode_s = 0;
  double kv_bytes_read = 0;  // K/V bytes the decode steps' attention read, padding included
  double kv_bytes_live = 0;  // of which columns holding live sequences' tokens
};

// Turns generated tokens into text (stop strings, Generation::text).
using Detokenizer = std::function<std::string(const std::vector<int32_t>&)>;

class RolloutEngine {
 public:
  RolloutEngine(const Transformer& model, EngineOptions options, Detokenizer detokenize = {});
  ~RolloutEngine();
  // For every request, its n samples in order. Stop strings need a detokenizer.
  std::vector<std::vector<Generation>> run(const std::vector<Request>& requests);
  const EngineStats& stats() const { return stats_; }

 private:
  struct Run;
  std::unique_ptr<Run> run_;  // device buffers (and captured graphs) kept for the next run of the same shape
  const Transformer& model_;
  EngineOptions options_;
  Detokenizer detokenize_;
  EngineStats stats_;
};

}  // namespace spct
