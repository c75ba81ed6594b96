// spct judge: scores the responses of each input item with the GRM (Voting@k over shuffled
// orders, optionally guided by the meta RM) and writes each line back with the results added.
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "cli/judge_options.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/log.h"

namespace spct::cli {
namespace {

nlohmann::json trajectory_json(const rewards::Trajectory& t) {
  nlohmann::json j = {{"order", t.order},
                      {"text", t.text},
                      {"scores", t.parse.ok() ? nlohmann::json(t.parse.scores) : nlohmann::json(nullptr)}};
  if (!t.parse.ok()) j["error"] = t.parse.reason;
  if (t.meta_prob >= 0) j["meta_prob"] = t.meta_prob;
  return j;
}

int run_judge(const std::vector<std::string>& args) {
  po::options_description desc("judge options");
  JudgeSetup s;
  std::string input, output;
  int k = 1;
  desc.add_options()("input", po::value(&input)->required(),
                     "JSONL of items: prompt + responses/best, chosen/rejected, or response/label")(
      "output", po::value(&output), "output JSONL (default: stdout); written atomically")(
      "k", po::value(&k)->default_value(1), "samples per item")("trajectories",
                                                                "include every sampled trajectory in the output");
  add_judge_options(desc, s);
  auto vm =
      parse_options("judge", "--model DIR --input D.jsonl [--k K] [--metarm DIR --k-meta M] [options]", desc, args);
  if (!vm) return 0;
  SPCT_CHECK(k >= 1, "spct judge: --k must be >= 1 (got ", k, ")");
  // Parse every line before any model work: a bad line fails fast, naming file, line and field.
  std::ifstream in(input);
  SPCT_CHECK(in.good(), input, ": cannot open");
  std::vector<nlohmann::json> lines;
  std::vector<rewards::RmItem> items;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    items.push_back(rewards::parse_rm_line(line, input + ":" + std::to_string(n)));
    lines.push_back(nlohmann::json::parse(line));
  }
  load_judge_setup(*vm, s);
  auto trajectories = rewards::sample_trajectories(*s.grm, *s.tokenizer, items, k, s.judge);
  if (s.meta_rm) rewards::score_trajectories(*s.meta_rm, trajectories);
  std::string out;
  int decided = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto v = rewards::judge_item(items[i], trajectories[i], k, s.meta_rm ? s.k_meta : -1, s.judge.seed + i);
    nlohmann::json j = lines[i];
    if (v.num_responses == 1) {
      j["judge_probability"] = v.single.decided() ? nlohmann::json(v.single.probability) : nlohmann::json(nullptr);
      j["valid_votes"] = v.single.valid_votes;
      decided += v.single.decided();
    } else {
      j["judge_scores"] = v.vote.totals;
      j["judge_best"] = v.vote.decided() ? nlohmann::json(v.vote.best) : nlohmann::json(nullptr);
      j["valid_votes"] = v.vote.valid_votes;
      decided += v.vote.decided();
    }
    if (vm->count("trajectories")) {
      j["trajectories"] = nlohmann::json::array();
      for (const auto& t : trajectories[i]) j["trajectories"].push_back(trajectory_json(t));
    }
    out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  if (output.empty())
    std::cout << out;
  else
    write_file_atomic(output, [&](std::ostream& o) { o << out; });
  log::info("judged ", items.size(), " items (", decided, " decided, ", items.size() - decided,
            " with no valid trajectory)");
  return 0;
}

}  // namespace
SPCT_COMMAND("judge", "score responses with a GRM: Voting@k over shuffled orders, optional meta RM", run_judge);
}  // namespace spct::cli
