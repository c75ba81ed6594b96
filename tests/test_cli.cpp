// The spct executable as a user meets it: help, reserved commands, exit codes, error messages.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "tests/test_util.h"

namespace {

using Result = spct::test::CommandResult;
Result run(const std::string& args) { return spct::test::run_spct(args); }

TEST(Cli, HelpListsEveryCommand) {
  Result r = run("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* c : {"run", "sft", "rft", "grpo", "metarm", "eval", "judge", "reward", "data", "tokenize", "export",
                        "inspect", "generate"})
    EXPECT_NE(r.out.find(std::string("  ") + c + " "), std::string::npos) << c << "\n" << r.out;
}

TEST(Cli, NoCommandAndUnknownCommandExit2) {
  EXPECT_EQ(run("").code, 2);
  Result r = run("frobnicate");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(Cli, TrainingCommandWithAMissingConfigNamesTheFile) {
  Result r = run("grpo /nonexistent/x.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("/nonexistent/x.yaml"), std::string::npos) << r.out;
  r = run("rft");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("no config"), std::string::npos) << r.out;
}

TEST(Cli, CommandHelpDocumentsOptions) {
  Result r = run("generate --help");
  EXPECT_EQ(r.code, 0);
  for (const char* o : {"--model", "--prompt", "--max-new-tokens", "--temperature", "--top-p", "--seed"})
    EXPECT_NE(r.out.find(o), std::string::npos) << o;
}

TEST(Cli, BadOptionIsAClearErrorWithExit1) {
  Result r = run("generate --model tiny --prompt hi --bogus 3");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("bogus"), std::string::npos) << r.out;
  r = run("generate --model /nonexistent/dir --prompt-ids 1,2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("/nonexistent/dir"), std::string::npos) << r.out;
}

TEST(Cli, GenerateOnTinyModelIsDeterministic) {
  Result a = run("generate --model tiny --prompt 'Hello' --max-new-tokens 6 --temperature 1 --seed 3 --n 2");
  Result b = run("generate --model tiny --prompt 'Hello' --max-new-tokens 6 --temperature 1 --seed 3 --n 2");
  EXPECT_EQ(a.code, 0) << a.out;
  EXPECT_NE(a.out.find("[sample 1]"), std::string::npos) << a.out;
  EXPECT_EQ(a.out, b.out);
}

TEST(Cli, GenerateFromHfFixtureWithIds) {
  Result r = run("generate --model " + spct::test::fixture_model("llama") + " --prompt-ids 5,6,7 --max-new-tokens 4");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("finish=length tokens=4"), std::string::npos) << r.out;
}

TEST(Cli, ExportWritesAnHfDirectory) {
  spct::test::TempDir tmp;
  Result r = run("export --model " + spct::test::fixture_model("gemma2") + " --dtype bfloat16 --out " + tmp.file("g"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(tmp.file("g/config.json")));
  EXPECT_TRUE(std::filesystem::exists(tmp.file("g/model.safetensors")));
  r = run("export --model tiny --out " + tmp.file("g"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("not empty"), std::string::npos) << r.out;
}

}  // namespace

namespace {

std::string write_config(const spct::test::TempDir& tmp, const std::string& text) {
  const std::string path = tmp.file("c.yaml");
  FILE* f = fopen(path.c_str(), "w");
  fputs(text.c_str(), f);
  fclose(f);
  return path;
}

TEST(CliConfig, PrintConfigShowsResolvedValuesWithOverrides) {
  spct::test::TempDir tmp;
  const std::string cfg = write_config(tmp, "model:\n  path: tiny\nrollout:\n  temperature: 0.5\n");
  Result r = run("generate --config " + cfg + " --set rollout.top_p=0.9 --print-config");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("temperature: 0.5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("top_p: 0.9"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("path: tiny"), std::string::npos) << r.out;
}

TEST(CliConfig, UnknownKeyNamesKeyFileAndLine) {
  spct::test::TempDir tmp;
  const std::string cfg = write_config(tmp, "model:\n  path: tiny\nrollout:\n  temprature: 0.5\n");
  Result r = run("generate --config " + cfg + " --prompt hi");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find(cfg + ":4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rollout.temprature"), std::string::npos) << r.out;
}

TEST(CliConfig, WrongTypeInOverrideIsAnError) {
  spct::test::TempDir tmp;
  const std::string cfg = write_config(tmp, "model:\n  path: tiny\n");
  Result r = run("generate --config " + cfg + " --set rollout.max_new_tokens=many --prompt hi");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("rollout.max_new_tokens"), std::string::npos) << r.out;
}

TEST(CliConfig, ConfigDrivesGenerationAndFlagsOverrideIt) {
  spct::test::TempDir tmp;
  const std::string cfg = write_config(tmp, "model:\n  path: tiny\nrollout:\n  temperature: 0\n  max_new_tokens: 3\n");
  Result r = run("generate --config " + cfg + " --prompt hi");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("tokens=3"), std::string::npos) << r.out;
  r = run("generate --config " + cfg + " --prompt hi --max-new-tokens 5");
  EXPECT_NE(r.out.find("tokens=5"), std::string::npos) << r.out;
}

}  // namespace

namespace {

TEST(CliTokenizer, GenerateWithChatTemplateOnTinyModel) {
  Result r = run("generate --model tiny --prompt 'Which is better?' --chat --max-new-tokens 3");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("tokens=3"), std::string::npos) << r.out;
}

TEST(CliTokenizer, TokenizerWithALargerVocabularyThanTheModelIsRefused) {
  Result r = run("generate --model " + spct::test::fixture_model("llama") + " --prompt hello --tokenizer " +
                 spct::test::source_path("tests/fixtures/tokenizers/llama3"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("outside the vocabulary (320)"), std::string::npos) << r.out;
}

}  // namespace

namespace {

TEST(CliTokenizer, AnExportedTinyModelKeepsItsByteTokenizer) {
  spct::test::TempDir tmp;
  Result r = run("export --model tiny --out " + tmp.file("m"));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("generate --model " + tmp.file("m") + " --prompt hi --chat --max-new-tokens 2");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("tokens=2"), std::string::npos) << r.out;
}

}  // namespace
