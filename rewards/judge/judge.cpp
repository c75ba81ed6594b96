#include "rewards/judge/judge.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/log.h"
#include "core/random.h"
#include "core/tokenizer/chat_template.h"
#include "rollout/engine.h"

namespace spct::rewards {

std::vector<int32_t> judge_prompt_ids(const Tokenizer& tokenizer, const RmItem& item, const Permutation& order,
                                      const JudgeOptions& options, std::optional<int> hint) {
  JudgeInput input{item.prompt, item.responses, order, item.principles, hint};
  const std::string text = build_judge_prompt(input, options.prompt);
  return encode_chat(tokenizer, {{"user", text, std::nullopt}}, ChatOptions{}, options.chat_template);
}

std::vector<int64_t> judge_stop_ids(const Transformer& grm, const Tokenizer& tokenizer) {
  std::vector<int64_t> ids;
  if (tokenizer.eos_id() >= 0) ids.push_back(tokenizer.eos_id());
  for (int64_t id : grm.config().eos_token_ids) ids.push_back(id);
  return ids;
}

std::vector<std::vector<Trajectory>> sample_trajectories(const Transformer& grm, const Tokenizer& tokenizer,
                                                         const std::vector<RmItem>& items, int k,
                                                         const JudgeOptions& options,
                                                         const std::vector<uint64_t>& item_ids,
                                                         const std::vector<std::optional<int>>& hints) {
  SPCT_CHECK(k >= 1, "judge: k must be >= 1 (got ", k, ")");
  SPCT_CHECK(item_ids.empty() || item_ids.size() == items.size(), "judge: ", item_ids.size(), " ids for ", items.size(),
             " items");
  SPCT_CHECK(hints.empty() || hints.size() == items.size(), "judge: ", hints.size(), " hints for ", items.size(),
             " items");
  auto id_of = [&](size_t i) { return item_ids.empty() ? static_cast<uint64_t>(i) : item_ids[i]; };
  std::vector<std::vector<Trajectory>> out(items.size(), std::vector<Trajectory>(k));
  std::vector<std::pair<size_t, int>> requests;  // (item, sample)
  for (size_t i = 0; i < items.size(); ++i) {
    const int n = static_cast<int>(items[i].responses.size());
    for (int s = 0; s < k; ++s) {
      Trajectory& t = out[i][s];
      t.order = make_permutation(n, options.seed, id_of(i), s);
      t.prompt_ids = judge_prompt_ids(tokenizer, items[i], t.order, options, hints.empty() ? std::nullopt : hints[i]);
      requests.emplace_back(i, s);
    }
  }
  SamplingParams sp;
  sp.temperature = options.temperature;
  sp.top_p = options.top_p;
  sp.top_k = options.top_k;
  sp.max_new_tokens = options.max_new_tokens;
  sp.stop_ids = judge_stop_ids(grm, tokenizer);
  // Continuous batching over `batch_size` slots; requests go to the engine in chunks so that a long
  // sampling phase (RFT, meta RM, eval) reports progress.
  // One engine for every chunk: its device buffers and captured CUDA graphs are reused.
  EngineOptions eo;
  eo.max_batch_size = std::max<int64_t>(1, options.batch_size);
  eo.memory_budget_gb = options.memory_budget_gb;
  eo.cuda_graphs = options.cuda_graphs;
  RolloutEngine engine(grm, eo);
  const size_t chunk = static_cast<size_t>(eo.max_batch_size) * 8;
  const auto started = std::chrono::steady_clock::now();
  int64_t new_tokens = 0;
  for (size_t start = 0; start < requests.size(); start += chunk) {
    const size_t end = std::min(requests.size(), start + chunk);
    std::vector<Request> batch;
    for (size_t r = start; r < end; ++r) {
      const auto [i, s] = requests[r];
      Request q{out[i][s].prompt_ids, sp, 1};
      q.params.seed = splitmix64(splitmix64(options.seed ^ splitmix64(id_of(i))) + static_cast<uint64_t>(s));
      batch.push_back(std::move(q));
    }
    const auto gens = engine.run(batch);
    for (size_t r = start; r < end; ++r) {
      const auto [i, s] = requests[r];
      Trajectory& t = out[i][s];
      t.tokens = gens[r - start][0].tokens;
      t.text = tokenizer.decode(t.tokens, /*skip_special=*/true);
      t.parse = parse_scores(t.text, static_cast<int>(items[i].responses.size()));
      new_tokens += static_cast<int64_t>(t.tokens.size());
    }
    if (requests.size() > chunk) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      log::info("judge: ", end, "/", requests.size(), " trajectories, ", static_cast<int64_t>(new_tokens / s),
                " tokens/s, ETA ", static_cast<int64_t>(s / end * (requests.size() - end)), " s");
    }
  }
  return out;
}

void score_trajectories(const MetaRM& meta_rm, std::vector<std::vector<Trajectory>>& trajectories, int64_t batch_size) {
  std::vector<std::vector<int32_t>> seqs;
  for (const auto& item : trajectories)
    for (const auto& t : item) {
      std::vector<int32_t> seq = t.prompt_ids;
      seq.insert(seq.end(), t.tokens.begin(), t.tokens.end());
      seqs.push_back(std::move(seq));
    }
  const std::vector<double> probs = meta_rm.probabilities(seqs, batch_size);
  size_t next = 0;
  for (auto& item : trajectories)
    for (auto& t : item) t.meta_prob = probs[next++];
}

Verdict judge_item(const RmItem& item, const std::vector<Trajectory>& trajectories, int k, int k_meta,
                   uint64_t tie_seed) {
  Verdict v;
  v.num_responses = static_cast<int>(item.responses.size());
  const size_t use = k <= 0 ? trajectories.size() : std::min<size_t>(trajectories.size(), k);
  SPCT_CHECK(use > 0, "judge: item ", item.id, " has no trajectories");
  std::vector<VoteSample> samples;
  std::vector<ScoreParse> parses;
  std::vector<double> meta;
  for (size_t s = 0; s < use; ++s) {
    const Trajectory& t = trajectories[s];
    samples.push_back({t.order, t.parse});
    parses.push_back(t.parse);
    meta.push_back(t.meta_prob);
    if (!t.parse.ok()) ++v.malformed;
  }
  if (k_meta >= 0)
    for (double p : meta) SPCT_CHECK(p >= 0, "judge: meta-RM voting needs every trajectory scored by the meta RM");
  if (v.num_responses == 1) {
    v.single = k_meta >= 0 ? meta_vote_single(parses, meta, k_meta) : vote_single(parses);
    v.correct = v.single.valid_votes > 0 && (v.single.probability >= 0.5) == (item.label == 1);
  } else {
    v.vote = k_meta >= 0 ? meta_vote(samples, meta, v.num_responses, k_meta, tie_seed)
                         : vote(samples, v.num_responses, tie_seed);
    v.correct = v.vote.decided() && v.vote.best == item.best;
  }
  return v;
}

double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  SPCT_CHECK(scores.size() == labels.size(), "roc_auc: ", scores.size(), " scores for ", labels.size(), " labels");
  double pairs = 0, wins = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 1) continue;
    for (size_t j = 0; j < scores.size(); ++j) {
      if (labels[j] != 0) continue;
      pairs += 1;
      wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
    }
  }
  return pairs > 0 ? wins / pairs : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace spct::rewards
