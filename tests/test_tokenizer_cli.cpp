// `spct tokenize` end to end: the printed ids equal the HF fixture's, --decode inverts them,
// --chat renders the template, and errors exit non-zero naming the file.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace {

const std::string kFixtures = std::string(SPCT_SOURCE_DIR) + "/tests/fixtures/tokenizers";

using Result = spct::test::CommandResult;
Result run(const std::string& args) { return spct::test::run_spct("tokenize " + args); }

nlohmann::json cases(const std::string& name) {
  std::ifstream in(kFixtures + "/" + name + "/cases.json");
  return nlohmann::json::parse(in);
}

std::string joined(const std::vector<int32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? " " : "") + std::to_string(ids[i]);
  return s + "\n";
}

TEST(TokenizeCommand, EncodeAndDecode) {
  auto c = cases("llama3")["encode"];
  for (const auto& item : c) {
    if (item["text"] != "Hello world") continue;
    Result r = run("--tokenizer " + kFixtures + "/llama3 --text 'Hello world'");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, joined(item["ids_special"].get<std::vector<int32_t>>()));
    std::string ids = joined(item["ids_special"].get<std::vector<int32_t>>());
    ids.pop_back();
    Result d = run("--tokenizer " + kFixtures + "/llama3 --decode --skip-special --text '" + ids + "'");
    EXPECT_EQ(d.out, "Hello world\n");
  }
}

TEST(TokenizeCommand, Chat) {
  for (const auto& item : cases("qwen2")["chat"]) {
    if (item["messages"].size() != 1 || !item["add_generation_prompt"].get<bool>()) continue;
    Result r = run("--tokenizer " + kFixtures + "/qwen2 --chat --text '" + item["messages"].dump() + "'");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, joined(item["ids"].get<std::vector<int32_t>>()));
  }
}

TEST(TokenizeCommand, ErrorsNameTheFile) {
  Result r = run("--tokenizer /nonexistent/dir --text x");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("/nonexistent/dir/tokenizer.json"), std::string::npos) << r.out;
  Result f = run("--tokenizer " + kFixtures + "/llama3 --file /nonexistent/input.txt");
  EXPECT_NE(f.code, 0);
  EXPECT_NE(f.out.find("/nonexistent/input.txt"), std::string::npos) << f.out;
}

}  // namespace
