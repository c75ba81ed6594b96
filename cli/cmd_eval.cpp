// spct eval: accuracy of greedy judging, Voting@k and meta-RM voting@k on a benchmark file, per
// subset and overall (ROC-AUC for single-response items); writes results.json and results.csv.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "cli/config_options.h"
#include "cli/judge_options.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/log.h"
#include "rewards/judge/benchmark.h"

namespace spct::cli {
namespace {

std::vector<int> parse_ks(const std::string& text) {
  std::vector<int> ks;
  for (int64_t k : parse_int_list(text, "spct eval: --k")) {
    SPCT_CHECK(k >= 1 && k <= 1 << 20, "spct eval: --k: '", k, "' is not a positive integer");
    ks.push_back(static_cast<int>(k));
  }
  SPCT_CHECK(!ks.empty(), "spct eval: --k is empty");
  return ks;
}

int run_eval(const std::vector<std::string>& args) {
  po::options_description desc("eval options");
  JudgeSetup s;
  std::string data, ks_text, out_dir;
  int limit = 0;
  desc.add_options()("data", po::value(&data), "benchmark JSONL (default: data.test of --config)")(
      "k", po::value(&ks_text)->default_value("1,2,4,8"), "comma-separated k values for Voting@k")(
      "out", po::value(&out_dir)->default_value("eval_results"), "directory for results.json and results.csv")(
      "limit", po::value(&limit)->default_value(0), "evaluate only the first N items (0 = all)")(
      "no-greedy", "skip the greedy (temperature 0) pass");
  add_judge_options(desc, s);
  auto vm = parse_options("eval", "--model DIR --data D.jsonl [--k 1,2,4,8] [--metarm DIR] [options]", desc, args);
  if (!vm) return 0;
  if (data.empty() && (vm->count("config") || vm->count("set"))) data = resolve_config(*vm).data.test;
  SPCT_CHECK(!data.empty(), "spct eval: no benchmark: pass --data or --config with data.test");
  SPCT_CHECK(limit >= 0, "spct eval: --limit must be >= 0 (0 = all items), got ", limit);
  const std::vector<int> ks = parse_ks(ks_text);
  std::vector<rewards::RmItem> items = rewards::read_rm_dataset(data);
  if (limit > 0 && static_cast<size_t>(limit) < items.size()) items.resize(limit);
  SPCT_CHECK(!items.empty(), data, ": no items");
  load_judge_setup(*vm, s);

  rewards::BenchmarkOptions bench{ks, s.k_meta, !vm->count("no-greedy"), s.judge};
  const auto results = rewards::run_benchmark(*s.grm, *s.tokenizer, s.meta_rm.get(), items, bench);
  rewards::write_results(results, out_dir,
                         {{"data", data},
                          {"model", s.model_path},
                          {"metarm", s.metarm_path},
                          {"items", items.size()},
                          {"principle_mode", s.principle_mode},
                          {"temperature", s.judge.temperature},
                          {"seed", s.judge.seed}});
  std::fputs(rewards::results_table(results).c_str(), stdout);
  log::info("wrote ", out_dir, "/results.json and results.csv");
  return 0;
}

}  // namespace
SPCT_COMMAND("eval", "accuracy of greedy, Voting@k and meta-RM voting on a benchmark file", run_eval);
}  // namespace spct::cli
