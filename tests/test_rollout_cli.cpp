// `spct generate` with JSONL in and out: one result line per sample, n samples per request,
// per-request sampling fields, and malformed lines rejected with file, line and field.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "tests/test_util.h"

namespace spct {
namespace {

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

std::vector<nlohmann::json> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(GenerateCli, JsonlInAndOut) {
  test::TempDir dir;
  const std::string in =
      write(dir, "req.jsonl",
            "{\"id\": \"a\", \"prompt\": \"hello\", \"n\": 3, \"temperature\": 0.8, \"max_new_tokens\": 5}\n"
            "\n"
            "{\"prompt_ids\": [5, 6, 7], \"temperature\": 0, \"max_new_tokens\": 4, \"stop\": [\"zz\"]}\n");
  const std::string out = dir.file("out.jsonl");
  auto r = test::run_spct("generate --model tiny --input " + in + " --output " + out + " --seed 3");
  ASSERT_EQ(r.code, 0) << r.out;
  auto lines = read_lines(out);
  ASSERT_EQ(lines.size(), 4u);
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(lines[j]["id"], "a");
    EXPECT_EQ(lines[j]["sample"], j);
    EXPECT_EQ(lines[j]["finish_reason"], "length");
    EXPECT_EQ(lines[j]["tokens"].size(), 5u);
    EXPECT_EQ(lines[j]["logprobs"].size(), 5u);
    EXPECT_TRUE(lines[j]["text"].is_string());
  }
  EXPECT_EQ(lines[3]["id"], 1);
  EXPECT_EQ(lines[3]["prompt_tokens"], 3);
  EXPECT_EQ(lines[3]["tokens"].size(), 4u);
  // The same file again gives the same samples (seeded), and a greedy request alone the same tokens.
  auto again = test::run_spct("generate --model tiny --input " + in + " --output " + out + " --seed 3");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(read_lines(out), lines);
  auto alone = test::run_spct("generate --model tiny --prompt-ids 5,6,7 --max-new-tokens 4 --seed 3 --output " + out);
  ASSERT_EQ(alone.code, 0) << alone.out;
  EXPECT_EQ(read_lines(out)[0]["tokens"], lines[3]["tokens"]);
}

TEST(GenerateCli, MalformedLinesNameFileLineAndField) {
  test::TempDir dir;
  struct Case {
    std::string line, expect;
  };
  const std::vector<Case> cases = {
      {"{\"prompt\": \"x\", \"temperature\": \"hot\"}", ":2: field 'temperature': expected a number"},
      {"{\"prompt_ids\": [1, \"b\"]}", ":2: field 'prompt_ids'[1]: expected an integer"},
      {"{\"prompt\": \"x\", \"n\": 0}", ":2: field 'n': must be >= 1"},
      {"{\"prompt\": \"x\", \"temprature\": 1}", ":2: unknown field 'temprature'"},
      {"{\"n\": 2}", ":2: give exactly one of the fields 'prompt' and 'prompt_ids'"},
      {"{\"prompt\": \"x\", \"top_p\": 2}", ":2: sampling: top_p must be in (0, 1]"},
      {"{\"prompt\": \"x\", \"stop\": [\"\"]}", ":2: field 'stop': expected non-empty strings"},
      {"{\"prompt_ids\": [1, 99999]}", "prompt token 1 = 99999 is outside the vocabulary"},
      {"[1, 2]", ":2: expected a JSON object"},
  };
  for (const auto& c : cases) {
    const std::string in = write(dir, "bad.jsonl", "{\"prompt\": \"ok\"}\n" + c.line + "\n");
    auto r = test::run_spct("generate --model tiny --input " + in);
    EXPECT_NE(r.code, 0) << c.line;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.line << "\n" << r.out;
    if (c.expect[0] == ':') {
      EXPECT_NE(r.out.find(in + c.expect), std::string::npos) << r.out;
    }
  }
}

}  // namespace
}  // namespace spct
