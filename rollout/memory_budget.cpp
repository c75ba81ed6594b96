#include "rollout/memory_budget.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/host_memory.h"

namespace spct {

double result_host_bytes(double samples, int64_t max_new_tokens) {
  // Per sample: the Generation and its queue entry, then per token an id, a log-probability and
  // about four bytes of decoded text.
  constexpr double kPerSample = sizeof(std::vector<int32_t>) * 2 + sizeof(std::string) * 2 + 16;
  return samples * (kPerSample + static_cast<double>(max_new_tokens) * 12.0);
}

void require_results_fit(double samples, int64_t max_new_tokens, const std::string& what) {
  const double need = result_host_bytes(samples, max_new_tokens), have = host_memory_available();
  SPCT_CHECK(need <= have, what, " asks for ", static_cast<int64_t>(std::min(samples, 9e18)), " samples of up to ",
             max_new_tokens, " tokens, whose results need ", need / 1e9, " GB of host memory, more than the ",
             have / 1e9, " GB available; lower it or split the input");
}

RolloutMemory plan_rollout_memory(const ModelConfig& c, at::ScalarType dtype, int64_t capacity, int64_t prefill_tokens,
                                  double budget_gb, int64_t max_slots) {
  SPCT_CHECK(budget_gb > 0, "rollout.memory_budget_gb must be > 0 (got ", budget_gb, ")");
  const int64_t el = static_cast<int64_t>(c10::elementSize(dtype));
  const int64_t kv_per_token = 2 * c.num_layers * c.num_kv_heads * c.head_dim * el;
  RolloutMemory m;
  m.kv_per_slot = kv_per_token * capacity;
  // The sampler holds about eight (B, V) float32 tensors at once (logits, log-probabilities,
  // probabilities, cumulative sums, the sorted copy and its int64 order when filtering).
  m.workspace_per_slot = 8 * c.vocab_size * 4;
  // Prefill: its own cache plus the widest activations (MLP in/out, attention projections, and
  // float32 norm copies) for every prefill token; eager attention scores (no fused SDPA, or
  // Gemma-2's soft-capping) add (heads x tokens x longest prompt) float32, bounded the same way.
  const int64_t act =
      (3 * c.intermediate_size + 6 * c.hidden_size + 2 * c.num_heads * c.head_dim) * el + 4 * c.hidden_size * 4;
  m.prefill =
      prefill_tokens * (kv_per_token + act) + prefill_tokens * c.num_heads * std::min(capacity, prefill_tokens) * 4;
  const double budget = budget_gb * 1e9;
  const int64_t per_slot = m.kv_per_slot + m.workspace_per_slot;
  const int64_t fit = budget > m.prefill ? static_cast<int64_t>((budget - m.prefill) / per_slot) : 0;
  SPCT_CHECK(fit >= 1, "rollout.memory_budget_gb = ", budget_gb, " holds no sequence: one sequence of ", capacity,
             " tokens needs ", (per_slot + m.prefill) / 1e6, " MB (KV cache ", m.kv_per_slot / 1e6,
             " MB, logits workspace ", m.workspace_per_slot / 1e6, " MB, prefill workspace ", m.prefill / 1e6,
             " MB for ", prefill_tokens, " prefill tokens)");
  m.slots = std::min(fit, max_slots);
  return m;
}

}  // namespace spct
