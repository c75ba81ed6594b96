// `spct reward` logic (rewards/rules/reward_jsonl.h) against a hand-checked golden file, its errors, and
// (when the binary is built) the command itself.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "rewards/rules/reward_jsonl.h"
#include "tests/test_util.h"

namespace spct::rewards {
namespace {

const std::string kFixtures = std::string(SPCT_SOURCE_DIR) + "/tests/fixtures/rewards/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string error_of(const std::string& jsonl) {
  std::istringstream in(jsonl);
  std::ostringstream out;
  try {
    score_jsonl(in, out, "t.jsonl");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Golden: a ok, b tie, c out of range, d last box wins and a stale "error" is dropped,
// e single correct, f single wrong, g no box. Rewards +1 -1 -1 +1 +1 -1 -1 -> mean -1/7.
TEST(RewardJsonl, MatchesGoldenFile) {
  std::ifstream in(kFixtures + "grm_outputs.jsonl");
  std::ostringstream out;
  RewardSummary s = score_jsonl(in, out, "grm_outputs.jsonl");
  EXPECT_EQ(out.str(), slurp(kFixtures + "grm_outputs.expected.jsonl"));
  EXPECT_EQ(s.count, 7);
  EXPECT_EQ(s.correct, 3);
  EXPECT_EQ(s.malformed, 2);
  EXPECT_DOUBLE_EQ(s.mean_reward, -1.0 / 7.0);
  EXPECT_EQ(format_summary(s), "7 outputs, 3 correct, 2 malformed, mean reward -0.143");
}

TEST(RewardJsonl, EmptyInput) {
  std::istringstream in("\n\n");
  std::ostringstream out;
  RewardSummary s = score_jsonl(in, out, "t.jsonl");
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.mean_reward, 0.0);
  EXPECT_EQ(out.str(), "");
}

TEST(RewardJsonl, BadLinesNameFileLineField) {
  EXPECT_EQ(
      error_of(
          "{\"text\": \"x\", \"num_responses\": 2, \"best\": 0}\n{\"text\": \"x\", \"num_responses\": 2, \"best\": 2}"),
      "t.jsonl:2: field 'best': 2 is out of range for 2 responses");
  EXPECT_EQ(error_of(R"({"text": "x", "label": 2})"),
            "t.jsonl:1: field 'label': a single response needs label 0 or 1, got 2");
  EXPECT_EQ(error_of(R"({"num_responses": 2, "best": 0})"), "t.jsonl:1: field 'text': missing or not a string");
  EXPECT_EQ(error_of(R"({"text": "x", "best": 0})"),
            "t.jsonl:1: field 'num_responses': missing (or give 'label' for a single response)");
  EXPECT_EQ(error_of(R"({"text": "x", "num_responses": 2})"), "t.jsonl:1: field 'best': missing");
  EXPECT_EQ(error_of(R"({"text": "x", "num_responses": 1, "best": 0})"),
            "t.jsonl:1: field 'label': missing (a single response is judged by its 0/1 label)");
  EXPECT_EQ(error_of(R"({"text": "x", "num_responses": 2, "label": 1})"),
            "t.jsonl:1: field 'num_responses': 'label' is for a single response, so it must be 1");
  EXPECT_EQ(error_of(R"({"text": "x", "num_responses": "2", "best": 0})"),
            "t.jsonl:1: field 'num_responses': expected an integer, got \"2\"");
  EXPECT_EQ(error_of("not json").rfind("t.jsonl:1: invalid JSON: ", 0), 0u);
}

TEST(RewardJsonl, InvalidUtf8InReasonIsReplacedNotThrown) {
  // JSON escapes give the parser a byte sequence that is valid JSON text but whose quoted entry
  // could be cut; the writer must never throw on it.
  std::istringstream in(
      "{\"text\": "
      "\"\\\\boxed{\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9, 1}\", "
      "\"num_responses\": 2, \"best\": 0}\n");
  std::ostringstream out;
  EXPECT_NO_THROW(score_jsonl(in, out, "t.jsonl"));
  EXPECT_NE(out.str().find("not_integer"), std::string::npos);
}

// The command itself, when the full build produced it.
TEST(RewardCli, WritesOutputAtomicallyAndFailsOnBadInput) {
  const std::string binary = SPCT_BINARY;
  if (!std::filesystem::exists(binary)) GTEST_SKIP() << binary << " not built";
  const test::TempDir dir;
  const std::string out = dir.file("out.jsonl");
  const std::string cmd = binary + " reward --input " + kFixtures + "grm_outputs.jsonl --output " + out;
  ASSERT_EQ(std::system((cmd + " 2>/dev/null").c_str()), 0) << cmd;
  EXPECT_EQ(slurp(out), slurp(kFixtures + "grm_outputs.expected.jsonl"));

  // A bad line: non-zero exit, the previous output untouched, no temporary file left behind.
  const std::string bad = binary + " reward --input " + kFixtures + "grm_bad_label.jsonl --output " + out;
  EXPECT_NE(std::system((bad + " 2>/dev/null").c_str()), 0);
  EXPECT_EQ(slurp(out), slurp(kFixtures + "grm_outputs.expected.jsonl"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

}  // namespace
}  // namespace spct::rewards
