// Sizes and numbers that come from input are checked before they are used (issue 17): each case
// is what a careless user or a hostile file does, and must end in a clear error (naming the
// option, key or file) and a non-zero exit, before any memory is allocated or file written.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/hf_io.h"
#include "tests/test_util.h"
#include "trainer/checkpoint/checkpoint.h"

namespace spct::test {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

bool has(const CommandResult& r, const std::string& part) { return r.out.find(part) != std::string::npos; }

// Runs spct; the exit must be 1 and the output must hold `part`.
void expect_refused(const std::string& args, const std::string& part) {
  const CommandResult r = run_spct(args);
  EXPECT_EQ(r.code, 1) << args << "\n" << r.out;
  EXPECT_TRUE(has(r, part)) << args << "\nexpected: " << part << "\n" << r.out;
}

TEST(CliLimits, GenerateSampleCountIsCheckedAgainstMemory) {
  expect_refused("generate --model tiny --prompt-ids 1,2 --n 100000000 --max-new-tokens 1000",
                 "spct generate: --n 100000000 asks for 100000000 samples of up to 1000 tokens");
  TempDir tmp;
  write(tmp.path() / "req.jsonl",
        "{\"prompt_ids\": [1, 2]}\n{\"prompt_ids\": [3], \"n\": 100000000, \"max_new_tokens\": 1000}\n");
  expect_refused("generate --model tiny --input " + tmp.file("req.jsonl"),
                 tmp.file("req.jsonl") + ":2: field 'n' asks for 100000001 samples");
}

TEST(CliLimits, ConfigSizesAreCheckedAgainstTheWeightsAndMemory) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "llama";
  fs::copy(fixture_model("llama"), dir);
  auto config = nlohmann::json::parse(std::ifstream(dir / "config.json"));
  config["num_hidden_layers"] = 1000000000;
  write(dir / "config.json", config.dump());
  expect_refused("generate --model " + dir.string() + " --prompt-ids 1,2",
                 (dir / "config.json").string() +
                     ": field 'num_hidden_layers' is 1000000000 but the weight files hold 3 layer(s)");
  // Without weights (model.from_scratch) the same config is checked against the memory available.
  LoadOptions scratch;
  scratch.from_scratch = true;
  const std::string err = error_of([&] { load_model(dir.string(), scratch); });
  EXPECT_NE(err.find("num_hidden_layers 1000000000"), std::string::npos) << err;
  EXPECT_NE(err.find("GB of memory available"), std::string::npos) << err;
}

TEST(CliLimits, NegativeAndZeroCountsAreRefused) {
  const std::string bench = source_path("tests/fixtures/eval/mini_bench.jsonl");
  expect_refused("eval --model tiny --data " + bench + " --limit -1", "spct eval: --limit must be >= 0");
  for (const char* b : {"0", "-5"})
    expect_refused("judge --model tiny --input " + bench + " --batch-size " + b, "--batch-size must be >= 1");
}

TEST(CliLimits, ExportShardSizeMustBeAPositiveNumber) {
  TempDir tmp;
  for (const char* gb : {"-1", "nan", "0"}) {
    expect_refused("export --model tiny --out " + tmp.file("out") + " --max-shard-gb " + gb,
                   "spct export: --max-shard-gb must be a number in (0, 1e9)");
    EXPECT_FALSE(fs::exists(tmp.path() / "out")) << gb;
  }
}

TEST(CliLimits, ConfigNumbersBeyondFloat32AndDirectoriesAreRefused) {
  TempDir tmp;
  write(tmp.path() / "c.yaml", "run_dir: r\nsft:\n  lr: 1e300\n");
  expect_refused("run " + tmp.file("c.yaml") + " --print-config",
                 tmp.file("c.yaml") + ":3: 'sft.lr' expects a number within float32's range");
  expect_refused("run " + tmp.path().string() + "/", "config file '" + tmp.path().string() + "/' is a directory");
}

TEST(CliLimits, SamplingOptionsAreChecked) {
  expect_refused("generate --model tiny --prompt-ids 1,2 --max-new-tokens 5000",
                 "spct generate: --max-new-tokens: a prompt of 2 tokens plus 5000 new tokens exceeds the model's "
                 "max_position_embeddings (2048)");
  expect_refused("generate --model tiny --prompt-ids 1,2 --temperature inf", "--temperature must be a finite number");
  const std::string bench = source_path("tests/fixtures/eval/mini_bench.jsonl");
  expect_refused("judge --model tiny --input " + bench + " --temperature inf", "--temperature must be a finite number");
  expect_refused("judge --model tiny --input " + bench + " --max-new-tokens 4096",
                 "--max-new-tokens (4096) must be below the model's max_position_embeddings (2048)");
}

TEST(CliLimits, TeacherTaskOfTheWrongTypeNamesFileLineAndField) {
  TempDir tmp;
  write(tmp.path() / "d.jsonl", "{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"best\": 0, \"task\": 5}\n");
  expect_refused("data teacher --data " + tmp.file("d.jsonl") + " --out " + tmp.file("t.jsonl") + " --seed 1",
                 tmp.file("d.jsonl") + ":1: field 'task'");
  EXPECT_FALSE(fs::exists(tmp.path() / "t.jsonl"));
}

// A ZeRO checkpoint without one of its rank shards cannot resume: inspect says so (a warning,
// exit 0, the rest of the summary still printed).
TEST(CliLimits, InspectWarnsOfAMissingZeroShard) {
  TempDir tmp;
  auto model = load_model("tiny", {});
  CheckpointState s;
  s.step = 3;
  s.stage = "sft";
  for (const auto& [name, p] : model->parameters()) s.params.emplace_back(name, p.detach().clone());
  s.model_config_json = model->config().to_hf_json("float32").dump();
  s.optimizer_shards = 2;
  for (int rank : {0, 1}) save_optimizer_shard(tmp.path().string(), 3, rank, {{"exp_avg.x", at::zeros({2})}});
  save_checkpoint(tmp.path().string(), s, 0);
  fs::remove(checkpoint_shard_path(tmp.path().string(), 3, 1));  // lost after the save
  const CommandResult r = run_spct("inspect " + checkpoint_path(tmp.path().string(), 3));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(has(r, "WARNING: missing " + checkpoint_shard_path(tmp.path().string(), 3, 1))) << r.out;
  EXPECT_FALSE(has(r, "missing " + checkpoint_shard_path(tmp.path().string(), 3, 0))) << r.out;
}

}  // namespace
}  // namespace spct::test
