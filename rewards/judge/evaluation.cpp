#include "rewards/judge/evaluation.h"

#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "rewards/rules/stats.h"

namespace spct::rewards {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void add(SubsetStats& s, const RmItem& item, const Verdict& v, int used) {
  s.trajectories += used;
  s.malformed += v.malformed;
  if (v.num_responses == 1) {
    ++s.single_items;
    s.single_scores.push_back(v.single.decided() ? v.single.probability : 0.5);
    s.single_labels.push_back(item.label);
  } else {
    ++s.items;
    s.correct += v.correct ? 1 : 0;
    s.chance_sum += 1.0 / static_cast<double>(v.num_responses);
  }
}

MethodResult run_method(const std::string& method, int k, const std::vector<RmItem>& items,
                        const std::vector<std::vector<Trajectory>>& trajectories, int k_meta, uint64_t seed) {
  MethodResult r{method, k, {}, {}};
  for (size_t i = 0; i < items.size(); ++i) {
    SPCT_CHECK(static_cast<int>(trajectories[i].size()) >= k, "eval: item ", i, " has ", trajectories[i].size(),
               " trajectories, ", method, "@", k, " needs ", k);
    const Verdict v = judge_item(items[i], trajectories[i], k, k_meta, seed + i);
    add(r.subsets[items[i].subset.empty() ? "all" : items[i].subset], items[i], v, k);
    add(r.overall, items[i], v, k);
    r.correct.push_back(v.num_responses == 1 ? -1 : v.correct ? 1 : 0);
  }
  return r;
}

nlohmann::json num(double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); }

nlohmann::json stats_json(const SubsetStats& s) {
  const Interval w = wilson_interval(s.correct, s.items);
  return {{"items", s.items},
          {"correct", s.correct},
          {"accuracy", num(s.accuracy())},
          {"accuracy_interval", s.items ? nlohmann::json{w.low, w.high} : nlohmann::json(nullptr)},
          {"chance_accuracy", num(s.chance_accuracy())},
          {"single_items", s.single_items},
          {"auc", num(s.auc())},
          {"malformed_rate",
           s.trajectories ? nlohmann::json(double(s.malformed) / s.trajectories) : nlohmann::json(nullptr)}};
}

nlohmann::json correct_json(const std::vector<int>& correct) {
  nlohmann::json j = nlohmann::json::array();
  for (int c : correct) j.push_back(c < 0 ? nlohmann::json(nullptr) : nlohmann::json(c));
  return j;
}

const MethodResult* find_method(const std::vector<MethodResult>& results, const std::string& method, int k) {
  for (const auto& r : results)
    if (r.method == method && r.k == k) return &r;
  return nullptr;
}

// "a" against "b" on their paired n >= 2 items; nothing when either is absent or has no such item.
void add_comparison(nlohmann::json& out, const MethodResult* a, const MethodResult* b, uint64_t seed) {
  if (!a || !b) return;
  const auto [x, y] = paired_items(a->correct, b->correct);
  if (x.empty()) return;
  const PairedComparison c = compare_paired(x, y, {2000, seed, 0.05});
  out.push_back({{"a", a->method + "@" + std::to_string(a->k)},
                 {"b", b->method + "@" + std::to_string(b->k)},
                 {"items", c.items},
                 {"difference", c.difference},
                 {"interval", {c.interval.low, c.interval.high}},
                 {"only_a", c.only_a},
                 {"only_b", c.only_b},
                 {"p_value", c.p_value},
                 {"verdict", c.verdict}});
}

}  // namespace

double SubsetStats::accuracy() const { return items ? double(correct) / items : kNaN; }
double SubsetStats::chance_accuracy() const { return items ? chance_sum / items : kNaN; }
double SubsetStats::auc() const { return roc_auc(single_scores, single_labels); }

double MethodResult::subset_mean_accuracy() const {
  double sum = 0;
  int n = 0;
  for (const auto& [name, s] : subsets)
    if (s.items) sum += s.accuracy(), ++n;
  return n ? sum / n : kNaN;
}

std::vector<MethodResult> evaluate(const std::vector<RmItem>& items, const std::vector<std::vector<Trajectory>>& greedy,
                                   const std::vector<std::vector<Trajectory>>& sampled, const EvalSpec& spec) {
  std::vector<MethodResult> out;
  if (!greedy.empty()) out.push_back(run_method("greedy", 1, items, greedy, -1, spec.seed));
  for (int k : spec.ks) {
    SPCT_CHECK(k >= 1, "eval: k must be >= 1 (got ", k, ")");
    out.push_back(run_method("voting", k, items, sampled, -1, spec.seed));
    if (spec.with_meta) {
      const int k_meta = spec.k_meta > 0 ? std::min(spec.k_meta, k) : std::max(1, k / 2);
      out.push_back(run_method("metarm", k, items, sampled, k_meta, spec.seed));
    }
  }
  return out;
}

nlohmann::json results_to_json(const std::vector<MethodResult>& results, uint64_t seed) {
  nlohmann::json methods = nlohmann::json::array(), comparisons = nlohmann::json::array();
  for (const auto& r : results) {
    nlohmann::json subsets = nlohmann::json::object();
    for (const auto& [name, s] : r.subsets) subsets[name] = stats_json(s);
    methods.push_back({{"method", r.method},
                       {"k", r.k},
                       {"overall", stats_json(r.overall)},
                       {"subset_mean_accuracy", num(r.subset_mean_accuracy())},
                       {"subsets", subsets},
                       {"item_correct", correct_json(r.correct)}});
  }
  const MethodResult* previous = nullptr;
  for (const auto& r : results) {
    if (r.method != "voting") continue;
    add_comparison(comparisons, &r, find_method(results, "greedy", 1), seed);
    add_comparison(comparisons, &r, previous, seed);
    add_comparison(comparisons, find_method(results, "metarm", r.k), &r, seed);
    previous = &r;
  }
  return {{"methods", methods}, {"comparisons", comparisons}};
}

std::string results_to_csv(const std::vector<MethodResult>& results) {
  std::ostringstream os;
  os << std::setprecision(6) << "method,k,subset,metric,value,items\n";
  auto rows = [&](const MethodResult& r, const std::string& subset, const SubsetStats& s) {
    if (s.items)
      os << r.method << "," << r.k << "," << subset << ",accuracy," << s.accuracy() << "," << s.items << "\n";
    if (s.single_items && !std::isnan(s.auc()))
      os << r.method << "," << r.k << "," << subset << ",auc," << s.auc() << "," << s.single_items << "\n";
    if (s.trajectories)
      os << r.method << "," << r.k << "," << subset << ",malformed_rate," << double(s.malformed) / s.trajectories << ","
         << s.trajectories << "\n";
  };
  for (const auto& r : results) {
    rows(r, "overall", r.overall);
    for (const auto& [name, s] : r.subsets) rows(r, name, s);
  }
  return os.str();
}

}  // namespace spct::rewards
