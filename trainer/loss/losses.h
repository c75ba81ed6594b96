// The training losses of the three SPCT stages, as functions of per-token log-probabilities:
// SFT/RFT cross-entropy, GRPO (group advantages, clipped ratio, KL to the reference) and the
// meta RM's binary cross-entropy. docs/losses.md gives every formula as implemented.
//
// Accumulation contract: each loss has a `_sum` form returning the un-normalized SUM and the
// normalizer (tokens or sequences) it is a mean over. A trainer that splits a global batch into
// micro-batches and ranks sums the normalizers first (loss_normalizer needs only the masks),
// then backpropagates sum / global_normalizer for each micro-batch and SUMS gradients across
// ranks; the result equals the loss of the whole batch at once.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>

#include "core/config.h"

namespace spct {

class Transformer;

// ---- log-probabilities ---------------------------------------------------------------------

// log softmax(logits / temperature)[target] per token, in float32, differentiable.
// logits: (..., V) any float dtype; targets: (...) int64 -> (...) float32.
at::Tensor logprobs_from_logits(const at::Tensor& logits, const at::Tensor& targets, double temperature = 1.0);
// Entropy of softmax(logits / temperature) per token, float32, without grad: (..., V) -> (...).
at::Tensor entropy_from_logits(const at::Tensor& logits, double temperature = 1.0);

// log p(target) of the model's LM head over `hidden`, computed chunk_tokens tokens at a time so
// the full (tokens, vocab) float32 logits never exist at once in the forward pass.
// hidden: (B, T, H) from Transformer::hidden; targets: (B, T) int64 -> (B, T) float32.
at::Tensor token_logprobs(const Transformer& model, const at::Tensor& hidden, const at::Tensor& targets,
                          int64_t chunk_tokens, double temperature = 1.0);

struct TokenLogprobs {
  at::Tensor logprobs;  // (B, T) float32, differentiable
  at::Tensor entropy;   // (B, T) float32, no grad (a metric)
};
// token_logprobs plus the per-token entropy, from the same chunks of logits.
TokenLogprobs token_logprobs_and_entropy(const Transformer& model, const at::Tensor& hidden, const at::Tensor& targets,
                                         int64_t chunk_tokens, double temperature = 1.0);

// ---- the accumulation contract ---------------------------------------------------------------

struct LossSum {
  at::Tensor sum;          // () float32: the summed per-token (or per-sequence) losses, with grad
  int64_t normalizer = 0;  // how many tokens (or sequences) `sum` is a mean over
  // sum / normalizer; a batch with nothing to average gives 0 (still connected to the graph).
  at::Tensor mean() const;
};

// Number of tokens (token_mean) or of sequences with at least one token (seq_mean) in a mask:
// what a trainer sums over micro-batches and ranks before backward. mask: (B, T) bool.
int64_t loss_normalizer(const at::Tensor& mask, LossAgg agg);

// ---- SFT / RFT ------------------------------------------------------------------------------

// Token-level cross-entropy over the tokens where mask is true (the trajectory; the prompt and
// padding are false). logprobs: (B, T) float32; mask: (B, T) bool. normalizer = token count.
LossSum sft_loss_sum(const at::Tensor& logprobs, const at::Tensor& mask);
// sft_loss_sum's sum alone: no normalizer, so no wait for the device (a trainer that knows its
// global token count already).
at::Tensor sft_token_loss_sum(const at::Tensor& logprobs, const at::Tensor& mask);
inline at::Tensor sft_loss(const at::Tensor& logprobs, const at::Tensor& mask) {
  return sft_loss_sum(logprobs, mask).mean();
}

// ---- GRPO -------------------------------------------------------------------------------------

struct GroupAdvantages {
  at::Tensor advantages;     // (N) float32, one per sequence; 0 for every zero-variance group
  at::Tensor zero_variance;  // (N) bool: the sequence's group had all-equal rewards (no signal)
  // Statistics of `advantages` over the batch, for logging.
  double mean = 0, std = 0, min = 0, max = 0;
  int64_t zero_variance_groups = 0;
};
// rewards: (N) with N = groups * group_size, each group contiguous. A = (r - mean_G) / (std_G +
// eps), std with Bessel's correction (as torch.std); scale_by_std = false (Dr.GRPO): A = r - mean_G.
GroupAdvantages group_advantages(const at::Tensor& rewards, int64_t group_size, bool scale_by_std, double eps = 1e-6);

struct GrpoLossOptions {
  double beta = 0.08;  // KL coefficient
  KlEstimator kl_estimator = KlEstimator::k3;
  double clip_eps_low = 0.2;   // ratio clipped to [1 - clip_eps_low, 1 + clip_eps_high]
  double clip_eps_high = 0.2;  // > clip_eps_low: "clip-higher"
  LossAgg loss_agg = LossAgg::token_mean;
  // Fill GrpoLoss::metrics and the normalizer (waits for the device); false: only
  // GrpoLoss::stats, read later through grpo_metrics.
  bool read_metrics = true;
};
// From the stage config (clip_eps_high already resolved to clip_eps at load when 0).
GrpoLossOptions grpo_loss_options(const GrpoSection& config);

// Token sums over the valid tokens of one micro-batch, so metrics add up across micro-batches.
struct GrpoMetrics {
  double pg_sum = 0;  // policy-gradient term
  double kl_sum = 0;  // KL estimate (before beta)
  double ratio_sum = 0;
  double ratio_max = 0;
  int64_t clipped_low = 0;   // A < 0 and ratio < 1 - eps_low: the clipped branch is taken
  int64_t clipped_high = 0;  // A > 0 and ratio > 1 + eps_high
  int64_t tokens = 0;
  GrpoMetrics& operator+=(const GrpoMetrics& o);
  double pg_mean() const { return tokens ? pg_sum / tokens : 0.0; }
  double kl_mean() const { return tokens ? kl_sum / tokens : 0.0; }
  double ratio_mean() const { return tokens ? ratio_sum / tokens : 0.0; }
  double clip_fraction() const { return tokens ? double(clipped_low + clipped_high) / tokens : 0.0; }
};

struct GrpoLoss {
  LossSum loss;  // per token: pg + beta * kl, aggregated by options.loss_agg
  GrpoMetrics metrics;
  at::Tensor stats;  // (8) float64 on the device: what metrics and the normalizer are read from
};
// The metrics of one GrpoLoss::stats (a host tensor), as grpo_loss_sum fills them.
GrpoMetrics grpo_metrics(const at::Tensor& stats);
// logprobs: (B, T) float32 of the policy being trained (with grad); old_logprobs: (B, T) of the
// policy that sampled; ref_logprobs: (B, T) of the frozen reference (ignored when beta == 0);
// advantages: (B); mask: (B, T) bool, true on response tokens. Values at masked positions are
// never read (they may be garbage, even inf). To drop zero-variance groups, AND the mask with
// ~zero_variance first: dropped sequences then leave the normalizer too.
GrpoLoss grpo_loss_sum(const at::Tensor& logprobs, const at::Tensor& old_logprobs, const at::Tensor& ref_logprobs,
                       const at::Tensor& advantages, const at::Tensor& mask, const GrpoLossOptions& options);

// ---- meta RM ----------------------------------------------------------------------------------

// Binary cross-entropy with logits. logits: (N) any float dtype; labels: (N) 0/1 (any dtype).
// normalizer = N.
LossSum bce_loss_sum(const at::Tensor& logits, const at::Tensor& labels);
inline at::Tensor bce_loss(const at::Tensor& logits, const at::Tensor& labels) {
  return bce_loss_sum(logits, labels).mean();
}

}  // namespace spct
