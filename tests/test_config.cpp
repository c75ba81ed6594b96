// The typed YAML config: defaults, full parse, errors that name key, file and line, --set
// overrides, cross-field validation and the to_yaml round trip.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"

namespace spct {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/spct_test_config_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // The message of the spct::Error that loading `text` (as file `name`) throws; "" if none.
  std::string load_error(const std::string& name, const std::string& text,
                         const std::vector<std::string>& overrides = {}) {
    const std::string path = write(name, text);
    try {
      RunConfig::from_file(path, overrides);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  std::string dir_;
};

const char* kMinimal = "model:\n  path: tiny\n";

TEST_F(ConfigTest, DefaultsAndDerivedValues) {
  const RunConfig c = RunConfig::from_yaml_string(kMinimal, "min.yaml");
  EXPECT_EQ(c.origin, "min.yaml");
  EXPECT_EQ(c.run_dir, "runs/spct");
  EXPECT_EQ(c.seed, 1234);
  EXPECT_EQ(c.stages, (std::vector<Stage>{Stage::rft, Stage::grpo, Stage::metarm, Stage::eval}));
  EXPECT_EQ(c.model.path, "tiny");
  EXPECT_EQ(c.model.tokenizer, "tiny");  // defaults to the model path
  EXPECT_EQ(c.model.dtype, Dtype::float32);
  EXPECT_EQ(c.model.device, Device::cpu);
  EXPECT_EQ(c.model.chat_template, ChatTemplate::automatic);
  EXPECT_FALSE(c.model.activation_checkpointing);
  EXPECT_EQ(c.data.general_ratio, 0.0);
  EXPECT_TRUE(c.data.shuffle);
  EXPECT_EQ(c.rollout.seed, 1234);  // defaults to the top-level seed
  EXPECT_EQ(c.rollout.top_p, 1.0);
  EXPECT_EQ(c.rft.num_samples, 3);
  EXPECT_TRUE(c.rft.hinted);
  EXPECT_EQ(c.rft.hinted_samples, 1);
  EXPECT_EQ(c.rft.lr, 5e-6);
  EXPECT_EQ(c.rft.principle_mode, PrincipleMode::generate);
  EXPECT_EQ(c.grpo.group_size, 4);
  EXPECT_EQ(c.grpo.lr, 4e-7);
  EXPECT_EQ(c.grpo.kl_estimator, KlEstimator::k3);
  EXPECT_EQ(c.grpo.clip_eps, 0.2);
  EXPECT_EQ(c.grpo.clip_eps_high, 0.2);  // defaults to clip_eps
  EXPECT_EQ(c.grpo.loss_agg, LossAgg::token_mean);
  EXPECT_TRUE(c.grpo.scale_by_std);
  EXPECT_EQ(c.metarm.lr, 1e-5);
  EXPECT_EQ(c.eval.k, (std::vector<int>{1, 2, 4, 8}));
  EXPECT_EQ(c.eval.k_meta, 0);
  EXPECT_EQ(c.eval.temperature, 0.5);
  EXPECT_EQ(c.eval.seed, 1234);
  EXPECT_EQ(c.checkpoint.dir, "runs/spct/checkpoints");
  EXPECT_EQ(c.checkpoint.resume, "auto");
  EXPECT_EQ(c.logging.level, log::Level::info);
  EXPECT_EQ(c.logging.metrics_file, "runs/spct/metrics.jsonl");
}

TEST_F(ConfigTest, ParsesFullFile) {
  const std::string path = write("full.yaml", R"(run_dir: /scratch/run1
seed: 7
stages: [sft, rft, eval]
model:
  path: /models/gemma
  dtype: bfloat16
  device: cuda
  tokenizer: /models/tok
  chat_template: gemma
  activation_checkpointing: true
data:
  train: train.jsonl
  test: test.jsonl
  general_sft: chat.jsonl
  general_ratio: 0.85
  max_prompt_tokens: 4096
  max_response_tokens: 512
  shuffle: false
rollout: {temperature: 0.7, top_p: 0.95, top_k: 50, max_new_tokens: 256, memory_budget_gb: 40, max_batch_size: 16, seed: 3}
rft:
  num_samples: 5
  hinted: false
  hinted_samples: 2
  drop_too_easy: false
  trajectories: teacher.jsonl
  lr: 1e-5
  batch_size: 1024
  micro_batch_size: 8
  steps: 900
  warmup_steps: 20
  lr_schedule: cosine
  weight_decay: 0.1
  grad_clip: 0.5
  principle_mode: given
grpo:
  group_size: 8
  lr: 4.0e-7
  batch_size: 512
  micro_batch_size: 16
  steps: 100
  beta: 0.002
  kl_estimator: k1
  clip_eps: 0.2
  clip_eps_high: 0.28
  loss_agg: seq_mean
  scale_by_std: false
  drop_zero_variance: true
  updates_per_batch: 2
  warmup_steps: 5
  lr_schedule: cosine
  grad_clip: 0
  principle_mode: none
metarm: {lr: 2e-5, batch_size: 32, micro_batch_size: 32, steps: 10, samples_per_item: 4, holdout_fraction: 0.1}
eval: {k: [1, 32], k_meta: 8, temperature: 0.3, principle_modes: [generate, none], seed: 9}
checkpoint: {dir: /ckpt, every_steps: 50, keep_last: 0, resume: none}
logging: {level: debug, all_ranks: true, metrics_file: m.jsonl, progress: false}
)");
  const RunConfig c = RunConfig::from_file(path);
  EXPECT_EQ(c.run_dir, "/scratch/run1");
  EXPECT_EQ(c.seed, 7);
  EXPECT_EQ(c.stages, (std::vector<Stage>{Stage::sft, Stage::rft, Stage::eval}));
  EXPECT_EQ(c.model.path, "/models/gemma");
  EXPECT_EQ(c.model.dtype, Dtype::bfloat16);
  EXPECT_EQ(c.model.device, Device::cuda);
  EXPECT_EQ(c.model.tokenizer, "/models/tok");
  EXPECT_EQ(c.model.chat_template, ChatTemplate::gemma);
  EXPECT_TRUE(c.model.activation_checkpointing);
  EXPECT_EQ(c.data.train, "train.jsonl");
  EXPECT_EQ(c.data.test, "test.jsonl");
  EXPECT_EQ(c.data.general_sft, "chat.jsonl");
  EXPECT_EQ(c.data.general_ratio, 0.85);
  EXPECT_EQ(c.data.max_prompt_tokens, 4096);
  EXPECT_EQ(c.data.max_response_tokens, 512);
  EXPECT_FALSE(c.data.shuffle);
  EXPECT_EQ(c.rollout.temperature, 0.7);
  EXPECT_EQ(c.rollout.top_p, 0.95);
  EXPECT_EQ(c.rollout.top_k, 50);
  EXPECT_EQ(c.rollout.max_new_tokens, 256);
  EXPECT_EQ(c.rollout.memory_budget_gb, 40.0);
  EXPECT_EQ(c.rollout.max_batch_size, 16);
  EXPECT_EQ(c.rollout.seed, 3);
  EXPECT_EQ(c.rft.num_samples, 5);
  EXPECT_FALSE(c.rft.hinted);
  EXPECT_EQ(c.rft.hinted_samples, 2);
  EXPECT_FALSE(c.rft.drop_too_easy);
  EXPECT_EQ(c.rft.trajectories, "teacher.jsonl");
  EXPECT_EQ(c.rft.lr, 1e-5);
  EXPECT_EQ(c.rft.batch_size, 1024);
  EXPECT_EQ(c.rft.micro_batch_size, 8);
  EXPECT_EQ(c.rft.warmup_steps, 20);
  EXPECT_EQ(c.rft.lr_schedule, LrSchedule::cosine);
  EXPECT_EQ(c.rft.weight_decay, 0.1);
  EXPECT_EQ(c.rft.grad_clip, 0.5);
  EXPECT_EQ(c.rft.principle_mode, PrincipleMode::given);
  EXPECT_EQ(c.grpo.group_size, 8);
  EXPECT_EQ(c.grpo.lr, 4e-7);
  EXPECT_EQ(c.grpo.batch_size, 512);
  EXPECT_EQ(c.grpo.steps, 100);
  EXPECT_EQ(c.grpo.beta, 0.002);
  EXPECT_EQ(c.grpo.kl_estimator, KlEstimator::k1);
  EXPECT_EQ(c.grpo.clip_eps_high, 0.28);
  EXPECT_EQ(c.grpo.loss_agg, LossAgg::seq_mean);
  EXPECT_FALSE(c.grpo.scale_by_std);
  EXPECT_TRUE(c.grpo.drop_zero_variance);
  EXPECT_EQ(c.grpo.updates_per_batch, 2);
  EXPECT_EQ(c.grpo.grad_clip, 0.0);
  EXPECT_EQ(c.grpo.principle_mode, PrincipleMode::none);
  EXPECT_EQ(c.metarm.lr, 2e-5);
  EXPECT_EQ(c.metarm.micro_batch_size, 32);
  EXPECT_EQ(c.metarm.samples_per_item, 4);
  EXPECT_EQ(c.metarm.holdout_fraction, 0.1);
  EXPECT_EQ(c.eval.k, (std::vector<int>{1, 32}));
  EXPECT_EQ(c.eval.k_meta, 8);
  EXPECT_EQ(c.eval.temperature, 0.3);
  EXPECT_EQ(c.eval.principle_modes, (std::vector<PrincipleMode>{PrincipleMode::generate, PrincipleMode::none}));
  EXPECT_EQ(c.eval.seed, 9);
  EXPECT_EQ(c.checkpoint.dir, "/ckpt");
  EXPECT_EQ(c.checkpoint.every_steps, 50);
  EXPECT_EQ(c.checkpoint.keep_last, 0);
  EXPECT_EQ(c.checkpoint.resume, "none");
  EXPECT_EQ(c.logging.level, log::Level::debug);
  EXPECT_TRUE(c.logging.all_ranks);
  EXPECT_EQ(c.logging.metrics_file, "m.jsonl");
  EXPECT_FALSE(c.logging.progress);
}

TEST_F(ConfigTest, UnknownKeyNamesKeyFileAndLine) {
  const std::string text = "model:\n  path: tiny\n\ngrpo:\n  group_size: 4\n  # a comment\n  betta: 0.1\n";
  const std::string path = dir_ + "/x.yaml";
  EXPECT_EQ(load_error("x.yaml", text), path + ":7: unknown key 'grpo.betta' (did you mean 'grpo.beta'?)");
  EXPECT_EQ(load_error("two.yaml", "model: {path: tiny}\nzeta: 1\nalpha: 2\n"),
            dir_ + "/two.yaml:2: unknown key 'zeta'");  // the first in the file, not in name order
  EXPECT_EQ(load_error("top.yaml", "model: {path: tiny}\nlearning_rate: 1\n"),
            dir_ + "/top.yaml:2: unknown key 'learning_rate'");
  EXPECT_EQ(load_error("sec.yaml", "model: {path: tiny}\ntrainer: {lr: 1}\n"),
            dir_ + "/sec.yaml:2: unknown key 'trainer'");
}

TEST_F(ConfigTest, WrongTypesNameKeyFileAndLine) {
  const std::string p = dir_ + "/t.yaml";
  EXPECT_EQ(load_error("t.yaml", "model: {path: tiny}\ngrpo:\n  group_size: four\n"),
            p + ":3: 'grpo.group_size' expects an integer, got 'four'");
  EXPECT_EQ(load_error("t.yaml", "model: {path: tiny}\ngrpo:\n  group_size: 2.5\n"),
            p + ":3: 'grpo.group_size' expects an integer, got '2.5'");
  EXPECT_EQ(load_error("t.yaml", "model: {path: tiny}\nrft:\n  lr: \"1e-5\"\n"),
            p + ":3: 'rft.lr' expects a number, got the string '1e-5'");
  EXPECT_EQ(load_error("t.yaml", "model: {path: tiny}\ndata:\n  shuffle: 1\n"),
            p + ":3: 'data.shuffle' expects true or false, got '1'");
  EXPECT_EQ(load_error("t.yaml", "model: {path: tiny}\neval:\n  k: 8\n"),
            p + ":3: 'eval.k' expects a list, e.g. [1, 2], got '8'");
  EXPECT_EQ(load_error("t.yaml", "model: {path: tiny}\neval:\n  k: [1, 2.5]\n"),
            p + ":3: 'eval.k[1]' expects an integer, got '2.5'");
  EXPECT_EQ(load_error("t.yaml", "model: [tiny]\n"), p + ":1: 'model' expects a map, got a list");
  EXPECT_EQ(load_error("t.yaml", "model: {path: tiny}\nseed: 99999999999\n"),
            p + ":2: 'seed' expects an integer, got '99999999999'");
}

TEST_F(ConfigTest, BadEnumValueListsChoices) {
  const std::string p = dir_ + "/e.yaml";
  EXPECT_EQ(load_error("e.yaml", "model: {path: tiny}\ngrpo:\n  kl_estimator: k4\n"),
            p + ":3: 'grpo.kl_estimator' expects one of k1|k2|k3, got 'k4'");
  EXPECT_EQ(load_error("e.yaml", "stages: [rft, ppo]\nmodel: {path: tiny}\n"),
            p + ":1: 'stages[1]' expects one of sft|rft|grpo|metarm|eval, got 'ppo'");
}

TEST_F(ConfigTest, MissingRequiredKeyNamesKeyAndFile) {
  const std::string p = dir_ + "/r.yaml";
  EXPECT_EQ(load_error("r.yaml", "seed: 3\n"), p + ": missing required key 'model.path'");
  EXPECT_EQ(load_error("r.yaml", "model: {dtype: bfloat16}\n"), p + ": missing required key 'model.path'");
  // An override can supply it.
  EXPECT_EQ(RunConfig::from_yaml_string("", "(none)", {"model.path=tiny"}).model.path, "tiny");
}

TEST_F(ConfigTest, SetOverridesScalarsAndLists) {
  const std::string path = write("o.yaml", "model: {path: tiny}\ngrpo: {beta: 0.08}\neval: {k: [1, 2]}\n");
  const RunConfig c = RunConfig::from_file(path, {"grpo.beta=0.02", "eval.k=[1,2,4]", "model.dtype=bfloat16", "seed=5",
                                                  "grpo.beta=0.03", "rft.trajectories=", "logging={level: warn}"});
  EXPECT_EQ(c.grpo.beta, 0.03);  // applied in order, the last wins
  EXPECT_EQ(c.eval.k, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(c.model.dtype, Dtype::bfloat16);
  EXPECT_EQ(c.seed, 5);
  EXPECT_EQ(c.rollout.seed, 5);  // derived values follow the overrides
  EXPECT_EQ(c.rft.trajectories, "");
  EXPECT_EQ(c.logging.level, log::Level::warn);
}

TEST_F(ConfigTest, SetErrorsNameTheOverride) {
  EXPECT_EQ(load_error("s.yaml", kMinimal, {"grpo.betta=0.1"}),
            "--set grpo.betta: unknown key 'grpo.betta' (did you mean 'grpo.beta'?)");
  EXPECT_EQ(load_error("s.yaml", kMinimal, {"grpoo.beta=0.1"}),
            "--set grpoo.beta: unknown key 'grpoo' (did you mean 'grpo'?)");
  EXPECT_EQ(load_error("s.yaml", kMinimal, {"grpo.group_size=x"}),
            "--set grpo.group_size: 'grpo.group_size' expects an integer, got 'x'");
  EXPECT_EQ(load_error("s.yaml", kMinimal, {"grpo.beta"}), "--set grpo.beta: expected section.key=value");
  EXPECT_EQ(load_error("s.yaml", kMinimal, {"grpo.clip_eps=2"}),
            "--set grpo.clip_eps: grpo.clip_eps must be in (0, 1), got 2");
}

TEST_F(ConfigTest, CrossFieldInvariants) {
  const std::string p = dir_ + "/v.yaml";
  EXPECT_EQ(load_error("v.yaml", "model: {path: tiny}\nrft:\n  batch_size: 10\n  micro_batch_size: 4\n"),
            p + ":4: rft.micro_batch_size (4) must divide rft.batch_size (10)");
  EXPECT_EQ(load_error("v.yaml", "model: {path: tiny}\nrollout:\n  top_p: 0\n"),
            p + ":3: rollout.top_p must be in (0, 1], got 0");
  EXPECT_EQ(load_error("v.yaml", "model: {path: tiny}\ngrpo: {beta: -0.1}\n"),
            p + ":2: grpo.beta must be >= 0, got -0.1");
  EXPECT_EQ(load_error("v.yaml", "model: {path: tiny}\ngrpo:\n  clip_eps_high: 0.1\n"),
            p + ":3: grpo.clip_eps_high (0.1) must be >= grpo.clip_eps (0.2)");
  EXPECT_EQ(load_error("v.yaml", "model: {path: tiny}\nrollout: {temperature: -1}\n"),
            p + ":2: rollout.temperature must be >= 0, got -1");
  EXPECT_EQ(load_error("v.yaml", "stages: [grpo, rft]\nmodel: {path: tiny}\n"),
            p + ":1: stages must list each stage once, in the order sft|rft|grpo|metarm|eval; got "
                "'rft' after 'grpo'");
  // A ratio of general data needs a file to draw it from.
  EXPECT_EQ(load_error("v.yaml", "model: {path: tiny}\ndata: {general_ratio: 0.5}\n"),
            p + ":2: data.general_ratio is > 0 but data.general_sft is not set");
  // An invariant between two keys is located where either was set.
  EXPECT_EQ(load_error("v.yaml", "model: {path: tiny}\n", {"grpo.batch_size=6"}),
            "--set grpo.batch_size: grpo.micro_batch_size (4) must divide grpo.batch_size (6)");
  EXPECT_EQ(load_error("v.yaml", "model: {path: tiny}\n", {"grpo.group_size=3"}),
            "--set grpo.group_size: grpo.batch_size (64) must be a multiple of grpo.group_size (3)");
  EXPECT_EQ(load_error("v.yaml", "model: {path: tiny}\n", {"grpo.micro_batch_size=0"}),
            "--set grpo.micro_batch_size: grpo.micro_batch_size must be >= 1, got 0");
}

TEST_F(ConfigTest, YamlSyntaxAndDuplicateKeys) {
  const std::string p = dir_ + "/y.yaml";
  EXPECT_EQ(load_error("y.yaml", "model: {path: tiny}\nmodel: {path: other}\n"), p + ":2: duplicate key 'model'");
  const std::string syntax = load_error("y.yaml", "model:\n  path: [tiny\n");
  EXPECT_EQ(syntax.rfind(p + ":", 0), 0u) << syntax;
  EXPECT_NE(syntax.find("invalid YAML"), std::string::npos) << syntax;
  EXPECT_EQ(load_error("empty.yaml", ""), dir_ + "/empty.yaml: missing required key 'model.path'");
  try {
    RunConfig::from_file(dir_ + "/nope.yaml");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read config file '" + dir_ + "/nope.yaml'");
  }
}

// data.general_ratio: the paper mixes general data into RFT, so a run that names general data
// mixes a fifth by default; without general data there is nothing to mix. metarm.temperature
// follows eval.temperature unless set.
TEST_F(ConfigTest, DerivedGeneralRatioAndMetaRmTemperature) {
  EXPECT_EQ(RunConfig::from_yaml_string(kMinimal, "a.yaml").data.general_ratio, 0.0);
  RunConfig c = RunConfig::from_yaml_string(kMinimal, "a.yaml", {"data.general_sft=g.jsonl"});
  EXPECT_EQ(c.data.general_ratio, kDefaultGeneralRatio);
  EXPECT_EQ(c.data.general_ratio, 0.2);
  c = RunConfig::from_yaml_string(kMinimal, "a.yaml", {"data.general_sft=g.jsonl", "data.general_ratio=0"});
  EXPECT_EQ(c.data.general_ratio, 0.0);
  EXPECT_EQ(c.metarm.temperature, 0.5);  // eval.temperature's default
  c = RunConfig::from_yaml_string(kMinimal, "a.yaml", {"eval.temperature=0.7"});
  EXPECT_EQ(c.metarm.temperature, 0.7);
  c = RunConfig::from_yaml_string(kMinimal, "a.yaml", {"eval.temperature=0.7", "metarm.temperature=1.0"});
  EXPECT_EQ(c.metarm.temperature, 1.0);
  EXPECT_EQ(load_error("t.yaml", "model: {path: tiny}\nmetarm: {temperature: -2}\n"),
            dir_ + "/t.yaml:2: metarm.temperature must be >= 0 (-1 = eval.temperature), got -2");
}

TEST_F(ConfigTest, RoundTripThroughYaml) {
  const RunConfig a = RunConfig::from_yaml_string(
      kMinimal, "a.yaml",
      {"model.path=\"dir with: colon # and hash\"", "model.tokenizer=\"null\"", "run_dir=runs/x y",
       "checkpoint.resume=\"123\"", "grpo.lr=0.1", "grpo.beta=3.3333333333333335e-05", "rft.lr=1e-7",
       "rollout.temperature=0.30000000000000004", "eval.k=[3, 1]", "eval.principle_modes=[none, given]",
       "stages=[eval]", "logging.level=error", "grpo.clip_eps_high=0.28", "data.general_sft=c.jsonl",
       "data.general_ratio=0.85"});
  EXPECT_EQ(a.model.path, "dir with: colon # and hash");
  EXPECT_EQ(a.model.tokenizer, "null");
  EXPECT_EQ(a.checkpoint.dir, "runs/x y/checkpoints");
  const std::string yaml = to_yaml(a);
  const RunConfig b = RunConfig::from_yaml_string(yaml, "b.yaml");
  EXPECT_EQ(to_yaml(b), yaml);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(b.model.path, a.model.path);
  EXPECT_EQ(b.model.tokenizer, "null");
  EXPECT_EQ(b.run_dir, "runs/x y");
  EXPECT_EQ(b.data.test, "");
  EXPECT_EQ(b.checkpoint.resume, "123");
  EXPECT_EQ(b.grpo.lr, 0.1);
  EXPECT_EQ(b.grpo.beta, 1.0 / 30000);
  EXPECT_EQ(b.rft.lr, 1e-7);
  EXPECT_EQ(b.rollout.temperature, 0.1 + 0.2);
  EXPECT_EQ(b.eval.k, (std::vector<int>{3, 1}));
  EXPECT_EQ(b.eval.principle_modes, (std::vector<PrincipleMode>{PrincipleMode::none, PrincipleMode::given}));
  EXPECT_EQ(b.stages, std::vector<Stage>{Stage::eval});
  EXPECT_EQ(b.logging.level, log::Level::error);
  EXPECT_EQ(b.grpo.clip_eps_high, 0.28);
  // A field change is seen by ==.
  RunConfig c = b;
  c.grpo.beta = std::nextafter(c.grpo.beta, 1.0);
  EXPECT_FALSE(c == b);
  // Floats print as floats, lists in flow style.
  EXPECT_NE(yaml.find("  grad_clip: 1.0\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  k: [3, 1]\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  lr: 1.0e-07\n"), std::string::npos) << yaml;
}

TEST_F(ConfigTest, DefaultYamlFileMatchesBuiltInDefaults) {
  const RunConfig file = RunConfig::from_file(std::string(SPCT_SOURCE_DIR) + "/configs/default.yaml");
  const RunConfig builtin = RunConfig::from_yaml_string(kMinimal, "min.yaml");
  EXPECT_EQ(to_yaml(file), to_yaml(builtin));
}

TEST_F(ConfigTest, StageInputsAreRequiredPerStage) {
  const RunConfig c = RunConfig::from_yaml_string(kMinimal, "m.yaml", {"data.train=t.jsonl"});
  EXPECT_NO_THROW(require_stage_inputs(c, Stage::rft));
  EXPECT_NO_THROW(require_stage_inputs(c, Stage::grpo));
  try {
    require_stage_inputs(c, Stage::eval);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "m.yaml: data.test is required by stage 'eval'");
  }
}

}  // namespace
}  // namespace spct
