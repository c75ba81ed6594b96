// kernels/layer_ops.h against plain C++ references that round where LibTorch's ops round
// (core/model.cpp): results may differ only where a float32 sum order or a libm ulp moves a
// value across a bf16 rounding boundary, so the tolerance is one bf16 step, 2^-7 relative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "kernels/layer_ops.h"
#include "tests/kernel_test_util.h"

namespace spct::test {
namespace {

using kernels::DType;

class LayerOps : public ::testing::Test {
 protected:
  void SetUp() override { SPCT_SKIP_WITHOUT_GPU(); }
};

void expect_close(const std::vector<float>& want, DType t, const std::vector<uint16_t>& got, const char* what) {
  ASSERT_EQ(want.size(), got.size());
  int bad = 0;
  for (size_t i = 0; i < want.size() && bad < 5; ++i) {
    const float g = from_bits(t, got[i]);
    if (!(std::fabs(g - want[i]) <= 1e-6f + std::ldexp(std::fabs(want[i]), -7))) {
      ADD_FAILURE() << what << " element " << i << ": got " << g << ", want " << want[i];
      ++bad;
    }
  }
}

void check_rms_norm(DType t, int rows, int dim, bool residual, bool gemma, uint32_t seed) {
  std::mt19937 rng(seed);
  const size_t n = static_cast<size_t>(rows) * dim;
  const HostValues x = random_values(t, n, rng, 2.0f), r = random_values(t, n, rng),
                   w = random_values(t, dim, rng, 0.5f);
  const float eps = 1e-6f;
  std::vector<float> want(n), want_sum(n);
  for (int i = 0; i < rows; ++i) {
    double squares = 0;
    for (int d = 0; d < dim; ++d) {
      const size_t k = static_cast<size_t>(i) * dim + d;
      want_sum[k] = residual ? rounded(t, x.f[k] + r.f[k]) : x.f[k];
      squares += static_cast<double>(want_sum[k]) * want_sum[k];
    }
    const float inv = 1.0f / std::sqrt(static_cast<float>(squares / dim) + eps);
    for (int d = 0; d < dim; ++d) {
      const size_t k = static_cast<size_t>(i) * dim + d;
      const float xn = want_sum[k] * inv;
      want[k] = rounded(t, gemma ? xn * (1.0f + w.f[d]) : w.f[d] * rounded(t, xn));
    }
  }
  DeviceBuffer dx(x.bits), dr(r.bits), dw(w.bits), dout(n * 2), dsum(n * 2);
  kernels::RmsNormArgs a;
  a.dtype = t, a.rows = rows, a.dim = dim, a.eps = eps, a.gemma = gemma;
  a.x = dx.get(), a.weight = dw.get(), a.out = dout.get();
  a.x_stride = a.residual_stride = a.sum_stride = a.out_stride = dim;
  if (residual) a.residual = dr.get(), a.sum = dsum.get();
  SPCT_CUDA_OK(kernels::rms_norm(a, nullptr));
  SPCT_CUDA_OK(cudaDeviceSynchronize());
  expect_close(want, t, dout.download<uint16_t>(), "rms_norm");
  if (residual) {
    const std::vector<uint16_t> sum = dsum.download<uint16_t>();
    for (size_t k = 0; k < n; ++k) ASSERT_EQ(to_bits(t, want_sum[k]), sum[k]) << "x + residual, element " << k;
  }
}

TEST_F(LayerOps, RmsNormQwenHiddenSizes) {
  check_rms_norm(DType::bf16, 7, 896, false, false, 1);
  check_rms_norm(DType::bf16, 5, 1536, true, false, 2);
}

TEST_F(LayerOps, RmsNormGemmaOnePlusWeightAndFp16) {
  check_rms_norm(DType::bf16, 3, 2304, true, true, 3);
  check_rms_norm(DType::f16, 4, 64, false, false, 4);  // a q/k norm over one head
}

TEST_F(LayerOps, RmsNormSumInPlaceOfX) {
  // The decode layer writes x + residual over x: the kernel must read each value before writing.
  std::mt19937 rng(5);
  const int rows = 3, dim = 896;
  const HostValues x = random_values(DType::bf16, rows * dim, rng), r = random_values(DType::bf16, rows * dim, rng),
                   w = random_values(DType::bf16, dim, rng);
  DeviceBuffer dx(x.bits), dr(r.bits), dw(w.bits), dout(rows * dim * 2);
  kernels::RmsNormArgs a;
  a.rows = rows, a.dim = dim, a.x = dx.get(), a.residual = dr.get(), a.sum = dx.get(), a.weight = dw.get();
  a.out = dout.get(), a.x_stride = a.residual_stride = a.sum_stride = a.out_stride = dim;
  SPCT_CUDA_OK(kernels::rms_norm(a, nullptr));
  SPCT_CUDA_OK(cudaDeviceSynchronize());
  const std::vector<uint16_t> sum = dx.download<uint16_t>();
  for (int k = 0; k < rows * dim; ++k) ASSERT_EQ(bf16_bits(x.f[k] + r.f[k]), sum[k]) << "element " << k;
}

TEST_F(LayerOps, RotaryRotatesQueriesAndWritesKeysAndValuesAtEachRowsColumn) {
  const int B = 4, H = 14, Hkv = 2, D = 64, cap = 128;
  const std::vector<int64_t> pos = {0, 5, 300, 4095}, col = {0, 5, 100, 127};
  std::mt19937 rng(6);
  const HostValues q = random_values(DType::bf16, B * H * D, rng), k = random_values(DType::bf16, B * Hkv * D, rng),
                   v = random_values(DType::bf16, B * Hkv * D, rng);
  std::vector<float> inv_freq(D / 2);
  for (int i = 0; i < D / 2; ++i) inv_freq[i] = 1.0f / std::pow(10000.0f, 2.0f * i / D);
  const std::vector<uint16_t> sentinel(static_cast<size_t>(B) * Hkv * cap * D, bf16_bits(7.0f));
  DeviceBuffer dq(q.bits), dk(k.bits), dv(v.bits), dpos(pos), dcol(col), dfreq(inv_freq), kc(sentinel), vc(sentinel);
  kernels::RotaryCacheArgs a;
  a.batch = B, a.heads = H, a.kv_heads = Hkv, a.head_dim = D;
  a.q = dq.get(), a.q_stride_b = H * D, a.q_stride_h = D;
  a.k = dk.get(), a.v = dv.get(), a.kv_stride_b = Hkv * D, a.kv_stride_h = D;
  a.positions = dpos.get<int64_t>(), a.row_length = dcol.get<int64_t>(), a.inv_freq = dfreq.get<float>();
  a.k_cache = kc.get(), a.v_cache = vc.get(), a.cache_stride_b = Hkv * cap * D, a.cache_stride_h = cap * D;
  a.cache_stride_s = D;
  SPCT_CUDA_OK(kernels::rotary_to_cache(a, nullptr));
  SPCT_CUDA_OK(cudaDeviceSynchronize());
  // HF: x * cos + rotate_half(x) * sin, each product and the sum rounded to bf16.
  auto rotate = [&](const std::vector<float>& x, size_t base, int b, std::vector<float>& out, size_t out_base) {
    for (int i = 0; i < D / 2; ++i) {
      const float f = static_cast<float>(pos[b]) * inv_freq[i];
      const float c = rounded(DType::bf16, std::cos(f)), s = rounded(DType::bf16, std::sin(f));
      const float x1 = x[base + i], x2 = x[base + i + D / 2];
      out[out_base + i] = rounded(DType::bf16, rounded(DType::bf16, x1 * c) + rounded(DType::bf16, -x2 * s));
      out[out_base + i + D / 2] = rounded(DType::bf16, rounded(DType::bf16, x2 * c) + rounded(DType::bf16, x1 * s));
    }
  };
  std::vector<float> want_q(q.f.size()), want_k(sentinel.size(), 7.0f), want_v(sentinel.size(), 7.0f);
  for (int b = 0; b < B; ++b) {
    for (int h = 0; h < H; ++h) rotate(q.f, (b * H + h) * D, b, want_q, (b * H + h) * D);
    for (int h = 0; h < Hkv; ++h) {
      const size_t at = ((static_cast<size_t>(b) * Hkv + h) * cap + col[b]) * D;
      rotate(k.f, (b * Hkv + h) * D, b, want_k, at);
      for (int d = 0; d < D; ++d) want_v[at + d] = v.f[(b * Hkv + h) * D + d];
    }
  }
  expect_close(want_q, DType::bf16, dq.download<uint16_t>(), "rotated q");
  expect_close(want_k, DType::bf16, kc.download<uint16_t>(), "key cache");
  expect_close(want_v, DType::bf16, vc.download<uint16_t>(), "value cache");
}

void check_glu(kernels::GluAct act, int rows, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  const size_t n = static_cast<size_t>(rows) * dim;
  const HostValues g = random_values(DType::bf16, n, rng, 3.0f), u = random_values(DType::bf16, n, rng);
  std::vector<float> want(n);
  for (size_t k = 0; k < n; ++k) {
    const float x = g.f[k];
    const float a =
        act == kernels::GluAct::silu
            ? x / (1.0f + std::exp(-x))
            : 0.5f * x * (1.0f + std::tanh(static_cast<float>(std::sqrt(2.0 / M_PI)) * (x + 0.044715f * x * x * x)));
    want[k] = rounded(DType::bf16, rounded(DType::bf16, a) * u.f[k]);
  }
  DeviceBuffer dg(g.bits), du(u.bits), dout(n * 2);
  kernels::GluArgs a;
  a.act = act, a.rows = rows, a.dim = dim, a.gate = dg.get(), a.up = du.get(), a.out = dout.get();
  a.gate_stride = a.up_stride = a.out_stride = dim;
  SPCT_CUDA_OK(kernels::glu(a, nullptr));
  SPCT_CUDA_OK(cudaDeviceSynchronize());
  expect_close(want, DType::bf16, dout.download<uint16_t>(), act == kernels::GluAct::silu ? "swiglu" : "geglu");
}

TEST_F(LayerOps, SwiGluAndGeGlu) {
  check_glu(kernels::GluAct::silu, 5, 4864, 7);  // Qwen2.5-0.5B intermediate size
  check_glu(kernels::GluAct::gelu_tanh, 3, 9216, 8);
}

TEST(LayerOpsArgs, RejectRowsThatAreNotWholeVectors) {
  kernels::RmsNormArgs r;
  r.rows = 1, r.dim = 100;  // not a multiple of 8
  EXPECT_EQ(cudaErrorInvalidValue, kernels::rms_norm(r, nullptr));
  kernels::GluArgs g;
  g.rows = 1, g.dim = 12;
  EXPECT_EQ(cudaErrorInvalidValue, kernels::glu(g, nullptr));
  EXPECT_EQ(cudaErrorInvalidValue, kernels::rotary_to_cache(kernels::RotaryCacheArgs{}, nullptr));
}

}  // namespace
}  // namespace spct::test
