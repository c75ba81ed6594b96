// Voting@k and meta-RM-guided voting (SPCT stage 3), plus the seeded response shuffles they need.
// Each sample judged the responses in its own order; a vote is mapped back through that order
// before it is summed, so totals are always indexed by the original response.
#pragma once
#include <cstdint>
#include <vector>

#include "rewards/rules/score_parser.h"

namespace spct::rewards {

// order[p] = original index of the response shown at displayed position p (0-based).
using Permutation = std::vector<int>;

// The permutation for one (seed, item, sample) triple: always the same for the same triple, on
// every platform (std::mt19937_64 seeded from a splitmix64 mix of the triple, and our own
// Fisher-Yates: std::shuffle's algorithm is unspecified by the standard).
Permutation make_permutation(int num_responses, uint64_t seed, uint64_t item, uint64_t sample);

// Throws spct::Error unless order is a permutation of 0..num_responses-1.
void check_permutation(const Permutation& order, int num_responses);

// The displayed position (0-based) of original response `original` in order.
int displayed_position(const Permutation& order, int original);

struct VoteSample {
  Permutation order;  // (n,) displayed -> original
  ScoreParse parse;   // scores in displayed order
};

struct VoteResult {
  std::vector<long> totals;  // (n,) summed scores per original response
  int valid_votes = 0;       // samples that were well-formed and counted
  int best = -1;             // original index of the argmax; -1 when no sample was valid
  bool tie_broken = false;   // several responses shared the top total; `best` drawn by seed
  bool decided() const { return best >= 0; }
};

// Voting@k: sums each valid sample's scores per original response (malformed samples add
// nothing) and takes the argmax; a tie for the top is broken by a draw from
// std::mt19937_64(tie_seed), so the same inputs and seed always choose the same response.
VoteResult vote(const std::vector<VoteSample>& samples, int num_responses, uint64_t tie_seed);

// Single-response voting: the mean of the valid 0/1 scores, read as P(correct).
struct SingleVote {
  double probability = 0.0;  // meaningful only when valid_votes > 0
  int valid_votes = 0;
  bool decided() const { return valid_votes > 0; }
};
SingleVote vote_single(const std::vector<ScoreParse>& samples);

// Meta-RM guidance: indices of the k_meta samples with the highest meta-RM probability, ties
// going to the lower sample index; returned in that rank order. k_meta == 0 means the default
// max(1, k / 2). Throws spct::Error if a probability is not finite or k_meta is not in 0..k.
std::vector<int> select_by_meta(const std::vector<double>& meta_probs, int k_meta);

// Votes among the samples that select_by_meta keeps (meta_probs[i] belongs to samples[i]).
VoteResult meta_vote(const std::vector<VoteSample>& samples, const std::vector<double>& meta_probs, int num_responses,
                     int k_meta, uint64_t tie_seed);
SingleVote meta_vote_single(const std::vector<ScoreParse>& samples, const std::vector<double>& meta_probs, int k_meta);

}  // namespace spct::rewards
