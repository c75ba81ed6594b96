// Rollout engine throughput on a random-weight model of a given HF config shape
// (bench/shapes/*.json), printed as a table, plus the bf16 logprob gap between the engine and
// the training forward on the sampled tokens. Run on the GPU machine:
//   rollout_bench --shape bench/shapes/qwen2.5-0.5b.json --batch 64,256 --n 4 --prompt-len 512 --new-tokens 512
// `batch` counts sequences decoded together (batch / n prompts, n samples each).
#include <c10/core/GradMode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "bench/bench_util.h"
#include "cli/options.h"
#include "core/decode_kernels.h"
#include "core/model.h"
#include "core/model_config.h"
#include "core/torch_compat.h"
#include "rollout/engine.h"

namespace spct {
namespace {

namespace po = boost::program_options;
constexpr double kHbmBytesPerSecond = 4.3e12;  // H200

std::vector<int64_t> parse_list(const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stoll(item));
  return out;
}

// "on,off" -> {true, false}: the decode-kernel settings to compare in one run.
std::vector<bool> parse_switches(const std::string& text, const std::string& option) {
  std::vector<bool> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item != "on" && item != "off")
      throw std::runtime_error("--" + option + ": expected a comma list of on|off, got '" + text + "'");
    out.push_back(item == "on");
  }
  return out;
}

// Engine logprobs vs log_softmax of the training forward over prompt + sampled tokens.
void logprob_gap(const Transformer& model, const std::vector<Request>& requests,
                 const std::vector<std::vector<Generation>>& out, int64_t sequences) {
  c10::NoGradGuard no_grad;
  double worst = 0, sum = 0;
  int64_t count = 0;
  for (size_t r = 0; r < requests.size() && sequences > 0; ++r)
    for (size_t j = 0; j < out[r].size() && sequences > 0; ++j, --sequences) {
      const Generation& g = out[r][j];
      std::vector<int64_t> ids(requests[r].prompt.begin(), requests[r].prompt.end());
      ids.insert(ids.end(), g.tokens.begin(), g.tokens.end());
      const int64_t P = static_cast<int64_t>(requests[r].prompt.size()), T = static_cast<int64_t>(g.tokens.size());
      at::Tensor x = at::tensor(ids, at::kLong).unsqueeze(0).to(model.options().device());
      at::Tensor logits = model.forward(x)[0].narrow(0, P - 1, T).to(at::kFloat);  // (T, V)
      at::Tensor lp = at::log_softmax(logits / requests[r].params.temperature, -1)
                          .gather(-1, at::tensor(std::vector<int64_t>(g.tokens.begin(), g.tokens.end()), at::kLong)
                                          .to(logits.device())
                                          .unsqueeze(-1))
                          .squeeze(-1)
                          .cpu();
      at::Tensor diff = (lp - at::tensor(g.logprobs, at::kFloat)).abs();
      worst = std::max(worst, diff.max().item<double>());
      sum += diff.sum().item<double>();
      count += T;
    }
  std::printf("logprob gap (engine vs training forward, %s, %lld tokens): max %.4g, mean %.4g\n",
              c10::toString(model.options().dtype().toScalarType()), static_cast<long long>(count), worst,
              sum / std::max<int64_t>(count, 1));
}

int run(int argc, char** argv) {
  po::options_description desc("rollout_bench options");
  std::string shape, batches, dtype, device, kernel_modes;
  int64_t n, prompt_len, new_tokens, sync_every, gap_sequences, profile_top;
  double budget;
  bool graphs;
  desc.add_options()("help", "this help")("shape", po::value(&shape)->required(),
                                          "HF config.json giving the model shape")(
      "batch", po::value(&batches)->default_value("64,256"), "sequences decoded together (comma list)")(
      "n", po::value(&n)->default_value(4), "samples per prompt")(
      "prompt-len", po::value(&prompt_len)->default_value(512), "prompt tokens")(
      "new-tokens", po::value(&new_tokens)->default_value(512), "tokens generated per sample")(
      "sync-every", po::value(&sync_every)->default_value(16), "decode steps between host syncs")(
      "cuda-graphs", po::value(&graphs)->default_value(true), "capture decode steps as CUDA graphs")(
      "decode-kernels", po::value(&kernel_modes)->default_value("on"),
      "decode steps through kernels/ (CUDA builds): on, off, or on,off to compare in one run")(
      "budget-gb", po::value(&budget)->default_value(60.0), "rollout memory budget")(
      "gap-sequences", po::value(&gap_sequences)->default_value(8), "sequences for the logprob gap (0 = skip)")(
      "profile", po::value(&profile_top)->default_value(0),
      "after timing, profile one more run and print its N most expensive kernels (0 = off)")(
      "dtype", po::value(&dtype)->default_value("bfloat16"), "float32 | bfloat16")(
      "device", po::value(&device)->default_value("cuda"), "cpu | cuda");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  po::notify(vm);
  const std::vector<bool> kernel_switches = parse_switches(kernel_modes, "decode-kernels");
  const ModelConfig config = ModelConfig::load(shape);
  const at::TensorOptions options =
      at::TensorOptions().dtype(dtype == "bfloat16" ? at::kBFloat16 : at::kFloat).device(at::Device(device));
  Transformer model(config, options);
  bench::init_on_device(model, 1);
  double weight_bytes = 0;
  for (const auto& [name, p] : model.parameters()) weight_bytes += static_cast<double>(p.numel()) * p.element_size();
  std::printf("shape %s: %.1fM parameters, %s on %s, CUDA graphs %s, sync every %lld steps\n", shape.c_str(),
              config.num_parameters() / 1e6, dtype.c_str(), device.c_str(), graphs ? "on" : "off",
              static_cast<long long>(sync_every));
  std::printf(
      "| batch | n | prompt | new | kernels | tokens/s | step ms | prefill s | total s | weights+KV GB/step | HBM "
      "roofline | graphs |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  // "n/a" in the table: this build or shape has no decode kernels, the generic path ran.
  const bool kernels_fit = decode_kernels::fit(config, model.parameters().front().second);
  for (int64_t batch : parse_list(batches)) {
    std::vector<Request> requests(std::max<int64_t>(1, batch / n));
    at::Generator gen = compat::cpu_generator(7);
    for (auto& r : requests) {
      at::Tensor ids = at::randint(0, config.vocab_size, {prompt_len}, gen, at::kLong);
      r.prompt.assign(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + prompt_len);
      r.params.temperature = 1.0;
      r.params.max_new_tokens = new_tokens;  // no stop ids: every sample generates new_tokens
      r.params.seed = 11 * (&r - requests.data());
      r.n = n;
    }
    for (bool kernels : kernel_switches) {
      EngineOptions eo;
      eo.max_batch_size = batch;
      eo.memory_budget_gb = budget;
      eo.sync_every = sync_every;
      eo.cuda_graphs = graphs;
      eo.decode_kernels = kernels;
      RolloutEngine engine(model, eo);
      engine.run(requests);  // warm-up: allocations, cuBLAS handles, graph capture
      const auto t0 = std::chrono::steady_clock::now();
      const auto out = engine.run(requests);
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const EngineStats& s = engine.stats();
      const double step = s.decode_s / std::max<int64_t>(s.steps, 1);
      const double bytes = weight_bytes + s.kv_bytes_live / std::max<int64_t>(s.steps, 1);
      std::printf("| %lld | %lld | %lld | %lld | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.0f%% | %lld |\n",
                  static_cast<long long>(s.slots), static_cast<long long>(n), static_cast<long long>(prompt_len),
                  static_cast<long long>(new_tokens),
                  !kernels      ? "off"
                  : kernels_fit ? "on"
                                : "n/a",
                  s.generated / wall, step * 1e3, s.prefill_s, wall, bytes / 1e9,
                  100.0 * bytes / step / kHbmBytesPerSecond, static_cast<long long>(s.graphs));
      std::fflush(stdout);
      if (gap_sequences > 0) logprob_gap(model, requests, out, gap_sequences);
      if (profile_top > 0)
        bench::profile_kernels([&] { engine.run(requests); }, static_cast<int>(profile_top), "one run");
    }
  }
  return 0;
}

}  // namespace
}  // namespace spct

int main(int argc, char** argv) {
  try {
    return spct::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rollout_bench: %s\n", e.what());
    return 1;
  }
}
