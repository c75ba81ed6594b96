// The memory planner (trainer/stages/memory_plan.h) against numbers worked by hand for a small
// config: vocab 100, hidden 8, intermediate 16, 2 layers, 2 heads of 4, 1 KV head, untied head.
// Parameters in order: embed 800, per layer [norm 8, q 64, k 32, v 32, o 64, norm 8, gate 128,
// up 128, down 128] (592), final norm 8, lm_head 800: 2792 in all. Greedy owners on two ranks:
// rank 0 takes embed, layer 1's gate and down (1056); rank 1 the rest (1736).
#include <gtest/gtest.h>

#include "core/error.h"
#include "trainer/stages/memory_plan.h"

namespace spct {
namespace {

ModelConfig small() {
  ModelConfig c;
  c.family = Family::llama;
  c.vocab_size = 100;
  c.hidden_size = 8;
  c.intermediate_size = 16;
  c.num_layers = 2;
  c.num_heads = 2;
  c.num_kv_heads = 1;
  c.head_dim = 4;
  c.max_position_embeddings = 64;
  c.tie_word_embeddings = false;
  return c;
}

// bf16 on two ranks, ZeRO-2, micro-batch 2 x 16 tokens, GRPO's reference, no rollout.
MemoryPlanInput base() {
  MemoryPlanInput in;
  in.model = small();
  in.world = 2;
  in.zero_stage = 2;
  in.param_bytes = 2;
  in.micro_batch = 2;
  in.seq_len = 16;
  in.reference_model = true;
  in.bucket_bytes = 1000;
  in.workspace_gb = 0;
  return in;
}

TEST(MemoryPlan, HandWorkedZero2) {
  const MemoryPlan p = plan_memory(base());
  EXPECT_EQ(p.parameters, 2792);
  EXPECT_EQ(p.owned, 1736);
  EXPECT_EQ(p.weights, 2792 * 2);
  // Owned shard 1736 * 2, plus three buckets of max(1000 B, lm_head's 1600 B).
  EXPECT_EQ(p.grads, 3472 + 3 * 1600);
  EXPECT_EQ(p.optimizer, 1736 * 12);
  // Per token and layer: norms 2 * (32 + 32), attention 2 * 72, log-sum-exp 8, MLP 128 = 408.
  EXPECT_EQ(layer_activation_bytes(small(), 2, 16, false), 408);
  // 32 tokens x (2 layers * 408 + one layer in backward 408 + final norm and hidden 32 + 48).
  EXPECT_EQ(p.activations, 32 * 1304);
  EXPECT_EQ(p.logits, 32 * 100 * 16);
  EXPECT_EQ(p.reference, 5584);
  EXPECT_EQ(p.kv_cache, 0);
  EXPECT_EQ(p.train_peak(), 133200);
  EXPECT_EQ(p.grad_buffers, 0);
  EXPECT_EQ(p.rollout_peak(), 5584 + 20832 + 5584);
  EXPECT_EQ(p.peak(), 133200);
}

TEST(MemoryPlan, StagesAndWorldSizes) {
  MemoryPlanInput in = base();
  in.zero_stage = 0;
  MemoryPlan p = plan_memory(in);
  EXPECT_EQ(p.grads, 2 * 5584);     // the gradients and the reducer's buckets
  EXPECT_EQ(p.grad_buffers, 5584);  // the buckets stay allocated while generating
  EXPECT_EQ(p.rollout_peak(), 5584 + 5584 + 2792 * 12 + 5584);
  EXPECT_EQ(p.optimizer, 2792 * 12);
  in.zero_stage = 1;
  p = plan_memory(in);
  EXPECT_EQ(p.grads, 2 * 5584);
  EXPECT_EQ(p.optimizer, 1736 * 12);
  in.zero_stage = 2;
  in.overlap_allreduce = false;  // every gradient exists before the reduction starts
  EXPECT_EQ(plan_memory(in).grads, 3472 + 5584);
  in.zero_stage = 3;
  in.overlap_allreduce = true;
  in.rollout = true;
  in.kv_budget_gb = 2e-5;
  in.rollout_capacity = 64;
  in.rollout_prefill = 16;
  p = plan_memory(in);
  EXPECT_EQ(p.weights, 3472 + 2 * 800 * 2);  // shard + two gathered (lm_head-sized) buffers
  EXPECT_EQ(p.gathered_weights, 5584);
  // KV 2 * 2 layers * 4 * 2 B = 32 B per token, 64 tokens a slot (2048) + sampler 8 * 100 * 4
  // (3200); prefill 16 * (32 + 352) + 16 * 2 heads * 16 * 4 = 8192; (20000 - 8192) / 5248 = 2 slots.
  EXPECT_EQ(p.rollout_slots, 2);
  EXPECT_EQ(p.kv_cache, 8192 + 2 * 5248);
  EXPECT_EQ(p.rollout_peak(), p.weights + 5584 + p.optimizer + 5584 + p.kv_cache);
  in.world = 1;
  in.zero_stage = 0;
  in.rollout = false;
  in.param_bytes = 4;
  p = plan_memory(in);
  EXPECT_EQ(p.grads, 2792 * 4);
  EXPECT_EQ(p.optimizer, 2792 * 8);  // float32 weights need no master copy
}

TEST(MemoryPlan, ActivationsWithCheckpointingAndEagerAttention) {
  MemoryPlanInput in = base();
  in.activation_checkpointing = true;
  // Kept: each layer's input 2 * 8 * 2 B, plus one layer recomputed (408) and one in backward.
  EXPECT_EQ(plan_memory(in).activations, 32 * (32 + 408 + 408 + 80));
  // Eager: (4 + 2) B per head and key instead of the log-sum-exp: 16 * 2 * 6 = 192.
  EXPECT_EQ(layer_activation_bytes(small(), 2, 16, true), 408 - 8 + 192);
}

TEST(MemoryPlan, FormatsAndRejectsBadInput) {
  const MemoryPlanInput in = base();
  const MemoryPlan p = plan_memory(in);
  const std::string fits = format_plan(in, p, 1e-3);  // 1e6 bytes
  EXPECT_NE(fits.find("fits in"), std::string::npos) << fits;
  const std::string not_fit = format_plan(in, p, 1e-4);
  EXPECT_NE(not_fit.find("DOES NOT FIT"), std::string::npos) << not_fit;
  MemoryPlanInput bad = in;
  bad.zero_stage = 4;
  EXPECT_THROW(plan_memory(bad), Error);
  bad = in;
  bad.world = 0;
  EXPECT_THROW(plan_memory(bad), Error);
  bad = in;
  bad.rollout = true;
  bad.kv_budget_gb = 1e-6;  // holds no sequence
  EXPECT_THROW(plan_memory(bad), Error);
}

}  // namespace
}  // namespace spct
