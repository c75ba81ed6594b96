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

namespace spct {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// (name, results.json parsed, or nullopt where that stage or mode has no results), in table order.
using NamedResults = std::vector<std::pair<std::string, std::optional<json>>>;

struct Number {
  std::optional<double> value;  // absent: the result has no such method/metric
  int items = 0;                // the denominator of an accuracy
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
    return {o[metric].get<double>(), o.value("items", 0)};
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

// "yes (0.612 > 0.550)", "no (0.500 vs 0.550)" or "not measured".
std::string verdict(const Number& a, const Number& b, bool strict) {
  if (!a.value || !b.value) return "not measured";
  const bool holds = strict ? *a.value > *b.value : *a.value >= *b.value;
  return std::string(holds ? "**yes** (" : "**no** (") + fmt(a) + (holds ? (strict ? " > " : " >= ") : " vs ") + fmt(b) + ")";
}

}  // namespace

std::string write_report(const std::string& run_dir) {
  const std::string eval = run_dir + "/eval";
  NamedResults stages, modes;
  for (const char* s : {"sft", "rft", "grpo"}) stages.emplace_back(s, read_results(eval + "/stages/" + s + "/results.json"));
  for (const char* m : {"generate", "given", "none"}) modes.emplace_back(m, read_results(eval + "/" + m + "/results.json"));
  const bool any_stage = std::any_of(stages.begin(), stages.end(), [](const auto& s) { return s.second.has_value(); });
  const bool any_mode = std::any_of(modes.begin(), modes.end(), [](const auto& m) { return m.second.has_value(); });
  SPCT_CHECK(any_stage || any_mode, eval, ": no eval results (run the eval stage first)");

  std::string r = "# SPCT run report: " + run_dir + "\n\n";
  const auto& main = modes[0].second ? modes[0].second : (modes[1].second ? modes[1].second : modes[2].second);
  if (main)
    r += "Evaluated on `" + main->value("data", std::string("?")) + "` (`data.test`), " +
         std::to_string(main->value("items", 0)) +
         " items. Accuracy counts the pairwise and n-way items (ties are wrong, SPCT eq. 10); single-response "
         "items are scored by ROC-AUC. Tune on a validation split (`spct data synth --valid`), not on the test "
         "split.\n\n";
  // The chance level of these items, as every method's results carry it (older results files do not).
  if (main && !(*main)["methods"].empty()) {
    const json& o = (*main)["methods"][0].at("overall");
    if (o.contains("chance_accuracy") && !o["chance_accuracy"].is_null())
      r += "**Chance: " + fmt({o["chance_accuracy"].get<double>(), o.value("items", 0)}) +
           "** (a judge naming a uniformly random response as the winner: 1/2 for a pair, 1/n for n-way).\n\n";
  }

  if (any_stage) {
    r += "## Accuracy by stage (greedy, principles generated)\n\n![by stage](report_stages.png)\n\n"
         "| stage | accuracy | AUC (single) | malformed |\n|---|---|---|---|\n";
    for (const auto& [name, res] : stages)
      if (res)
        r += "| " + name + " | " + fmt(lookup(res, "greedy", 1, "accuracy")) + " | " + fmt(lookup(res, "greedy", 1, "auc")) +
             " | " + fmt(lookup(res, "greedy", 1, "malformed_rate")) + " |\n";
    r += "\n";
  }
  const auto& gen = modes[0].second;
  const int kv = max_k(gen, "voting"), km = max_k(gen, "metarm");
  if (gen) {
    r += "## Inference-time scaling (final model, principles generated)\n\n![by k](report_k.png)\n\n"
         "| k | Voting@k | MetaRM@k | Voting@k AUC |\n|---|---|---|---|\n";
    r += "| greedy | " + fmt(lookup(gen, "greedy", 1, "accuracy")) + " | | " + fmt(lookup(gen, "greedy", 1, "auc")) + " |\n";
    for (int k = 1; k <= kv; ++k) {
      const Number v = lookup(gen, "voting", k, "accuracy");
      if (v.value) r += "| " + std::to_string(k) + " | " + fmt(v) + " | " + fmt(lookup(gen, "metarm", k, "accuracy")) +
                        " | " + fmt(lookup(gen, "voting", k, "auc")) + " |\n";
    }
    r += "\n";
  }
  if (any_mode) {
    r += "## Principle modes (final model)\n\n![by mode](report_modes.png)\n\n| principles | greedy | Voting@" +
         std::to_string(kv) + " | MetaRM@" + std::to_string(km) + " | malformed (greedy) |\n|---|---|---|---|---|\n";
    for (const auto& [name, res] : modes)
      if (res)
        r += "| " + name + " | " + fmt(lookup(res, "greedy", 1, "accuracy")) + " | " +
             fmt(lookup(res, "voting", max_k(res, "voting"), "accuracy")) + " | " +
             fmt(lookup(res, "metarm", max_k(res, "metarm"), "accuracy")) + " | " +
             fmt(lookup(res, "greedy", 1, "malformed_rate")) + " |\n";
    r += "\n";
  }
  r += "## The paper's findings at this scale\n\n";
  const int items = lookup(gen ? gen : stages[0].second, "greedy", 1, "accuracy").items;
  r += "| finding | this run |\n|---|---|\n";
  r += "| RFT above the warm-up (SFT) model | " +
       verdict(lookup(stages[1].second, "greedy", 1, "accuracy"), lookup(stages[0].second, "greedy", 1, "accuracy"), true) + " |\n";
  r += "| GRPO at least RFT | " +
       verdict(lookup(stages[2].second, "greedy", 1, "accuracy"), lookup(stages[1].second, "greedy", 1, "accuracy"), false) + " |\n";
  r += "| Voting@" + std::to_string(kv) + " above greedy | " +
       verdict(lookup(gen, "voting", kv, "accuracy"), lookup(gen, "greedy", 1, "accuracy"), true) + " |\n";
  r += "| MetaRM@" + std::to_string(km) + " at least Voting@" + std::to_string(km) + " | " +
       verdict(lookup(gen, "metarm", km, "accuracy"), lookup(gen, "voting", km, "accuracy"), false) + " |\n";
  r += "| generated principles above none (Voting@" + std::to_string(kv) + ") | " +
       verdict(lookup(gen, "voting", kv, "accuracy"), lookup(modes[2].second, "voting", kv, "accuracy"), true) + " |\n\n";
  if (items > 0) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "One test item moves an accuracy by %.3f; differences of a few items are noise.\n",
                  1.0 / items);
    r += buf;
  }
  write_file_atomic(run_dir + "/report.md", [&](std::ostream& o) { o << r; });
  return r;
}

}  // namespace spct
