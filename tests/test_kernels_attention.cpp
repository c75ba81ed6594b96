// kernels/decode_attention against a plain C++ reference: bf16/fp16 inputs (the reference reads
// the same rounded values), float32 reference, tolerance |gpu - ref| <= 4e-3 + 8e-3 |ref|
// (one rounding of the output to bf16 is at most 2^-9 relative; the rest is float32 order).
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "kernels/decode_attention.h"
#include "tests/kernel_test_util.h"

namespace spct::test {
namespace {

using kernels::DType;

struct AttnCase {
  int B, H, Hkv, D, capacity, span;
  std::vector<int64_t> pos;  // row_length per row (the query's column)
  float softcap = 0.0f;
  int window = 0;
  int splits = 0;  // 0: decode_attention_splits' choice
  DType dtype = DType::bf16;
};

// out[b][h][d] over the keys the kernel's contract names (see kernels/decode_attention.h).
std::vector<float> reference(const AttnCase& c, const std::vector<float>& q, const std::vector<float>& k,
                             const std::vector<float>& v, float scale) {
  std::vector<float> out(static_cast<size_t>(c.B) * c.H * c.D, 0.0f);
  const int G = c.H / c.Hkv;
  for (int b = 0; b < c.B; ++b)
    for (int h = 0; h < c.H; ++h) {
      const int64_t pos = c.pos[b];
      const int64_t hi = std::min<int64_t>(pos + 1, c.span);
      const int64_t lo = c.window > 0 ? std::max<int64_t>(0, pos - c.window + 1) : 0;
      if (lo >= hi) continue;
      const float* qv = &q[(static_cast<size_t>(b) * c.H + h) * c.D];
      const size_t head = (static_cast<size_t>(b) * c.Hkv + h / G) * c.capacity;
      std::vector<double> s(hi - lo);
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t j = lo; j < hi; ++j) {
        double dot = 0;
        for (int d = 0; d < c.D; ++d) dot += static_cast<double>(qv[d]) * k[(head + j) * c.D + d];
        dot *= scale;
        if (c.softcap > 0) dot = c.softcap * std::tanh(dot / c.softcap);
        s[j - lo] = dot;
        mx = std::max(mx, dot);
      }
      double sum = 0;
      for (double& x : s) sum += (x = std::exp(x - mx));
      for (int d = 0; d < c.D; ++d) {
        double o = 0;
        for (int64_t j = lo; j < hi; ++j) o += s[j - lo] * v[(head + j) * c.D + d];
        out[(static_cast<size_t>(b) * c.H + h) * c.D + d] = static_cast<float>(o / sum);
      }
    }
  return out;
}

void check(const AttnCase& c, uint32_t seed) {
  std::mt19937 rng(seed);
  const size_t nq = static_cast<size_t>(c.B) * c.H * c.D, nkv = static_cast<size_t>(c.B) * c.Hkv * c.capacity * c.D;
  const HostValues q = random_values(c.dtype, nq, rng), k = random_values(c.dtype, nkv, rng),
                   v = random_values(c.dtype, nkv, rng);
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
  DeviceBuffer dq(q.bits), dk(k.bits), dv(v.bits), dpos(c.pos), dout(nq * 2);
  kernels::DecodeAttentionArgs a;
  a.dtype = c.dtype;
  a.batch = c.B, a.heads = c.H, a.kv_heads = c.Hkv, a.head_dim = c.D;
  a.q = dq.get(), a.q_stride_b = c.H * c.D, a.q_stride_h = c.D;
  a.k = dk.get(), a.v = dv.get();
  a.kv_stride_b = static_cast<int64_t>(c.Hkv) * c.capacity * c.D,
  a.kv_stride_h = static_cast<int64_t>(c.capacity) * c.D, a.kv_stride_s = c.D;
  a.row_length = dpos.get<int64_t>(), a.span = c.span, a.scale = scale, a.softcap = c.softcap, a.window = c.window;
  a.out = dout.get(), a.out_stride_b = c.H * c.D, a.out_stride_h = c.D;
  a.splits = c.splits > 0 ? c.splits : kernels::decode_attention_splits(c.B, c.Hkv, c.span, 132);
  DeviceBuffer ws(kernels::decode_attention_workspace_floats(c.B, c.H, c.D, a.splits) * sizeof(float));
  a.workspace = ws.get<float>();
  SPCT_CUDA_OK(kernels::decode_attention(a, nullptr));
  SPCT_CUDA_OK(cudaDeviceSynchronize());
  const std::vector<float> want = reference(c, q.f, k.f, v.f, scale);
  const std::vector<uint16_t> got = dout.download<uint16_t>();
  int bad = 0;
  for (size_t i = 0; i < nq && bad < 5; ++i) {
    const float g = from_bits(c.dtype, got[i]);
    if (!(std::fabs(g - want[i]) <= 4e-3f + 8e-3f * std::fabs(want[i]))) {
      ADD_FAILURE() << "row " << i / (c.H * c.D) << " head " << (i / c.D) % c.H << " dim " << i % c.D << ": got " << g
                    << ", want " << want[i] << " (splits " << a.splits << ")";
      ++bad;
    }
  }
}

class DecodeAttention : public ::testing::Test {
 protected:
  void SetUp() override { SPCT_SKIP_WITHOUT_GPU(); }
};

TEST_F(DecodeAttention, Qwen05bShapeOneSplitAndManySplits) {
  // 14 query heads on 2 KV heads (G = 7), D = 64; lengths 1, around the 64-key chunk, long.
  const AttnCase base{6, 14, 2, 64, 640, 512, {0, 62, 63, 64, 200, 511}};
  for (int splits : {1, 3, 8, 0}) {
    AttnCase c = base;
    c.splits = splits;
    check(c, 1 + splits);
  }
}

TEST_F(DecodeAttention, Qwen15bShapeHeadDim128) {
  // 12 query heads on 2 KV heads (G = 6), D = 128.
  for (int splits : {1, 5, 0}) check({5, 12, 2, 128, 384, 384, {0, 1, 127, 130, 383}, 0.0f, 0, splits}, 11 + splits);
}

TEST_F(DecodeAttention, GroupSizesOneTwoFourEight) {
  check({3, 4, 4, 64, 256, 256, {5, 100, 255}}, 21);                   // G = 1 (multi-head)
  check({3, 8, 4, 128, 256, 192, {0, 77, 191}, 0.0f, 0, 2}, 22);       // G = 2
  check({2, 16, 4, 64, 300, 300, {299, 150}, 0.0f, 0, 4}, 23);         // G = 4, span not a multiple of 64
  check({4, 16, 2, 128, 128, 128, {3, 64, 65, 127}, 0.0f, 0, 3}, 24);  // G = 8
}

TEST_F(DecodeAttention, RowsPastTheSpanReadTheSpan) {
  // A retired row keeps stepping with its column clamped past the span: it reads `span` columns.
  check({2, 14, 2, 64, 512, 128, {300, 127}, 0.0f, 0, 2}, 31);
}

TEST_F(DecodeAttention, SoftCappingAndSlidingWindow) {
  // Gemma-2: soft-capped logits (cap 2, so that it bites on unit-variance scores) and a window.
  AttnCase c{4, 8, 4, 128, 512, 512, {0, 40, 300, 511}, 2.0f, 0, 0};
  check(c, 41);
  c.window = 64;
  for (int splits : {1, 4}) {
    c.splits = splits;
    check(c, 42 + splits);
  }
}

TEST_F(DecodeAttention, Fp16) {
  AttnCase c{3, 14, 2, 64, 256, 256, {0, 99, 255}, 0.0f, 0, 2};
  c.dtype = DType::f16;
  check(c, 51);
}

TEST_F(DecodeAttention, LargeBatchUsesTheHeuristicSplit) {
  std::vector<int64_t> pos(64);
  for (int b = 0; b < 64; ++b) pos[b] = (b * 37) % 700;
  check({64, 14, 2, 64, 768, 768, pos}, 61);
}

// Argument checks and the split choice need no GPU: they run in CI too.
TEST(DecodeAttentionArgs, RejectsUnsupportedShapes) {
  kernels::DecodeAttentionArgs a;
  a.batch = 1, a.heads = 4, a.kv_heads = 4, a.head_dim = 96, a.span = 8;  // D = 96 unsupported
  EXPECT_EQ(cudaErrorInvalidValue, kernels::decode_attention(a, nullptr));
  EXPECT_FALSE(kernels::decode_attention_supported(64, 9));
  EXPECT_TRUE(kernels::decode_attention_supported(128, 7));
}

TEST(DecodeAttentionArgs, SplitsFillTheGpuWithChunksOfAtLeast64Keys) {
  EXPECT_EQ(1, kernels::decode_attention_splits(512, 2, 1024, 132));  // 1,024 blocks already
  EXPECT_EQ(2, kernels::decode_attention_splits(256, 2, 1024, 132));  // 528 blocks wanted
  EXPECT_EQ(4, kernels::decode_attention_splits(1, 2, 256, 132));     // capped at 256 / 64 chunks
  EXPECT_EQ(1, kernels::decode_attention_splits(1, 2, 1, 132));
  EXPECT_EQ(0u, kernels::decode_attention_workspace_floats(8, 14, 64, 1));
  EXPECT_EQ(8u * 14 * 3 * 65, kernels::decode_attention_workspace_floats(8, 14, 64, 3));
}

}  // namespace
}  // namespace spct::test
