// One evaluation run: greedy and sampled judgments over a benchmark, optional meta-RM scoring,
// and the per-method results (the core of `spct eval` and of the pipeline's eval stage).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "rewards/judge/evaluation.h"

namespace spct::rewards {

struct BenchmarkOptions {
  std::vector<int> ks = {1, 2, 4, 8};
  int k_meta = 0;      // 0: k / 2
  bool greedy = true;  // also judge once at temperature 0
  JudgeOptions judge;  // temperature, principle mode, seed, ...
};

// Runs the judgments and returns the methods' results (greedy, voting@k, metarm@k).
std::vector<MethodResult> run_benchmark(const Transformer& grm, const Tokenizer& tokenizer, const MetaRM* meta_rm,
                                        const std::vector<RmItem>& items, const BenchmarkOptions& options);

// Writes out_dir/results.json (with `extra` fields merged in) and out_dir/results.csv; returns the JSON.
nlohmann::json write_results(const std::vector<MethodResult>& results, const std::string& out_dir,
                             const nlohmann::json& extra);

// A fixed-width table of the overall numbers, one line per method and k.
std::string results_table(const std::vector<MethodResult>& results);

}  // namespace spct::rewards
