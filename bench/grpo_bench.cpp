// One GRPO stage (trainer/stages/grpo.cpp, the code `spct grpo` runs) on a Qwen2.5-0.5B-shaped random
// model, timed per step from the stage's own metrics (time/rollout, time/ref, time/train):
//
//   grpo_bench [--model HF_DIR] [--steps 4] [--batch 32] [--group 4] [--micro 8]
//              [--new-tokens 256] [--dtype bfloat16] [--device cuda] [--ckpt-act]
//              [--packing] [--micro-tokens N]   (grpo.packing, grpo.micro_batch_tokens)
//   mpirun -np 2 grpo_bench ...    (NCCL, one GPU per rank; the batch is global)
//
// Prints one row per step and the mean over steps after the first (warm-up), with tokens/s and
// MFU = 6 N tokens / train time / (989e12 * ranks) (H200 dense bf16 peak), also against the
// 782 TFLOP/s a bf16 GEMM reaches there in practice. N counts every parameter that takes part in
// a matmul (the input embedding only when it is also the tied LM head); attention score FLOPs are
// not counted. Prompts are synthetic judge prompts (data/synth.h) through a byte-level tokenizer
// widened to the model's vocabulary, so sampled ids decode to (meaningless) bytes.
#include <nlohmann/json.hpp>

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/byte_tokenizer.h"
#include "core/config.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/hf_io.h"
#include "core/model.h"
#include "data/synth.h"
#include "rewards/rules/rm_dataset.h"
#include "trainer/dist/dist.h"
#include "trainer/stages/grpo.h"

namespace {

using namespace spct;
namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kPeakBf16 = 989e12;       // H200 SXM dense bf16, no sparsity
constexpr double kPracticalBf16 = 782e12;  // large bf16 GEMM measured on the H200

// Qwen2.5-0.5B's config.json (the architecture only; weights are random).
json qwen25_05b() {
  return json::parse(R"({
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
    "hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24,
    "num_attention_heads": 14, "num_key_value_heads": 2, "max_position_embeddings": 32768,
    "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "tie_word_embeddings": true,
    "vocab_size": 151936, "use_sliding_window": false, "sliding_window": 32768,
    "max_window_layers": 21, "bos_token_id": 151643, "eos_token_id": 151643, "torch_dtype": "bfloat16"})");
}

// The byte tokenizer, but decoding any id of a large vocabulary (id % 256 as a byte), so rollouts
// of a random full-vocabulary model can be decoded and parsed (they are all malformed).
class WideByteTokenizer : public ByteTokenizer {
 public:
  explicit WideByteTokenizer(int32_t vocab) : vocab_(vocab) {}
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override {
    std::vector<int32_t> narrow;
    for (int32_t id : ids) narrow.push_back(id < kVocabSize ? id : id % 256);
    return ByteTokenizer::decode(narrow, skip_special);
  }
  int32_t vocab_size() const override { return vocab_; }

 private:
  int32_t vocab_;
};

struct Args {
  std::string model, dtype = "bfloat16", device = "cuda";
  int steps = 4, batch = 32, group = 4, micro = 8, new_tokens = 256, micro_tokens = 0;
  bool ckpt_act = false, packing = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string {
      SPCT_CHECK(i + 1 < argc, "grpo_bench: ", k, " needs a value");
      return argv[++i];
    };
    if (k == "--model")
      a.model = next();
    else if (k == "--steps")
      a.steps = std::stoi(next());
    else if (k == "--batch")
      a.batch = std::stoi(next());
    else if (k == "--group")
      a.group = std::stoi(next());
    else if (k == "--micro")
      a.micro = std::stoi(next());
    else if (k == "--new-tokens")
      a.new_tokens = std::stoi(next());
    else if (k == "--dtype")
      a.dtype = next();
    else if (k == "--device")
      a.device = next();
    else if (k == "--ckpt-act")
      a.ckpt_act = true;
    else if (k == "--packing")
      a.packing = true;
    else if (k == "--micro-tokens")
      a.micro_tokens = std::stoi(next());
    else
      throw_error("grpo_bench: unknown option ", k);
  }
  return a;
}

std::vector<rewards::RmItem> synthetic_items(int n) {
  data::SynthConfig sc;
  sc.seed = 1;
  sc.train = n;
  sc.test = 0;
  sc.general = 0;
  std::stringstream jsonl;
  for (const auto& item : data::synthesize(sc).train) jsonl << item.dump() << "\n";
  return rewards::read_rm_dataset(jsonl, "synthetic items");
}

int run(int argc, char** argv) {
  const Args a = parse(argc, argv);
  auto dist = make_dist(a.device == "cuda");
  // One scratch directory for the job (rank 0 names it): the model config, checkpoint, metrics.
  std::string scratch;
  if (dist->is_root()) {
    char name[] = "/tmp/grpo_bench.XXXXXX";
    SPCT_CHECK(mkdtemp(name), "grpo_bench: cannot create a scratch directory in /tmp");
    scratch = name;
  }
  scratch = dist->all_gather_strings(scratch)[0];
  const fs::path tmp(scratch);
  const std::string model_dir = a.model.empty() ? (tmp / "model").string() : a.model;
  if (a.model.empty() && dist->is_root()) {
    fs::create_directories(model_dir);
    std::ofstream(model_dir + "/config.json") << qwen25_05b().dump(2);
  }
  dist->barrier();
  const ModelConfig mc = ModelConfig::load(model_dir + "/config.json");
  const at::ScalarType dtype = a.dtype == "bfloat16" ? at::kBFloat16 : at::kFloat;
  const auto options = at::TensorOptions().dtype(dtype).device(dist->device());
  Transformer policy(mc, options), reference(mc, options);
  policy.init_random(7);
  reference.init_random(7);

  const std::string run_dir = (tmp / "run").string();
  std::ostringstream yaml;
  yaml << "run_dir: " << run_dir << "\nmodel: {path: tiny, dtype: " << a.dtype << ", device: " << a.device
       << ", chat_template: none, activation_checkpointing: " << (a.ckpt_act ? "true" : "false") << "}\n"
       << "rollout: {max_new_tokens: " << a.new_tokens << ", max_batch_size: " << a.batch << "}\n"
       << "grpo: {steps: " << a.steps << ", batch_size: " << a.batch << ", group_size: " << a.group
       << ", micro_batch_size: " << a.micro << ", packing: " << (a.packing ? "true" : "false")
       << ", micro_batch_tokens: " << a.micro_tokens << ", lr: 1.0e-6}\n"
       << "checkpoint: {every_steps: 0, keep_last: 1, resume: none}\n"
       << "logging: {progress: false}\n";
  const RunConfig config = RunConfig::from_yaml_string(yaml.str(), "grpo_bench");
  const WideByteTokenizer tokenizer(static_cast<int32_t>(mc.vocab_size));
  const auto items = synthetic_items(std::max(64, 2 * a.batch / a.group));
  train_grpo(config, *dist, policy, reference, tokenizer, items);
  dist->barrier();
  if (!dist->is_root()) return 0;

  int64_t n_matmul = 0;
  for (const auto& [name, p] : policy.parameters())
    if (name != "model.embed_tokens.weight" || mc.tie_word_embeddings) n_matmul += p.numel();
  const double peak = kPeakBf16 * dist->world_size(), practical = kPracticalBf16 * dist->world_size();
  std::printf(
      "GRPO step, %s (%.1fM matmul params), %s on %d x %s, batch %d = %d queries x G %d, micro %d, "
      "%d new tokens%s%s\n",
      a.model.empty() ? "Qwen2.5-0.5B-shaped random model" : a.model.c_str(), n_matmul / 1e6, a.dtype.c_str(),
      dist->world_size(), a.device.c_str(), a.batch, a.batch / a.group, a.group, a.micro, a.new_tokens,
      a.ckpt_act ? ", activation checkpointing" : "",
      a.packing ? (", packed, " + std::to_string(a.micro_tokens) + " tokens per micro-batch").c_str() : "");
  std::printf("| step | rollout s | ref s | train s | step s | train tokens | tokens/s | train MFU | vs 782T |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  std::ifstream in(config.logging.metrics_file);
  std::string line;
  double sum[4] = {0, 0, 0, 0}, tok_sum = 0, train_max = 0, train_min = 1e30;
  int counted = 0;
  while (std::getline(in, line)) {
    const json m = json::parse(line);
    const double r = m.at("time/rollout"), f = m.at("time/ref"), t = m.at("time/train"), tok = m.at("train_tokens");
    const double step_s = r + f + t, mfu = 6.0 * n_matmul * tok / t;
    std::printf("| %lld | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.1f%% | %.1f%% |\n",
                static_cast<long long>(m.at("step").get<int64_t>()), r, f, t, step_s, tok, tok / step_s,
                100 * mfu / peak, 100 * mfu / practical);
    if (m.at("step").get<int64_t>() > 1) {
      sum[0] += r, sum[1] += f, sum[2] += t, sum[3] += step_s, tok_sum += tok;
      train_max = std::max(train_max, t), train_min = std::min(train_min, t);
      ++counted;
    }
  }
  if (counted > 0) {
    const double mfu = 6.0 * n_matmul * tok_sum / sum[2];
    std::printf("| mean 2..%d | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.1f%% | %.1f%% |\n", counted + 1,
                sum[0] / counted, sum[1] / counted, sum[2] / counted, sum[3] / counted, tok_sum / counted,
                tok_sum / sum[3], 100 * mfu / peak, 100 * mfu / practical);
    std::printf("train time max/min over steps 2..%d: %.2f\n", counted + 1, train_max / train_min);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "grpo_bench: %s\n", e.what());
    return 1;
  }
}
