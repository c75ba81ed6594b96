// spct eval: accuracy of greedy judging, Voting@k and meta-RM voting@k on a benchmark file, per
// subset and overall (ROC-AUC for single-response items); writes results.json and results.csv.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli/command.h"
#include "cli/config_options.h"
#include "cli/judge_options.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/log.h"
#include "rewards/evaluation.h"

namespace spct::cli {
namespace {

std::vector<int> parse_ks(const std::string& text) {
  std::vector<int> ks;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    int k = 0;
    try {
      k = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    SPCT_CHECK(used == item.size() && k >= 1, "spct eval: --k: '", item, "' is not a positive integer");
    ks.push_back(k);
  }
  SPCT_CHECK(!ks.empty(), "spct eval: --k is empty");
  return ks;
}

void print_table(const std::vector<rewards::MethodResult>& results) {
  std::printf("%-8s %3s %10s %10s %8s %10s\n", "method", "k", "accuracy", "subset-avg", "auc", "malformed");
  for (const auto& r : results) {
    const auto& o = r.overall;
    std::printf("%-8s %3d %10.4f %10.4f %8.4f %10.4f\n", r.method.c_str(), r.k, o.accuracy(), r.subset_mean_accuracy(),
                o.auc(), o.trajectories ? double(o.malformed) / o.trajectories : 0.0);
  }
}

int run_eval(const std::vector<std::string>& args) {
  po::options_description desc("eval options");
  JudgeSetup s;
  std::string data, ks_text, out_dir;
  int limit = 0;
  desc.add_options()
      ("data", po::value(&data), "benchmark JSONL (default: data.test of --config)")
      ("k", po::value(&ks_text)->default_value("1,2,4,8"), "comma-separated k values for Voting@k")
      ("out", po::value(&out_dir)->default_value("eval_results"), "directory for results.json and results.csv")
      ("limit", po::value(&limit)->default_value(0), "evaluate only the first N items (0 = all)")
      ("no-greedy", "skip the greedy (temperature 0) pass");
  add_judge_options(desc, s);
  auto vm = parse_options("eval", "--model DIR --data D.jsonl [--k 1,2,4,8] [--metarm DIR] [options]", desc, args);
  if (!vm) return 0;
  if (data.empty() && (vm->count("config") || vm->count("set"))) data = resolve_config(*vm).data.test;
  SPCT_CHECK(!data.empty(), "spct eval: no benchmark: pass --data or --config with data.test");
  const std::vector<int> ks = parse_ks(ks_text);
  std::vector<rewards::RmItem> items = rewards::read_rm_dataset(data);
  if (limit > 0 && static_cast<size_t>(limit) < items.size()) items.resize(limit);
  SPCT_CHECK(!items.empty(), data, ": no items");
  load_judge_setup(*vm, s);

  const int k_max = *std::max_element(ks.begin(), ks.end());
  std::vector<std::vector<rewards::Trajectory>> greedy, sampled;
  if (!vm->count("no-greedy")) {
    rewards::JudgeOptions g = s.judge;
    g.temperature = 0.0;
    greedy = rewards::sample_trajectories(*s.grm, *s.tokenizer, items, 1, g);
    log::info("greedy pass done (", items.size(), " items)");
  }
  sampled = rewards::sample_trajectories(*s.grm, *s.tokenizer, items, k_max, s.judge);
  log::info("sampled ", k_max, " trajectories per item");
  if (s.meta_rm) rewards::score_trajectories(*s.meta_rm, sampled);

  rewards::EvalSpec spec{ks, s.k_meta, s.meta_rm != nullptr, s.judge.seed};
  const auto results = rewards::evaluate(items, greedy, sampled, spec);
  nlohmann::json j = rewards::results_to_json(results);
  j["data"] = data;
  j["model"] = s.model_path;
  j["metarm"] = s.metarm_path;
  j["items"] = items.size();
  j["principle_mode"] = s.principle_mode;
  j["temperature"] = s.judge.temperature;
  j["seed"] = s.judge.seed;
  std::filesystem::create_directories(out_dir);
  write_file_atomic(out_dir + "/results.json", [&](std::ostream& o) { o << j.dump(2) << "\n"; });
  write_file_atomic(out_dir + "/results.csv", [&](std::ostream& o) { o << rewards::results_to_csv(results); });
  print_table(results);
  log::info("wrote ", out_dir, "/results.json and results.csv");
  return 0;
}

}  // namespace
SPCT_COMMAND("eval", "accuracy of greedy, Voting@k and meta-RM voting on a benchmark file", run_eval);
}  // namespace spct::cli
