// Judging with a GRM at inference time: sample k trajectories per item, each showing the
// responses in its own seeded order, parse them, optionally score them with the meta RM, and vote
// (Voting@k, or meta-RM-guided voting over the top k_meta).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/tokenizer/tokenizer.h"
#include "rewards/rules/judge_prompt.h"
#include "rewards/judge/meta_rm.h"
#include "rewards/rules/rm_dataset.h"
#include "rewards/rules/score_parser.h"
#include "rewards/rules/voting.h"

namespace spct::rewards {

struct JudgeOptions {
  JudgePromptConfig prompt;   // principle mode and templates
  std::string chat_template;  // "" = the tokenizer's own
  double temperature = 0.5;   // the paper's voting temperature; 0 = greedy
  double top_p = 1.0;
  int64_t top_k = 0;
  int64_t max_new_tokens = 512;
  int64_t batch_size = 16;        // sequences decoded together (continuous batching slots)
  double memory_budget_gb = 8.0;  // rollout KV cache + workspaces (rollout.memory_budget_gb)
  bool cuda_graphs = true;        // rollout.cuda_graphs
  uint64_t seed = 0;
};

struct Trajectory {
  Permutation order;  // displayed -> original
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> tokens;  // generated, the stop token included
  std::string text;             // decoded, special tokens dropped
  ScoreParse parse;             // scores in displayed order
  double meta_prob = -1.0;      // < 0 until scored by the meta RM
};

// The GRM prompt ids for `item` shown in `order` (chat template applied). hint: original index of
// the best response (n >= 2) or the label (n == 1), for hinted sampling.
std::vector<int32_t> judge_prompt_ids(const Tokenizer& tokenizer, const RmItem& item, const Permutation& order,
                                      const JudgeOptions& options, std::optional<int> hint = std::nullopt);

// The tokens that end a GRM trajectory: the tokenizer's EOS and the model's eos_token_ids
// (generation_config.json's included). A trajectory keeps its stop token.
std::vector<int64_t> judge_stop_ids(const Transformer& grm, const Tokenizer& tokenizer);

// k trajectories for each item. Sample s of item i (i = item_ids[position], or the position when
// item_ids is empty) shows the responses in make_permutation(n, seed, i, s) and draws from a
// stream seeded by (seed, i, s), so results do not depend on batching or on the other items.
// hints: per item, the original index of the best response (n >= 2) or the label, for hinted
// sampling; empty for none.
std::vector<std::vector<Trajectory>> sample_trajectories(const Transformer& grm, const Tokenizer& tokenizer,
                                                         const std::vector<RmItem>& items, int k,
                                                         const JudgeOptions& options,
                                                         const std::vector<uint64_t>& item_ids = {},
                                                         const std::vector<std::optional<int>>& hints = {});

// Fills meta_prob for every trajectory: the meta RM reads prompt + generated tokens.
void score_trajectories(const MetaRM& meta_rm, std::vector<std::vector<Trajectory>>& trajectories,
                        int64_t batch_size = 16);

struct Verdict {
  int num_responses = 0;
  VoteResult vote;       // n >= 2: summed scores in original order, chosen best
  SingleVote single;     // n == 1: mean 0/1 score over valid votes
  bool correct = false;  // n >= 2: chosen == best; n == 1: (probability >= 0.5) == label
  int malformed = 0;     // trajectories among the first k that did not parse
};

// Votes over the first k trajectories (all when k <= 0). k_meta < 0: plain voting; otherwise the
// meta RM keeps the top k_meta (0 = max(1, k / 2)) first.
Verdict judge_item(const RmItem& item, const std::vector<Trajectory>& trajectories, int k, int k_meta,
                   uint64_t tie_seed);

// Area under the ROC curve of scores against 0/1 labels (ties count half); NaN without both classes.
double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels);

}  // namespace spct::rewards
