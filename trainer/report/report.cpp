#include "trainer/report/report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/file_util.h"
#include "rewards/rules/stats.h"

namespace spct {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// (name, results.json parsed, or nullopt where that stage or mode has no results), in table order.
using NamedResults = std::vector<std::pair<std::string, std::optional<json>>>;

struct Number {
  std::optional<double> value;                // absent: the result has no such method/metric
  int items = 0;                              // the denominator of an accuracy
  std::optional<rewards::Interval> interval;  // 95% (Wilson) of an accuracy, where recorded
  std::optional<std::vector<int>> correct;    // per item (-1: single-response), where recorded
};

std::optional<json> read_results(const std::string& path) {
  if (!fs::exists(path)) return std::nullopt;
  std::ifstream in(path);
  try {
    json j = json::parse(in);
    SPCT_CHECK(j.contains("methods") && j["methods"].is_array(), "field 'methods' is missing");
    return j;
  } catch (const json::exception& e) {
    throw_error(path, ": not a results file: ", e.what());
  } catch (const Error& e) {
    throw_error(path, ": ", e.what());
  }
}

// metric "accuracy" (n >= 2 items), "chance_accuracy", "auc" (single-response items) or "malformed_rate".
Number lookup(const std::optional<json>& results, const std::string& method, int k, const std::string& metric) {
  if (!results) return {};
  for (const auto& m : (*results)["methods"]) {
    if (m.value("method", "") != method || m.value("k", 0) != k) continue;
    const json& o = m.at("overall");
    if (!o.contains(metric) || o[metric].is_null()) return {};
    Number n{o[metric].get<double>(), o.value("items", 0), std::nullopt, std::nullopt};
    if (metric == "accuracy" && o.contains("accuracy_interval") && o["accuracy_interval"].is_array())
      n.interval = rewards::Interval{o["accuracy_interval"][0].get<double>(), o["accuracy_interval"][1].get<double>()};
    if (metric == "accuracy" && m.contains("item_correct") && m["item_correct"].is_array()) {
      n.correct.emplace();
      for (const json& c : m["item_correct"]) n.correct->push_back(c.is_null() ? -1 : c.get<int>());
    }
    return n;
  }
  return {};
}

int max_k(const std::optional<json>& results, const std::string& method) {
  int k = 0;
  if (results)
    for (const auto& m : (*results)["methods"])
      if (m.value("method", "") == method) k = std::max(k, m.value("k", 0));
  return k;
}

std::string fmt(const Number& n) {
  if (!n.value) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", *n.value);
  return buf;
}

std::string fmt_signed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.3f", v);
  return buf;
}

// "0.612 (0.55-0.67)": an accuracy with its 95% interval where the results record one.
std::string fmt_ci(const Number& n) {
  if (!n.value || !n.interval) return fmt(n);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f (%.2f-%.2f)", *n.value, n.interval->low, n.interval->high);
  return buf;
}

// One row of the findings table: a against b (a is the side the paper finds better), paired item
// by item: | a | b | difference (95% bootstrap interval) | McNemar p | verdict |.
std::string finding(const std::string& name, const Number& a, const Number& b, const std::string& path) {
  std::string row = "| " + name + " | " + fmt(a) + " | " + fmt(b) + " | ";
  if (!a.value || !b.value) return row + "– | – | not measured |\n";
  if (!a.correct || !b.correct)
    return row + fmt_signed(*a.value - *b.value) + " | – | no per-item results (older results file) |\n";
  std::pair<std::vector<int>, std::vector<int>> pairs;
  try {
    pairs = rewards::paired_items(*a.correct, *b.correct);
  } catch (const Error& e) {
    throw_error(path, ": ", e.what());
  }
  if (pairs.first.empty()) return row + "– | – | no pairwise items |\n";
  const rewards::PairedComparison c = rewards::compare_paired(pairs.first, pairs.second);
  char buf[160];
  std::snprintf(buf, sizeof buf, "%+.3f (%+.3f, %+.3f) | %.3g | **%s** |\n", c.difference, c.interval.low,
                c.interval.high, c.p_value, c.verdict.c_str());
  return row + buf;
}

std::string stage_section(const NamedResults& stages) {
  std::string r =
      "## Accuracy by stage (greedy, principles generated)\n\n![by stage](report_stages.png)\n\n"
      "| stage | accuracy (95% interval) | AUC (single) | malformed |\n|---|---|---|---|\n";
  for (const auto& [name, res] : stages)
    if (res)
      r += "| " + name + " | " + fmt_ci(lookup(res, "greedy", 1, "accuracy")) + " | " +
           fmt(lookup(res, "greedy", 1, "auc")) + " | " + fmt(lookup(res, "greedy", 1, "malformed_rate")) + " |\n";
  return r + "\n";
}

std::string k_section(const std::optional<json>& gen, int kv) {
  std::string r =
      "## Inference-time scaling (final model, principles generated)\n\n![by k](report_k.png)\n\n"
      "| k | Voting@k (95% interval) | MetaRM@k (95% interval) | Voting@k AUC |\n|---|---|---|---|\n";
  r += "| greedy | " + fmt_ci(lookup(gen, "greedy", 1, "accuracy")) + " | | " + fmt(lookup(gen, "greedy", 1, "auc")) +
       " |\n";
  for (int k = 1; k <= kv; ++k) {
    const Number v = lookup(gen, "voting", k, "accuracy");
    if (v.value)
      r += "| " + std::to_string(k) + " | " + fmt_ci(v) + " | " + fmt_ci(lookup(gen, "metarm", k, "accuracy")) + " | " +
           fmt(lookup(gen, "voting", k, "auc")) + " |\n";
  }
  return r + "\n";
}

std::string modes_section(const NamedResults& modes, int kv, int km) {
  std::string r =
      "## Principle modes (final model)\n\n![by mode](report_modes.png)\n\n| principles | greedy | Voting@" +
      std::to_string(kv) + " | MetaRM@" + std::to_string(km) + " | malformed (greedy) |\n|---|---|---|---|---|\n";
  for (const auto& [name, res] : modes)
    if (res)
      r += "| " + name + " | " + fmt(lookup(res, "greedy", 1, "accuracy")) + " | " +
           fmt(lookup(res, "voting", max_k(res, "voting"), "accuracy")) + " | " +
           fmt(lookup(res, "metarm", max_k(res, "metarm"), "accuracy")) + " | " +
           fmt(lookup(res, "greedy", 1, "malformed_rate")) + " |\n";
  return r + "\n";
}

// The paper's findings, each a paired comparison on the same test items (rewards/rules/stats.h).
std::string findings_section(const std::string& eval, const NamedResults& stages, const NamedResults& modes, int kv,
                             int km) {
  const auto& gen = modes[0].second;
  const std::string k = std::to_string(kv), kmeta = std::to_string(km);
  auto acc = [](const std::optional<json>& res, const char* method, int at) {
    return lookup(res, method, at, "accuracy");
  };
  std::string r =
      "## The paper's findings at this scale\n\n"
      "Each finding compares two accuracies on the same items: the difference with a 95% paired-bootstrap interval "
      "(2,000 resamples of the items) and the exact McNemar test on the items only one side gets right. "
      "**holds**: p < 0.05 and the interval above 0; **reversed**: the same below 0; otherwise **within noise** "
      "(for an \"at least\" finding, within noise does not contradict it).\n\n"
      "| finding | a | b | a - b (95% interval) | McNemar p | verdict |\n|---|---|---|---|---|---|\n";
  const std::string st = eval + "/stages/", md = eval + "/";
  r += finding("RFT above the warm-up (SFT) model", acc(stages[1].second, "greedy", 1),
               acc(stages[0].second, "greedy", 1), st + "{rft,sft}/results.json");
  r += finding("GRPO at least RFT", acc(stages[2].second, "greedy", 1), acc(stages[1].second, "greedy", 1),
               st + "{grpo,rft}/results.json");
  r += finding("Voting@" + k + " above greedy", acc(gen, "voting", kv), acc(gen, "greedy", 1),
               md + "generate/results.json");
  r += finding("Voting@" + k + " above Voting@1 (rising with k)", acc(gen, "voting", kv), acc(gen, "voting", 1),
               md + "generate/results.json");
  r += finding("MetaRM@" + kmeta + " at least Voting@" + kmeta, acc(gen, "metarm", km), acc(gen, "voting", km),
               md + "generate/results.json");
  r += finding("generated principles above none (Voting@" + k + ")", acc(gen, "voting", kv),
               acc(modes[2].second, "voting", kv), md + "{generate,none}/results.json");
  const int items = lookup(gen ? gen : stages[0].second, "greedy", 1, "accuracy").items;
  if (items > 0) {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "\nOne test item moves an accuracy by %.3f. With %d items, a paired difference needs about %.3f "
                  "to be detected (80%% power, 5%% level) when a fifth of the items are judged differently by the "
                  "two sides, %.3f when a tenth are.\n",
                  1.0 / items, items, rewards::paired_min_detectable_effect(items, 0.2),
                  rewards::paired_min_detectable_effect(items, 0.1));
    r += buf;
  }
  return r;
}

}  // namespace

std::string write_report(const std::string& run_dir) {
  const std::string eval = run_dir + "/eval";
  NamedResults stages, modes;
  for (const char* s : {"sft", "rft", "grpo"})
    stages.emplace_back(s, read_results(eval + "/stages/" + s + "/results.json"));
  for (const char* m : {"generate", "given", "none"})
    modes.emplace_back(m, read_results(eval + "/" + m + "/results.json"));
  const bool any_stage = std::any_of(stages.begin(), stages.end(), [](const auto& s) { return s.second.has_value(); });
  const bool any_mode = std::any_of(modes.begin(), modes.end(), [](const auto& m) { return m.second.has_value(); });
  SPCT_CHECK(any_stage || any_mode, eval, ": no eval results (run the eval stage first)");

  std::string r = "# SPCT run report: " + run_dir + "\n\n";
  const auto& main = modes[0].second ? modes[0].second : (modes[1].second ? modes[1].second : modes[2].second);
  if (main)
    r += "Evaluated on `" + main->value("data", std::string("?")) + "` (`data.test`), " +
         std::to_string(main->value("items", 0)) +
         " items. Accuracy counts the pairwise and n-way items: the chosen response must be the best one; where "
         "several responses share the top (summed) score, the choice among them is a seeded draw, as the paper's "
         "argmax over shuffled responses is (docs/rewards.md, \"Ties\"). Single-response items are scored by "
         "ROC-AUC. Intervals are 95% (Wilson for one accuracy). Tune on a validation split (`spct data synth "
         "--valid`), not on the test split.\n\n";
  // The chance level of these items, as every method's results carry it (older results files do not).
  if (main && !(*main)["methods"].empty()) {
    const json& o = (*main)["methods"][0].at("overall");
    if (o.contains("chance_accuracy") && !o["chance_accuracy"].is_null())
      r += "**Chance: " + fmt(Number{o["chance_accuracy"].get<double>(), o.value("items", 0), {}, {}}) +
           "** (a judge naming a uniformly random response as the winner: 1/2 for a pair, 1/n for n-way).\n\n";
  }
  const auto& gen = modes[0].second;
  const int kv = max_k(gen, "voting"), km = max_k(gen, "metarm");
  if (any_stage) r += stage_section(stages);
  if (gen) r += k_section(gen, kv);
  if (any_mode) r += modes_section(modes, kv, km);
  r += findings_section(eval, stages, modes, kv, km);
  write_file_atomic(run_dir + "/report.md", [&](std::ostream& o) { o << r; });
  return r;
}

}  // namespace spct
