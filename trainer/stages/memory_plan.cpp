#include "trainer/stages/memory_plan.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/error.h"
#include "core/model.h"
#include "rollout/memory_budget.h"
#include "trainer/optim/zero.h"

namespace spct {
namespace {

struct ParamStats {
  std::vector<int64_t> numels;
  int64_t total = 0;
  int64_t largest = 0;  // elements of the largest parameter
  int64_t layer = 0;    // elements of one transformer layer
};

ParamStats param_stats(const ModelConfig& c) {
  ParamStats s;
  for (const ParamSpec& p : parameter_specs(c)) {
    int64_t n = 1;
    for (int64_t d : p.shape) n *= d;
    s.numels.push_back(n);
    s.total += n;
    s.largest = std::max(s.largest, n);
    if (p.name.rfind("model.layers.0.", 0) == 0) s.layer += n;
  }
  return s;
}

// Elements the most loaded rank owns under trainer/optim/zero.h's greedy assignment.
int64_t most_owned(const ParamStats& s, int world) {
  const std::vector<int> owners = zero_owners(s.numels, world);
  std::vector<int64_t> load(world, 0);
  for (size_t i = 0; i < owners.size(); ++i) load[owners[i]] += s.numels[i];
  return *std::max_element(load.begin(), load.end());
}

int64_t activation_bytes(const MemoryPlanInput& in) {
  const ModelConfig& c = in.model;
  const int64_t e = in.param_bytes, H = c.hidden_size;
  const int64_t layer = layer_activation_bytes(c, e, in.seq_len, in.eager_attention);
  // Kept across the layers: every layer's saved tensors, or with checkpointing only each
  // layer's input plus one layer recomputed in backward.
  const int64_t kept = in.activation_checkpointing ? c.num_layers * e * H + layer : c.num_layers * layer;
  // One more layer's worth of gradients in flight in backward; outside the layers, the final
  // norm's float32 copy and outputs and the hidden states the loss keeps.
  const int64_t per_token = kept + layer + 4 * H + 3 * e * H;
  return in.micro_batch * in.seq_len * per_token;
}

// The chunked loss (trainer/loss/chunked_logprobs.h) in backward: logits in the weights' dtype, their
// float32 copy, log-softmax output and gradients, per row of the chunk; soft-capping adds two.
int64_t logits_bytes(const MemoryPlanInput& in) {
  const ModelConfig& c = in.model;
  const int64_t rows = std::min(in.logits_chunk, in.micro_batch * in.seq_len);
  const int64_t width = c.num_labels > 0 ? c.num_labels : c.vocab_size;
  const int64_t per_row = width * (2 * in.param_bytes + 12 + (c.final_logit_softcapping > 0 ? 2 * in.param_bytes : 0));
  return rows * per_row;
}

}  // namespace

int64_t layer_activation_bytes(const ModelConfig& c, int64_t e, int64_t seq_len, bool eager_attention) {
  const int64_t H = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  // RMSNorm: the float32 copy of its input, the normalized input and the output in the weights' dtype.
  const int64_t norm = 4 * H + 2 * e * H;
  const int64_t norms = (c.gemma_style() ? 4 : 2) * norm;
  // q and k before rotary and their swapped halves, after rotary, v, keys and values repeated for
  // every query head (grouped-query attention), the attention output and its copy for o_proj.
  const int64_t repeated = c.num_heads > c.num_kv_heads ? 2 * q : 0;
  const int64_t attn = e * (2 * q + 2 * kv + q + kv + kv + repeated + 2 * q);
  // Eager attention keeps the float32 probabilities and their copy in the weights' dtype per
  // (head, key) (and the soft-capped scores); fused attention a float32 log-sum-exp per head.
  const int64_t scores =
      eager_attention ? seq_len * c.num_heads * (4 + e + (c.attn_logit_softcapping > 0 ? e : 0)) : 4 * c.num_heads;
  // MLP: gate, its activation, up, and their product.
  const int64_t mlp = 4 * e * c.intermediate_size;
  return norms + attn + scores + mlp;
}

int64_t MemoryPlan::train_peak() const {
  return weights + grads + optimizer + activations + logits + reference + workspace;
}

int64_t MemoryPlan::rollout_peak() const {
  return weights + gathered_weights + grad_buffers + optimizer + reference + kv_cache + workspace;
}

int64_t MemoryPlan::peak() const { return std::max(train_peak(), rollout_peak()); }

MemoryPlan plan_memory(const MemoryPlanInput& in) {
  SPCT_CHECK(in.world >= 1, "plan: world size must be >= 1, got ", in.world);
  SPCT_CHECK(in.zero_stage >= 0 && in.zero_stage <= 3, "plan: zero_stage must be 0, 1, 2 or 3, got ", in.zero_stage);
  SPCT_CHECK(in.param_bytes == 2 || in.param_bytes == 4,
             "plan: weights must be 2 (bfloat16) or 4 (float32) bytes, got ", in.param_bytes);
  SPCT_CHECK(in.micro_batch >= 1 && in.seq_len >= 1, "plan: micro-batch and sequence length must be >= 1, got ",
             in.micro_batch, " and ", in.seq_len);
  in.model.validate("plan");
  const ParamStats s = param_stats(in.model);
  const int64_t e = in.param_bytes;
  MemoryPlan p;
  p.parameters = s.total;
  p.owned = in.zero_stage >= 1 ? most_owned(s, in.world) : s.total;
  const int64_t largest_bytes = std::max(in.bucket_bytes, s.largest * e);
  if (in.zero_stage == 3) {
    // The owned shard, plus the layer being computed and the next one being gathered.
    p.weights = p.owned * e + 2 * std::max(s.layer, s.largest) * e;
    if (in.rollout) p.gathered_weights = s.total * e;  // one buffer with the full weights for generation
  } else {
    p.weights = s.total * e;
  }
  if (in.world == 1) {
    p.grads = s.total * e;
  } else if (in.zero_stage <= 1) {
    p.grad_buffers = s.total * e;  // the reducer's flat buckets, kept allocated
    p.grads = s.total * e + p.grad_buffers;
  } else {
    // The owned, reduced shard; while backward runs, gradients not yet packed, the bucket being
    // filled and one in flight (overlap), or all of them (reduced after backward).
    p.grads = p.owned * e + (in.overlap_allreduce ? std::min(3 * largest_bytes, s.total * e) : s.total * e);
  }
  p.optimizer = p.owned * (e == 4 ? 8 : 12);
  p.activations = activation_bytes(in);
  p.logits = logits_bytes(in);
  if (in.reference_model) p.reference = s.total * e;
  if (in.rollout) {
    const RolloutMemory r = plan_rollout_memory(in.model, e == 2 ? at::kBFloat16 : at::kFloat, in.rollout_capacity,
                                                in.rollout_prefill, in.kv_budget_gb, in.rollout_batch);
    p.kv_cache = r.total();
    p.rollout_slots = r.slots;
  }
  p.workspace = static_cast<int64_t>(in.workspace_gb * 1e9);
  return p;
}

std::string format_plan(const MemoryPlanInput& in, const MemoryPlan& p, double gpu_gb) {
  std::ostringstream os;
  char line[160];
  auto row = [&](const char* what, int64_t bytes, const char* note) {
    std::snprintf(line, sizeof line, "  %-24s %9.2f  %s\n", what, bytes / 1e9, note);
    os << line;
  };
  std::snprintf(line, sizeof line, "%s, %.3f B parameters (%s), %d rank(s), zero_stage %d\n",
                family_name(in.model.family).c_str(), p.parameters / 1e9, in.param_bytes == 2 ? "bfloat16" : "float32",
                in.world, in.zero_stage);
  os << line;
  std::snprintf(line, sizeof line, "micro-batch %lld x %lld tokens, activation checkpointing %s, %s attention\n",
                static_cast<long long>(in.micro_batch), static_cast<long long>(in.seq_len),
                in.activation_checkpointing ? "on" : "off", in.eager_attention ? "eager" : "fused");
  os << line << "  per rank                        GB\n";
  row("weights", p.weights, in.zero_stage == 3 ? "(owned shard + two gathered layers)" : "");
  row("gradients", p.grads, in.world > 1 && in.zero_stage <= 1 ? "(+ reducer buckets)" : "");
  row("master + Adam moments", p.optimizer, in.zero_stage >= 1 ? "(owned shard)" : "");
  row("activations", p.activations, "");
  row("logits chunk", p.logits, "");
  row("reference model", p.reference, "");
  row("rollout full weights", p.gathered_weights, "");
  char slots[64];
  std::snprintf(slots, sizeof slots, "(%lld sequences of %lld tokens)", static_cast<long long>(p.rollout_slots),
                static_cast<long long>(in.rollout_capacity));
  row("KV cache + sampler", p.kv_cache, in.rollout ? slots : "");
  row("workspace", p.workspace, "");
  row("training peak", p.train_peak(), "");
  row("rollout peak", p.rollout_peak(), "");
  row("peak", p.peak(), "");
  if (gpu_gb > 0) {
    const bool fits = p.peak() <= gpu_gb * 1e9;
    std::snprintf(line, sizeof line, "%s %.0f GB per GPU (%+.2f GB to spare)\n", fits ? "fits in" : "DOES NOT FIT in",
                  gpu_gb, gpu_gb - p.peak() / 1e9);
    os << line;
  }
  return os.str();
}

}  // namespace spct
