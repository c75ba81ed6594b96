// The CUDA-only training paths against their CPU-proven references, on the GPU machine (label
// cuda; every test skips without a CUDA device):
// - fused AdamW (ATen's multi-tensor kernel, AdamWOptions::fused) == the per-parameter loop, for
//   float32 parameters and bf16 parameters with float32 masters, weight decay on 2-D tensors;
// - packed sequences through variable-length flash attention == the padded batch (bf16 tolerance);
// - causal attention without a mask tensor (batches without padding) == the masked path.
#include <gtest/gtest.h>

#include <map>

#include "core/model.h"
#include "test_util.h"
#include "trainer/loss/activation_checkpoint.h"
#include "trainer/stages/batch.h"
#include "trainer/loss/losses.h"
#include "trainer/optim/optimizer.h"

namespace spct::test {
namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device"

NamedTensors params_like(at::ScalarType dtype) {
  at::manual_seed(3);
  NamedTensors p;
  p.emplace_back("w", at::randn({64, 48}).to(at::kCUDA, dtype).requires_grad_(true));
  p.emplace_back("v", at::randn({1000, 7}).to(at::kCUDA, dtype).requires_grad_(true));
  p.emplace_back("b", at::randn({48}).to(at::kCUDA, dtype).requires_grad_(true));
  return p;
}

TEST(FusedAdamW, EqualsTheLoop) {
  SKIP_WITHOUT_CUDA();
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    NamedTensors a = params_like(dtype), b = params_like(dtype);
    AdamWOptions o;
    o.weight_decay = 0.1;
    AdamW fused(a, o);
    o.fused = false;
    AdamW loop(b, o);
    for (int step = 0; step < 3; ++step) {
      at::manual_seed(100 + step);
      for (size_t i = 0; i < a.size(); ++i) {
        const at::Tensor g = at::randn(a[i].second.sizes()).to(at::kCUDA, dtype);
        a[i].second.mutable_grad() = g.clone();
        b[i].second.mutable_grad() = g.clone();
      }
      fused.step(1e-2);
      loop.step(1e-2);
    }
    const NamedTensors sa = fused.state(), sb = loop.state();
    ASSERT_EQ(sa.size(), sb.size());
    for (size_t i = 0; i < sa.size(); ++i) {
      const at::Tensor x = sa[i].second.cpu().to(at::kDouble), y = sb[i].second.cpu().to(at::kDouble);
      EXPECT_TRUE(at::allclose(x, y, 1e-5, 1e-6)) << sa[i].first << " " << (x - y).abs().max();
    }
    for (size_t i = 0; i < a.size(); ++i)  // bf16 parameters: their masters rounded, both ways
      EXPECT_TRUE(at::allclose(a[i].second.cpu().to(at::kDouble), b[i].second.cpu().to(at::kDouble), 1e-2, 1e-3))
          << a[i].first;
  }
}

std::unique_ptr<Transformer> cuda_model(at::ScalarType dtype) {
  const ModelConfig c = ModelConfig::load(source_path("tests/fixtures/models/qwen2/config.json"));
  auto m = std::make_unique<Transformer>(c, at::TensorOptions().dtype(at::kFloat));
  m->init_random(11, 0.2);
  m->to(at::TensorOptions().dtype(dtype).device(at::kCUDA));
  for (const auto& [name, p] : m->parameters()) p.requires_grad_(true);
  return m;
}

std::vector<Example> examples(int64_t vocab) {
  std::vector<Example> out;
  int32_t next = 1;
  for (auto [prompt, response] : {std::pair{30, 50}, std::pair{20, 21}, std::pair{40, 77}}) {
    Example e;
    for (int i = 0; i < prompt; ++i) e.prompt.push_back(next++ % vocab);
    for (int i = 0; i < response; ++i) e.response.push_back((7 * next++) % vocab);
    out.push_back(e);
  }
  return out;
}

// Loss of the three examples and the flattened gradient, packed or padded.
std::pair<at::Tensor, at::Tensor> loss_and_grad(const Transformer& m, const std::vector<Example>& ex, bool packed) {
  for (const auto& [name, p] : m.parameters()) p.mutable_grad().reset();
  const std::vector<const Example*> batch{&ex[0], &ex[1], &ex[2]};
  at::Tensor lp, mask;
  if (packed) {
    const PackedBatch b = make_packed_batch(batch, 1000, at::kCUDA);
    ForwardOptions o;
    o.positions = b.positions;
    o.cu_seqlens = b.cu_seqlens;
    o.max_seqlen = b.max_seqlen;
    lp = b.unpack(token_logprobs(m, m.hidden(b.ids, o), b.targets, 64));
    mask = b.mask;
  } else {
    const TokenBatch b = make_batch(batch, 1000, at::kCUDA);
    lp = token_logprobs(m, m.hidden(b.ids, training_forward_options(b.valid, false)), b.targets, 64);
    mask = b.mask;
  }
  const at::Tensor loss = sft_token_loss_sum(lp, mask);
  loss.backward();
  std::vector<at::Tensor> g;
  for (const auto& [name, p] : m.parameters()) g.push_back(p.grad().to(at::kDouble).reshape({-1}));
  return {loss.detach().cpu().to(at::kDouble), at::cat(g).cpu()};
}

TEST(PackedFlash, EqualsPaddedWithinBf16) {
  SKIP_WITHOUT_CUDA();
  auto m = cuda_model(at::kBFloat16);
  const auto ex = examples(m->config().vocab_size);
  const auto [loss_pad, grad_pad] = loss_and_grad(*m, ex, false);
  const auto [loss_pack, grad_pack] = loss_and_grad(*m, ex, true);
  EXPECT_LT(((loss_pack - loss_pad).abs() / loss_pad.abs()).item<double>(), 1e-2) << loss_pack << " " << loss_pad;
  EXPECT_LT(((grad_pack - grad_pad).norm() / grad_pad.norm()).item<double>(), 3e-2);
}

TEST(FusedCausal, EqualsMaskedAttention) {
  SKIP_WITHOUT_CUDA();
  auto m = cuda_model(at::kBFloat16);
  at::manual_seed(5);
  const at::Tensor ids =
      at::randint(m->config().vocab_size, {2, 96}, at::TensorOptions().dtype(at::kLong).device(at::kCUDA));
  at::NoGradGuard no_grad;
  const at::Tensor fused = m->hidden(ids).to(at::kDouble);
  const at::Tensor masked =
      m->hidden(ids, training_forward_options(at::ones({2, 96}, ids.options().dtype(at::kBool)), false))
          .to(at::kDouble);
  EXPECT_LT(((fused - masked).norm() / masked.norm()).item<double>(), 1e-2);
}

}  // namespace
}  // namespace spct::test
