// Inference-time scaling end to end: prompts through the chat template, trajectories sampled
// reproducibly, the meta RM's scalar head, voting arithmetic over hand-made trajectories, ROC-AUC,
// and `spct eval` / `spct judge` on a committed benchmark-format file with the tiny model.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/byte_tokenizer.h"
#include "core/error.h"
#include "core/file_util.h"
#include "rewards/judge/evaluation.h"
#include "rewards/judge/judge.h"
#include "rewards/rules/correctness.h"
#include "tests/test_util.h"

namespace spct::rewards {
namespace {

Trajectory traj(Permutation order, std::vector<int> displayed_scores, double meta = -1) {
  Trajectory t;
  t.order = std::move(order);
  t.parse.scores = std::move(displayed_scores);
  if (t.parse.scores.empty()) {
    t.parse.error = ParseError::no_box;
    t.parse.reason = "no box";
  }
  t.meta_prob = meta;
  return t;
}

RmItem item3(int best, const std::string& subset = "s") {
  RmItem it;
  it.subset = subset;
  it.prompt.text = "q";
  it.responses = {"a", "b", "c"};
  it.best = best;
  return it;
}

TEST(JudgeItem, VotesMapBackThroughEachPermutation) {
  // Sample 1 shows (2, 0, 1): displayed scores 9, 1, 5 mean original 0 -> 1, 1 -> 5, 2 -> 9.
  // Sample 2 shows (1, 2, 0): displayed 8, 2, 3 mean original 0 -> 3, 1 -> 8, 2 -> 2.
  // Totals: 4, 13, 11 -> best is original 1.
  const std::vector<Trajectory> ts = {traj({2, 0, 1}, {9, 1, 5}), traj({1, 2, 0}, {8, 2, 3}), traj({0, 1, 2}, {})};
  const Verdict v = judge_item(item3(1), ts, 3, -1, 7);
  EXPECT_EQ(v.vote.totals, (std::vector<long>{4, 13, 11}));
  EXPECT_EQ(v.vote.best, 1);
  EXPECT_EQ(v.vote.valid_votes, 2);
  EXPECT_EQ(v.malformed, 1);
  EXPECT_TRUE(v.correct);
  // Only the first sample (k = 1): original 2 has 9 -> wrong.
  const Verdict v1 = judge_item(item3(1), ts, 1, -1, 7);
  EXPECT_EQ(v1.vote.best, 2);
  EXPECT_FALSE(v1.correct);
}

// Ties (docs/rewards.md, "Ties"): a trajectory that scores the best response level with another is
// wrong by eq. 10 (its reward, RFT rejection and meta-RM label), while the final choice of a vote
// draws among the tied by its seed, as the paper's argmax over shuffled responses does.
TEST(JudgeItem, TieIsWrongForATrajectoryAndADrawForTheVote) {
  const std::vector<Trajectory> ts = {traj({0, 1, 2}, {7, 7, 3})};  // best (1) tied with 0
  EXPECT_FALSE(is_correct({7, 7, 3}, Truth::best_of(3, 1)));
  int right = 0;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    const Verdict v = judge_item(item3(1), ts, 1, -1, seed);
    EXPECT_TRUE(v.vote.tie_broken);
    EXPECT_TRUE(v.vote.best == 0 || v.vote.best == 1);
    right += v.correct;
    EXPECT_EQ(judge_item(item3(1), ts, 1, -1, seed).vote.best, v.vote.best);  // the same seed, the same draw
  }
  EXPECT_GT(right, 0);
  EXPECT_LT(right, 64);
}

TEST(JudgeItem, MetaRmKeepsTheTopKMetaBeforeVoting) {
  // Plain voting sums all four: 22, 20, 24 -> original 2. With k_meta = 1 the meta RM keeps sample 0
  // (prob 0.9): 2, 9, 5 -> original 1. With k_meta = 2, samples 0 and 3: 11, 10, 14 -> original 2.
  const std::vector<Trajectory> ts = {traj({0, 1, 2}, {2, 9, 5}, 0.9), traj({0, 1, 2}, {9, 1, 5}, 0.2),
                                      traj({0, 1, 2}, {2, 9, 5}, 0.1), traj({0, 1, 2}, {9, 1, 9}, 0.8)};
  EXPECT_EQ(judge_item(item3(0), ts, 4, -1, 1).vote.totals, (std::vector<long>{22, 20, 24}));
  const Verdict top1 = judge_item(item3(0), ts, 4, 1, 1);
  EXPECT_EQ(top1.vote.totals, (std::vector<long>{2, 9, 5}));
  EXPECT_EQ(top1.vote.best, 1);
  const Verdict top2 = judge_item(item3(0), ts, 4, 2, 1);  // samples 0 and 3
  EXPECT_EQ(top2.vote.totals, (std::vector<long>{11, 10, 14}));
  EXPECT_EQ(top2.vote.best, 2);
}

TEST(Evaluate, AccuracyPerMethodAndKByHand) {
  std::vector<RmItem> items = {item3(0, "x"), item3(1, "x"), item3(2, "y")};
  // Greedy: right, wrong, right. Sampled: 2 samples each.
  std::vector<std::vector<Trajectory>> greedy = {
      {traj({0, 1, 2}, {9, 1, 1})}, {traj({0, 1, 2}, {9, 1, 1})}, {traj({2, 1, 0}, {9, 1, 1})}};
  std::vector<std::vector<Trajectory>> sampled = {
      {traj({0, 1, 2}, {1, 9, 1}), traj({0, 1, 2}, {9, 1, 1})},  // k1 wrong; k2 tie 10/10 -> seeded
      {traj({0, 1, 2}, {1, 9, 1}), traj({0, 1, 2}, {1, 9, 1})},  // right, right
      {traj({0, 1, 2}, {}), traj({0, 1, 2}, {})}};               // all malformed: undecided, wrong
  EvalSpec spec{{1}, 0, false, 3};
  const auto r = evaluate(items, greedy, sampled, spec);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].method, "greedy");
  EXPECT_DOUBLE_EQ(r[0].overall.accuracy(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(r[0].subsets.at("x").accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(r[0].subsets.at("y").accuracy(), 1.0);
  EXPECT_DOUBLE_EQ(r[0].subset_mean_accuracy(), 0.75);
  EXPECT_DOUBLE_EQ(r[0].overall.chance_accuracy(), 1.0 / 3);  // three 3-way items
  EXPECT_EQ(r[1].method, "voting");
  EXPECT_DOUBLE_EQ(r[1].overall.accuracy(), 1.0 / 3);
  EXPECT_EQ(r[1].overall.malformed, 1);
  const std::string csv = results_to_csv(r);
  EXPECT_NE(csv.find("greedy,1,overall,accuracy,0.666667,3"), std::string::npos) << csv;
}

TEST(Evaluate, ChanceIsTheMeanOfOneOverNOverRankedItems) {
  RmItem pair = item3(0), four = item3(3), single = item3(0);
  pair.responses = {"a", "b"};
  four.responses = {"a", "b", "c", "d"};
  single.responses = {"a"};
  single.best = -1;
  single.label = 1;
  const std::vector<std::vector<Trajectory>> greedy = {
      {traj({0, 1}, {9, 1})}, {traj({0, 1, 2, 3}, {1, 1, 1, 9})}, {traj({0}, {1})}};
  const auto r = evaluate({pair, four, single}, greedy, {}, EvalSpec{{}, 0, false, 1});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_DOUBLE_EQ(r[0].overall.chance_accuracy(), (1.0 / 2 + 1.0 / 4) / 2);  // the single item is not ranked
  EXPECT_DOUBLE_EQ(results_to_json(r)["methods"][0]["overall"]["chance_accuracy"].get<double>(), 0.375);
}

TEST(RocAuc, HandComputed) {
  // Positive/negative pairs: (0.9, 0.1) win, (0.9, 0.5) win, (0.5, 0.1) win, (0.5, 0.5) half.
  EXPECT_DOUBLE_EQ(roc_auc({0.9, 0.1, 0.5, 0.5}, {1, 0, 1, 0}), 3.5 / 4);
  EXPECT_TRUE(std::isnan(roc_auc({0.3, 0.4}, {1, 1})));
}

TEST(JudgePrompt, TinyModelPromptStartsWithBosAndShowsResponsesInOrder) {
  ByteTokenizer tok;
  RmItem it = item3(0);
  it.responses = {"alpha", "beta", "gamma"};
  JudgeOptions opt;
  const auto ids = judge_prompt_ids(tok, it, {2, 0, 1}, opt);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], ByteTokenizer::kBos);
  const std::string text = tok.decode(ids);
  EXPECT_LT(text.find("gamma"), text.find("alpha"));
  EXPECT_LT(text.find("alpha"), text.find("beta"));
  EXPECT_NE(text.find("<|assistant|>"), std::string::npos);
}

TEST(SampleTrajectories, ReproducibleAndIndependentOfBatching) {
  auto model = load_model("tiny", {at::kFloat, at::kCPU, 3});
  ByteTokenizer tok;
  std::vector<RmItem> items = {item3(0), item3(2)};
  JudgeOptions opt;
  opt.max_new_tokens = 6;
  opt.temperature = 1.0;
  opt.seed = 11;
  opt.batch_size = 16;
  const auto a = sample_trajectories(*model, tok, items, 3, opt);
  opt.batch_size = 1;
  const auto b = sample_trajectories(*model, tok, items, 3, opt);
  for (size_t i = 0; i < items.size(); ++i)
    for (int s = 0; s < 3; ++s) {
      EXPECT_EQ(a[i][s].tokens, b[i][s].tokens) << i << "," << s;
      EXPECT_EQ(a[i][s].order, make_permutation(3, 11, i, s));
    }
  EXPECT_NE(a[0][0].tokens, a[0][1].tokens);  // different samples draw different streams
}

TEST(MetaRM, ProbabilitiesDoNotDependOnPaddingAndSurviveExport) {
  auto meta = MetaRM::load("tiny", {at::kFloat, at::kCPU, 5});
  const std::vector<int32_t> a = {256, 10, 20, 30}, b = {256, 1, 2, 3, 4, 5, 6, 7, 8};
  const auto both = meta->probabilities({a, b});
  const auto alone = meta->probabilities({a});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_GT(both[0], 0.0);
  EXPECT_LT(both[0], 1.0);
  EXPECT_NEAR(both[0], alone[0], 1e-6);
  test::TempDir tmp;
  export_hf(meta->backbone(), tmp.file("meta"));
  const std::string config = read_text_file(tmp.file("meta/config.json"));
  EXPECT_NE(config.find("LlamaForSequenceClassification"), std::string::npos);
  auto again = MetaRM::load(tmp.file("meta"));
  EXPECT_DOUBLE_EQ(again->probabilities({b})[0], meta->probabilities({b})[0]);
  // A causal LM is not a meta RM.
  try {
    MetaRM::load(test::fixture_model("llama"));
    ADD_FAILURE() << "loaded a causal LM as a meta RM";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("num_labels = 1"), std::string::npos) << e.what();
  }
}

using test::run_spct;

TEST(EvalCli, RunsEndToEndOnTheCommittedBenchmarkWithTheTinyModel) {
  test::TempDir tmp;
  const std::string bench = test::source_path("tests/fixtures/eval/mini_bench.jsonl");
  auto [code, out] = run_spct("eval --model tiny --metarm tiny --data " + bench + " --k 1,2 --max-new-tokens 8 --out " +
                              tmp.file("r"));
  ASSERT_EQ(code, 0) << out;
  const auto j = nlohmann::json::parse(read_text_file(tmp.file("r/results.json")));
  ASSERT_EQ(j["methods"].size(), 5u);  // greedy, voting@1, metarm@1, voting@2, metarm@2
  for (const auto& m : j["methods"]) {
    EXPECT_EQ(m["overall"]["items"], 4);         // two pairwise and two 3-way items
    EXPECT_EQ(m["overall"]["single_items"], 2);  // two single-response items
    const double acc = m["overall"]["accuracy"].get<double>();
    EXPECT_GE(acc, 0.0);
    EXPECT_LE(acc, 1.0);
  }
  EXPECT_NE(read_text_file(tmp.file("r/results.csv")).find("method,k,subset,metric,value,items"), std::string::npos);
}

TEST(JudgeCli, KeepsInputFieldsAndAddsResults) {
  test::TempDir tmp;
  const std::string bench = test::source_path("tests/fixtures/eval/mini_bench.jsonl");
  auto [code, out] = run_spct("judge --model tiny --input " + bench +
                              " --k 2 --max-new-tokens 6 --trajectories --output " + tmp.file("o.jsonl"));
  ASSERT_EQ(code, 0) << out;
  std::ifstream in(tmp.file("o.jsonl"));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("id"));
    EXPECT_TRUE(j.contains("judge_scores") || j.contains("judge_probability")) << line;
    EXPECT_EQ(j["trajectories"].size(), 2u);
    ++n;
  }
  EXPECT_EQ(n, 6);
  auto [bad, msg] =
      run_spct("judge --model tiny --input " + test::source_path("tests/fixtures/rewards/rm_bad_best.jsonl"));
  EXPECT_EQ(bad, 1);
  EXPECT_NE(msg.find("rm_bad_best.jsonl:"), std::string::npos) << msg;
}

}  // namespace
}  // namespace spct::rewards

namespace spct::rewards {
namespace {

TEST(Templates, FileReplacesNamedTemplatesAndRejectsUnknownOnes) {
  test::TempDir tmp;
  const std::string path = tmp.file("t.yaml");
  std::ofstream(path) << "generate: |\n  SHORT {num_responses}: {query}\n  {responses}{hint}Scores: {score_format}\n";
  const JudgeTemplates t = load_templates(path);
  EXPECT_EQ(t.given, default_templates().given);
  JudgeInput in{{"what?", {}}, {"a", "b"}, {1, 0}, "", std::nullopt};
  JudgePromptConfig cfg;
  cfg.templates = t;
  const std::string prompt = build_judge_prompt(in, cfg);
  EXPECT_EQ(prompt.rfind("SHORT 2: what?", 0), 0u) << prompt;
  EXPECT_NE(prompt.find("\\boxed{"), std::string::npos) << prompt;

  std::ofstream(path) << "generate: ok\nhnit: typo\n";
  try {
    load_templates(path);
    ADD_FAILURE() << "unknown template name accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2: unknown template 'hnit'"), std::string::npos) << e.what();
  }
  std::ofstream(path) << "none: 'uses {nonsense}'\n";
  try {
    load_templates(path);
    ADD_FAILURE() << "unknown placeholder accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nonsense"), std::string::npos) << e.what();
  }
}

TEST(Templates, DemoTemplatesAreShortAndKeepTheOutputFormat) {
  const JudgeTemplates t = load_templates(test::source_path("configs/demo_templates.yaml"));
  JudgeInput in{{"What is 2 + 2?", {}}, {"4", "5"}, {1, 0}, "", 1};
  JudgePromptConfig cfg;
  cfg.templates = t;
  const std::string prompt = build_judge_prompt(in, cfg);
  EXPECT_LT(prompt.size(), default_templates().generate.size() / 3) << prompt;
  EXPECT_NE(prompt.find(render_responses(in.responses, in.order, t)), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("Response 1"), std::string::npos) << prompt;  // the hint, displayed numbering
  for (PrincipleMode mode : {PrincipleMode::generate, PrincipleMode::given, PrincipleMode::none}) {
    cfg.mode = mode;
    in.principles = "1. Correctness (100%): the sum.";
    EXPECT_NO_THROW(build_judge_prompt(in, cfg));
  }
}

}  // namespace
}  // namespace spct::rewards
