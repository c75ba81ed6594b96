#include "rewards/rules/voting.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/random.h"

namespace spct::rewards {
namespace {

// A draw in [0, bound) from the raw generator output; std::uniform_int_distribution is not
// portable across standard libraries. The modulo bias is below 2^-50 for any bound we use.
uint64_t draw(std::mt19937_64& rng, uint64_t bound) { return rng() % bound; }

template <class T>
std::vector<T> pick(const std::vector<T>& all, const std::vector<int>& indices) {
  std::vector<T> out;
  out.reserve(indices.size());
  for (int i : indices) out.push_back(all[i]);
  return out;
}

}  // namespace

Permutation make_permutation(int num_responses, uint64_t seed, uint64_t item, uint64_t sample) {
  SPCT_CHECK(num_responses >= 1, "make_permutation: num_responses must be >= 1, got ", num_responses);
  std::mt19937_64 rng(splitmix64(splitmix64(splitmix64(seed) ^ item) ^ sample));
  Permutation order(num_responses);
  std::iota(order.begin(), order.end(), 0);
  for (int i = num_responses - 1; i > 0; --i) std::swap(order[i], order[draw(rng, i + 1)]);
  return order;
}

void check_permutation(const Permutation& order, int num_responses) {
  SPCT_CHECK(order.size() == static_cast<size_t>(num_responses), "permutation has ", order.size(), " entries for ",
             num_responses, " responses");
  std::vector<bool> seen(num_responses, false);
  for (int original : order) {
    SPCT_CHECK(original >= 0 && original < num_responses && !seen[original], "not a permutation of 0..",
               num_responses - 1, ": entry ", original, " is out of range or repeated");
    seen[original] = true;
  }
}

int displayed_position(const Permutation& order, int original) {
  auto it = std::find(order.begin(), order.end(), original);
  SPCT_CHECK(it != order.end(), "response ", original, " is not in the permutation");
  return static_cast<int>(it - order.begin());
}

VoteResult vote(const std::vector<VoteSample>& samples, int num_responses, uint64_t tie_seed) {
  SPCT_CHECK(num_responses >= 2, "vote: needs >= 2 responses, got ", num_responses, " (use vote_single)");
  VoteResult r;
  r.totals.assign(num_responses, 0);
  for (const VoteSample& s : samples) {
    check_permutation(s.order, num_responses);
    if (!s.parse.ok() || s.parse.scores.size() != static_cast<size_t>(num_responses)) continue;
    for (int p = 0; p < num_responses; ++p) r.totals[s.order[p]] += s.parse.scores[p];
    ++r.valid_votes;
  }
  if (r.valid_votes == 0) return r;
  const long top = *std::max_element(r.totals.begin(), r.totals.end());
  std::vector<int> leaders;
  for (int i = 0; i < num_responses; ++i)
    if (r.totals[i] == top) leaders.push_back(i);
  r.tie_broken = leaders.size() > 1;
  std::mt19937_64 rng(tie_seed);
  r.best = r.tie_broken ? leaders[draw(rng, leaders.size())] : leaders[0];
  return r;
}

SingleVote vote_single(const std::vector<ScoreParse>& samples) {
  SingleVote v;
  long positives = 0;
  for (const ScoreParse& p : samples) {
    if (!p.ok() || p.scores.size() != 1) continue;
    positives += p.scores[0];
    ++v.valid_votes;
  }
  if (v.valid_votes > 0) v.probability = static_cast<double>(positives) / v.valid_votes;
  return v;
}

std::vector<int> select_by_meta(const std::vector<double>& meta_probs, int k_meta) {
  const int k = static_cast<int>(meta_probs.size());
  SPCT_CHECK(k_meta >= 0 && k_meta <= k, "k_meta must be in 1..", k, " (or 0 for k/2), got ", k_meta);
  for (int i = 0; i < k; ++i)
    SPCT_CHECK(std::isfinite(meta_probs[i]), "meta-RM probability of sample ", i, " is not finite");
  if (k == 0) return {};
  const int keep = k_meta == 0 ? std::max(1, k / 2) : k_meta;
  std::vector<int> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return meta_probs[a] > meta_probs[b]; });
  order.resize(keep);
  return order;
}

VoteResult meta_vote(const std::vector<VoteSample>& samples, const std::vector<double>& meta_probs, int num_responses,
                     int k_meta, uint64_t tie_seed) {
  SPCT_CHECK(samples.size() == meta_probs.size(), "meta_vote: ", samples.size(), " samples but ", meta_probs.size(),
             " meta-RM probabilities");
  return vote(pick(samples, select_by_meta(meta_probs, k_meta)), num_responses, tie_seed);
}

SingleVote meta_vote_single(const std::vector<ScoreParse>& samples, const std::vector<double>& meta_probs, int k_meta) {
  SPCT_CHECK(samples.size() == meta_probs.size(), "meta_vote_single: ", samples.size(), " samples but ",
             meta_probs.size(), " meta-RM probabilities");
  return vote_single(pick(samples, select_by_meta(meta_probs, k_meta)));
}

}  // namespace spct::rewards
