// `spct tokenize` end to end: the printed ids equal the HF fixture's, --decode inverts them,
// --chat renders the template, and errors exit non-zero naming the file.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace {

const std::string kFixtures = std::string(SPCT_SOURCE_DIR) + "/tests/fixtures/tokenizers";

struct Result {
  int status;
  std::string out;
};

Result run(const std::string& args) {
  std::string cmd = std::string(SPCT_BINARY) + " tokenize " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  return {pclose(pipe), out};
}

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
    EXPECT_EQ(r.status, 0) << r.out;
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
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, joined(item["ids"].get<std::vector<int32_t>>()));
  }
}

TEST(TokenizeCommand, ErrorsNameTheFile) {
  Result r = run("--tokenizer /nonexistent/dir --text x");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("/nonexistent/dir/tokenizer.json"), std::string::npos) << r.out;
  Result f = run("--tokenizer " + kFixtures + "/llama3 --file /nonexistent/input.txt");
  EXPECT_NE(f.status, 0);
  EXPECT_NE(f.out.find("/nonexistent/input.txt"), std::string::npos) << f.out;
}

}  // namespace
