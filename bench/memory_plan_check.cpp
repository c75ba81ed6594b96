// Checks the planner's activation estimate (trainer/stages/memory_plan.h) against the memory one
// training forward + backward really takes on the CPU: the tiny model in float32, one micro-batch
// of B x T tokens through the chunked log-prob loss, with and without activation checkpointing.
// One case per process (peak RSS cannot be reset reliably inside one): the growth of the peak
// resident set (VmHWM) over the resident set before the forward, against the plan's activations +
// logits chunk + gradients. Usage: memory_plan_check B T [ckpt]; bench/RESULTS.md has a table.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/byte_tokenizer.h"
#include "core/model.h"
#include "trainer/loss/activation_checkpoint.h"
#include "trainer/loss/losses.h"
#include "trainer/stages/memory_plan.h"

namespace {

int64_t status_kb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atoll(line.c_str() + std::string(key).size());
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: memory_plan_check B T [ckpt]\n");
    return 2;
  }
  const int64_t B = std::atoll(argv[1]), T = std::atoll(argv[2]);
  const bool ckpt = argc > 3 && std::string(argv[3]) == "ckpt";
  at::set_num_threads(1);
  const spct::ModelConfig c = spct::ModelConfig::tiny(spct::ByteTokenizer::kVocabSize);
  spct::Transformer m(c, at::TensorOptions().dtype(at::kFloat));
  m.init_random(1, 0.02);
  for (const auto& [name, p] : m.parameters()) p.requires_grad_(true);
  const at::Tensor ids = at::randint(c.vocab_size, {B, T}, at::TensorOptions().dtype(at::kLong));
  const at::Tensor valid = at::ones({B, T}, at::TensorOptions().dtype(at::kBool));
  const int64_t before_kb = status_kb("VmRSS:");
  {
    const at::Tensor hidden = m.hidden(ids, spct::training_forward_options(valid, ckpt));
    const at::Tensor loss = -spct::token_logprobs(m, hidden, ids, 2048).sum();
    loss.backward();
  }
  const int64_t grown = (status_kb("VmHWM:") - before_kb) * 1024;

  spct::MemoryPlanInput in;
  in.model = c;
  in.param_bytes = 4;
  in.micro_batch = B;
  in.seq_len = T;
  in.activation_checkpointing = ckpt;
  in.eager_attention = true;  // LibTorch 1.13 on the CPU has no fused attention
  const spct::MemoryPlan p = spct::plan_memory(in);
  const int64_t planned = p.activations + p.logits + p.grads;
  std::printf("| %lld x %lld | %s | %.1f | %.1f | %.1f | %.1f | %.2f |\n", static_cast<long long>(B),
              static_cast<long long>(T), ckpt ? "on" : "off", p.activations / 1e6, (p.logits + p.grads) / 1e6,
              planned / 1e6, grown / 1e6, static_cast<double>(planned) / grown);
  return 0;
}
