// What every training stage shares: AdamW over the model, the learning-rate schedule, gradient
// averaging across ranks, clipping, checkpoints with exact resume, and metrics (JSONL on rank 0,
// a progress line with rate and ETA). The stages (trainer/stages/sft.h, trainer/stages/grpo.h, ...) supply the
// losses; this class owns everything around them.
#pragma once
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/model.h"
#include "trainer/dist/dist.h"
#include "trainer/loss/losses.h"
#include "trainer/optim/grad_reducer.h"
#include "trainer/optim/optimizer.h"
#include "trainer/stages/batch.h"

namespace spct {

// One micro-batch as the stage's config wants it: padded (make_batch) or, with train.packing,
// packed (make_packed_batch). Per-token results always come in the padded (B, T) layout.
struct MicroBatch {
  bool packed = false;
  TokenBatch rows;     // when !packed
  PackedBatch tokens;  // when packed
  const at::Tensor& mask() const { return packed ? tokens.mask : rows.mask; }
};

class StageTrainer {
 public:
  // model: the parameters to train (replicated on every rank). train: the stage's optimizer keys.
  // With optim.zero_stage 1 the AdamW state is sharded over the ranks (trainer/optim/zero.h); with
  // 2 the gradients too: each is reduced into its owner's shard (trainer/optim/grad_reducer.h).
  StageTrainer(const RunConfig& config, Dist& dist, Transformer& model, Stage stage, const TrainSection& train);

  // Loads the stage's latest checkpoint when checkpoint.resume allows (refusing a config that
  // cannot continue it), else broadcasts rank 0's parameters so every rank starts equal.
  // Returns true when it resumed.
  bool resume();

  int64_t step() const { return step_; }  // optimizer steps done
  int64_t total_steps() const { return train_.steps; }
  bool done() const { return step_ >= train_.steps; }
  int64_t data_cursor = 0;  // the stage's items consumed (saved, restored)
  double lr() const;        // of the next step

  // The backward of one micro-batch's loss (already divided by the GLOBAL normalizer). On several
  // ranks, last_micro_batch = true (the step's last micro-batch on this rank) starts the gradient
  // all-reduce: during this backward, bucket by bucket, with optim.overlap_allreduce, else right
  // after it. Every rank must pass true for its last micro-batch (all ranks run as many).
  void backward(const at::Tensor& loss, bool last_micro_batch);

  // After this rank's micro-batch backwards: finishes summing gradients across ranks (all of the
  // reduction when no backward was marked last), clips, applies AdamW at lr(), clears grads,
  // advances step().
  // Returns the pre-clip norm. A non-finite norm stops the run with an error naming the step, or,
  // with optim.skip_nonfinite, skips the update on every rank (counted in skipped_steps()).
  // advance = false: an extra update of the same step (GRPO's updates_per_batch).
  double apply_gradients(bool advance = true);

  // Adds step, lr and elapsed time to metrics; rank 0 appends them to logging.metrics_file and
  // prints a progress line; checkpoints when checkpoint.every_steps says so (and at the end).
  // When any rank got a stop signal (trainer/stages/stop_signal.h), every rank checkpoints this
  // step and it throws stop::Stopped.
  void end_step(nlohmann::json metrics);

  std::string checkpoint_dir() const;
  void save_checkpoint(const nlohmann::json& metrics);

  Dist& dist() { return dist_; }
  int zero_stage() const { return config_.optim.zero_stage; }
  int64_t skipped_steps() const { return skipped_; }  // updates skipped for a non-finite norm
  // Forward options for the stage's training forwards (activation checkpointing when configured).
  ForwardOptions forward_options(const at::Tensor& valid) const;
  // examples as a micro-batch on the model's device, packed when the stage's train.packing says so.
  MicroBatch micro_batch(const std::vector<const Example*>& examples, int64_t max_len, bool completion_only) const;
  // (B, T) float32 log-probs of the micro-batch's targets under `model` at `temperature` (and
  // their entropy when asked), through the chunked LM head. training: with grad and activation
  // checkpointing as configured; else the plain forward (no-grad passes).
  TokenLogprobs logprobs(const Transformer& model, const MicroBatch& batch, double temperature, bool with_entropy,
                         bool training) const;

 private:
  GradNorm clip_gradients();
  void stop_if_signalled(const nlohmann::json& metrics, bool saved);

  const RunConfig& config_;
  Dist& dist_;
  Transformer& model_;
  Stage stage_;
  TrainSection train_;
  NamedTensors params_;
  std::vector<int> owners_;               // ZeRO-1/2: rank that updates each parameter; empty when replicated
  AdamW optimizer_;                       // over params_, or over this rank's owned parameters with ZeRO-1/2
  std::unique_ptr<GradReducer> reducer_;  // the gradient all-reduce; only on several ranks
  int64_t step_ = 0;
  int64_t skipped_ = 0;
  std::chrono::steady_clock::time_point start_;
  int64_t start_step_ = 0;
};

// The stage's metrics line for the JSONL file: {"stage", "step", ...metrics}.
void append_metrics(const std::string& path, const nlohmann::json& line);

}  // namespace spct
