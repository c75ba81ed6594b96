// trainer/report/report.h: report.md from eval results written by hand, so every number and verdict in
// it is known in advance, with links to the charts scripts/plot_report.py draws.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "test_util.h"
#include "trainer/report/report.h"

namespace spct {
namespace {
namespace fs = std::filesystem;

// A results.json with the given (method, k, accuracy) rows over `items` pairwise items.
void write_results(const std::string& dir, const std::vector<std::tuple<std::string, int, double>>& rows,
                   int items = 40) {
  fs::create_directories(dir);
  std::string methods;
  for (const auto& [method, k, acc] : rows) {
    if (!methods.empty()) methods += ",";
    methods += "{\"method\":\"" + method + "\",\"k\":" + std::to_string(k) +
               ",\"overall\":{\"accuracy\":" + std::to_string(acc) +
               ",\"chance_accuracy\":0.375,\"auc\":0.75,\"items\":" + std::to_string(items) +
               ",\"malformed_rate\":0.125,\"single_items\":10}}";
  }
  std::ofstream(dir + "/results.json") << "{\"data\":\"test.jsonl\",\"items\":50,\"methods\":[" << methods << "]}\n";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const char* const kPlots[] = {"report_stages.png", "report_k.png", "report_modes.png"};

TEST(Report, TablesAndVerdictsFromResults) {
  test::TempDir tmp;
  const std::string run = tmp.path().string();
  write_results(run + "/eval/stages/sft", {{"greedy", 1, 0.5}, {"voting", 1, 0.45}});
  write_results(run + "/eval/stages/rft", {{"greedy", 1, 0.6}, {"voting", 1, 0.55}});
  write_results(run + "/eval/stages/grpo", {{"greedy", 1, 0.6}, {"voting", 1, 0.5}});
  write_results(run + "/eval/generate",
                {{"greedy", 1, 0.6}, {"voting", 1, 0.5}, {"voting", 8, 0.55}, {"metarm", 1, 0.5}, {"metarm", 8, 0.65}});
  write_results(run + "/eval/none", {{"greedy", 1, 0.4}, {"voting", 8, 0.45}, {"metarm", 8, 0.5}});
  const std::string r = write_report(run);
  std::ifstream in(run + "/report.md");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), r);
  EXPECT_TRUE(has(r, "| sft | 0.500 | 0.750 | 0.125 |")) << r;
  EXPECT_TRUE(has(r, "| rft | 0.600 |")) << r;
  EXPECT_TRUE(has(r, "| 8 | 0.550 | 0.650 | 0.750 |")) << r;
  EXPECT_TRUE(has(r, "| none | 0.400 | 0.450 | 0.500 | 0.125 |")) << r;
  EXPECT_FALSE(has(r, "| given |")) << r;  // not evaluated: no row
  // Results without per-item vectors (older files): the difference, no test.
  EXPECT_TRUE(has(r, "| RFT above the warm-up (SFT) model | 0.600 | 0.500 | +0.100 | – | no per-item results")) << r;
  EXPECT_TRUE(has(r, "| GRPO at least RFT | 0.600 | 0.600 | +0.000 | – |")) << r;
  EXPECT_TRUE(has(r, "| Voting@8 above greedy | 0.550 | 0.600 | -0.050 | – |")) << r;
  EXPECT_TRUE(has(r, "| MetaRM@8 at least Voting@8 | 0.650 | 0.550 | +0.100 | – |")) << r;
  EXPECT_TRUE(has(r, "| generated principles above none (Voting@8) | 0.550 | 0.450 | +0.100 | – |")) << r;
  EXPECT_TRUE(has(r, "moves an accuracy by 0.025")) << r;  // 1 / 40 items
  EXPECT_TRUE(has(r, "**Chance: 0.375**")) << r;
  // The three charts the report links (scripts/plot_report.py draws them: tests/test_plot_report.py).
  for (const char* png : kPlots) EXPECT_TRUE(has(r, std::string("](") + png + ")")) << png;
}

// A results.json whose methods carry per-item vectors (-1: a single-response item, written null)
// and the Wilson interval, as `spct eval` writes them.
void write_item_results(const std::string& dir,
                        const std::vector<std::tuple<std::string, int, std::vector<int>>>& rows) {
  fs::create_directories(dir);
  nlohmann::json methods = nlohmann::json::array();
  for (const auto& [method, k, correct] : rows) {
    int right = 0, items = 0;
    nlohmann::json per_item = nlohmann::json::array();
    for (int c : correct) {
      per_item.push_back(c < 0 ? nlohmann::json(nullptr) : nlohmann::json(c));
      if (c >= 0) right += c, ++items;
    }
    methods.push_back(
        {{"method", method},
         {"k", k},
         {"item_correct", per_item},
         {"overall", {{"accuracy", double(right) / items}, {"items", items}, {"accuracy_interval", {0.25, 0.75}}}}});
  }
  std::ofstream(dir + "/results.json") << nlohmann::json{{"data", "test.jsonl"}, {"items", 41}, {"methods", methods}};
}

// n items: the first `right` correct, then `extra` more from position `from` (a single-response
// item at the end, which every comparison leaves out).
std::vector<int> first_right(int right, int from = 0, int extra = 0) {
  std::vector<int> v(40, 0);
  for (int i = 0; i < right; ++i) v[i] = 1;
  for (int i = from; i < from + extra; ++i) v[i] = 1;
  v.push_back(-1);
  return v;
}

TEST(Report, FindingsArePairedTestsOnTheItems) {
  test::TempDir tmp;
  const std::string run = tmp.path().string();
  // sft: items 0-19 right; rft: also 20-29 (10 items only rft gets right, none the other way):
  // McNemar p = 2 * 2^-10 = 0.00195, every resample's difference >= 0: holds.
  write_item_results(run + "/eval/stages/sft", {{"greedy", 1, first_right(20)}});
  write_item_results(run + "/eval/stages/rft", {{"greedy", 1, first_right(30)}});
  // grpo: rft's items but 0-1 wrong and 30-31 right: 2 against 2 discordant, p = 1: within noise.
  std::vector<int> grpo = first_right(30, 30, 2);
  grpo[0] = grpo[1] = 0;
  write_item_results(run + "/eval/stages/grpo", {{"greedy", 1, grpo}});
  // Voting@8 (items 0-19) below greedy (0-29): the same 10 items the other way: reversed.
  write_item_results(run + "/eval/generate", {{"greedy", 1, first_right(30)},
                                              {"voting", 1, first_right(20)},
                                              {"voting", 8, first_right(20)},
                                              {"metarm", 8, first_right(20)}});
  write_item_results(run + "/eval/none", {{"greedy", 1, first_right(20)}, {"voting", 8, first_right(20)}});
  const std::string r = write_report(run);
  EXPECT_TRUE(has(r, "| RFT above the warm-up (SFT) model | 0.750 | 0.500 | +0.250 (+")) << r;
  EXPECT_TRUE(has(r, "| 0.00195 | **holds** |")) << r;
  EXPECT_TRUE(has(r, "| GRPO at least RFT | 0.750 | 0.750 | +0.000 (")) << r;
  EXPECT_TRUE(has(r, "| 1 | **within noise** |")) << r;
  EXPECT_TRUE(has(r, "| Voting@8 above greedy | 0.500 | 0.750 | -0.250 (-")) << r;
  EXPECT_TRUE(has(r, "| 0.00195 | **reversed** |")) << r;
  EXPECT_TRUE(has(r, "| MetaRM@8 at least Voting@8 | 0.500 | 0.500 | +0.000 (+0.000, +0.000) | 1 | **within noise** |"))
      << r;
  EXPECT_TRUE(has(r, "| greedy | 0.750 (0.25-0.75) |")) << r;  // the recorded interval
  EXPECT_TRUE(has(r, "| rft | 0.750 (0.25-0.75) |")) << r;
  // Vectors of different benchmarks cannot be paired: an error naming the files.
  write_item_results(run + "/eval/none", {{"voting", 8, std::vector<int>(12, 1)}});
  const std::string e = test::error_of([&] { write_report(run); });
  EXPECT_TRUE(has(e, "/eval/{generate,none}/results.json: paired results: 41 items against 12")) << e;
}

// A section whose results are missing is not written, nor its chart linked.
TEST(Report, ChartsLinkedOnlyForResultsPresent) {
  test::TempDir tmp;
  const std::string stages_only = tmp.file("stages"), given_only = tmp.file("given");
  write_results(stages_only + "/eval/stages/rft", {{"greedy", 1, 0.6}});
  write_results(given_only + "/eval/given", {{"greedy", 1, 0.6}, {"voting", 2, 0.7}});
  const std::string a = write_report(stages_only), b = write_report(given_only);
  EXPECT_TRUE(has(a, "](report_stages.png)")) << a;
  EXPECT_FALSE(has(a, "report_k.png") || has(a, "report_modes.png")) << a;
  EXPECT_TRUE(has(b, "](report_modes.png)")) << b;
  EXPECT_FALSE(has(b, "report_k.png") || has(b, "report_stages.png")) << b;
}

TEST(Report, MissingStagesAreNotMeasured) {
  test::TempDir tmp;
  const std::string run = tmp.path().string();
  write_results(run + "/eval/generate", {{"greedy", 1, 0.6}, {"voting", 4, 0.7}});
  const std::string r = write_report(run);
  EXPECT_FALSE(has(r, "Accuracy by stage")) << r;
  EXPECT_TRUE(has(r, "| RFT above the warm-up (SFT) model | – | – | – | – | not measured |")) << r;
  EXPECT_TRUE(has(r, "| Voting@4 above greedy | 0.700 | 0.600 | +0.100 | – |")) << r;
  EXPECT_TRUE(has(r, "](report_k.png)") && has(r, "](report_modes.png)")) << r;
}

TEST(Report, NoResultsOrMalformedResultsAreErrors) {
  test::TempDir tmp;
  const std::string run = tmp.path().string();
  EXPECT_TRUE(has(test::error_of([&] { write_report(run); }), "no eval results")) << run;
  EXPECT_FALSE(fs::exists(run + "/report.md"));
  fs::create_directories(run + "/eval/none");
  std::ofstream(run + "/eval/none/results.json") << "{\"methods\": [";
  const std::string e = test::error_of([&] { write_report(run); });
  EXPECT_TRUE(has(e, run + "/eval/none/results.json: not a results file")) << e;
  EXPECT_FALSE(fs::exists(run + "/report.md"));
}

}  // namespace
}  // namespace spct
