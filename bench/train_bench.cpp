// The SFT training step (sft_step in trainer/stages/sft.h: the code `spct sft` and RFT run, through
// StageTrainer: forward, backward, gradient clipping, AdamW with float32 masters) on a random
// model of a given HF config shape, timed step by step. bench/hf_train_bench.py runs HF
// transformers on the same token batches; bench/train_compare.sh prints both side by side.
//
//   train_bench --shape bench/shapes/qwen2.5-0.5b.json [--batch fixed|mix] [--packing]
//               [--micro-tokens N] [--ckpt-act] [--steps 5] [--warmup 2] [--profile N]
//
// Batches (the same generator as hf_train_bench.py: splitmix64 draws from --seed):
//   fixed: --rows sequences of --seq input tokens (8 x 2048);
//   mix:   --mix-seqs sequences of 100..1500 input tokens each, like GRPO's judgments.
// Every token is trained on (pretraining-style loss). Without --packing the step's sequences go
// through --micro rows at a time, padded to the longest; with --packing they are packed without
// padding, --micro-tokens tokens at most per micro-batch (0: --micro sequences each).
// MFU = (6 N T + 6 L H D sum_i(len_i^2)) / step time / 989e12: N the parameters taking part in
// matmuls (the tied embedding once, as the LM head), T the step's input tokens, L layers, H query
// heads, D head size; the second term is causal attention (QK^T and PV, forward and backward).
// Checkpointing's recomputation and padding count as no useful FLOPs.
#include <nlohmann/json.hpp>

#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#ifdef SPCT_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "bench/bench_util.h"
#include "core/error.h"
#include "core/config.h"
#include "core/model.h"
#include "core/model_config.h"
#include "core/random.h"
#include "core/torch_compat.h"
#include "trainer/dist/dist.h"
#include "trainer/stages/sft.h"
#include "trainer/stages/trainer.h"

namespace {

using namespace spct;
namespace po = boost::program_options;
constexpr double kPeakBf16 = 989e12;  // H200 SXM dense bf16, no sparsity

struct Args {
  std::string shape, batch, dtype, device;
  int64_t rows, seq, mix_seqs, micro, micro_tokens, steps, warmup, profile, seed;
  bool packing, ckpt_act;
};

// The benchmark's token stream, mirrored by hf_train_bench.py: draw k is splitmix64(seed + k).
class Stream {
 public:
  explicit Stream(uint64_t seed) : next_(seed) {}
  uint64_t draw() { return splitmix64(next_++); }

 private:
  uint64_t next_;
};

// One step's sequences (input tokens + 1 each): the first token is the prompt, the rest the
// response, so with completion_only_loss false every input position has a target.
std::vector<Example> step_sequences(Stream& s, const Args& a, int64_t vocab) {
  std::vector<Example> out;
  const int64_t n = a.batch == "fixed" ? a.rows : a.mix_seqs;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = a.batch == "fixed" ? a.seq : 100 + static_cast<int64_t>(s.draw() % 1401);
    Example e;
    for (int64_t t = 0; t <= len; ++t)
      (t == 0 ? e.prompt : e.response).push_back(static_cast<int32_t>(s.draw() % vocab));
    out.push_back(std::move(e));
  }
  return out;
}

double peak_gib(at::Device device) {
#ifdef SPCT_WITH_CUDA
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
    return static_cast<double>(stats.allocated_bytes[0].peak) / (1 << 30);  // [0]: StatType::AGGREGATE
  }
#endif
  (void)device;
  return 0.0;
}

Args parse(int argc, char** argv) {
  Args a;
  po::options_description desc("train_bench options");
  desc.add_options()("help", "this help")("shape", po::value(&a.shape)->required(),
                                          "HF config.json giving the model shape")(
      "batch", po::value(&a.batch)->default_value("fixed"), "fixed | mix")("rows", po::value(&a.rows)->default_value(8),
                                                                           "fixed: sequences per step")(
      "seq", po::value(&a.seq)->default_value(2048), "fixed: input tokens per sequence")(
      "mix-seqs", po::value(&a.mix_seqs)->default_value(20), "mix: sequences per step (100..1500 tokens each)")(
      "micro", po::value(&a.micro)->default_value(0), "sequences per micro-batch, dividing the step's (0: all)")(
      "packing", po::bool_switch(&a.packing), "pack micro-batches without padding (sft.packing)")(
      "micro-tokens", po::value(&a.micro_tokens)->default_value(0), "with --packing: tokens per micro-batch")(
      "ckpt-act", po::bool_switch(&a.ckpt_act), "activation checkpointing")(
      "steps", po::value(&a.steps)->default_value(5), "timed steps")("warmup", po::value(&a.warmup)->default_value(2),
                                                                     "untimed steps first")(
      "profile", po::value(&a.profile)->default_value(0), "profile one more step, print its N top kernels")(
      "seed", po::value(&a.seed)->default_value(1), "token stream seed")(
      "dtype", po::value(&a.dtype)->default_value("bfloat16"), "bfloat16 | float32")(
      "device", po::value(&a.device)->default_value("cuda"), "cuda | cpu");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    std::exit(0);
  }
  po::notify(vm);
  SPCT_CHECK(a.batch == "fixed" || a.batch == "mix", "train_bench: --batch must be fixed or mix, got ", a.batch);
  if (a.micro == 0) a.micro = a.batch == "fixed" ? a.rows : a.mix_seqs;
  return a;
}

RunConfig bench_config(const Args& a, int64_t seqs_per_step) {
  std::ostringstream yaml;
  yaml << "run_dir: /tmp/train_bench\nmodel: {path: tiny, dtype: " << a.dtype << ", device: " << a.device
       << ", activation_checkpointing: " << (a.ckpt_act ? "true" : "false") << "}\n"
       << "sft: {steps: " << a.warmup + a.steps + 1 << ", batch_size: " << seqs_per_step
       << ", micro_batch_size: " << a.micro << ", packing: " << (a.packing ? "true" : "false")
       << ", micro_batch_tokens: " << a.micro_tokens << ", lr: 1.0e-5, completion_only_loss: false}\n"
       << "checkpoint: {every_steps: 0, resume: none}\nlogging: {progress: false}\n";
  return RunConfig::from_yaml_string(yaml.str(), "train_bench");
}

int run(int argc, char** argv) {
  const Args a = parse(argc, argv);
  const ModelConfig mc = ModelConfig::load(a.shape);
  const int64_t seqs = a.batch == "fixed" ? a.rows : a.mix_seqs;
  const RunConfig config = bench_config(a, seqs);
  auto dist = make_dist(a.device == "cuda");
  const at::Device device = dist->device();
  Transformer model(mc, at::TensorOptions().dtype(a.dtype == "bfloat16" ? at::kBFloat16 : at::kFloat).device(device));
  bench::init_on_device(model, 7);
  StageTrainer trainer(config, *dist, model, Stage::sft, config.sft);
  const int64_t max_len = a.batch == "fixed" ? a.seq + 1 : 1501;

  int64_t n_matmul = 0;
  for (const auto& [name, p] : model.parameters())
    if (name != "model.embed_tokens.weight" || mc.tie_word_embeddings) n_matmul += p.numel();
  Stream stream(static_cast<uint64_t>(a.seed));
  // One step on its own sequences; returns (input tokens, sum of squared lengths, seconds).
  auto step = [&](std::vector<Example>& data) {
    data = step_sequences(stream, a, mc.vocab_size);
    std::vector<std::vector<const Example*>> by_rows;
    int64_t tokens = 0;
    double squares = 0;
    for (size_t i = 0; i < data.size(); ++i) {
      if (static_cast<int64_t>(i) % a.micro == 0) by_rows.emplace_back();
      by_rows.back().push_back(&data[i]);
      tokens += data[i].length() - 1;
      squares += static_cast<double>(data[i].length() - 1) * (data[i].length() - 1);
    }
    compat::synchronize(device);
    const auto t0 = std::chrono::steady_clock::now();
    const SftStep s =
        sft_step(trainer, model, config.sft, sft_micro_batches(by_rows, config.sft, max_len), tokens, max_len);
    const double loss = s.loss_sum.item<double>() / tokens;  // waits for the step
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return std::make_tuple(tokens, squares, secs, loss);
  };

  std::printf("train_bench %s: %.1fM matmul params, %s on %s, batch %s (%lld seqs/step), %s, micro %lld%s%s\n",
              a.shape.c_str(), n_matmul / 1e6, a.dtype.c_str(), a.device.c_str(), a.batch.c_str(),
              static_cast<long long>(seqs), a.packing ? "packed" : "padded", static_cast<long long>(a.micro),
              a.packing && a.micro_tokens ? (" / " + std::to_string(a.micro_tokens) + " tokens").c_str() : "",
              a.ckpt_act ? ", activation checkpointing" : "");
  std::printf("| step | tokens | s | tokens/s | MFU | loss |\n|---|---|---|---|---|---|\n");
  std::vector<Example> data;
  double tok_sum = 0, flop_sum = 0, sec_sum = 0, worst = 0, best = 1e30;
  for (int64_t i = 0; i < a.warmup + a.steps; ++i) {
    const auto [tokens, squares, secs, loss] = step(data);
    const double flops = 6.0 * n_matmul * tokens + 6.0 * mc.num_layers * mc.num_heads * mc.head_dim * squares;
    std::printf("| %lld%s | %lld | %.3f | %.0f | %.1f%% | %.4f |\n", static_cast<long long>(i + 1),
                i < a.warmup ? " (warm-up)" : "", static_cast<long long>(tokens), secs, tokens / secs,
                100 * flops / secs / kPeakBf16, loss);
    if (i < a.warmup) continue;
    tok_sum += tokens, flop_sum += flops, sec_sum += secs;
    worst = std::max(worst, secs), best = std::min(best, secs);
  }
  const double tps = tok_sum / sec_sum, mfu = flop_sum / sec_sum / kPeakBf16, peak = peak_gib(device);
  std::printf("mean of %lld steps: %.0f tokens/s, MFU %.1f%%, max/min step time %.2f, peak allocated %.2f GiB\n",
              static_cast<long long>(a.steps), tps, 100 * mfu, worst / best, peak);
  // One line for bench/train_compare.sh.
  std::printf(
      "RESULT %s\n",
      nlohmann::json(
          {{"impl", "spct"}, {"tokens_per_s", tps}, {"mfu", mfu}, {"peak_gib", peak}, {"step_spread", worst / best}})
          .dump()
          .c_str());
  if (a.profile > 0) bench::profile_kernels([&] { step(data); }, static_cast<int>(a.profile), "one training step");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_bench: %s\n", e.what());
    return 1;
  }
}
