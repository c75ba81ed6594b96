// Synthetic data (data/synth.h) and the synthetic teacher (data/teacher.h): determinism, disjoint
// splits, every item readable by rewards::read_rm_dataset, ground truth re-verified by a checker
// written here from the query text alone, and teacher trajectories that parse, stay short and are
// correct at the requested rate.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "data/synth.h"
#include "data/teacher.h"
#include "rewards/rules/correctness.h"
#include "rewards/rules/rm_dataset.h"
#include "rewards/rules/score_parser.h"
#include "tests/test_util.h"

namespace spct::data {
namespace {

SynthConfig small_config(uint64_t seed) {
  SynthConfig c;
  c.seed = seed;
  c.train = 400;
  c.test = 150;
  c.general = 150;
  return c;
}

// ---- an independent checker: reads the task from the query text, not from "task" ----------
std::vector<long> ints(const std::string& s) {
  std::vector<long> out;
  static const std::regex number("-?\\d+");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), number); it != std::sregex_iterator(); ++it)
    out.push_back(std::stol(it->str()));
  return out;
}

// Whether `response` correctly answers `query`; fails the test on a query it cannot read.
bool independently_correct(const std::string& query, const std::string& response) {
  std::smatch m;
  if (std::regex_search(query, m, std::regex("^(?:What is |Compute )?(\\d+) ([-+*]) (\\d+)(?:\\?| =|\\.)"))) {
    const long a = std::stol(m[1]), b = std::stol(m[3]);
    const long want = m[2] == "+" ? a + b : m[2] == "-" ? a - b : a * b;
    const std::vector<long> got = ints(std::regex_replace(response, std::regex(" - "), " "));
    return !got.empty() && got.back() == want;
  }
  if (std::regex_search(query, m, std::regex("^(?:Sort|Put in) (ascending|descending)(?: order)?: (.*)$"))) {
    std::vector<long> want = ints(m[2]);
    std::sort(want.begin(), want.end());
    if (m[1] == "descending") std::reverse(want.begin(), want.end());
    return ints(response) == want;
  }
  if (std::regex_search(query, m, std::regex("'(.)' (?:are )?in '([^']*)'"))) {
    const std::string text = m[2];
    const long want = std::count(text.begin(), text.end(), m[1].str()[0]);
    const std::vector<long> got = ints(response);
    return !got.empty() && got.back() == want;
  }
  if (std::regex_search(query, m, std::regex("words (?:are )?in '([^']*)'"))) {
    std::istringstream words(m[1].str());
    long want = 0;
    for (std::string w; words >> w;) ++want;
    const std::vector<long> got = ints(response);
    return !got.empty() && got.back() == want;
  }
  if (std::regex_search(
          query, m,
          std::regex(
              "^(?:(Reverse|Uppercase|Lowercase): (.*)|Write '(.*)' (backwards|in capitals|in lowercase)\\.)$"))) {
    const bool terse = m[1].matched;
    const std::string text = terse ? m[2].str() : m[3].str();
    const std::string op = terse ? m[1].str() : m[4].str();
    std::string want = text;
    if (op == "Reverse" || op == "backwards") want.assign(text.rbegin(), text.rend());
    if (op == "Uppercase" || op == "in capitals")
      for (char& c : want) c = static_cast<char>(toupper(c));
    if (op == "Lowercase" || op == "in lowercase")
      for (char& c : want) c = static_cast<char>(tolower(c));
    return response == want;
  }
  if (std::regex_search(query, m, std::regex("exactly (\\d+) words"))) {
    std::istringstream in(response);
    long words = 0;
    for (std::string w; in >> w;) words += std::any_of(w.begin(), w.end(), [](char c) { return isalpha(c); });
    bool ok = words == std::stol(m[1]);
    if (query.find("all caps") != std::string::npos)
      ok = ok && std::none_of(response.begin(), response.end(), [](char c) { return islower(c); });
    if (query.find("all lowercase") != std::string::npos)
      ok = ok && std::none_of(response.begin(), response.end(), [](char c) { return isupper(c); });
    if (query.find("ending with a period") != std::string::npos) ok = ok && !response.empty() && response.back() == '.';
    if (query.find("no punctuation") != std::string::npos)
      ok = ok && response.find_first_of(".,!?;:") == std::string::npos;
    return ok;
  }
  ADD_FAILURE() << "the test's checker cannot read the query: " << query;
  return false;
}

std::string read_file(const std::string& path) { return read_text_file(path); }

// ---- synth --------------------------------------------------------------------------------
TEST(DataSynth, SameSeedSameBytesOtherSeedOtherBytes) {
  test::TempDir a, b, c;
  write_synth(small_config(7), a.path().string());
  write_synth(small_config(7), b.path().string());
  write_synth(small_config(8), c.path().string());
  for (const char* f : {"train.jsonl", "test.jsonl", "general_sft.jsonl", "meta.json"}) {
    EXPECT_EQ(read_file(a.file(f)), read_file(b.file(f))) << f;
    EXPECT_NE(read_file(a.file(f)), read_file(c.file(f))) << f;
  }
}

TEST(DataSynth, TestSplitDoesNotDependOnTrainSize) {
  SynthConfig more = small_config(7);
  more.train = 600;
  EXPECT_EQ(to_jsonl(synthesize(small_config(7)).test), to_jsonl(synthesize(more).test));
}

TEST(DataSynth, SplitsShareNoQuery) {
  const SynthData d = synthesize(small_config(3));
  std::map<std::string, std::string> seen;  // query -> split
  auto add = [&](const std::string& q, const std::string& split) {
    auto [it, fresh] = seen.emplace(q, split);
    EXPECT_TRUE(fresh) << "query in " << it->second << " and " << split << ": " << q;
  };
  for (const Json& j : d.train) add(j.at("prompt").get<std::string>(), "train");
  for (const Json& j : d.test) add(j.at("prompt").get<std::string>(), "test");
  for (const Json& j : d.general) add(j.at("messages")[0].at("content").get<std::string>(), "general");
  EXPECT_EQ(seen.size(), 700u);
}

TEST(DataSynth, EveryItemReadsAsAnRmItemOfItsKind) {
  test::TempDir dir;
  const SynthData d = write_synth(small_config(4), dir.path().string());
  for (const char* split : {"train", "test"}) {
    const auto items = rewards::read_rm_dataset(dir.file(std::string(split) + ".jsonl"));
    const std::vector<Json>& raw = std::string(split) == "train" ? d.train : d.test;
    ASSERT_EQ(items.size(), raw.size());
    std::set<std::string> ids, subsets, kinds;
    for (size_t i = 0; i < items.size(); ++i) {
      const auto& it = items[i];
      const std::string kind = raw[i].at("kind").get<std::string>();
      ids.insert(it.id);
      subsets.insert(it.subset);
      kinds.insert(kind);
      const size_t n = it.responses.size();
      const size_t want = kind == "pairwise" ? 2 : kind == "single" ? 1 : n == 3 ? 3 : 4;
      EXPECT_EQ(n, want) << it.id << " (" << kind << ")";
      EXPECT_EQ(it.principles.rfind("1. ", 0), 0u) << it.id;
      EXPECT_NE(it.principles.find("%)"), std::string::npos) << it.id;
      EXPECT_EQ(std::set<std::string>(it.responses.begin(), it.responses.end()).size(), n) << it.id;
    }
    EXPECT_EQ(ids.size(), items.size());
    EXPECT_EQ(subsets, (std::set<std::string>{"arithmetic", "sorting", "counting", "transform", "constraints"}));
    EXPECT_EQ(kinds, (std::set<std::string>{"pairwise", "nway", "single"}));
  }
}

TEST(DataSynth, GroundTruthHoldsUnderAnIndependentChecker) {
  test::TempDir dir;
  const SynthData d = write_synth(small_config(5), dir.path().string());
  int singles_right = 0, singles = 0;
  for (const char* split : {"train", "test"}) {
    const auto items = rewards::read_rm_dataset(dir.file(std::string(split) + ".jsonl"));
    const std::vector<Json>& raw = std::string(split) == "train" ? d.train : d.test;
    for (size_t k = 0; k < items.size(); ++k) {
      const auto& it = items[k];
      const std::string q = it.prompt.text;
      for (size_t i = 0; i < it.responses.size(); ++i) {
        const bool truth = it.responses.size() == 1 ? it.label == 1 : static_cast<int>(i) == it.best;
        EXPECT_EQ(independently_correct(q, it.responses[i]), truth) << it.id << ": " << q << " -> " << it.responses[i];
        EXPECT_EQ(check_response(raw[k].at("task"), it.responses[i]).ok, truth) << it.id;
      }
      if (it.responses.size() == 1) {
        ++singles;
        singles_right += it.label;
      }
    }
  }
  EXPECT_GT(singles_right, singles / 4);  // both labels occur often
  EXPECT_LT(singles_right, singles * 3 / 4);
  for (const Json& g : d.general) {
    const Json& m = g.at("messages");
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].at("role"), "user");
    EXPECT_EQ(m[1].at("role"), "assistant");
    EXPECT_TRUE(independently_correct(m[0].at("content"), m[1].at("content"))) << g.dump();
  }
}

TEST(DataSynth, ShortQueriesAndResponses) {
  const SynthData d = synthesize(small_config(6));
  for (const std::vector<Json>* split : {&d.train, &d.test}) {
    for (const Json& j : *split) {
      EXPECT_LE(j.at("prompt").get<std::string>().size(), 90u) << j.dump();
      for (const char* key : {"chosen", "rejected", "response"}) {
        if (j.contains(key)) {
          EXPECT_LE(j.at(key).get<std::string>().size(), 60u) << j.dump();
        }
      }
      for (const Json& r : j.value("responses", Json::array())) EXPECT_LE(r.get<std::string>().size(), 60u) << j.dump();
    }
  }
}

TEST(DataSynth, MetaCountsEverySplitDomainAndKind) {
  const SynthData d = synthesize(small_config(2));
  const Json& train = d.meta.at("splits").at("train");
  EXPECT_EQ(train.at("items"), 400);
  int domains = 0, kinds = 0;
  for (const auto& [name, count] : train.at("domains").items()) domains += count.get<int>();
  for (const auto& [name, count] : train.at("kinds").items()) kinds += count.get<int>();
  EXPECT_EQ(domains, 400);
  EXPECT_EQ(kinds, 400);
  EXPECT_EQ(train.at("domains").at("sorting"), 80);
  EXPECT_EQ(d.meta.at("splits").at("test").at("items"), 150);
  EXPECT_EQ(d.meta.at("splits").at("general_sft").at("examples"), 150);
  EXPECT_EQ(d.meta.at("seed"), 2);
  EXPECT_EQ(d.meta.at("version"), kSynthVersion);
}

TEST(DataSynth, BadSizesAreErrors) {
  SynthConfig c = small_config(1);
  c.train = -1;
  EXPECT_THROW(synthesize(c), Error);
}

TEST(DataSynth, ValidSplitIsDisjointAndLeavesTestAlone) {
  SynthConfig with = small_config(4);
  with.valid = 120;
  const SynthData a = synthesize(small_config(4)), b = synthesize(with);
  EXPECT_TRUE(a.valid.empty());
  ASSERT_EQ(b.valid.size(), 120u);
  EXPECT_EQ(to_jsonl(a.test), to_jsonl(b.test));  // adding a validation split keeps the test split
  std::set<std::string> others;
  for (const auto* split : {&b.train, &b.test})
    for (const Json& j : *split) others.insert(j.at("prompt").get<std::string>());
  for (const Json& j : b.valid) {
    EXPECT_EQ(others.count(j.at("prompt").get<std::string>()), 0u) << j.dump();
    EXPECT_EQ(j.at("id").get<std::string>().rfind("valid-", 0), 0u);
  }
  EXPECT_EQ(b.meta.at("splits").at("valid").at("items"), 120);
  EXPECT_FALSE(a.meta.at("splits").contains("valid"));
  test::TempDir dir, none;
  write_synth(with, dir.path().string());
  write_synth(small_config(4), none.path().string());
  EXPECT_EQ(read_file(dir.file("valid.jsonl")), to_jsonl(b.valid));
  EXPECT_FALSE(std::filesystem::exists(none.file("valid.jsonl")));
}

// Every response of an item, in the order the item lists them.
std::vector<std::string> responses_of(const Json& j) {
  if (j.contains("responses")) return j.at("responses").get<std::vector<std::string>>();
  if (j.contains("chosen")) return {j.at("chosen").get<std::string>(), j.at("rejected").get<std::string>()};
  return {j.at("response").get<std::string>()};
}

TEST(DataSynth, SurfaceFaultsAreNonAnswersTheCheckerRejects) {
  SynthConfig c = small_config(6);
  c.surface_faults = 1.0;
  const SynthData d = synthesize(c);
  const std::regex non_answer("^[A-Z][a-z ,']+\\.$");  // words only: no number, no list, no transform
  int wrong = 0, surface = 0;
  for (const Json& j : d.train) {
    const std::vector<std::string> rs = responses_of(j);
    EXPECT_EQ(std::set<std::string>(rs.begin(), rs.end()).size(), rs.size()) << j.dump();  // distinct
    for (size_t i = 0; i < rs.size(); ++i) {
      const Check check = check_response(j.at("task"), rs[i]);
      const bool truth = j.contains("label")  ? j.at("label") == 1
                         : j.contains("best") ? static_cast<int>(i) == j.at("best").get<int>()
                                              : i == 0;
      EXPECT_EQ(check.ok, truth) << j.dump();
      if (check.ok) continue;
      ++wrong;
      surface += std::regex_match(rs[i], non_answer) && ints(rs[i]).empty();
    }
  }
  // Constraint tasks can accept a short non-answer; those keep their wrong answer.
  EXPECT_GT(surface, wrong * 9 / 10) << surface << " of " << wrong;
  SynthConfig half = small_config(6);
  half.surface_faults = 0.5;
  EXPECT_NE(to_jsonl(synthesize(half).train), to_jsonl(synthesize(small_config(6)).train));
  half.surface_faults = 1.5;
  EXPECT_THROW(synthesize(half), Error);
}

TEST(DataSynth, CheckerFindingsNameTheFault) {
  const Json add = {{"domain", "arithmetic"}, {"op", "+"}, {"a", 17}, {"b", 25}};
  EXPECT_EQ(check_response(add, "41").finding, "gives 41, but 17 + 25 = 42.");
  EXPECT_EQ(check_response(add, "17 + 25 = 42").finding, "gives 42, and 17 + 25 = 42.");
  EXPECT_EQ(check_response(add, "41").severity, 1);
  const Json sort = {{"domain", "sorting"}, {"numbers", {9, 3, 40, 12}}, {"order", "ascending"}};
  EXPECT_EQ(check_response(sort, "3 9 12").finding, "misses 40.");
  EXPECT_EQ(check_response(sort, "3, 12, 9, 40").finding, "puts 12 before 9.");
  EXPECT_TRUE(check_response(sort, "[3, 9, 12, 40]").ok);
  const Json rule = {
      {"domain", "constraints"}, {"topic", "the sea"}, {"words", 3}, {"case", "upper"}, {"ending", "period"}};
  EXPECT_TRUE(check_response(rule, "BLUE DEEP COLD.").ok);
  EXPECT_EQ(check_response(rule, "Blue deep cold").finding, "is not all caps; has no final period.");
  EXPECT_THROW(check_response(Json{{"domain", "poetry"}}, "x"), Error);
}

// ---- teacher ------------------------------------------------------------------------------
struct Taught {
  std::vector<rewards::RmItem> items;
  std::vector<Json> lines;  // the teacher's output, in file order
  TeacherStats stats;
};

Taught teach(const std::string& data, const TeacherConfig& config, const test::TempDir& dir,
             const std::string& name = "t.jsonl") {
  Taught t;
  t.items = rewards::read_rm_dataset(data);
  t.stats = write_teacher(data, dir.file(name), config);
  std::ifstream in(dir.file(name));
  for (std::string line; std::getline(in, line);) t.lines.push_back(Json::parse(line));
  return t;
}

rewards::Truth truth_of(const Json& j) {
  return j.contains("label") ? rewards::Truth::single(j.at("label").get<int>())
                             : rewards::Truth::best_of(j.at("num_responses").get<int>(), j.at("best").get<int>());
}

class DataTeacher : public ::testing::Test {
 protected:
  void SetUp() override { write_synth(small_config(11), dir_.path().string()); }
  std::string train() const { return dir_.file("train.jsonl"); }
  test::TempDir dir_;
};

TEST_F(DataTeacher, SameSeedSameBytesOtherSeedOtherBytes) {
  TeacherConfig c;
  c.seed = 5;
  write_teacher(train(), dir_.file("a.jsonl"), c);
  write_teacher(train(), dir_.file("b.jsonl"), c);
  c.seed = 6;
  write_teacher(train(), dir_.file("c.jsonl"), c);
  EXPECT_EQ(read_file(dir_.file("a.jsonl")), read_file(dir_.file("b.jsonl")));
  EXPECT_NE(read_file(dir_.file("a.jsonl")), read_file(dir_.file("c.jsonl")));
}

TEST_F(DataTeacher, CorrectRateMatchesTheRequest) {
  for (double rate : {0.0, 0.3, 0.7, 1.0}) {
    TeacherConfig c;
    c.seed = 9;
    c.correct_rate = rate;
    const Taught t = teach(train(), c, dir_);
    ASSERT_EQ(t.lines.size(), 3 * t.items.size());
    long correct = 0;
    for (const Json& j : t.lines) correct += rewards::grade(j.at("text").get<std::string>(), truth_of(j)).correct;
    const double got = static_cast<double>(correct) / static_cast<double>(t.lines.size());
    EXPECT_NEAR(got, rate, 0.04) << "requested " << rate;
    EXPECT_EQ(t.stats.correct, correct);
  }
}

TEST_F(DataTeacher, TrajectoriesParseAndMatchTheirItems) {
  TeacherConfig c;
  c.seed = 2;
  const Taught t = teach(train(), c, dir_);
  int ties = 0, swaps = 0;
  for (size_t k = 0; k < t.lines.size(); ++k) {
    const Json& j = t.lines[k];
    const rewards::RmItem& item = t.items[k / 3];
    const int n = static_cast<int>(item.responses.size());
    EXPECT_EQ(j.at("id"), item.id);
    EXPECT_EQ(j.at("sample"), static_cast<int>(k % 3));
    EXPECT_EQ(j.at("num_responses"), n);
    EXPECT_FALSE(j.at("hinted").get<bool>());
    const auto order = j.at("order").get<rewards::Permutation>();
    rewards::check_permutation(order, n);
    if (n == 1) {
      EXPECT_EQ(j.at("label"), item.label);
      EXPECT_FALSE(j.contains("best"));
    } else {
      EXPECT_EQ(j.at("best"), rewards::displayed_position(order, item.best));
    }
    const std::string text = j.at("text").get<std::string>();
    const rewards::ScoreParse parse = rewards::parse_scores(text, n);
    ASSERT_TRUE(parse.ok()) << parse.reason << "\n" << text;
    EXPECT_EQ(static_cast<int>(parse.scores.size()), n);
    EXPECT_FALSE(parse.principles.empty()) << text;
    EXPECT_FALSE(parse.critique.empty()) << text;
    EXPECT_LE(text.size(), kMaxTrajectoryBytes) << text;
    // one critique line per response, in displayed order
    for (int p = 1; p <= n; ++p)
      EXPECT_NE(text.find(n == 1 ? "The response " : "Response " + std::to_string(p) + " "), std::string::npos) << text;
    // the prompt shows the query and the responses in the trajectory's order
    const std::string prompt = j.at("prompt").get<std::string>();
    EXPECT_NE(prompt.find(item.prompt.text), std::string::npos);
    EXPECT_NE(prompt.find(rewards::render_responses(item.responses, order)), std::string::npos);
    // weights of the generated principles add up to 100
    int weights = 0;
    static const std::regex weight("\\((\\d+)%\\)");
    for (auto it = std::sregex_iterator(parse.principles.begin(), parse.principles.end(), weight);
         it != std::sregex_iterator(); ++it)
      weights += std::stoi((*it)[1]);
    EXPECT_EQ(weights, 100) << parse.principles;
    if (n >= 2 && !rewards::is_correct(parse.scores, truth_of(j))) {
      const int b = j.at("best").get<int>();
      const int top = *std::max_element(parse.scores.begin(), parse.scores.end());
      (parse.scores[b] == top ? ties : swaps) += 1;
    }
  }
  EXPECT_GT(ties, 0);   // wrong trajectories are ties ...
  EXPECT_GT(swaps, 0);  // ... or swapped preferences
}

TEST_F(DataTeacher, CorrectTrajectoriesCiteTheTrueFinding) {
  TeacherConfig c;
  c.seed = 4;
  c.correct_rate = 1.0;
  c.samples = 1;
  const Taught t = teach(train(), c, dir_);
  const SynthData d = synthesize(small_config(11));
  for (size_t k = 0; k < t.lines.size(); ++k) {
    const std::string text = t.lines[k].at("text").get<std::string>();
    for (const std::string& r : t.items[k].responses)
      EXPECT_NE(text.find(check_response(d.train[k].at("task"), r).finding), std::string::npos) << text;
  }
}

TEST_F(DataTeacher, ModesGivenAndNoneWriteNoPrinciplesSection) {
  for (const auto mode : {PrincipleMode::none, PrincipleMode::given}) {
    TeacherConfig c;
    c.seed = 1;
    c.prompt.mode = mode;
    const Taught t = teach(train(), c, dir_);
    for (size_t k = 0; k < t.lines.size(); ++k) {
      const Json& j = t.lines[k];
      const std::string text = j.at("text").get<std::string>();
      const rewards::ScoreParse parse = rewards::parse_scores(text, j.at("num_responses").get<int>());
      ASSERT_TRUE(parse.ok()) << text;
      EXPECT_TRUE(parse.principles.empty()) << text;
      EXPECT_EQ(text.find("Principles"), std::string::npos) << text;
      EXPECT_EQ(text.rfind("Critique:\n", 0), 0u) << text;
      const std::string prompt = j.at("prompt").get<std::string>();
      const bool has_given = prompt.find(t.items[k / 3].principles) != std::string::npos;
      EXPECT_EQ(has_given, mode == PrincipleMode::given);
    }
  }
}

TEST_F(DataTeacher, ModesDifferOnlyInPrinciples) {
  TeacherConfig c;
  c.seed = 3;
  const Taught generated = teach(train(), c, dir_, "g.jsonl");
  c.prompt.mode = PrincipleMode::none;
  const Taught none = teach(train(), c, dir_, "n.jsonl");
  ASSERT_EQ(generated.lines.size(), none.lines.size());
  for (size_t k = 0; k < none.lines.size(); ++k) {
    const std::string g = generated.lines[k].at("text").get<std::string>();
    EXPECT_EQ(g.substr(g.find("Critique:\n")), none.lines[k].at("text").get<std::string>());
  }
}

TEST_F(DataTeacher, HintedPromptsNameTheBestResponse) {
  TeacherConfig c;
  c.seed = 8;
  c.samples = 1;
  c.hinted = true;
  c.correct_rate = 0.95;
  const Taught t = teach(train(), c, dir_);
  int shortcuts = 0;
  for (const Json& j : t.lines) {
    EXPECT_TRUE(j.at("hinted").get<bool>());
    const std::string prompt = j.at("prompt").get<std::string>();
    if (j.contains("best"))
      EXPECT_NE(prompt.find("found Response " + std::to_string(j.at("best").get<int>() + 1) + " to be the best"),
                std::string::npos);
    else
      EXPECT_NE(prompt.find(j.at("label") == 1 ? "found this response correct" : "found this response incorrect"),
                std::string::npos);
    shortcuts += j.at("text").get<std::string>().find("hint") != std::string::npos;
  }
  EXPECT_GT(shortcuts, 0);
  EXPECT_LT(shortcuts, static_cast<int>(t.lines.size()));
}

TEST_F(DataTeacher, BriefStyleGivesNamesWeightsAndVerdictsMatchingTheScores) {
  TeacherConfig c;
  c.seed = 8;
  c.style = TeacherStyle::brief;
  c.correct_rate = 0.7;
  const Taught t = teach(train(), c, dir_);
  long correct = 0;
  static const std::regex principle("^\\d+\\. [A-Za-z ]+ \\(\\d+%\\)\\.$");
  static const std::regex verdict("^(?:Response (\\d+)|The response): (right|close|wrong)\\.$");
  for (size_t k = 0; k < t.lines.size(); ++k) {
    const Json& j = t.lines[k];
    const int n = j.at("num_responses").get<int>();
    const std::string text = j.at("text").get<std::string>();
    const rewards::ScoreParse parse = rewards::parse_scores(text, n);
    ASSERT_TRUE(parse.ok()) << parse.reason << "\n" << text;
    correct += rewards::is_correct(parse.scores, truth_of(j));
    std::istringstream lines(text);
    int verdicts = 0;
    bool in_principles = false;
    for (std::string line; std::getline(lines, line);) {
      if (line == "Principles:") {
        in_principles = true;
        continue;
      }
      if (line == "Critique:") {
        in_principles = false;
        continue;
      }
      if (in_principles) {
        EXPECT_TRUE(std::regex_match(line, principle)) << line;
        continue;
      }
      std::smatch m;
      if (!std::regex_match(line, m, verdict)) continue;
      const int p = m[1].matched ? std::stoi(m[1]) - 1 : 0;
      const int score = parse.scores[static_cast<size_t>(p)];
      const std::string want = n == 1       ? (score == 1 ? "right" : "wrong")
                               : score >= 8 ? "right"
                               : score >= 4 ? "close"
                                            : "wrong";
      EXPECT_EQ(m[2].str(), want) << text;
      ++verdicts;
    }
    EXPECT_EQ(verdicts, n) << text;
    EXPECT_LT(text.size(), 200u) << text;
  }
  EXPECT_NEAR(static_cast<double>(correct) / static_cast<double>(t.lines.size()), 0.7, 0.05);
  EXPECT_THROW(parse_teacher_style("short"), Error);
  EXPECT_EQ(parse_teacher_style("brief"), TeacherStyle::brief);
}

// quote: the brief trajectory, each verdict after its response quoted verbatim, in displayed order.
TEST_F(DataTeacher, QuoteStyleQuotesEachResponseBeforeItsVerdict) {
  TeacherConfig c;
  c.seed = 9;
  c.samples = 2;
  c.style = TeacherStyle::quote;
  const Taught t = teach(train(), c, dir_);
  ASSERT_EQ(t.lines.size(), 2 * t.items.size());
  static const std::regex verdict("^(?:Response (\\d+)|The response): \"(.*)\" (right|close|wrong)\\.$");
  for (size_t k = 0; k < t.lines.size(); ++k) {
    const Json& j = t.lines[k];
    const rewards::RmItem& item = t.items[k / 2];
    ASSERT_EQ(j.at("id").get<std::string>(), item.id);
    const int n = j.at("num_responses").get<int>();
    const auto order = j.at("order").get<std::vector<int>>();
    const std::string text = j.at("text").get<std::string>();
    const rewards::ScoreParse parse = rewards::parse_scores(text, n);
    ASSERT_TRUE(parse.ok()) << parse.reason << "\n" << text;
    std::istringstream lines(text);
    int verdicts = 0;
    for (std::string line; std::getline(lines, line);) {
      std::smatch m;
      if (!std::regex_match(line, m, verdict)) continue;
      const int p = m[1].matched ? std::stoi(m[1]) - 1 : 0;
      EXPECT_EQ(p, verdicts) << text;  // in displayed order
      EXPECT_EQ(m[2].str(), item.responses[static_cast<size_t>(order[static_cast<size_t>(p)])]) << text;
      const int score = parse.scores[static_cast<size_t>(p)];
      EXPECT_EQ(m[3].str(), n == 1       ? (score == 1 ? "right" : "wrong")
                            : score >= 8 ? "right"
                            : score >= 4 ? "close"
                                         : "wrong");
      ++verdicts;
    }
    EXPECT_EQ(verdicts, n) << text;
    EXPECT_LE(text.size(), kMaxTrajectoryBytes) << text;
  }
  EXPECT_EQ(parse_teacher_style("quote"), TeacherStyle::quote);
}

TEST_F(DataTeacher, ItemsWithoutATaskAreAnErrorNamingTheLine) {
  const std::string path = dir_.file("plain.jsonl");
  write_file_atomic(path, [](std::ostream& o) {
    o << R"({"prompt": "What is 1 + 1?", "chosen": "2", "rejected": "3"})"
      << "\n";
  });
  try {
    write_teacher(path, dir_.file("t.jsonl"), TeacherConfig{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("plain.jsonl:1: field 'task'"), std::string::npos) << e.what();
  }
}

TEST_F(DataTeacher, WrongLabelsAreAnError) {
  const std::string path = dir_.file("bad.jsonl");
  write_file_atomic(path, [](std::ostream& o) {
    o << R"({"prompt": "What is 1 + 1?", "chosen": "3", "rejected": "2",)"
      << R"( "task": {"domain": "arithmetic", "op": "+", "a": 1, "b": 1}})"
      << "\n";
  });
  EXPECT_THROW(write_teacher(path, dir_.file("t.jsonl"), TeacherConfig{}), Error);
}

// ---- the command --------------------------------------------------------------------------
using CliResult = test::CommandResult;
CliResult run(const std::string& args) { return test::run_spct(args); }

TEST(DataCli, SynthThenTeacherThenReward) {
  if (!std::filesystem::exists(SPCT_BINARY)) GTEST_SKIP() << "no spct binary at " << SPCT_BINARY;
  test::TempDir dir;
  CliResult r = run("data synth --out " + dir.file("d") + " --seed 3 --train 50 --test 20 --general 10");
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("data teacher --data " + dir.file("d/train.jsonl") + " --out " + dir.file("t.jsonl") +
          " --seed 1 --correct-rate 1 --samples 2 --mode given");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("100 trajectories, 100 correct"), std::string::npos) << r.out;
  r = run("reward --input " + dir.file("t.jsonl") + " --output " + dir.file("r.jsonl"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("100 outputs, 100 correct, 0 malformed"), std::string::npos) << r.out;
  r = run("data teacher --data " + dir.file("d/train.jsonl") + " --out x --seed 1 --mode bogus");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("bogus"), std::string::npos) << r.out;
  r = run("data frobnicate");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("unknown subcommand 'frobnicate'"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace spct::data
