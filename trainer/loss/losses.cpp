#include "trainer/loss/losses.h"

#include <c10/core/GradMode.h>

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "trainer/loss/chunked_logprobs.h"

namespace spct {
namespace {

std::string shape_str(const at::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

void check_same_shape(const at::Tensor& a, const char* a_name, const at::Tensor& b, const char* b_name) {
  SPCT_CHECK(a.sizes() == b.sizes(), "losses: ", a_name, " ", shape_str(a), " and ", b_name, " ", shape_str(b),
             " must have the same shape");
}

void check_mask(const at::Tensor& mask, const at::Tensor& like, const char* like_name) {
  SPCT_CHECK(mask.scalar_type() == at::kBool, "losses: mask must be bool, got ", mask.scalar_type());
  SPCT_CHECK(like.dim() == 2, "losses: ", like_name, " must be (B, T), got ", shape_str(like));
  check_same_shape(mask, "mask", like, like_name);
}

// log_softmax in float32 of (n, V) logits of any dtype.
at::Tensor log_softmax_f32(const at::Tensor& logits, double temperature) {
  SPCT_CHECK(temperature > 0.0, "losses: temperature must be > 0, got ", temperature);
  at::Tensor z = logits.to(at::kFloat);
  if (temperature != 1.0) z = z / temperature;
  return at::log_softmax(z, -1);
}

at::Tensor gather_targets(const at::Tensor& logp, const at::Tensor& targets) {
  SPCT_CHECK(targets.scalar_type() == at::kLong, "losses: targets must be int64, got ", targets.scalar_type());
  SPCT_CHECK(logp.dim() == targets.dim() + 1 && logp.sizes().slice(0, targets.dim()) == targets.sizes(),
             "losses: targets ", shape_str(targets), " do not match logits ", shape_str(logp));
  return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1);
}

at::Tensor entropy_of(const at::Tensor& logp) {
  c10::NoGradGuard no_grad;
  at::Tensor lp = logp.detach();
  return -(lp.exp() * lp).sum(-1);
}

// The LM head's weight: what Transformer::logits multiplies hidden states by.
const at::Tensor& head_weight(const Transformer& model) {
  const ModelConfig& c = model.config();
  const std::string name = c.num_labels > 0        ? "score.weight"
                           : c.tie_word_embeddings ? "model.embed_tokens.weight"
                                                   : "lm_head.weight";
  for (const auto& [n, p] : model.parameters())
    if (n == name) return p;
  throw_error("token_logprobs: the model has no ", name);
}

// (B, T) log-probs of `model`'s LM head: the hand-written linear backward on the GPU where the head
// allows it, the recomputing autograd Function otherwise.
TokenLogprobs head_logprobs(const Transformer& model, const at::Tensor& hidden, const at::Tensor& targets,
                            int64_t chunk_tokens, double temperature, bool with_entropy) {
  SPCT_CHECK(chunk_tokens > 0, "token_logprobs: chunk_tokens must be > 0, got ", chunk_tokens);
  SPCT_CHECK(hidden.dim() == 3, "token_logprobs: hidden must be (B, T, H), got ", shape_str(hidden));
  SPCT_CHECK(targets.dim() == 2 && targets.size(0) == hidden.size(0) && targets.size(1) == hidden.size(1),
             "token_logprobs: targets ", shape_str(targets), " do not match hidden ", shape_str(hidden));
  SPCT_CHECK(targets.scalar_type() == at::kLong, "losses: targets must be int64, got ", targets.scalar_type());
  SPCT_CHECK(temperature > 0.0, "losses: temperature must be > 0, got ", temperature);
  const int64_t B = hidden.size(0), T = hidden.size(1), N = B * T;
  const ModelConfig& config = model.config();
  if (hidden.is_cuda() && config.final_logit_softcapping == 0.0 && config.num_labels == 0) {
    // A plain linear head on the GPU: the hand-written backward (fewer passes over the logits).
    const ChunkedLogprobs l = linear_logprobs(hidden.reshape({N, hidden.size(2)}), head_weight(model),
                                              targets.reshape({N}), chunk_tokens, temperature, with_entropy);
    return {l.logprobs.view({B, T}), with_entropy ? l.entropy.view({B, T}) : at::Tensor()};
  }
  const Transformer* m = &model;
  // (n, V) in the model's dtype (soft-cap included), then float32 log_softmax: one chunk at a time.
  const LogprobRows rows = [m, temperature](const at::Tensor& h) { return log_softmax_f32(m->logits(h), temperature); };
  const ChunkedLogprobs c = recomputed_logprobs(rows, hidden.reshape({N, hidden.size(2)}), head_weight(model),
                                                targets.reshape({N}), chunk_tokens, with_entropy);
  TokenLogprobs out;
  out.logprobs = c.logprobs.view({B, T});
  if (with_entropy) out.entropy = c.entropy.view({B, T});
  return out;
}

}  // namespace

at::Tensor logprobs_from_logits(const at::Tensor& logits, const at::Tensor& targets, double temperature) {
  return gather_targets(log_softmax_f32(logits, temperature), targets);
}

at::Tensor entropy_from_logits(const at::Tensor& logits, double temperature) {
  c10::NoGradGuard no_grad;
  return entropy_of(log_softmax_f32(logits.detach(), temperature));
}

at::Tensor token_logprobs(const Transformer& model, const at::Tensor& hidden, const at::Tensor& targets,
                          int64_t chunk_tokens, double temperature) {
  return head_logprobs(model, hidden, targets, chunk_tokens, temperature, false).logprobs;
}

TokenLogprobs token_logprobs_and_entropy(const Transformer& model, const at::Tensor& hidden, const at::Tensor& targets,
                                         int64_t chunk_tokens, double temperature) {
  return head_logprobs(model, hidden, targets, chunk_tokens, temperature, true);
}

at::Tensor LossSum::mean() const { return normalizer > 0 ? sum / static_cast<double>(normalizer) : sum * 0.0; }

int64_t loss_normalizer(const at::Tensor& mask, LossAgg agg) {
  SPCT_CHECK(mask.scalar_type() == at::kBool && mask.dim() == 2, "loss_normalizer: mask must be (B, T) bool, got ",
             mask.scalar_type(), " ", shape_str(mask));
  if (agg == LossAgg::token_mean) return mask.sum().item<int64_t>();
  return mask.any(1).sum().item<int64_t>();
}

at::Tensor sft_token_loss_sum(const at::Tensor& logprobs, const at::Tensor& mask) {
  check_mask(mask, logprobs, "logprobs");
  // masked_fill, not a product: a -inf log-prob on a masked token must not become NaN.
  return -logprobs.to(at::kFloat).masked_fill(mask.logical_not(), 0.0).sum();
}

LossSum sft_loss_sum(const at::Tensor& logprobs, const at::Tensor& mask) {
  LossSum out;
  out.sum = sft_token_loss_sum(logprobs, mask);
  out.normalizer = mask.sum().item<int64_t>();
  return out;
}

GroupAdvantages group_advantages(const at::Tensor& rewards, int64_t group_size, bool scale_by_std, double eps) {
  SPCT_CHECK(group_size >= 2, "group_advantages: group_size must be >= 2 (std of one reward is undefined), got ",
             group_size);
  SPCT_CHECK(rewards.dim() == 1 && rewards.numel() > 0 && rewards.numel() % group_size == 0,
             "group_advantages: rewards ", shape_str(rewards), " are not a whole number of groups of ", group_size);
  c10::NoGradGuard no_grad;
  const at::Tensor r = rewards.detach().to(at::kDouble).view({-1, group_size});  // (groups, G)
  const at::Tensor mean = r.mean(1, true);                                       // (groups, 1)
  const at::Tensor centered = r - mean;
  const at::Tensor std = (centered.pow(2).sum(1, true) / double(group_size - 1)).sqrt();  // Bessel
  const at::Tensor same = r.eq(r.narrow(1, 0, 1)).all(1, true);                           // (groups, 1)
  at::Tensor adv = scale_by_std ? centered / (std + eps) : centered;
  adv = adv.masked_fill(same, 0.0);

  GroupAdvantages out;
  out.advantages = adv.reshape({-1}).to(at::kFloat);                        // (N)
  out.zero_variance = same.expand({-1, group_size}).reshape({-1}).clone();  // (N)
  const at::Tensor flat = adv.reshape({-1});
  const at::Tensor stats = at::stack({flat.mean(), (flat - flat.mean()).pow(2).mean().sqrt(), flat.min(), flat.max(),
                                      same.sum().to(at::kDouble)})
                               .cpu();
  const double* s = stats.data_ptr<double>();
  out.mean = s[0];
  out.std = s[1];
  out.min = s[2];
  out.max = s[3];
  out.zero_variance_groups = static_cast<int64_t>(s[4]);
  return out;
}

GrpoLossOptions grpo_loss_options(const GrpoSection& config) {
  GrpoLossOptions o;
  o.beta = config.beta;
  o.kl_estimator = config.kl_estimator;
  o.clip_eps_low = config.clip_eps;
  o.clip_eps_high = config.clip_eps_high > 0.0 ? config.clip_eps_high : config.clip_eps;
  o.loss_agg = config.loss_agg;
  return o;
}

GrpoMetrics& GrpoMetrics::operator+=(const GrpoMetrics& o) {
  pg_sum += o.pg_sum;
  kl_sum += o.kl_sum;
  ratio_sum += o.ratio_sum;
  ratio_max = std::max(ratio_max, o.ratio_max);
  clipped_low += o.clipped_low;
  clipped_high += o.clipped_high;
  tokens += o.tokens;
  return *this;
}

namespace {

// Per-token KL estimate of KL(policy || ref) from d = logp - ref_logp. (B, T).
at::Tensor kl_estimate(const at::Tensor& d, KlEstimator estimator) {
  switch (estimator) {
    case KlEstimator::k1: return d;
    case KlEstimator::k2: return 0.5 * d * d;
    case KlEstimator::k3: return at::exp(-d) + d - 1.0;
  }
  throw_error("grpo_loss: unknown KL estimator");
}

// Detached float32 copy with masked positions zeroed, so garbage there (even inf) never enters
// exp() or the graph.
at::Tensor clean(const at::Tensor& t, const at::Tensor& masked_out) {
  return t.detach().to(at::kFloat).masked_fill(masked_out, 0.0);
}

}  // namespace

GrpoLoss grpo_loss_sum(const at::Tensor& logprobs, const at::Tensor& old_logprobs, const at::Tensor& ref_logprobs,
                       const at::Tensor& advantages, const at::Tensor& mask, const GrpoLossOptions& options) {
  check_mask(mask, logprobs, "logprobs");
  check_same_shape(old_logprobs, "old_logprobs", logprobs, "logprobs");
  SPCT_CHECK(ref_logprobs.defined() || options.beta == 0.0, "grpo_loss: beta = ", options.beta,
             " needs reference log-probs");
  if (ref_logprobs.defined()) check_same_shape(ref_logprobs, "ref_logprobs", logprobs, "logprobs");
  SPCT_CHECK(advantages.dim() == 1 && advantages.size(0) == logprobs.size(0), "grpo_loss: advantages ",
             shape_str(advantages), " must be (B) for logprobs ", shape_str(logprobs));
  SPCT_CHECK(options.clip_eps_low >= 0.0 && options.clip_eps_low < 1.0 && options.clip_eps_high >= 0.0,
             "grpo_loss: clip eps must satisfy 0 <= low < 1 and high >= 0, got ", options.clip_eps_low, ", ",
             options.clip_eps_high);
  const double lo = 1.0 - options.clip_eps_low, hi = 1.0 + options.clip_eps_high;
  const at::Tensor out_of_mask = mask.logical_not();
  const at::Tensor logp = logprobs.to(at::kFloat).masked_fill(out_of_mask, 0.0);  // (B, T)
  const at::Tensor adv = advantages.detach().to(at::kFloat).unsqueeze(1);         // (B, 1)

  const at::Tensor ratio = at::exp(logp - clean(old_logprobs, out_of_mask));  // (B, T)
  // -min(ratio A, clip(ratio) A), written as a max of the negations.
  const at::Tensor pg = at::maximum(-adv * ratio, -adv * at::clamp(ratio, lo, hi));  // (B, T)
  at::Tensor per_token = pg;
  at::Tensor kl;
  if (ref_logprobs.defined()) {
    kl = kl_estimate(logp - clean(ref_logprobs, out_of_mask), options.kl_estimator);  // (B, T)
    if (options.beta != 0.0) per_token = pg + options.beta * kl;
  }
  per_token = per_token.masked_fill(out_of_mask, 0.0);

  GrpoLoss out;
  const at::Tensor tokens_per_seq = mask.sum(1);  // (B) int64
  if (options.loss_agg == LossAgg::token_mean) {
    out.loss.sum = per_token.sum();
  } else {
    out.loss.sum = (per_token.sum(1) / tokens_per_seq.clamp_min(1).to(at::kFloat)).sum();
  }

  c10::NoGradGuard no_grad;
  const at::Tensor m = mask.to(at::kDouble);
  const at::Tensor r = ratio.detach().to(at::kDouble) * m;
  const at::Tensor zero = at::zeros({}, m.options());
  out.stats = at::stack(
      {(pg.detach().to(at::kDouble) * m).sum(), kl.defined() ? (kl.detach().to(at::kDouble) * m).sum() : zero, r.sum(),
       r.max(), (adv.lt(0) & ratio.lt(lo) & mask).sum().to(at::kDouble),
       (adv.gt(0) & ratio.gt(hi) & mask).sum().to(at::kDouble), m.sum(), tokens_per_seq.gt(0).sum().to(at::kDouble)});
  if (!options.read_metrics) return out;
  const at::Tensor s = out.stats.cpu();
  out.metrics = grpo_metrics(s);
  out.loss.normalizer = static_cast<int64_t>(s[options.loss_agg == LossAgg::token_mean ? 6 : 7].item<double>());
  return out;
}

GrpoMetrics grpo_metrics(const at::Tensor& stats) {
  SPCT_CHECK(stats.numel() == 8 && stats.scalar_type() == at::kDouble && stats.device().is_cpu(),
             "grpo_metrics: expected the 8 float64 host values of GrpoLoss::stats");
  const at::Tensor c = stats.contiguous();
  const double* s = c.data_ptr<double>();
  GrpoMetrics m;
  m.pg_sum = s[0];
  m.kl_sum = s[1];
  m.ratio_sum = s[2];
  m.ratio_max = s[3];
  m.clipped_low = static_cast<int64_t>(s[4]);
  m.clipped_high = static_cast<int64_t>(s[5]);
  m.tokens = static_cast<int64_t>(s[6]);
  return m;
}

LossSum bce_loss_sum(const at::Tensor& logits, const at::Tensor& labels) {
  check_same_shape(labels, "labels", logits, "logits");
  SPCT_CHECK(logits.dim() == 1, "bce_loss: logits must be (N), got ", shape_str(logits));
  LossSum out;
  out.sum = at::binary_cross_entropy_with_logits(logits.to(at::kFloat), labels.detach().to(at::kFloat), {}, {},
                                                 at::Reduction::Sum);
  out.normalizer = logits.size(0);
  return out;
}

}  // namespace spct
