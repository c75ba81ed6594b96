// The trainer's guarantees (issue 6), proved end to end through the `spct` binary on the built-in
// tiny model and tiny synthetic data: a resumed stage equals an uninterrupted one bit for bit
// (parameters and metrics), a SIGKILLed run resumes to the same model, unusable newest checkpoints
// are skipped, one rank equals two, `spct run` runs and then skips every stage, and a config that
// cannot continue a checkpoint is refused. Rollouts are 8 tokens, so no judgment parses and every
// reward is -1: GRPO uses the k1 KL estimator, whose gradient is non-zero even at the reference.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/safetensors.h"
#include "trainer_runs.h"

namespace spct::test {
namespace {

// 1. Per stage: N steps, then resume to 2N, equals 2N uninterrupted: parameters bit for bit and
// the metrics of steps N+1..2N. Every compared step has a non-zero gradient, so the runs moved.
class TrainerResume : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainerResume, EqualsUninterrupted) {
  constexpr int N = 2;
  const std::string stage = GetParam();
  const std::string steps = stage + ".steps=";
  TempDir tmp;
  const fs::path a = tmp.path() / "a", b = tmp.path() / "b";
  const std::string ca = make_config(tmp, "a"), cb = make_config(tmp, "b");
  spct_ok({stage, ca, "--set", steps + std::to_string(2 * N)}, tmp.file("a.log"));
  spct_ok({stage, cb, "--set", steps + std::to_string(N)}, tmp.file("b1.log"));
  ASSERT_TRUE(fs::exists(b / "checkpoints" / stage / ("step_" + std::to_string(N) + ".h5")));
  fs::remove_all(b / stage / "model");  // the stage counts as done while its model exists
  const std::string log = spct_ok({stage, cb, "--set", steps + std::to_string(2 * N)}, tmp.file("b2.log"));
  EXPECT_TRUE(contains(log, "resumed from " + (b / "checkpoints" / stage / "step_2.h5").string() + " at step 2"))
      << log;

  expect_bitwise_equal(model_file(a, stage), model_file(b, stage));
  const auto ma = metrics_by_step(a / "metrics.jsonl", stage), mb = metrics_by_step(b / "metrics.jsonl", stage);
  ASSERT_EQ(ma.size(), 2u * N);
  ASSERT_EQ(mb.size(), 2u * N);
  for (int64_t step = N + 1; step <= 2 * N; ++step) {
    EXPECT_EQ(ma.at(step), mb.at(step)) << stage << " step " << step;
    EXPECT_GT(ma.at(step).at("grad_norm").get<double>(), 0) << stage << " step " << step << " did not train";
  }
}

INSTANTIATE_TEST_SUITE_P(Stages, TrainerResume, ::testing::Values("sft", "rft", "grpo", "metarm"),
                         [](const auto& info) { return info.param; });

// A single-stage command runs the stage whatever `stages` lists, so resuming it must not require
// the stage to be listed there either (a fresh run of the same config works).
TEST(TrainerResumeSingleStage, StageNotInStagesList) {
  TempDir tmp;
  const std::string config = make_config(tmp, "r", "[rft, grpo, metarm, eval]");
  spct_ok({"sft", config, "--set", "sft.steps=1"}, tmp.file("1.log"));
  fs::remove_all(tmp.path() / "r" / "sft" / "model");
  spct_ok({"sft", config, "--set", "sft.steps=2"}, tmp.file("2.log"));
}

// 2. `spct sft` SIGKILLed once its first checkpoint exists, then run again, ends with the model of
// an uninterrupted run.
TEST(TrainerKill, SigkillThenResumeEqualsUninterrupted) {
  TempDir tmp;
  const std::string steps = "sft.steps=8";
  const std::string ca = make_config(tmp, "a"), cb = make_config(tmp, "b");
  spct_ok({"sft", ca, "--set", steps}, tmp.file("a.log"));

  const fs::path first = tmp.path() / "b" / "checkpoints" / "sft" / "step_1.h5";
  const std::string log1 = tmp.file("b1.log");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = open(log1.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(SPCT_BINARY, SPCT_BINARY, "sft", cb.c_str(), "--set", steps.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  bool exited = false;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
       std::chrono::steady_clock::now() < until;) {
    if (fs::exists(first)) break;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
  }
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the run ended by itself before it could be killed; its output:\n"
      << read_text(log1);
  ASSERT_FALSE(fs::exists(tmp.path() / "b" / "sft" / "model")) << "killed after it finished";

  const std::string log = spct_ok({"sft", cb, "--set", steps}, tmp.file("b2.log"));
  EXPECT_TRUE(contains(log, "resumed from")) << log;
  expect_bitwise_equal(model_file(tmp.path() / "a", "sft"), model_file(tmp.path() / "b", "sft"));
}

// 2b. A truncated newest checkpoint and a leftover temporary of a later one are skipped: the run
// resumes from the newest good checkpoint and still ends with the uninterrupted run's model.
TEST(TrainerKill, UnusableNewestCheckpointFallsBack) {
  TempDir tmp;
  const std::string ca = make_config(tmp, "a"), cb = make_config(tmp, "b");
  spct_ok({"sft", ca, "--set", "sft.steps=5"}, tmp.file("a.log"));
  spct_ok({"sft", cb, "--set", "sft.steps=3"}, tmp.file("b1.log"));
  const fs::path dir = tmp.path() / "b" / "checkpoints" / "sft";
  fs::remove_all(tmp.path() / "b" / "sft" / "model");
  fs::resize_file(dir / "step_3.h5", fs::file_size(dir / "step_3.h5") / 2);
  fs::copy_file(dir / "step_2.h5", dir / "step_4.h5.tmp");
  fs::resize_file(dir / "step_4.h5.tmp", 1000);

  const std::string log = spct_ok({"sft", cb, "--set", "sft.steps=5"}, tmp.file("b2.log"));
  EXPECT_TRUE(contains(log, "skipping unusable checkpoint")) << log;
  EXPECT_TRUE(contains(log, "resumed from " + (dir / "step_2.h5").string() + " at step 2")) << log;
  expect_bitwise_equal(model_file(tmp.path() / "a", "sft"), model_file(tmp.path() / "b", "sft"));
}

// 2c. A run killed after logging steps past its newest checkpoint repeats those steps on resume;
// the metrics file must still hold one line per step (here: killed in step 4 of an every-2-steps
// run, after step 3 was logged; the final checkpoint of step 3 is removed to get that state).
TEST(TrainerKill, MetricsHaveOneLinePerStepAfterResume) {
  TempDir tmp;
  const std::string config = make_config(tmp, "r");
  const fs::path run = tmp.path() / "r";
  spct_ok({"sft", config, "--set", "sft.steps=3", "--set", "checkpoint.every_steps=2"}, tmp.file("1.log"));
  fs::remove(run / "checkpoints" / "sft" / "step_3.h5");
  fs::remove_all(run / "sft" / "model");
  spct_ok({"sft", config, "--set", "sft.steps=4", "--set", "checkpoint.every_steps=2"}, tmp.file("2.log"));
  EXPECT_EQ(metrics_by_step(run / "metrics.jsonl", "sft").size(), 4u);
}

// 3. One rank and two ranks under mpirun, same global batch (micro-batches 2 and 1), give the same
// parameters within fp32 tolerance and the same metrics. Registered with label dist
// (tests/trainer.cmake). SFT runs at lr 1e-4: Adam's first updates are about lr * sign(g), so the
// rounding of different micro-batch shapes moves a weight by a fraction of lr (1.2e-5 at lr 1e-3,
// with step losses equal to 1e-7).
class TrainerDist : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainerDist, OneRankEqualsTwo) {
  const std::string stage = GetParam();
  TempDir tmp;
  const std::string c1 = make_config(tmp, "np1"), c2 = make_config(tmp, "np2");
  const std::string mpirun = std::string(SPCT_MPIEXEC) + " --oversubscribe -np ";
  // GRPO: 2 queries of 2 judgments a step, so each of two ranks has one query.
  std::vector<std::string> keys = {"--set", "sft.steps=3", "--set", "sft.lr=1.0e-4"};
  if (stage == "grpo") keys = {"--set", "grpo.steps=2", "--set", "grpo.batch_size=4"};
  auto with = [&](const std::string& config, const std::string& micro) {
    std::vector<std::string> args = {stage, config, "--set", stage + ".micro_batch_size=" + micro};
    args.insert(args.end(), keys.begin(), keys.end());
    return args;
  };
  spct_ok(with(c1, "2"), tmp.file("np1.log"), mpirun + "1 ");
  spct_ok(with(c2, stage == "grpo" ? "2" : "1"), tmp.file("np2.log"), mpirun + "2 ");
  EXPECT_TRUE(contains(read_text(tmp.file("np2.log")), "2 rank(s)")) << read_text(tmp.file("np2.log"));
  EXPECT_LE(max_abs_diff(model_file(tmp.path() / "np1", stage), model_file(tmp.path() / "np2", stage)), 1e-5);
  const auto m1 = metrics_by_step(tmp.path() / "np1" / "metrics.jsonl", stage);
  const auto m2 = metrics_by_step(tmp.path() / "np2" / "metrics.jsonl", stage);
  ASSERT_EQ(m1.size(), m2.size());
  for (const auto& [step, line] : m1) {
    EXPECT_GT(line.at("grad_norm").get<double>(), 0) << stage << " step " << step << " did not train";
    for (const auto& [key, value] : line.items()) {
      if (!value.is_number()) continue;
      const double x = value.get<double>(), y = m2.at(step).at(key).get<double>();
      EXPECT_NEAR(x, y, 1e-5 * std::max(1.0, std::abs(x))) << stage << " step " << step << " " << key;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stages, TrainerDist, ::testing::Values("sft", "grpo"),
                         [](const auto& info) { return info.param; });

// 3a. <stage>.packing with a token budget gives the parameters and metrics of the padded run
// (float32 rounding of other matmul shapes aside): SFT over 4 steps, GRPO over one step (later
// rollouts would sample from policies differing by that rounding). train_tokens differs by design:
// packed batches run real tokens only.
class TrainerPacking : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainerPacking, PackedEqualsPadded) {
  const std::string stage = GetParam();
  TempDir tmp;
  const std::string padded = make_config(tmp, "padded"), packed = make_config(tmp, "packed");
  std::vector<std::string> keys = {"--set", "sft.lr=1.0e-4"};
  if (stage == "grpo") keys = {"--set", "grpo.steps=1"};
  auto with = [&](const std::string& config, bool pack) {
    std::vector<std::string> args = {stage, config};
    args.insert(args.end(), keys.begin(), keys.end());
    if (pack) args.insert(args.end(), {"--set", stage + ".packing=true", "--set", stage + ".micro_batch_tokens=600"});
    return args;
  };
  spct_ok(with(padded, false), tmp.file("padded.log"));
  spct_ok(with(packed, true), tmp.file("packed.log"));
  EXPECT_LE(max_abs_diff(model_file(tmp.path() / "padded", stage), model_file(tmp.path() / "packed", stage)), 1e-5);
  const auto a = metrics_by_step(tmp.path() / "padded" / "metrics.jsonl", stage);
  const auto b = metrics_by_step(tmp.path() / "packed" / "metrics.jsonl", stage);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [step, line] : a)
    for (const auto& [key, value] : line.items()) {
      if (!value.is_number() || key == "train_tokens") continue;
      const double x = value.get<double>(), y = b.at(step).at(key).get<double>();
      EXPECT_NEAR(x, y, 1e-5 * std::max(1.0, std::abs(x))) << stage << " step " << step << " " << key;
    }
}

INSTANTIATE_TEST_SUITE_P(Stages, TrainerPacking, ::testing::Values("sft", "grpo"),
                         [](const auto& info) { return info.param; });

// 3b. ZeRO-1 (optim.zero_stage 1) under mpirun -np 2: the same parameters as the replicated
// optimizer; one optimizer shard file per rank; resume (N, then 2N) equals 2N uninterrupted bit
// for bit; and the 2-rank checkpoint resumes on one rank (re-sharded). Label dist.
struct ZeroRun {
  TempDir tmp;
  std::string mpirun = std::string(SPCT_MPIEXEC) + " --oversubscribe -np ";
  // sft at lr 1e-4 (see TrainerDist), micro-batch 1 on each of two ranks.
  fs::path run(const std::string& name, int np, int zero, int steps, const std::string& micro = "1") {
    const std::string config = make_config(tmp, name);
    spct_ok({"sft", config, "--set", "sft.steps=" + std::to_string(steps), "--set", "sft.lr=1.0e-4", "--set",
             "sft.micro_batch_size=" + micro, "--set", "optim.zero_stage=" + std::to_string(zero)},
            tmp.file(name + "_" + std::to_string(steps) + "_np" + std::to_string(np) + ".log"),
            mpirun + std::to_string(np) + " ");
    return tmp.path() / name;
  }
};

TEST(TrainerZero, ShardedEqualsReplicated) {
  ZeroRun z;
  const fs::path rep = z.run("rep", 2, 0, 3), zero = z.run("zero", 2, 1, 3);
  EXPECT_LE(max_abs_diff(model_file(rep, "sft"), model_file(zero, "sft")), 1e-6);
  const fs::path ckpt = zero / "checkpoints" / "sft";
  EXPECT_TRUE(fs::exists(ckpt / "step_3.rank0.h5") && fs::exists(ckpt / "step_3.rank1.h5"));
  EXPECT_FALSE(fs::exists(rep / "checkpoints" / "sft" / "step_3.rank0.h5"));
  const auto ma = metrics_by_step(rep / "metrics.jsonl", "sft"), mb = metrics_by_step(zero / "metrics.jsonl", "sft");
  ASSERT_EQ(ma.size(), 3u);
  for (const auto& [step, line] : ma) EXPECT_EQ(line, mb.at(step)) << "step " << step;
}

TEST(TrainerZero, ResumeEqualsUninterruptedAndReshards) {
  ZeroRun z;
  const fs::path a = z.run("a", 2, 1, 4);
  const fs::path b = z.run("b", 2, 1, 2);
  fs::remove_all(b / "sft" / "model");
  z.run("b", 2, 1, 4);
  expect_bitwise_equal(model_file(a, "sft"), model_file(b, "sft"));
  EXPECT_TRUE(contains(read_text(z.tmp.file("b_4_np2.log")), "resumed from")) << read_text(z.tmp.file("b_4_np2.log"));

  // The same 2-rank checkpoint of step 2 continued on one rank (micro-batch 2, the same global
  // batch): the optimizer state is re-sharded from 2 shards, and the result matches the 2-rank
  // run within the fp32 tolerance of TrainerDist.
  const fs::path c = z.run("c", 2, 1, 2);
  fs::remove_all(c / "sft" / "model");
  z.run("c", 1, 1, 4, "2");
  const std::string log = read_text(z.tmp.file("c_4_np1.log"));
  EXPECT_TRUE(contains(log, "re-sharding optimizer state from 2 shard(s) to 1")) << tail(log);
  EXPECT_LE(max_abs_diff(model_file(a, "sft"), model_file(c, "sft")), 1e-5);
}

// 3c. A non-finite gradient: by default the run stops naming the step; with optim.skip_nonfinite
// the update is skipped and counted, and the run finishes. An lr of 1e30 poisons the weights at the
// first update, so every later step's gradient is non-finite.
TEST(TrainerNonFinite, StopsByDefaultSkipsWhenConfigured) {
  TempDir tmp;
  const std::string config = make_config(tmp, "r");
  const Result stop =
      run_command("", {"sft", config, "--set", "sft.steps=3", "--set", "sft.lr=1.0e30"}, tmp.file("stop.log"));
  EXPECT_NE(stop.rc, 0);
  EXPECT_TRUE(contains(stop.log, "sft step 2: gradient norm is not finite")) << tail(stop.log);
  fs::remove_all(tmp.path() / "r");
  spct_ok({"sft", config, "--set", "sft.steps=3", "--set", "sft.lr=1.0e30", "--set", "optim.skip_nonfinite=true"},
          tmp.file("skip.log"));
  const auto m = metrics_by_step(tmp.path() / "r" / "metrics.jsonl", "sft");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.at(1).at("skipped_steps"), 0);
  EXPECT_EQ(m.at(3).at("skipped_steps"), 2);
}

// The same skip under mpirun -np 2: both ranks skip together (no rank waits in a collective).
TEST(TrainerNonFinite, SkipOnTwoRanks) {
  TempDir tmp;
  const std::string config = make_config(tmp, "r");
  spct_ok({"sft", config, "--set", "sft.steps=3", "--set", "sft.lr=1.0e30", "--set", "optim.skip_nonfinite=true",
           "--set", "sft.micro_batch_size=1", "--set", "optim.zero_stage=1"},
          tmp.file("skip.log"), std::string(SPCT_MPIEXEC) + " --oversubscribe -np 2 ");
  EXPECT_EQ(metrics_by_step(tmp.path() / "r" / "metrics.jsonl", "sft").at(3).at("skipped_steps"), 2);
}

// 4. A shortened `spct run` of every stage, then a second run that skips them all.
TEST(TrainerPipeline, RunsEveryStageThenSkipsThem) {
  TempDir tmp;
  const std::string config = make_config(tmp, "run");
  const fs::path run = tmp.path() / "run";
  std::vector<std::string> args = {"run", config};
  for (const char* stage : {"sft", "rft", "grpo", "metarm"}) {
    args.push_back("--set");
    args.push_back(std::string(stage) + ".steps=1");
  }
  spct_ok(args, tmp.file("run1.log"));
  for (const char* stage : {"sft", "rft", "grpo", "metarm"})
    EXPECT_TRUE(fs::exists(run / stage / "model" / "config.json")) << stage;
  EXPECT_TRUE(fs::exists(run / "eval" / "done"));
  for (const char* mode : {"generate", "none"}) {
    const fs::path results = run / "eval" / mode / "results.json";
    ASSERT_TRUE(fs::exists(results)) << results;
    const json r = json::parse(read_text(results));
    std::vector<int> ks;
    for (const auto& m : r.at("methods")) {
      ks.push_back(m.at("k").get<int>());
      for (const json& acc : {m.at("overall").at("accuracy"), m.at("subset_mean_accuracy")}) {
        EXPECT_GE(acc.get<double>(), 0.0) << mode;
        EXPECT_LE(acc.get<double>(), 1.0) << mode;
      }
    }
    EXPECT_NE(std::find(ks.begin(), ks.end(), 1), ks.end()) << mode;
    EXPECT_NE(std::find(ks.begin(), ks.end(), 2), ks.end()) << mode;
  }
  const fs::path metrics = run / "metrics.jsonl";
  for (const char* stage : {"sft", "rft", "grpo", "metarm"})
    EXPECT_EQ(metrics_by_step(metrics, stage).size(), 1u) << stage;

  const std::string before = read_text(metrics);
  const std::string log = spct_ok(args, tmp.file("run2.log"));
  for (const char* stage : {"sft", "rft", "grpo", "metarm", "eval"})
    EXPECT_TRUE(contains(log, std::string(stage) + ": already done")) << stage << "\n" << log;
  EXPECT_EQ(read_text(metrics), before) << "the second run trained";
}

// 4b. The meta RM also trains on the RFT file's non-hinted trajectories (the paper's meta-RM data),
// never on those of held-out items, and on none when metarm.rft_trajectories is false.
TEST(TrainerMetaRm, AddsTheRftFilesNonHintedTrajectoriesExceptHeldOutItems) {
  TempDir tmp;
  const fs::path d = data_dir();
  const fs::path plain = tmp.path() / "plain.jsonl", mixed = tmp.path() / "mixed.jsonl";
  spct_ok({"data", "teacher", "--data", (d / "train.jsonl").string(), "--out", plain.string(), "--seed", "3",
           "--samples", "2"},
          tmp.file("teacher.log"));
  write_text(mixed, read_text(d / "teacher.jsonl") + read_text(plain));  // 32 hinted + 32 non-hinted lines
  const std::string config = make_config(tmp, "m", "[metarm]");
  const std::vector<std::string> args = {"run",   config,
                                         "--set", "metarm.steps=1",
                                         "--set", "metarm.holdout_fraction=0.5",
                                         "--set", "rft.trajectories=" + mixed.string()};
  // train4 holds train-0..3; the last half (train-2, train-3) is held out: 16 items x 2 samples,
  // less those 2 items' 4, are added to the GRM's 2 samples of train-0 and train-1.
  const std::string log = spct_ok(args, tmp.file("m.log"));
  EXPECT_TRUE(contains(log, "metarm: 28 non-hinted RFT trajectories of " + mixed.string() + " added")) << tail(log);
  EXPECT_TRUE(contains(log, "metarm: 30 labelled training trajectories (")) << tail(log);
  EXPECT_TRUE(contains(log, ", 2 held out")) << tail(log);

  std::vector<std::string> off = args;
  off[1] = make_config(tmp, "off", "[metarm]");
  off.insert(off.end(), {"--set", "metarm.rft_trajectories=false"});
  const std::string log_off = spct_ok(off, tmp.file("off.log"));
  EXPECT_FALSE(contains(log_off, "non-hinted RFT trajectories of")) << tail(log_off);
  EXPECT_TRUE(contains(log_off, "metarm: 2 labelled training trajectories (")) << tail(log_off);
}

// 4c. Without rft.trajectories, the samples the rft stage drew from the policy (and wrote to
// run_dir/rft/samples.jsonl) are the RFT part of the meta RM's data, held-out items excepted.
TEST(TrainerMetaRm, AddsTheRftStagesPolicySamples) {
  TempDir tmp;
  const std::string config = make_config(tmp, "s", "[metarm]");
  const fs::path samples = tmp.path() / "s" / "rft" / "samples.jsonl";
  fs::create_directories(samples.parent_path());
  std::string lines;
  for (int item = 0; item < 4; ++item)  // train4: items 0-3; holdout 0.5 keeps 2 and 3 out
    for (bool correct : {true, false})
      lines += "{\"item\": " + std::to_string(item) +
               ", \"id\": \"x\", \"prompt_ids\": [5, 6, 7], \"tokens\": [8, 9], " +
               "\"correct\": " + (correct ? "true" : "false") + "}\n";
  write_text(samples, lines);
  const std::string log = spct_ok({"run", config, "--set", "metarm.steps=1", "--set", "metarm.holdout_fraction=0.5",
                                   "--set", "rft.trajectories=\"\""},
                                  tmp.file("s.log"));
  EXPECT_TRUE(contains(log, "metarm: 4 non-hinted RFT trajectories of " + samples.string() + " added")) << tail(log);
  EXPECT_TRUE(contains(log, "metarm: 6 labelled training trajectories (")) << tail(log);  // + the GRM's 2
}

// 5. Resuming with a different sft.batch_size is refused, naming the key.
TEST(TrainerResumeRefused, ChangedBatchSize) {
  TempDir tmp;
  const std::string config = make_config(tmp, "r");
  spct_ok({"sft", config, "--set", "sft.steps=1"}, tmp.file("1.log"));
  fs::remove_all(tmp.path() / "r" / "sft" / "model");
  const Result r =
      run_command("", {"sft", config, "--set", "sft.steps=2", "--set", "sft.batch_size=2"}, tmp.file("2.log"));
  EXPECT_NE(r.rc, 0) << r.log;
  EXPECT_TRUE(contains(r.log, "sft.batch_size was 4, now 2")) << r.log;
  EXPECT_FALSE(fs::exists(tmp.path() / "r" / "sft" / "model"));
}

}  // namespace
}  // namespace spct::test
