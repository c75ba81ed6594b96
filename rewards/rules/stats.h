// Statistics for accuracies measured on the same items: is a difference between two judges (or two
// stages, or two k) an effect or noise? Pure functions over per-item 0/1 correctness vectors.
//   - wilson_interval: a 95% interval for one accuracy (Wilson score; sound at 0 or n successes).
//   - paired_bootstrap: a 95% percentile interval of accuracy(a) - accuracy(b), resampling items
//     with replacement (both methods keep the same resampled items: the pairing is kept).
//   - mcnemar_exact_p: the exact two-sided McNemar test (a binomial test on the discordant items).
//   - compare_paired: the three above and the verdict "holds" / "reversed" / "within noise".
// docs/rewards.md ("Statistics") says how the report and `spct eval` use them.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spct::rewards {

constexpr double kZ95 = 1.959963984540054;  // the standard normal's 97.5% quantile

struct Interval {
  double low = 0, high = 0;
};

// Wilson score interval for `successes` of `n` at normal quantile z; {0, 1} when n == 0.
Interval wilson_interval(int64_t successes, int64_t n, double z = kZ95);

// Exact two-sided McNemar p-value: b items only the first method gets right, c only the second.
// p = min(1, 2 P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2); 1 when b + c == 0.
double mcnemar_exact_p(int64_t b, int64_t c);

// The q-quantile (q in [0, 1]) of `values` with linear interpolation between order statistics
// (numpy.percentile's default); sorts a copy. Throws spct::Error on an empty vector.
double quantile(std::vector<double> values, double q);

// Resample r: resamples[r][j] is the item drawn at position j (each list has the items' count).
using Resamples = std::vector<std::vector<int32_t>>;

// `rounds` index lists of n items drawn with replacement from std::mt19937_64(seed) (raw draws
// modulo n: portable across standard libraries, unlike std::uniform_int_distribution).
Resamples bootstrap_resamples(int64_t n, int rounds, uint64_t seed);

// The 2.5% and 97.5% quantiles of mean(a[idx] - b[idx]) over the given resamples. a and b are
// 0/1 per item, of equal length; throws spct::Error on a length mismatch or no resamples.
Interval paired_bootstrap(const std::vector<int>& a, const std::vector<int>& b, const Resamples& resamples);

// The items both vectors score (entries -1, single-response items, dropped from both), in order;
// throws spct::Error when the vectors differ in length or disagree on which entries are -1 (then
// they are not of the same benchmark).
std::pair<std::vector<int>, std::vector<int>> paired_items(const std::vector<int>& a, const std::vector<int>& b);

struct PairedComparison {
  int64_t items = 0;
  double accuracy_a = 0, accuracy_b = 0;
  double difference = 0;           // accuracy_a - accuracy_b
  Interval interval;               // paired bootstrap, 95%
  int64_t only_a = 0, only_b = 0;  // discordant items: a right and b wrong, and the reverse
  double p_value = 1;              // exact McNemar
  std::string verdict;             // "holds", "reversed" or "within noise"
};

struct CompareOptions {
  int rounds = 2000;  // bootstrap resamples
  uint64_t seed = 0;  // of the resampler: the same seed gives the same interval
  double alpha = 0.05;
};

// a is the method the finding says is better. "holds": the McNemar p is below alpha and the
// bootstrap interval lies above 0; "reversed": the same with the interval below 0; otherwise
// "within noise". Both tests must agree, so a verdict does not rest on one approximation.
PairedComparison compare_paired(const std::vector<int>& a, const std::vector<int>& b,
                                const CompareOptions& options = {});

// The smallest accuracy difference a paired test on n items detects with 80% power at a two-sided
// 5% level when a fraction `discordant` of the items is judged differently by the two methods
// (normal approximation near no effect: (z_0.975 + z_0.8) * sqrt(discordant / n)).
double paired_min_detectable_effect(int64_t n, double discordant);

}  // namespace spct::rewards
