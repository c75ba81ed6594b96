// Runs of the `spct` binary on the built-in tiny model and tiny synthetic data, shared by the
// trainer's end-to-end tests (tests/test_trainer.cpp, tests/test_preemption.cpp): the data, a
// config of every stage, and comparisons of the models and metrics two runs wrote.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/safetensors.h"
#include "test_util.h"

namespace spct::test {

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

inline std::string quote(const std::string& s) { return "'" + s + "'"; }

struct Result {
  int rc;           // exit status; 128 + signal when killed
  std::string log;  // stdout and stderr together
};

// Runs `prefix spct args...` through the shell, capturing its output in log_path.
inline Result run_command(const std::string& prefix, const std::vector<std::string>& args, const fs::path& log_path) {
  std::string cmd = prefix + quote(SPCT_BINARY);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " > " + quote(log_path.string()) + " 2>&1";
  const int status = std::system(cmd.c_str());
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return {rc, read_text(log_path)};
}

// The last lines of a log (the config printed at the start would drown a failure message).
inline std::string tail(const std::string& log) {
  return log.size() > 3000 ? "..." + log.substr(log.size() - 3000) : log;
}

// Runs spct and requires exit 0; returns the log.
inline std::string spct_ok(const std::vector<std::string>& args, const fs::path& log_path,
                           const std::string& prefix = "") {
  const Result r = run_command(prefix, args, log_path);
  EXPECT_EQ(r.rc, 0) << "spct failed; the end of its output:\n" << tail(r.log);
  return r.log;
}

// The synthetic data every test reads, made once per process: 16 train items (4 in train4),
// 8 test items (2 in test2), 16 general chat examples, 2 hinted teacher trajectories per item.
inline const fs::path& data_dir() {
  static TempDir dir;
  static const bool made = [] {
    const fs::path d = dir.path();
    spct_ok({"data", "synth", "--out", d.string(), "--seed", "1", "--train", "16", "--test", "8", "--general", "16"},
            d / "synth.log");
    spct_ok({"data", "teacher", "--data", (d / "train.jsonl").string(), "--out", (d / "teacher.jsonl").string(),
             "--seed", "2", "--samples", "2", "--hinted"},
            d / "teacher.log");
    for (const auto& [from, to, n] : {std::tuple{"train.jsonl", "train4.jsonl", 4}, {"test.jsonl", "test2.jsonl", 2}}) {
      std::ifstream in(d / from);
      std::ofstream out(d / to);
      std::string line;
      for (int i = 0; i < n && std::getline(in, line); ++i) out << line << "\n";
    }
    return true;
  }();
  (void)made;
  return dir.path();
}

// A config of every stage, small enough for CI; tests change keys with --set.
inline std::string config_yaml(const fs::path& run_dir, const std::string& stages = "[sft, rft, grpo, metarm, eval]") {
  const std::string d = data_dir().string();
  return "run_dir: " + run_dir.string() + "\n" +
         "seed: 7\n"
         "stages: " +
         stages + "\n" +
         "model: {path: tiny}\n"
         "data:\n"
         "  train: " +
         d + "/train4.jsonl\n" + "  test: " + d + "/test2.jsonl\n" + "  general_sft: " + d + "/general_sft.jsonl\n" +
         "  max_prompt_tokens: 1400\n"
         "  max_response_tokens: 300\n"
         "rollout: {max_new_tokens: 8, max_batch_size: 8}\n"
         "sft: {steps: 4, batch_size: 4, micro_batch_size: 2, lr: 1.0e-3}\n"
         "rft: {steps: 4, batch_size: 2, micro_batch_size: 2, lr: 1.0e-3, trajectories: " +
         d + "/teacher.jsonl}\n" +
         "grpo: {steps: 4, batch_size: 2, group_size: 2, micro_batch_size: 2, lr: 1.0e-3, kl_estimator: k1}\n"
         "metarm: {steps: 4, batch_size: 2, micro_batch_size: 2, samples_per_item: 1, lr: 1.0e-3}\n"
         "eval: {k: [1, 2], principle_modes: [generate, none]}\n"
         "checkpoint: {every_steps: 1}\n"
         "logging: {progress: false}\n";
}

// Writes <dir>/<name>.yaml for a run in <dir>/<name>; returns the config path.
inline std::string make_config(const TempDir& tmp, const std::string& name,
                               const std::string& stages = "[sft, rft, grpo, metarm, eval]") {
  const fs::path path = tmp.path() / (name + ".yaml");
  write_text(path, config_yaml(tmp.path() / name, stages));
  return path.string();
}

inline fs::path model_file(const fs::path& run_dir, const std::string& stage) {
  return run_dir / stage / "model" / "model.safetensors";
}

inline std::map<std::string, at::Tensor> load_params(const fs::path& path) {
  std::map<std::string, at::Tensor> out;
  const auto file = safetensors::File::open(path.string());
  for (const auto& info : file.tensors()) out[info.name] = file.load(info.name);
  return out;
}

// The largest absolute difference over all parameters; fails if the names or shapes differ.
inline double max_abs_diff(const fs::path& a, const fs::path& b) {
  const auto pa = load_params(a), pb = load_params(b);
  EXPECT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (const auto& [name, ta] : pa) {
    const auto it = pb.find(name);
    if (it == pb.end() || ta.sizes() != it->second.sizes() || ta.dtype() != it->second.dtype()) {
      ADD_FAILURE() << name << ": missing from " << b << " or a different shape/dtype";
      continue;
    }
    worst = std::max(worst, (ta.to(at::kDouble) - it->second.to(at::kDouble)).abs().max().item<double>());
  }
  return worst;
}

inline void expect_bitwise_equal(const fs::path& a, const fs::path& b) {
  const auto pa = load_params(a), pb = load_params(b);
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& [name, ta] : pa) {
    ASSERT_TRUE(pb.count(name)) << name;
    EXPECT_TRUE(at::equal(ta, pb.at(name))) << name << " differs between " << a << " and " << b;
  }
}

// The metrics lines of `stage` in a JSONL file, by step, wall-clock times (elapsed_s, time/...) removed.
inline std::map<int64_t, json> metrics_by_step(const fs::path& path, const std::string& stage) {
  std::ifstream in(path);
  std::map<int64_t, json> out;
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line);
    if (j.at("stage") != stage) continue;
    j.erase("elapsed_s");
    for (const char* key : {"time/rollout", "time/ref", "time/train"}) j.erase(key);
    const int64_t step = j.at("step").get<int64_t>();
    EXPECT_FALSE(out.count(step)) << path << ": two lines for " << stage << " step " << step;
    out[step] = j;
  }
  return out;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace spct::test
