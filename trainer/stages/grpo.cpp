#include "trainer/stages/grpo.h"

#include <c10/core/GradMode.h>

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

constexpr int64_t kLogprobChunk = 2048;

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

// Per-token log-probs of `targets` under `model` at the sampling temperature: (B, T) float32.
at::Tensor batch_logprobs(const Transformer& model, const TokenBatch& b, double temperature,
                          const ForwardOptions& options) {
  at::Tensor hidden = model.hidden(b.ids, options);
  return token_logprobs(model, hidden, b.targets, kLogprobChunk, temperature > 0 ? temperature : 1.0);
}

}  // namespace

rewards::JudgeOptions stage_judge_options(const RunConfig& config, PrincipleMode mode) {
  rewards::JudgeOptions o;
  o.prompt.mode = rewards::parse_principle_mode(name_of(mode));
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
  const double temperature = judge.temperature;
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
    judge.seed = splitmix64(static_cast<uint64_t>(config.rollout.seed) ^ splitmix64(static_cast<uint64_t>(trainer.step())));
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

    // 3. Old-policy and reference log-probs (no grad), one micro-batch at a time.
    std::vector<TokenBatch> batches;
    std::vector<at::Tensor> old_lp, ref_lp, advs;
    int64_t local_norm = 0, train_tokens = 0;  // train_tokens: positions run through the model
    {
      c10::NoGradGuard no_grad;
      for (int64_t start = 0; start < local_seqs; start += g.micro_batch_size) {
        std::vector<const Example*> part;
        for (int64_t s = start; s < start + g.micro_batch_size; ++s) part.push_back(&seqs[s]);
        TokenBatch b = make_batch(part, max_len, device);
        at::Tensor keep = adv.zero_variance.narrow(0, start, g.micro_batch_size).logical_not().to(device);
        if (g.drop_zero_variance) b.mask = b.mask.logical_and(keep.unsqueeze(1));
        old_lp.push_back(batch_logprobs(policy, b, temperature, {at::Tensor(), b.valid}));
        ref_lp.push_back(g.beta > 0 ? batch_logprobs(reference, b, temperature, {at::Tensor(), b.valid}) : old_lp.back());
        advs.push_back(adv.advantages.narrow(0, start, g.micro_batch_size).to(device));
        local_norm += loss_normalizer(b.mask, loss_options.loss_agg);
        train_tokens += b.ids.numel();
        batches.push_back(std::move(b));
      }
    }
    at::Tensor norm_t = at::scalar_tensor(static_cast<double>(local_norm), at::kDouble).to(dist.device());
    dist.all_reduce_sum(norm_t);
    const double global_norm = std::max(1.0, norm_t.item<double>());
    const double ref_s = clock.lap();

    // 4. updates_per_batch optimizer updates over the whole rollout batch.
    GrpoMetrics metrics;
    double grad_norm = 0, entropy_sum = 0;
    for (int u = 0; u < g.updates_per_batch; ++u) {
      for (size_t m = 0; m < batches.size(); ++m) {
        const TokenBatch& b = batches[m];
        at::Tensor logprobs;
        if (u == 0) {  // the first pass also measures the policy's entropy on the response tokens
          const TokenLogprobs tl = token_logprobs_and_entropy(policy, policy.hidden(b.ids, trainer.forward_options(b.valid)),
                                                              b.targets, kLogprobChunk, temperature > 0 ? temperature : 1.0);
          logprobs = tl.logprobs;
          entropy_sum += tl.entropy.masked_select(b.mask).sum().item<double>();
        } else {
          logprobs = batch_logprobs(policy, b, temperature, trainer.forward_options(b.valid));
        }
        const GrpoLoss loss = grpo_loss_sum(logprobs, old_lp[m], ref_lp[m], advs[m], b.mask, loss_options);
        trainer.backward(loss.loss.sum / global_norm, m + 1 == batches.size());
        if (u == 0) metrics += loss.metrics;
      }
      grad_norm = trainer.apply_gradients(/*advance=*/u + 1 == g.updates_per_batch);
    }

    const double train_s = clock.lap();

    // 5. Metrics summed over ranks.
    int64_t correct = 0, response_tokens = 0;
    for (float r : reward_values) correct += r > 0;
    for (const auto& s : seqs) response_tokens += static_cast<int64_t>(s.response.size());
    at::Tensor sums = at::tensor(std::vector<double>{double(correct), double(malformed), double(seqs.size()),
                                                     double(response_tokens), metrics.kl_sum, metrics.pg_sum,
                                                     double(metrics.tokens), double(metrics.clipped_low + metrics.clipped_high),
                                                     double(adv.zero_variance_groups), entropy_sum, double(train_tokens)},
                                 at::kDouble).to(dist.device());
    dist.all_reduce_sum(sums);
    sums = sums.cpu();
    const double* v = sums.data_ptr<double>();
    stats.accuracy = v[0] / v[2];
    stats.reward_mean = (2 * v[0] - v[2]) / v[2];
    stats.malformed_rate = v[1] / v[2];
    stats.kl = v[6] > 0 ? v[4] / v[6] : 0.0;
    ++stats.steps;
    trainer.data_cursor = shard.cursor();
    trainer.end_step({{"reward_mean", stats.reward_mean}, {"accuracy", stats.accuracy},
                      {"malformed_rate", stats.malformed_rate}, {"kl", stats.kl},
                      {"pg_loss", v[6] > 0 ? v[5] / v[6] : 0.0}, {"clip_fraction", v[6] > 0 ? v[7] / v[6] : 0.0},
                      {"response_length", v[3] / v[2]}, {"zero_variance_groups", v[8]},
                      {"entropy", v[6] > 0 ? v[9] / v[6] : 0.0}, {"grad_norm", grad_norm},
                      {"time/rollout", rollout_s}, {"time/ref", ref_s}, {"time/train", train_s},
                      {"train_tokens", v[10]}});
  }
  return stats;
}

}  // namespace spct
