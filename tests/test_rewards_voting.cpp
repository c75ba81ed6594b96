// Voting@k and meta-RM voting (rewards/rules/voting.h), with hand-worked sums.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/error.h"
#include "rewards/rules/voting.h"

namespace spct::rewards {
namespace {

VoteSample sample(Permutation order, const std::string& text) {
  return {order, parse_scores(text, static_cast<int>(order.size()))};
}

TEST(Voting, MapsScoresBackThroughEachPermutation) {
  // Three responses A=0, B=1, C=2.
  // sample 1 shows (C, A, B) and scores 9, 2, 5 -> A 2, B 5, C 9
  // sample 2 shows (B, C, A) and scores 3, 4, 8 -> A 8, B 3, C 4
  // sample 3 shows (A, B, C) and scores 7, 1, 1 -> A 7, B 1, C 1
  // totals: A 17, B 9, C 14 -> best A (index 0), though C was shown first and scored 9.
  std::vector<VoteSample> s = {sample({2, 0, 1}, "\\boxed{9, 2, 5}"), sample({1, 2, 0}, "\\boxed{3, 4, 8}"),
                               sample({0, 1, 2}, "\\boxed{7, 1, 1}")};
  VoteResult r = vote(s, 3, 0);
  EXPECT_EQ(r.totals, (std::vector<long>{17, 9, 14}));
  EXPECT_EQ(r.valid_votes, 3);
  EXPECT_EQ(r.best, 0);
  EXPECT_FALSE(r.tie_broken);
}

TEST(Voting, MalformedSamplesAddNothing) {
  std::vector<VoteSample> s = {sample({1, 0}, "\\boxed{6, 4}"), sample({0, 1}, "\\boxed{6, 11}"),
                               sample({0, 1}, "no box"), sample({0, 1}, "\\boxed{2, 3}")};
  VoteResult r = vote(s, 2, 0);
  EXPECT_EQ(r.totals, (std::vector<long>{6, 9}));  // (4 + 2, 6 + 3)
  EXPECT_EQ(r.valid_votes, 2);
  EXPECT_EQ(r.best, 1);
}

TEST(Voting, AllMalformedMakesNoChoice) {
  std::vector<VoteSample> s = {sample({0, 1}, "\\boxed{7}"), sample({1, 0}, "")};
  VoteResult r = vote(s, 2, 0);
  EXPECT_FALSE(r.decided());
  EXPECT_EQ(r.best, -1);
  EXPECT_EQ(r.valid_votes, 0);
  EXPECT_EQ(r.totals, (std::vector<long>{0, 0}));
  EXPECT_FALSE(vote({}, 2, 0).decided());
}

TEST(Voting, TieBreakIsSeededAndDeterministic) {
  // A and C tie at 8, B has 3: the seed picks A or C, never B, and always the same one.
  std::vector<VoteSample> s = {sample({0, 1, 2}, "\\boxed{8, 3, 8}")};
  std::set<int> chosen;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    VoteResult r = vote(s, 3, seed);
    EXPECT_TRUE(r.tie_broken);
    EXPECT_TRUE(r.best == 0 || r.best == 2);
    EXPECT_EQ(vote(s, 3, seed).best, r.best);
    chosen.insert(r.best);
  }
  EXPECT_EQ(chosen, (std::set<int>{0, 2}));  // both sides of the tie get picked by some seed
}

TEST(Voting, RejectsBadPermutations) {
  EXPECT_THROW(vote({sample({0, 0}, "\\boxed{1, 2}")}, 2, 0), Error);
  EXPECT_THROW(vote({sample({0, 1, 2}, "\\boxed{1, 2, 3}")}, 2, 0), Error);
  EXPECT_THROW(vote({}, 1, 0), Error);
}

TEST(Voting, SingleResponseMeanOfValidVotes) {
  std::vector<ScoreParse> s = {parse_scores("\\boxed{1}", 1), parse_scores("\\boxed{0}", 1),
                               parse_scores("\\boxed{1}", 1), parse_scores("\\boxed{2}", 1),
                               parse_scores("\\boxed{1}", 1)};
  SingleVote v = vote_single(s);
  EXPECT_EQ(v.valid_votes, 4);
  EXPECT_DOUBLE_EQ(v.probability, 0.75);
  EXPECT_FALSE(vote_single({parse_scores("x", 1)}).decided());
}

TEST(MetaVoting, SelectsTopKMetaWithIndexTieBreak) {
  const std::vector<double> p = {0.2, 0.9, 0.5, 0.9, 0.1, 0.5};
  EXPECT_EQ(select_by_meta(p, 0), (std::vector<int>{1, 3, 2}));  // default k/2 = 3
  EXPECT_EQ(select_by_meta(p, 4), (std::vector<int>{1, 3, 2, 5}));
  EXPECT_EQ(select_by_meta(p, 1), (std::vector<int>{1}));
  EXPECT_EQ(select_by_meta({0.3}, 0), (std::vector<int>{0}));  // at least 1
  EXPECT_EQ(select_by_meta(p, 6).size(), 6u);
  EXPECT_THROW(select_by_meta(p, 7), Error);
  EXPECT_THROW(select_by_meta(p, -1), Error);
  EXPECT_THROW(select_by_meta({0.5, std::nan("")}, 1), Error);
}

TEST(MetaVoting, VotesOnlyAmongKept) {
  // Plain voting: A = 2+2+9+9 = 22, B = 9+9+1+1 = 20 -> A.
  // The meta RM trusts samples 0 and 1 (both say B): kept votes give A 4, B 18 -> B.
  std::vector<VoteSample> s = {sample({0, 1}, "\\boxed{2, 9}"), sample({1, 0}, "\\boxed{9, 2}"),
                               sample({0, 1}, "\\boxed{9, 1}"), sample({1, 0}, "\\boxed{1, 9}")};
  EXPECT_EQ(vote(s, 2, 0).best, 0);
  const std::vector<double> meta = {0.8, 0.7, 0.1, 0.3};
  VoteResult r = meta_vote(s, meta, 2, 0, 0);
  EXPECT_EQ(r.totals, (std::vector<long>{4, 18}));
  EXPECT_EQ(r.valid_votes, 2);
  EXPECT_EQ(r.best, 1);
  EXPECT_THROW(meta_vote(s, {0.5}, 2, 0, 0), Error);
}

TEST(MetaVoting, KeptMalformedSamplesStillAddNothing) {
  std::vector<VoteSample> s = {sample({0, 1}, "broken"), sample({0, 1}, "\\boxed{3, 4}")};
  VoteResult r = meta_vote(s, {0.9, 0.1}, 2, 1, 0);
  EXPECT_FALSE(r.decided());
  SingleVote v = meta_vote_single({parse_scores("\\boxed{1}", 1), parse_scores("\\boxed{0}", 1)}, {0.2, 0.6}, 1);
  EXPECT_DOUBLE_EQ(v.probability, 0.0);
}

TEST(Permutations, SameTripleSamePermutation) {
  for (uint64_t sample_index = 0; sample_index < 20; ++sample_index) {
    Permutation a = make_permutation(5, 42, 7, sample_index);
    EXPECT_EQ(a, make_permutation(5, 42, 7, sample_index));
    EXPECT_NO_THROW(check_permutation(a, 5));
  }
  EXPECT_EQ(make_permutation(1, 1, 2, 3), (Permutation{0}));
}

TEST(Permutations, TripleChangesThePermutation) {
  std::set<Permutation> seen;
  for (uint64_t i = 0; i < 200; ++i) seen.insert(make_permutation(4, 1, i, 0));
  EXPECT_EQ(seen.size(), 24u);  // 200 items cover all 4! orders
  EXPECT_NE(make_permutation(8, 1, 0, 0), make_permutation(8, 2, 0, 0));
  EXPECT_NE(make_permutation(8, 1, 0, 0), make_permutation(8, 1, 0, 1));
}

TEST(Permutations, GoldenValues) {
  // Computed by an independent Python reference (splitmix64 + mt19937_64 + Fisher-Yates), pinned
  // so that a change of generator or shuffle, which would silently reorder every experiment's
  // responses, fails here.
  EXPECT_EQ(make_permutation(6, 0, 0, 0), (Permutation{3, 0, 2, 4, 1, 5}));
  EXPECT_EQ(make_permutation(6, 12345, 3, 7), (Permutation{2, 4, 1, 3, 0, 5}));
}

TEST(Permutations, DisplayedPosition) {
  EXPECT_EQ(displayed_position({2, 0, 1}, 0), 1);
  EXPECT_EQ(displayed_position({2, 0, 1}, 2), 0);
  EXPECT_THROW(displayed_position({2, 0, 1}, 3), Error);
}

}  // namespace
}  // namespace spct::rewards
