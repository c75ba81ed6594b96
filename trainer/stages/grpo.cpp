#include "trainer/stages/grpo.h"

#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/random.h"
#include "core/torch_compat.h"
#include "rewards/rules/correctness.h"
#include "trainer/stages/batch.h"
#include "trainer/dist/data_shard.h"
#include "trainer/loss/losses.h"
#include "trainer/stages/trainer.h"

namespace spct {
namespace {

// Wall time of the phases of a step (time/rollout, time/ref, time/train in the metrics), each
// ended after the device finished its queued work, so GPU time lands in the phase that queued it.
class PhaseClock {
 public:
  explicit PhaseClock(at::Device device) : device_(device), last_(std::chrono::steady_clock::now()) {}
  double lap() {
    compat::synchronize(device_);
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  at::Device device_;
  std::chrono::steady_clock::time_point last_;
};

// This rank's micro-batches of the step's sequences as (first, count): micro_batch_size
// sequences each, or, with packing and micro_batch_tokens, consecutive runs of at most that many
// input tokens. The loss normalizer is summed over all of them first, so the cut changes nothing.
std::vector<std::pair<int64_t, int64_t>> grpo_micro_batches(const std::vector<Example>& seqs, const GrpoSection& g,
                                                            int64_t max_len) {
  std::vector<std::pair<int64_t, int64_t>> out;
  const int64_t n = static_cast<int64_t>(seqs.size());
  if (!g.packing || g.micro_batch_tokens == 0) {
    for (int64_t start = 0; start < n; start += g.micro_batch_size)
      out.emplace_back(start, std::min<int64_t>(g.micro_batch_size, n - start));
    return out;
  }
  std::vector<int64_t> tokens;
  for (const Example& e : seqs) tokens.push_back(std::min(e.length(), max_len) - 1);
  for (const auto& group : split_by_tokens(tokens, g.micro_batch_tokens))
    out.emplace_back(group.front(), static_cast<int64_t>(group.size()));
  return out;
}

// One step's counts and sums, each added over the ranks; per_token(x): x per loss token.
struct StepSums {
  double correct = 0, malformed = 0, sequences = 0, response_tokens = 0;
  double kl_sum = 0, pg_sum = 0, loss_tokens = 0, clipped = 0;
  double zero_variance_groups = 0, entropy_sum = 0, train_tokens = 0;

  template <class F>
  void each(F f) {
    for (double* x : {&correct, &malformed, &sequences, &response_tokens, &kl_sum, &pg_sum, &loss_tokens, &clipped,
                      &zero_variance_groups, &entropy_sum, &train_tokens})
      f(*x);
  }
  // Sums every field over the ranks in one all-reduce.
  void all_reduce(Dist& dist) {
    std::vector<double> values;
    each([&](double& x) { values.push_back(x); });
    at::Tensor t = at::tensor(values, at::kDouble).to(dist.device());
    dist.all_reduce_sum(t);
    t = t.cpu();
    const double* v = t.data_ptr<double>();
    each([&](double& x) { x = *v++; });
  }
  double per_token(double x) const { return loss_tokens > 0 ? x / loss_tokens : 0.0; }
};

}  // namespace

rewards::JudgeOptions stage_judge_options(const RunConfig& config, PrincipleMode mode) {
  rewards::JudgeOptions o;
  o.prompt.mode = mode;
  o.temperature = config.rollout.temperature;
  o.top_p = config.rollout.top_p;
  o.top_k = config.rollout.top_k;
  o.max_new_tokens = config.rollout.max_new_tokens;
  o.batch_size = config.rollout.max_batch_size;
  o.memory_budget_gb = config.rollout.memory_budget_gb;
  o.cuda_graphs = config.rollout.cuda_graphs;
  o.seed = static_cast<uint64_t>(config.rollout.seed);
  if (!config.rollout.templates.empty()) o.prompt.templates = rewards::load_templates(config.rollout.templates);
  const std::string chat = name_of(config.model.chat_template);
  o.chat_template = chat == "auto" || chat == "none" ? "" : chat;
  return o;
}

int trajectory_reward(const rewards::RmItem& item, const rewards::Trajectory& t) {
  if (!t.parse.ok()) return -1;
  const int n = static_cast<int>(item.responses.size());
  const rewards::Truth truth = n == 1 ? rewards::Truth::single(item.label)
                                      : rewards::Truth::best_of(n, rewards::displayed_position(t.order, item.best));
  return rewards::rule_reward(rewards::is_correct(t.parse.scores, truth));
}

GrpoStats train_grpo(const RunConfig& config, Dist& dist, Transformer& policy, const Transformer& reference,
                     const Tokenizer& tokenizer, const std::vector<rewards::RmItem>& items) {
  const GrpoSection& g = config.grpo;
  SPCT_CHECK(!items.empty(), "grpo: no training items");
  SPCT_CHECK(g.batch_size % g.group_size == 0, "grpo.batch_size (", g.batch_size, ") must be a multiple of ",
             "grpo.group_size (", g.group_size, ")");
  const int64_t queries = g.batch_size / g.group_size;
  SPCT_CHECK(queries % dist.world_size() == 0, "grpo: ", queries, " queries per step (batch_size / group_size) ",
             "must divide evenly over ", dist.world_size(), " ranks");
  const int64_t local_queries = queries / dist.world_size();
  const int64_t local_seqs = local_queries * g.group_size;
  SPCT_CHECK(local_seqs % g.micro_batch_size == 0, "grpo.micro_batch_size (", g.micro_batch_size,
             ") must divide each rank's ", local_seqs, " sequences per step");

  StageTrainer trainer(config, dist, policy, Stage::grpo, g);
  trainer.resume();
  DataShard shard({static_cast<int64_t>(items.size()), queries, local_queries, static_cast<uint64_t>(config.seed),
                   config.data.shuffle},
                  dist.world_size(), dist.rank());
  shard.set_cursor(trainer.data_cursor);
  const GrpoLossOptions loss_options = grpo_loss_options(g);
  rewards::JudgeOptions judge = stage_judge_options(config, g.principle_mode);
  const double sampling_temperature = judge.temperature > 0 ? judge.temperature : 1.0;
  const int64_t max_len = config.data.max_prompt_tokens + judge.max_new_tokens + 1;
  const auto device = policy.options().device();
  GrpoStats stats;

  while (!trainer.done()) {
    PhaseClock clock(device);
    // 1. Rollout: G judgments per query, orders and streams seeded by (seed, step, item, sample).
    const auto micro = shard.next_step();
    std::vector<rewards::RmItem> batch_items;
    std::vector<uint64_t> ids;
    for (int64_t i : micro.at(0)) {
      batch_items.push_back(items[i]);
      ids.push_back(static_cast<uint64_t>(i));
    }
    judge.seed =
        splitmix64(static_cast<uint64_t>(config.rollout.seed) ^ splitmix64(static_cast<uint64_t>(trainer.step())));
    const auto rollouts = [&] {
      c10::NoGradGuard no_grad;
      return rewards::sample_trajectories(policy, tokenizer, batch_items, g.group_size, judge, ids);
    }();

    // 2. Rewards and group advantages.
    std::vector<Example> seqs;
    std::vector<float> reward_values;
    int64_t malformed = 0;
    for (size_t q = 0; q < rollouts.size(); ++q)
      for (const auto& t : rollouts[q]) {
        seqs.push_back({t.prompt_ids, t.tokens});
        reward_values.push_back(static_cast<float>(trajectory_reward(batch_items[q], t)));
        malformed += t.parse.ok() ? 0 : 1;
      }
    at::Tensor rewards_t = at::tensor(reward_values, at::kFloat);
    const GroupAdvantages adv = group_advantages(rewards_t, g.group_size, g.scale_by_std);

    const double rollout_s = clock.lap();

    // 3. Micro-batches (by sequences, or by tokens when packed), then the old-policy and
    // reference log-probs of each: no autograd state at all (inference mode).
    std::vector<MicroBatch> batches;
    std::vector<at::Tensor> old_lp, ref_lp, advs;
    int64_t local_norm = 0, train_tokens = 0;  // train_tokens: positions run through the model
    for (const auto& [start, count] : grpo_micro_batches(seqs, g, max_len)) {
      std::vector<const Example*> part;
      for (int64_t s = start; s < start + count; ++s) part.push_back(&seqs[s]);
      MicroBatch b = trainer.micro_batch(part, max_len, true);
      at::Tensor& mask = b.packed ? b.tokens.mask : b.rows.mask;
      if (g.drop_zero_variance)
        mask = mask.logical_and(adv.zero_variance.narrow(0, start, count).logical_not().to(device).unsqueeze(1));
      {
        c10::InferenceMode inference;
        old_lp.push_back(trainer.logprobs(policy, b, sampling_temperature, false, false).logprobs);
        ref_lp.push_back(g.beta > 0 ? trainer.logprobs(reference, b, sampling_temperature, false, false).logprobs
                                    : old_lp.back());
      }
      advs.push_back(adv.advantages.narrow(0, start, count).to(device));
      local_norm += loss_normalizer(mask, loss_options.loss_agg);
      train_tokens += b.packed ? b.tokens.ids.numel() : b.rows.ids.numel();
      batches.push_back(std::move(b));
    }
    at::Tensor norm_t = at::scalar_tensor(static_cast<double>(local_norm), at::kDouble).to(dist.device());
    dist.all_reduce_sum(norm_t);
    const double global_norm = std::max(1.0, norm_t.item<double>());
    const double ref_s = clock.lap();

    // 4. updates_per_batch optimizer updates over the whole rollout batch. The metrics stay on
    // the device until the update is done: no wait for the device inside the step.
    std::vector<at::Tensor> loss_stats;
    at::Tensor entropy_t = at::zeros({}, at::TensorOptions().dtype(at::kDouble).device(device));
    double grad_norm = 0;
    for (int u = 0; u < g.updates_per_batch; ++u) {
      for (size_t m = 0; m < batches.size(); ++m) {
        const MicroBatch& b = batches[m];
        // The first pass also measures the policy's entropy on the response tokens.
        const TokenLogprobs tl = trainer.logprobs(policy, b, sampling_temperature, u == 0, true);
        if (u == 0) entropy_t += tl.entropy.masked_fill(b.mask().logical_not(), 0.0).sum().to(at::kDouble);
        GrpoLossOptions o = loss_options;
        o.read_metrics = false;
        const GrpoLoss loss = grpo_loss_sum(tl.logprobs, old_lp[m], ref_lp[m], advs[m], b.mask(), o);
        trainer.backward(loss.loss.sum / global_norm, m + 1 == batches.size());
        if (u == 0) loss_stats.push_back(loss.stats);
      }
      grad_norm = trainer.apply_gradients(/*advance=*/u + 1 == g.updates_per_batch);
    }
    GrpoMetrics metrics;
    if (!loss_stats.empty()) {
      const at::Tensor all = at::stack(loss_stats).cpu();
      for (int64_t i = 0; i < all.size(0); ++i) metrics += grpo_metrics(all[i]);
    }
    const double entropy_sum = entropy_t.item<double>();

    const double train_s = clock.lap();

    // 5. Metrics summed over ranks.
    StepSums sums;
    for (float r : reward_values) sums.correct += r > 0;
    for (const auto& s : seqs) sums.response_tokens += static_cast<double>(s.response.size());
    sums.malformed = static_cast<double>(malformed);
    sums.sequences = static_cast<double>(seqs.size());
    sums.kl_sum = metrics.kl_sum;
    sums.pg_sum = metrics.pg_sum;
    sums.loss_tokens = static_cast<double>(metrics.tokens);
    sums.clipped = static_cast<double>(metrics.clipped_low + metrics.clipped_high);
    sums.zero_variance_groups = static_cast<double>(adv.zero_variance_groups);
    sums.entropy_sum = entropy_sum;
    sums.train_tokens = static_cast<double>(train_tokens);
    sums.all_reduce(dist);
    stats.accuracy = sums.correct / sums.sequences;
    stats.reward_mean = (2 * sums.correct - sums.sequences) / sums.sequences;
    stats.malformed_rate = sums.malformed / sums.sequences;
    stats.kl = sums.per_token(sums.kl_sum);
    ++stats.steps;
    trainer.data_cursor = shard.cursor();
    trainer.end_step({{"reward_mean", stats.reward_mean},
                      {"accuracy", stats.accuracy},
                      {"malformed_rate", stats.malformed_rate},
                      {"kl", stats.kl},
                      {"pg_loss", sums.per_token(sums.pg_sum)},
                      {"clip_fraction", sums.per_token(sums.clipped)},
                      {"response_length", sums.response_tokens / sums.sequences},
                      {"zero_variance_groups", sums.zero_variance_groups},
                      {"entropy", sums.per_token(sums.entropy_sum)},
                      {"grad_norm", grad_norm},
                      {"time/rollout", rollout_s},
                      {"time/ref", ref_s},
                      {"time/train", train_s},
                      {"train_tokens", sums.train_tokens}});
  }
  return stats;
}

}  // namespace spct
