// Benchmark arithmetic for `spct eval`: accuracy per subset and overall for greedy judging,
// Voting@k and meta-RM-guided voting@k, ROC-AUC for single-response items, and the results files.
#pragma once
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "rewards/judge/judge.h"

namespace spct::rewards {

struct SubsetStats {
  int items = 0;  // n >= 2 items
  int correct = 0;
  int single_items = 0;  // n == 1 items: judged by ROC-AUC of the vote probability
  std::vector<double> single_scores;
  std::vector<int> single_labels;
  int trajectories = 0, malformed = 0;
  double chance_sum = 0;  // sum of 1/n over the n >= 2 items

  double accuracy() const;  // NaN without n >= 2 items
  // The accuracy of a judge that names a uniformly random response as the strict winner: the mean
  // of 1/n (1/2 for a pair, 1/3 or 1/4 for n-way). NaN without n >= 2 items.
  double chance_accuracy() const;
  double auc() const;  // NaN without both labels among single-response items
};

struct MethodResult {
  std::string method;  // "greedy", "voting", "metarm"
  int k = 1;
  std::map<std::string, SubsetStats> subsets;  // by item subset ("" -> "all")
  SubsetStats overall;
  // Per item, in the benchmark's order: 1 correct, 0 not (n >= 2 items), -1 a single-response item
  // (scored by ROC-AUC, not by accuracy). Two methods' vectors pair item by item (rewards/rules/stats.h).
  std::vector<int> correct;
  double subset_mean_accuracy() const;  // mean of per-subset accuracies (Reward Bench style)
};

struct EvalSpec {
  std::vector<int> ks = {1, 2, 4, 8};
  int k_meta = 0;          // 0: k / 2 (at least 1)
  bool with_meta = false;  // trajectories carry meta_prob
  uint64_t seed = 0;       // tie breaks
};

// greedy: one trajectory per item (may be empty to skip); sampled: at least max(ks) per item.
std::vector<MethodResult> evaluate(const std::vector<RmItem>& items, const std::vector<std::vector<Trajectory>>& greedy,
                                   const std::vector<std::vector<Trajectory>>& sampled, const EvalSpec& spec);

// Per method: overall and per-subset numbers, a 95% Wilson interval of the accuracy and the per-item
// `item_correct` vector (null for single-response items); then "comparisons": Voting@k against greedy,
// Voting@k against the previous k and MetaRM@k against Voting@k, each paired (rules/stats.h;
// bootstrap seeded by `seed`).
nlohmann::json results_to_json(const std::vector<MethodResult>& results, uint64_t seed = 0);
// Rows: method,k,subset,metric,value,items.
std::string results_to_csv(const std::vector<MethodResult>& results);

}  // namespace spct::rewards
