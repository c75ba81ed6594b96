// Fuzz-style test of the score parser: random byte strings and random mutations of well-formed
// outputs must only ever produce the documented result (scores in range, or an error + reason).
// Seeded, so a failure reproduces; the failing input is printed in hex.
#include <gtest/gtest.h>

#include <random>

#include "rewards/rules/score_parser.h"
#include "tests/test_util.h"

namespace spct::rewards {
namespace {

constexpr int kRandomStrings = 100000;
constexpr int kMutations = 100000;

// Pieces that steer random strings towards the parser's interesting paths.
const std::vector<std::string> kPieces = {"\\boxed{", "{",       "}",           ",",         " ",  "\n",
                                          "-",        "+",       "0",           "1",         "7",  "10",
                                          "11",       "Scores:", "Principles:", "Critique:", "**", "\\"};

std::string random_string(std::mt19937_64& rng) {
  const size_t len = rng() % 64;
  std::string s;
  for (size_t i = 0; i < len; ++i) {
    if (rng() % 2)
      s += kPieces[rng() % kPieces.size()];
    else
      s += static_cast<char>(rng() % 256);
  }
  return s;
}

std::string mutate(std::string s, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 4) {
      case 0: s.insert(pos, 1, static_cast<char>(rng() % 256)); break;
      case 1:
        if (pos < s.size()) s.erase(pos, 1 + rng() % 3);
        break;
      case 2:
        if (pos < s.size()) s[pos] = static_cast<char>(rng() % 256);
        break;
      case 3: s.insert(pos, kPieces[rng() % kPieces.size()]); break;
    }
  }
  return s;
}

std::string valid_output(std::mt19937_64& rng, int n) {
  std::string s = "Principles:\n1. Accuracy (50%)\nCritique:\nfine.\nScores: \\boxed{";
  const ScoreRange r = score_range(n);
  for (int i = 0; i < n; ++i)
    s += (i ? ", " : "") + std::to_string(r.min + static_cast<int>(rng() % (r.max - r.min + 1)));
  return s + "}";
}

// The documented result: ok with n in-range scores, or an error with a reason and no scores.
::testing::AssertionResult documented(const std::string& text, int n) {
  ScoreParse p;
  try {
    p = parse_scores(text, n);
  } catch (...) {
    return ::testing::AssertionFailure() << "threw on n=" << n << " input " << test::to_hex(text);
  }
  if (p.ok()) {
    const ScoreRange r = score_range(n);
    bool good =
        p.scores.size() == static_cast<size_t>(n) && p.reason.empty() && text.find("\\boxed{") != std::string::npos;
    for (int s : p.scores) good = good && s >= r.min && s <= r.max;
    if (!good) return ::testing::AssertionFailure() << "bad ok-result on n=" << n << " input " << test::to_hex(text);
  } else if (!p.scores.empty() || p.reason.empty()) {
    return ::testing::AssertionFailure() << "bad error-result on n=" << n << " input " << test::to_hex(text);
  }
  return ::testing::AssertionSuccess();
}

TEST(ScoreParserFuzz, RandomBytes) {
  std::mt19937_64 rng(20250402);
  int failures = 0;
  for (int i = 0; i < kRandomStrings && failures < 5; ++i) {
    const std::string text = random_string(rng);
    const int n = 1 + static_cast<int>(rng() % 4);
    auto r = documented(text, n);
    EXPECT_TRUE(r);
    failures += !r;
  }
}

TEST(ScoreParserFuzz, MutatedValidOutputs) {
  std::mt19937_64 rng(2504);
  int failures = 0;
  int still_ok = 0;
  for (int i = 0; i < kMutations && failures < 5; ++i) {
    const int n = 1 + static_cast<int>(rng() % 4);
    const std::string text = mutate(valid_output(rng, n), rng);
    auto r = documented(text, n);
    EXPECT_TRUE(r);
    failures += !r;
    still_ok += parse_scores(text, n).ok();
  }
  // Most edits miss the box, so both outcomes must be well represented.
  EXPECT_GT(still_ok, kMutations / 10);
  EXPECT_LT(still_ok, kMutations);
}

TEST(ScoreParserFuzz, UnmutatedValidOutputsParse) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    const int n = 1 + static_cast<int>(rng() % 6);
    EXPECT_TRUE(parse_scores(valid_output(rng, n), n).ok());
  }
}

}  // namespace
}  // namespace spct::rewards
