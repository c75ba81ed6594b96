// The memory a training rank needs, computed from a model's config.json alone (no weights):
// parameters, gradients, fp32 masters and Adam moments, activations of one micro-batch, the
// chunk of logits of the loss, a frozen reference model (GRPO), the rollout's KV cache, and a
// fixed workspace. `spct plan` prints it; the formulas are in docs/distributed.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/model_config.h"

namespace spct {

struct MemoryPlanInput {
  ModelConfig model;
  int world = 1;
  int zero_stage = 0;       // 0..3
  int64_t param_bytes = 2;  // 2: bfloat16 weights, 4: float32
  int64_t micro_batch = 1;  // sequences per forward/backward
  int64_t seq_len = 2048;   // tokens per training sequence
  bool activation_checkpointing = false;
  bool overlap_allreduce = true;
  // Attention scores (B, heads, T, T) materialized: Gemma-2's soft-capping, or LibTorch < 2.1
  // (no fused scaled_dot_product_attention).
  bool eager_attention = false;
  int64_t logits_chunk = 2048;      // tokens per chunk of the loss's logits
  bool reference_model = false;     // GRPO with beta > 0 keeps a frozen copy of the weights
  bool rollout = false;             // the run samples trajectories (rft, grpo, metarm)
  double kv_budget_gb = 8.0;        // rollout.memory_budget_gb
  int64_t rollout_batch = 64;       // rollout.max_batch_size
  int64_t rollout_capacity = 3072;  // longest prompt + max_new_tokens
  int64_t rollout_prefill = 8192;   // prompt tokens prefilled together (rollout/engine.h)
  int64_t bucket_bytes = 25LL << 20;
  double workspace_gb = 1.5;  // CUDA context, cuBLAS and NCCL buffers, allocator slack
};

// Bytes per rank (the most loaded rank where parameters are sharded).
struct MemoryPlan {
  int64_t parameters = 0;  // elements in the model
  int64_t owned = 0;       // elements the most loaded rank owns (ZeRO >= 1; else all)
  int64_t weights = 0;
  int64_t gathered_weights = 0;  // ZeRO-3: full weights for rollout (training: two layers)
  int64_t grads = 0;
  int64_t grad_buffers = 0;  // of grads: the ZeRO-0/1 reducer's buckets, allocated all run long
  int64_t optimizer = 0;     // fp32 master (non-fp32 weights) + exp_avg + exp_avg_sq
  int64_t activations = 0;
  int64_t logits = 0;
  int64_t reference = 0;
  int64_t kv_cache = 0;       // KV cache + sampler and prefill workspaces, within the budget
  int64_t rollout_slots = 0;  // sequences the budget lets decode together
  int64_t workspace = 0;

  int64_t train_peak() const;    // during a micro-batch's backward
  int64_t rollout_peak() const;  // while generating (no gradients or activations)
  int64_t peak() const;
};

// Throws spct::Error naming the field for an impossible input (world < 1, stage outside 0..3, a
// KV budget that holds no sequence).
MemoryPlan plan_memory(const MemoryPlanInput& in);

// Activation bytes per token of one transformer layer kept for backward (docs/distributed.md).
int64_t layer_activation_bytes(const ModelConfig& c, int64_t param_bytes, int64_t seq_len, bool eager_attention);

// The plan as a table (GB = 1e9 bytes); with gpu_gb > 0, the last line says whether it fits.
std::string format_plan(const MemoryPlanInput& in, const MemoryPlan& plan, double gpu_gb);

}  // namespace spct
