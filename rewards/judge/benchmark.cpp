#include "rewards/judge/benchmark.h"

#include <c10/core/GradMode.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/file_util.h"
#include "core/log.h"

namespace spct::rewards {

std::vector<MethodResult> run_benchmark(const Transformer& grm, const Tokenizer& tokenizer, const MetaRM* meta_rm,
                                        const std::vector<RmItem>& items, const BenchmarkOptions& options) {
  SPCT_CHECK(!items.empty(), "eval: no items");
  SPCT_CHECK(!options.ks.empty(), "eval: no k values");
  c10::NoGradGuard no_grad;
  const int k_max = *std::max_element(options.ks.begin(), options.ks.end());
  std::vector<std::vector<Trajectory>> greedy, sampled;
  if (options.greedy) {
    JudgeOptions g = options.judge;
    g.temperature = 0.0;
    greedy = sample_trajectories(grm, tokenizer, items, 1, g);
  }
  sampled = sample_trajectories(grm, tokenizer, items, k_max, options.judge);
  if (meta_rm) score_trajectories(*meta_rm, sampled);
  return evaluate(items, greedy, sampled, {options.ks, options.k_meta, meta_rm != nullptr, options.judge.seed});
}

nlohmann::json write_results(const std::vector<MethodResult>& results, const std::string& out_dir,
                             const nlohmann::json& extra) {
  nlohmann::json j = results_to_json(results);
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  std::filesystem::create_directories(out_dir);
  write_file_atomic(out_dir + "/results.json", [&](std::ostream& o) { o << j.dump(2) << "\n"; });
  write_file_atomic(out_dir + "/results.csv", [&](std::ostream& o) { o << results_to_csv(results); });
  return j;
}

std::string results_table(const std::vector<MethodResult>& results) {
  std::string out;
  char line[128];
  std::snprintf(line, sizeof line, "%-8s %3s %10s %10s %8s %10s\n", "method", "k", "accuracy", "subset-avg", "auc",
                "malformed");
  out += line;
  for (const auto& r : results) {
    const auto& o = r.overall;
    std::snprintf(line, sizeof line, "%-8s %3d %10.4f %10.4f %8.4f %10.4f\n", r.method.c_str(), r.k, o.accuracy(),
                  r.subset_mean_accuracy(), o.auc(), o.trajectories ? double(o.malformed) / o.trajectories : 0.0);
    out += line;
  }
  return out;
}

}  // namespace spct::rewards
