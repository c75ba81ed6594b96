// What clusters and users do to a run (issue 17), through the real `spct` binary: SIGTERM mid-stage
// stops after a checkpoint with exit status 75 and the rerun ends bit for bit where an
// uninterrupted run ends (model and metrics.jsonl); under mpirun a signal to one rank stops both at
// the same step; a second signal exits at once; a second run on the same directory is refused
// while the first holds it, and not after it died; a fresh rerun rewrites the stage's metrics; an
// unwritable checkpoint directory is found before step 1.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "trainer_runs.h"

namespace spct::test {
namespace {

constexpr int kStoppedExit = 75;  // trainer/stages/stop_signal.h

// A `prefix spct args...` process started in the background (through sh, so prefix may be mpirun).
struct Background {
  pid_t pid = -1;
  fs::path log;
  Background(const std::string& prefix, const std::vector<std::string>& args, fs::path log_path)
      : log(std::move(log_path)) {
    std::string cmd = "exec " + prefix + quote(SPCT_BINARY);
    for (const auto& a : args) cmd += " " + quote(a);
    pid = fork();
    if (pid == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      setpgid(0, 0);  // its own group: the test's signals reach only what it aims at
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  // Exit status (128 + signal when killed); waits at most `seconds`, then kills the group.
  int wait(int seconds = 240) {
    int status = 0;
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
         std::chrono::steady_clock::now() < until;) {
      if (waitpid(pid, &status, WNOHANG) == pid)
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    ADD_FAILURE() << "the run did not end within " << seconds << " s:\n" << tail(read_text(log));
    return -1;
  }
  bool running() { return waitpid(pid, nullptr, WNOHANG) == 0; }
};

// Polls until ready() or the process ends; false when it ended first (or after 120 s).
bool wait_until(Background& p, const std::function<bool()>& ready) {
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
       std::chrono::steady_clock::now() < until;) {
    if (ready()) return true;
    if (!p.running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

// True once the metrics file has a line of `stage`.
std::function<bool()> stage_logged(const fs::path& run, const std::string& stage) {
  return [=] { return contains(read_text(run / "metrics.jsonl"), "\"stage\":\"" + stage + "\""); };
}

// The main checkpoint files (step_<N>.h5, not the optimizer shards) in dir.
std::vector<fs::path> list_of_checkpoints(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename();
    if (name.rfind("step_", 0) == 0 && name.size() > 3 && name.substr(name.size() - 3) == ".h5" &&
        name.find(".rank") == std::string::npos)
      out.push_back(e.path());
  }
  return out;
}

// Every metrics line of every stage, wall-clock keys removed, in file order.
std::vector<json> all_metrics(const fs::path& run) {
  std::vector<json> out;
  std::ifstream in(run / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line);
    for (const char* key : {"elapsed_s", "time/rollout", "time/ref", "time/train"}) j.erase(key);
    out.push_back(j);
  }
  return out;
}

// The pid of the mpirun child whose environment says OMPI_COMM_WORLD_RANK=rank, or -1.
pid_t rank_pid(pid_t mpirun, int rank) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string pid, comm, state;
    pid_t ppid = 0;
    if (!(stat >> pid >> comm >> state >> ppid) || ppid != mpirun) continue;
    const std::string env = read_text(entry.path() / "environ");
    if (env.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') != std::string::npos)
      return static_cast<pid_t>(std::stol(name));
  }
  return -1;
}

// 1. `spct run` of sft then grpo, SIGTERM during grpo: exit 75 after a checkpoint; the rerun ends
// with the uninterrupted run's grpo model bit for bit and the same metrics file.
TEST(Preemption, SigtermMidStageThenRerunEqualsUninterrupted) {
  TempDir tmp;
  const std::vector<std::string> keys = {"--set",        "sft.steps=2", "--set",
                                         "grpo.steps=8", "--set",       "checkpoint.every_steps=100"};
  auto args = [&](const std::string& config) {
    std::vector<std::string> a = {"run", config};
    a.insert(a.end(), keys.begin(), keys.end());
    return a;
  };
  const std::string ca = make_config(tmp, "a", "[sft, grpo]"), cb = make_config(tmp, "b", "[sft, grpo]");
  const fs::path a = tmp.path() / "a", b = tmp.path() / "b";
  spct_ok(args(ca), tmp.file("a.log"));

  Background run("", args(cb), tmp.file("b1.log"));
  ASSERT_TRUE(wait_until(run, stage_logged(b, "grpo"))) << tail(read_text(run.log));
  kill(run.pid, SIGTERM);
  const int rc = run.wait();
  const std::string log1 = read_text(run.log);
  ASSERT_EQ(rc, kStoppedExit) << tail(log1);
  EXPECT_TRUE(contains(log1, "grpo: stopped by SIGTERM after step ")) << tail(log1);
  ASSERT_FALSE(fs::exists(b / "grpo" / "model")) << "stopped after the stage ended";
  EXPECT_FALSE(list_of_checkpoints(b / "checkpoints" / "grpo").empty());

  const std::string log2 = spct_ok(args(cb), tmp.file("b2.log"));
  EXPECT_TRUE(contains(log2, "grpo: resumed from")) << tail(log2);
  expect_bitwise_equal(model_file(a, "grpo"), model_file(b, "grpo"));
  EXPECT_EQ(all_metrics(a), all_metrics(b));
}

// 2. The same under mpirun -np 2 with ZeRO-1, SIGTERM to rank 1 only: both ranks stop at the same
// step (each writes its optimizer shard), mpirun exits 75, and the rerun equals an uninterrupted
// two-rank run bit for bit. Label dist.
TEST(PreemptionMpi, SignalToOneRankStopsBoth) {
  TempDir tmp;
  const std::string mpirun = std::string(SPCT_MPIEXEC) + " --oversubscribe -np 2 ";
  auto args = [&](const std::string& config) {
    return std::vector<std::string>{"sft",   config,
                                    "--set", "sft.steps=16",
                                    "--set", "sft.micro_batch_size=1",
                                    "--set", "optim.zero_stage=1",
                                    "--set", "checkpoint.every_steps=100"};
  };
  const std::string ca = make_config(tmp, "a"), cb = make_config(tmp, "b");
  const fs::path a = tmp.path() / "a", b = tmp.path() / "b";
  spct_ok(args(ca), tmp.file("a.log"), mpirun);

  Background run(mpirun, args(cb), tmp.file("b1.log"));
  ASSERT_TRUE(wait_until(run, stage_logged(b, "sft"))) << tail(read_text(run.log));
  const pid_t rank1 = rank_pid(run.pid, 1);
  ASSERT_GT(rank1, 0) << "no rank 1 under mpirun pid " << run.pid;
  kill(rank1, SIGTERM);
  const int rc = run.wait();
  const std::string log1 = read_text(run.log);
  ASSERT_EQ(rc, kStoppedExit) << tail(log1);
  const auto ckpts = list_of_checkpoints(b / "checkpoints" / "sft");
  ASSERT_EQ(ckpts.size(), 1u) << tail(log1);
  const std::string step = ckpts[0].stem().string().substr(5);  // step_<N>
  EXPECT_TRUE(contains(log1, "sft: stopped by SIGTERM after step " + step + " of 16")) << tail(log1);
  for (const char* r : {".rank0.h5", ".rank1.h5"})
    EXPECT_TRUE(fs::exists(b / "checkpoints" / "sft" / ("step_" + step + r))) << r;

  spct_ok(args(cb), tmp.file("b2.log"), mpirun);
  expect_bitwise_equal(model_file(a, "sft"), model_file(b, "sft"));
  EXPECT_EQ(metrics_by_step(a / "metrics.jsonl", "sft"), metrics_by_step(b / "metrics.jsonl", "sft"));
}

// 3. A second signal does not wait for the step: the process exits at once with 128 + signal.
// The two signals go out microseconds apart, far inside one step (16 sequences, no checkpoint).
TEST(Preemption, SecondSignalExitsAtOnce) {
  TempDir tmp;
  const std::string config = make_config(tmp, "r");
  Background run("",
                 {"sft", config, "--set", "sft.steps=100000", "--set", "sft.batch_size=16", "--set",
                  "checkpoint.every_steps=100000"},
                 tmp.file("r.log"));
  ASSERT_TRUE(wait_until(run, stage_logged(tmp.path() / "r", "sft"))) << tail(read_text(run.log));
  kill(run.pid, SIGTERM);
  kill(run.pid, SIGINT);
  const int rc = run.wait();
  EXPECT_TRUE(rc == 128 + SIGINT || rc == 128 + SIGTERM) << rc << "\n" << tail(read_text(run.log));
  EXPECT_TRUE(contains(read_text(run.log), "second signal, exiting now")) << tail(read_text(run.log));
  EXPECT_TRUE(list_of_checkpoints(tmp.path() / "r" / "checkpoints" / "sft").empty()) << "it saved";
}

// 4. While one run holds the directory a second is refused at once, naming the directory and the
// holder's PID; once the holder is SIGKILLed the lock is gone with it.
TEST(RunLock, SecondRunRefusedUntilTheFirstDies) {
  TempDir tmp;
  const std::string config = make_config(tmp, "r");
  const fs::path run_dir = tmp.path() / "r";
  Background first("", {"sft", config, "--set", "sft.steps=100000", "--set", "checkpoint.every_steps=100000"},
                   tmp.file("first.log"));
  ASSERT_TRUE(wait_until(first, stage_logged(run_dir, "sft"))) << tail(read_text(first.log));
  const Result second = run_command("", {"sft", config, "--set", "sft.steps=2"}, tmp.file("second.log"));
  EXPECT_EQ(second.rc, 1) << second.log;
  EXPECT_TRUE(contains(second.log, "run_dir '" + run_dir.string() + "' is in use by another spct run (pid " +
                                       std::to_string(first.pid) + " on host "))
      << second.log;
  kill(first.pid, SIGKILL);
  EXPECT_EQ(first.wait(), 128 + SIGKILL);
  spct_ok({"sft", config, "--set", "sft.steps=2"}, tmp.file("third.log"));
}

// 5. A stage rerun from scratch (no usable checkpoint) rewrites its metrics lines: the file equals
// an uninterrupted run's instead of holding every step twice.
TEST(RunMetrics, FreshRerunRewritesTheStagesLines) {
  TempDir tmp;
  const std::string ca = make_config(tmp, "a"), cb = make_config(tmp, "b");
  const std::vector<std::string> keys = {"--set", "sft.steps=3", "--set", "checkpoint.every_steps=100"};
  auto with = [&](const std::string& c) {
    std::vector<std::string> v = {"sft", c};
    v.insert(v.end(), keys.begin(), keys.end());
    return v;
  };
  spct_ok(with(ca), tmp.file("a.log"));
  spct_ok(with(cb), tmp.file("b1.log"));
  fs::remove_all(tmp.path() / "b" / "checkpoints");
  fs::remove_all(tmp.path() / "b" / "sft" / "model");
  spct_ok(with(cb), tmp.file("b2.log"));
  EXPECT_EQ(all_metrics(tmp.path() / "a"), all_metrics(tmp.path() / "b"));
}

// 6. A checkpoint.dir (or run_dir) that cannot be created is an error before step 1.
TEST(RunDirs, UnwritableFoundBeforeTheFirstStep) {
  TempDir tmp;
  const std::string config = make_config(tmp, "r");
  write_text(tmp.path() / "file", "not a directory\n");
  const std::string blocked = (tmp.path() / "file" / "sub").string();
  for (const std::string key : {"checkpoint.dir", "run_dir"}) {
    const Result r = run_command("", {"sft", config, "--set", key + "=" + blocked}, tmp.file(key + ".log"));
    EXPECT_EQ(r.rc, 1) << r.log;
    EXPECT_TRUE(contains(r.log, key + " '" + blocked + "': cannot create the directory")) << tail(r.log);
    EXPECT_FALSE(contains(r.log, "sft: starting from")) << tail(r.log);
  }
}

}  // namespace
}  // namespace spct::test
