#include "rewards/rules/stats.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"

namespace spct::rewards {

Interval wilson_interval(int64_t successes, int64_t n, double z) {
  SPCT_CHECK(n >= 0 && successes >= 0 && successes <= n, "wilson_interval: ", successes, " successes of ", n);
  if (n == 0) return {0.0, 1.0};
  const double p = double(successes) / double(n), z2 = z * z, nn = double(n);
  const double center = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

double mcnemar_exact_p(int64_t b, int64_t c) {
  SPCT_CHECK(b >= 0 && c >= 0, "mcnemar_exact_p: counts must be >= 0, got ", b, " and ", c);
  const int64_t n = b + c, m = std::min(b, c);
  if (n == 0) return 1.0;
  // P(X <= m) for X ~ Binomial(n, 1/2), each term in log space so large n does not overflow.
  const double log_total = std::lgamma(double(n) + 1) - double(n) * std::log(2.0);
  double tail = 0;
  for (int64_t i = 0; i <= m; ++i)
    tail += std::exp(log_total - std::lgamma(double(i) + 1) - std::lgamma(double(n - i) + 1));
  return std::min(1.0, 2 * tail);
}

double quantile(std::vector<double> values, double q) {
  SPCT_CHECK(!values.empty(), "quantile: no values");
  SPCT_CHECK(q >= 0 && q <= 1, "quantile: q must be in [0, 1], got ", q);
  std::sort(values.begin(), values.end());
  const double pos = q * double(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - double(lo)) * (values[hi] - values[lo]);
}

Resamples bootstrap_resamples(int64_t n, int rounds, uint64_t seed) {
  SPCT_CHECK(n >= 1 && rounds >= 1, "bootstrap_resamples: needs n >= 1 and rounds >= 1, got ", n, ", ", rounds);
  std::mt19937_64 rng(seed);
  Resamples out(rounds, std::vector<int32_t>(n));
  for (auto& r : out)
    for (auto& i : r) i = static_cast<int32_t>(rng() % static_cast<uint64_t>(n));
  return out;
}

Interval paired_bootstrap(const std::vector<int>& a, const std::vector<int>& b, const Resamples& resamples) {
  SPCT_CHECK(a.size() == b.size(), "paired_bootstrap: ", a.size(), " items against ", b.size());
  SPCT_CHECK(!resamples.empty(), "paired_bootstrap: no resamples");
  std::vector<double> diffs;
  diffs.reserve(resamples.size());
  for (const auto& r : resamples) {
    SPCT_CHECK(r.size() == a.size(), "paired_bootstrap: a resample of ", r.size(), " for ", a.size(), " items");
    int64_t sum = 0;
    for (int32_t i : r) {
      SPCT_CHECK(i >= 0 && static_cast<size_t>(i) < a.size(), "paired_bootstrap: index ", i, " out of range");
      sum += a[i] - b[i];
    }
    diffs.push_back(double(sum) / double(r.size()));
  }
  return {quantile(diffs, 0.025), quantile(diffs, 0.975)};
}

std::pair<std::vector<int>, std::vector<int>> paired_items(const std::vector<int>& a, const std::vector<int>& b) {
  SPCT_CHECK(a.size() == b.size(), "paired results: ", a.size(), " items against ", b.size(),
             " (not the same benchmark?)");
  std::pair<std::vector<int>, std::vector<int>> out;
  for (size_t i = 0; i < a.size(); ++i) {
    SPCT_CHECK((a[i] < 0) == (b[i] < 0), "paired results: item ", i,
               " is single-response in one result and not in the other (not the same benchmark?)");
    if (a[i] < 0) continue;
    out.first.push_back(a[i]);
    out.second.push_back(b[i]);
  }
  return out;
}

PairedComparison compare_paired(const std::vector<int>& a, const std::vector<int>& b, const CompareOptions& o) {
  SPCT_CHECK(a.size() == b.size(), "compare_paired: ", a.size(), " items against ", b.size());
  SPCT_CHECK(!a.empty(), "compare_paired: no items");
  PairedComparison c;
  c.items = static_cast<int64_t>(a.size());
  int64_t right_a = 0, right_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    SPCT_CHECK((a[i] == 0 || a[i] == 1) && (b[i] == 0 || b[i] == 1), "compare_paired: item ", i, " is not 0/1");
    right_a += a[i], right_b += b[i];
    c.only_a += a[i] && !b[i];
    c.only_b += b[i] && !a[i];
  }
  c.accuracy_a = double(right_a) / double(c.items);
  c.accuracy_b = double(right_b) / double(c.items);
  c.difference = c.accuracy_a - c.accuracy_b;
  c.interval = paired_bootstrap(a, b, bootstrap_resamples(c.items, o.rounds, o.seed));
  c.p_value = mcnemar_exact_p(c.only_a, c.only_b);
  const bool significant = c.p_value < o.alpha;
  if (significant && c.interval.low > 0)
    c.verdict = "holds";
  else if (significant && c.interval.high < 0)
    c.verdict = "reversed";
  else
    c.verdict = "within noise";
  return c;
}

double paired_min_detectable_effect(int64_t n, double discordant) {
  SPCT_CHECK(n >= 1 && discordant >= 0 && discordant <= 1, "paired_min_detectable_effect: n ", n,
             ", discordant fraction ", discordant);
  constexpr double kZ80 = 0.8416212335729143;  // the standard normal's 80% quantile
  return (kZ95 + kZ80) * std::sqrt(discordant / double(n));
}

}  // namespace spct::rewards
