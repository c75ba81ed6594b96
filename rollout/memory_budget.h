// How many sequences decode together: the KV cache of one generation slot plus its share of the
// logits workspace, and a fixed prefill workspace, must fit in rollout.memory_budget_gb (model
// weights not included). Computed from the model config and dtype before anything is allocated,
// so an impossible budget is a clear error instead of an out-of-memory crash mid-run.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "core/model_config.h"

namespace spct {

struct RolloutMemory {
  int64_t kv_per_slot = 0;         // bytes: K and V of every layer over `capacity` columns
  int64_t workspace_per_slot = 0;  // bytes: float32 logits and the sampler's (B, V) temporaries
  int64_t prefill = 0;             // bytes: prefill cache and activations for `prefill_tokens`
  int64_t slots = 0;               // sequences that fit, at most max_slots

  int64_t total() const { return prefill + slots * (kv_per_slot + workspace_per_slot); }
};

// Host memory the results of `samples` generations of up to max_new_tokens tokens each hold until
// they are written (token ids, log-probabilities, decoded text, bookkeeping): a request for more
// samples than memory holds is refused before anything is allocated. Double: no overflow.
double result_host_bytes(double samples, int64_t max_new_tokens);
// Throws spct::Error "<what> asks for <samples> samples ... more than the N GB available" when
// result_host_bytes exceeds host_memory_available().
void require_results_fit(double samples, int64_t max_new_tokens, const std::string& what);

// Throws spct::Error naming the budget and the bytes one sequence needs when not even one fits.
RolloutMemory plan_rollout_memory(const ModelConfig& config, at::ScalarType dtype, int64_t capacity,
                                  int64_t prefill_tokens, double budget_gb, int64_t max_slots);

}  // namespace spct
