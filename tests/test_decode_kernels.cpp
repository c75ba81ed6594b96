// The model's decode step through kernels/ (core/decode_kernels.h) against the generic LibTorch
// path, on the GPU (label `cuda`; skipped without a CUDA device). Shapes that fit the kernels:
// Qwen2.5-like (14 query heads on 2 KV heads, D 64), D 128, and Gemma-2-like (soft-capping,
// sliding window, GeGLU, (1 + w) norms).
#include <gtest/gtest.h>

#include <c10/core/GradMode.h>

#include "core/decode_kernels.h"
#include "core/model.h"
#include "rollout/engine.h"
#include "rollout/kv_cache.h"

namespace spct {
namespace {

ModelConfig shape(Family family, int64_t heads, int64_t kv_heads, int64_t head_dim) {
  ModelConfig c = ModelConfig::tiny(512);
  c.family = family;
  c.hidden_size = 256;
  c.intermediate_size = 512;
  c.num_layers = 3;
  c.num_heads = heads;
  c.num_kv_heads = kv_heads;
  c.head_dim = head_dim;
  c.qkv_bias = family == Family::qwen2;
  c.sliding_layers.assign(c.num_layers, false);
  if (family == Family::gemma2) {
    c.hidden_act = "gelu_pytorch_tanh";
    c.attn_logit_softcapping = 50.0;
    c.final_logit_softcapping = 30.0;
    c.query_pre_attn_scalar = 48;
    c.sliding_window = 40;
    for (int64_t i = 0; i < c.num_layers; i += 2) c.sliding_layers[i] = true;
  }
  c.validate("test shape");
  return c;
}

// Random weights (std 0.1 so that attention is far from uniform), cast to `dtype` on the GPU.
Transformer model_on_gpu(const ModelConfig& c, at::ScalarType dtype) {
  Transformer m(c, at::TensorOptions().dtype(at::kFloat));
  m.init_random(3, 0.1);
  at::manual_seed(4);
  for (const auto& [name, p] : m.parameters())
    if (name.find("norm") != std::string::npos) at::Tensor(p).normal_(c.gemma_style() ? 0.0 : 1.0, 0.1);
  m.to(at::TensorOptions().dtype(dtype).device(at::kCUDA));
  return m;
}

// One decode step of 5 rows at different lengths (1 to 300 columns) over a cache whose past
// columns hold random keys and values (bf16 values, also in a float32 model's cache). Returns the
// final hidden states (float32) and the cache.
struct StepResult {
  at::Tensor hidden;
  KVCache cache;
};
StepResult one_step(const Transformer& m, bool kernels) {
  c10::NoGradGuard no_grad;
  const ModelConfig& c = m.config();
  const auto opts = m.options();
  KVCache cache = KVCache::allocate(c, 5, 384, opts);
  at::manual_seed(5);
  for (auto* side : {&cache.k, &cache.v})
    for (auto& t : *side) t.copy_(at::randn(t.sizes(), opts.dtype(at::kFloat)).to(at::kBFloat16).to(opts.dtype()));
  cache.row_length = at::tensor(std::vector<int64_t>{0, 63, 64, 150, 299}, opts.dtype(at::kLong));
  cache.span = 384;
  at::Tensor ids = at::tensor(std::vector<int64_t>{1, 7, 42, 300, 511}, opts.dtype(at::kLong)).view({5, 1});
  ForwardOptions fo;
  fo.positions = cache.row_length.view({5, 1});
  fo.cache = &cache;
  fo.decode_kernels = kernels;
  at::Tensor h = m.hidden(ids, fo).to(at::kFloat);
  return {h, cache};
}

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kFloat) - b.to(at::kFloat)).abs().max().item<double>();
}

// The kernels' bf16 step is no further from a float32 step than LibTorch's bf16 step is (the
// issue's bar: logprob gap no worse than today), and writes the same K/V columns: within one
// bf16 step in layer 0 (same inputs), within the hidden states' difference after it.
void check_against_generic(const ModelConfig& c) {
  Transformer bf16 = model_on_gpu(c, at::kBFloat16);
  ASSERT_TRUE(decode_kernels::fit(c, bf16.parameters().front().second)) << "the kernels must take this shape";
  Transformer f32 = model_on_gpu(c, at::kBFloat16);
  f32.to(at::TensorOptions().dtype(at::kFloat).device(at::kCUDA));  // the same bf16-rounded weights
  const StepResult fused = one_step(bf16, true), generic = one_step(bf16, false), exact = one_step(f32, false);
  const double err_fused = max_diff(fused.hidden, exact.hidden), err_generic = max_diff(generic.hidden, exact.hidden);
  const double scale = exact.hidden.abs().max().item<double>();
  std::printf("[decode kernels] max |h - h_f32|: kernels %.4g, generic %.4g (max |h| %.3g)\n", err_fused, err_generic,
              scale);
  EXPECT_LE(err_fused, 1.5 * err_generic + 2e-3 * scale);
  EXPECT_LE(err_fused, 0.03 * scale);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const double tol = l == 0 ? 1.0 / 128 : 0.03;
    for (auto side : {&KVCache::k, &KVCache::v}) {
      const at::Tensor& want = (generic.cache.*side)[l];
      EXPECT_LE(max_diff((fused.cache.*side)[l], want), tol * want.abs().max().item<double>())
          << "layer " << l << (side == &KVCache::k ? " keys" : " values");
    }
  }
}

class DecodeKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_F(DecodeKernels, QwenShapeStepMatchesTheGenericPath) { check_against_generic(shape(Family::qwen2, 14, 2, 64)); }

TEST_F(DecodeKernels, HeadDim128StepMatchesTheGenericPath) { check_against_generic(shape(Family::llama, 12, 2, 128)); }

TEST_F(DecodeKernels, GemmaShapeStepMatchesTheGenericPath) { check_against_generic(shape(Family::gemma2, 8, 4, 64)); }

// The kernels allocate nothing outside LibTorch's allocator and never sync: steps captured as CUDA
// graphs replay to the tokens an eager run samples.
TEST_F(DecodeKernels, CudaGraphsGiveTheEagerTokens) {
  Transformer m = model_on_gpu(shape(Family::qwen2, 14, 2, 64), at::kBFloat16);
  std::vector<Request> requests(3);
  for (size_t i = 0; i < requests.size(); ++i) {
    for (int t = 0; t < 20 + 37 * static_cast<int>(i); ++t) requests[i].prompt.push_back((t * 13 + 5 * i) % 512);
    requests[i].params.temperature = 1.0;
    requests[i].params.top_k = i == 1 ? 20 : 0;
    requests[i].params.max_new_tokens = 40;
    requests[i].params.seed = 9 + i;
    requests[i].n = 2;
  }
  EngineOptions o;
  o.max_batch_size = 4;
  o.memory_budget_gb = 0.5;
  o.prefill_tokens = 256;
  o.cuda_graphs = false;
  o.decode_kernels = true;
  const auto eager = RolloutEngine(m, o).run(requests);
  o.cuda_graphs = true;
  RolloutEngine graphed(m, o);
  const auto replayed = graphed.run(requests);
  EXPECT_GT(graphed.stats().graphs, 0);
  for (size_t i = 0; i < requests.size(); ++i)
    for (int j = 0; j < 2; ++j)
      EXPECT_EQ(replayed[i][j].tokens, eager[i][j].tokens) << "request " << i << " sample " << j;
}

TEST(DecodeKernelsFit, NotForFloat32OrCpuOrOtherHeadSizes) {
  const ModelConfig c = shape(Family::qwen2, 14, 2, 64);
  EXPECT_FALSE(decode_kernels::fit(c, at::zeros({1}, at::kBFloat16)));  // on the CPU
  EXPECT_FALSE(decode_kernels::fit(ModelConfig::tiny(64), at::zeros({1}, at::kFloat)));
}

}  // namespace
}  // namespace spct
