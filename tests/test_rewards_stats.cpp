// rewards/rules/stats.h against hand-worked values (derivations in the comments) and numpy.
#include <gtest/gtest.h>

#include "core/error.h"
#include "rewards/rules/stats.h"

namespace spct::rewards {
namespace {

// The binomial terms are summed in log space (lgamma), so p-values carry rounding of about 1e-15.
TEST(McNemar, ExactBinomialTails) {
  // b = 3, c = 0: n = 3, P(X <= 0) = 1/8, two-sided 2/8.
  EXPECT_NEAR(mcnemar_exact_p(3, 0), 0.25, 1e-12);
  // b = 5, c = 1: n = 6, P(X <= 1) = (C(6,0) + C(6,1)) / 64 = 7/64, two-sided 7/32.
  EXPECT_NEAR(mcnemar_exact_p(5, 1), 7.0 / 32, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(1, 5), 7.0 / 32, 1e-12);  // symmetric
  // b = 7, c = 2: n = 9, P(X <= 2) = (1 + 9 + 36) / 512 = 46/512, two-sided 23/128.
  EXPECT_NEAR(mcnemar_exact_p(7, 2), 23.0 / 128, 1e-12);
  // b = 10, c = 0: 2 / 1024.
  EXPECT_NEAR(mcnemar_exact_p(10, 0), 1.0 / 512, 1e-12);
  // b = c = 2: P(X <= 2) = 11/16, doubled above 1: capped.
  EXPECT_NEAR(mcnemar_exact_p(2, 2), 1.0, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(0, 0), 1.0, 1e-12);  // no discordant item: no evidence
  // b = 60, c = 40: Python fractions, 2 * sum_{i<=40} C(100, i) / 2^100.
  EXPECT_NEAR(mcnemar_exact_p(60, 40), 0.05688793364098079, 1e-12);
  EXPECT_THROW(mcnemar_exact_p(-1, 2), Error);
}

TEST(Wilson, HandWorkedAtZ196) {
  // 0 of 10, z = 1.96: center = (z^2/20) / (1 + z^2/10) = 0.19208 / 1.38416 = 0.138770, half the same;
  // so [0, 0.38416 / 1.38416] = [0, 0.277540].
  Interval w = wilson_interval(0, 10, 1.96);
  EXPECT_DOUBLE_EQ(w.low, 0.0);
  EXPECT_NEAR(w.high, 0.2775401687666166, 1e-12);
  // 5 of 10: center 0.5, half = 1.96 / 1.38416 * sqrt(0.025 + 0.009604) = 0.263410.
  w = wilson_interval(5, 10, 1.96);
  EXPECT_NEAR(w.low, 0.23658959361548731, 1e-12);
  EXPECT_NEAR(w.high, 0.7634104063845126, 1e-12);
  w = wilson_interval(9, 10, 1.96);
  EXPECT_NEAR(w.low, 0.5958436145024278, 1e-12);
  EXPECT_NEAR(w.high, 0.9821242504842788, 1e-12);
  w = wilson_interval(0, 0);
  EXPECT_EQ(w.low, 0.0);
  EXPECT_EQ(w.high, 1.0);
  EXPECT_THROW(wilson_interval(11, 10), Error);
}

TEST(Quantile, LinearInterpolationLikeNumpy) {
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.25), 1.75);  // position 0.75 between 1 and 2
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantile({7}, 0.5), 7.0);
  EXPECT_THROW(quantile({}, 0.5), Error);
}

TEST(PairedBootstrap, GivenResamplesMatchNumpy) {
  // Per-item differences a - b = [1, 0, 0, 1, -1]. The four resamples' means, by hand:
  // [0,0,3,3,1] -> 4/5; [4,4,2,1,0] -> -1/5; [2,3,4,0,1] -> 1/5; [1,2,1,2,4] -> -1/5.
  // numpy.percentile([0.8, -0.2, 0.2, -0.2], [2.5, 97.5]) = [-0.2, 0.755].
  const std::vector<int> a{1, 1, 0, 1, 0}, b{0, 1, 0, 0, 1};
  const Resamples r{{0, 0, 3, 3, 1}, {4, 4, 2, 1, 0}, {2, 3, 4, 0, 1}, {1, 2, 1, 2, 4}};
  const Interval i = paired_bootstrap(a, b, r);
  EXPECT_NEAR(i.low, -0.2, 1e-12);
  EXPECT_NEAR(i.high, 0.755, 1e-12);
  EXPECT_THROW(paired_bootstrap(a, {1, 0}, r), Error);
  EXPECT_THROW(paired_bootstrap(a, b, {{0, 1, 2, 3, 5}}), Error);  // index out of range
  EXPECT_THROW(paired_bootstrap(a, b, {}), Error);
}

TEST(PairedBootstrap, ResamplerIsSeededAndInRange) {
  const Resamples x = bootstrap_resamples(7, 50, 42), y = bootstrap_resamples(7, 50, 42);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, bootstrap_resamples(7, 50, 43));
  ASSERT_EQ(x.size(), 50u);
  for (const auto& r : x) {
    ASSERT_EQ(r.size(), 7u);
    for (int32_t i : r) EXPECT_TRUE(i >= 0 && i < 7);
  }
}

TEST(ComparePaired, Verdicts) {
  // 10 items only a gets right, 10 both right: p = 2/1024. A resample's mean is X/20 with
  // X ~ Binomial(20, 1/2) draws of the ten; P(X <= 5) = 2.1%, so its 2.5% quantile is about 0.25.
  std::vector<int> a(20, 1), b(20, 1);
  for (int i = 0; i < 10; ++i) b[i] = 0;
  PairedComparison c = compare_paired(a, b, {2000, 7, 0.05});
  EXPECT_EQ(c.only_a, 10);
  EXPECT_EQ(c.only_b, 0);
  EXPECT_DOUBLE_EQ(c.difference, 0.5);
  EXPECT_NEAR(c.p_value, 1.0 / 512, 1e-12);
  EXPECT_GT(c.interval.low, 0.2);
  EXPECT_EQ(c.verdict, "holds");
  EXPECT_EQ(compare_paired(b, a).verdict, "reversed");
  // 5 against 1 discordant items among 20: p = 7/32: within noise.
  std::vector<int> d(20, 0), e(20, 0);
  for (int i = 0; i < 5; ++i) d[i] = 1;
  e[5] = 1;
  c = compare_paired(d, e);
  EXPECT_NEAR(c.p_value, 7.0 / 32, 1e-12);
  EXPECT_EQ(c.verdict, "within noise");
  // Identical vectors: no discordant item, interval [0, 0].
  c = compare_paired(a, a);
  EXPECT_EQ(c.interval.low, 0.0);
  EXPECT_EQ(c.interval.high, 0.0);
  EXPECT_EQ(c.verdict, "within noise");
  // Same seed, same interval.
  EXPECT_EQ(compare_paired(d, e, {500, 3, 0.05}).interval.low, compare_paired(d, e, {500, 3, 0.05}).interval.low);
  EXPECT_THROW(compare_paired({1, 2}, {0, 0}), Error);
  EXPECT_THROW(compare_paired({}, {}), Error);
}

TEST(PairedItems, DropsSingleResponseItemsAndRefusesOtherBenchmarks) {
  const auto [a, b] = paired_items({1, -1, 0, 1}, {0, -1, 0, 1});
  EXPECT_EQ(a, (std::vector<int>{1, 0, 1}));
  EXPECT_EQ(b, (std::vector<int>{0, 0, 1}));
  EXPECT_THROW(paired_items({1, 0}, {1, 0, 1}), Error);
  EXPECT_THROW(paired_items({1, -1}, {1, 0}), Error);  // item 1 single-response in one only
}

TEST(MinDetectableEffect, NormalApproximation) {
  // (1.959964 + 0.841621) * sqrt(0.2 / 400) = 2.801585 * 0.0223607 = 0.0626453.
  EXPECT_NEAR(paired_min_detectable_effect(400, 0.2), 0.06264534992459173, 1e-12);
  EXPECT_DOUBLE_EQ(paired_min_detectable_effect(100, 0.0), 0.0);
  EXPECT_THROW(paired_min_detectable_effect(0, 0.2), Error);
}

}  // namespace
}  // namespace spct::rewards
