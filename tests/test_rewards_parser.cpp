// Score parser (rewards/rules/score_parser.h) and eq. 10/11 (rewards/rules/correctness.h): one worked example
// per rule.
#include <gtest/gtest.h>

#include "core/error.h"
#include "rewards/rules/correctness.h"
#include "rewards/rules/score_parser.h"

namespace spct::rewards {
namespace {

ScoreParse ok_parse(const std::string& text, int n) {
  ScoreParse p = parse_scores(text, n);
  EXPECT_TRUE(p.ok()) << text << " -> " << p.reason;
  return p;
}

void expect_error(const std::string& text, int n, ParseError error) {
  ScoreParse p = parse_scores(text, n);
  EXPECT_EQ(p.error, error) << text << " -> " << to_string(p.error) << ": " << p.reason;
  EXPECT_TRUE(p.scores.empty());
  EXPECT_FALSE(p.reason.empty());
}

TEST(ScoreParser, ReadsTwoScores) { EXPECT_EQ(ok_parse("Scores: \\boxed{7, 3}", 2).scores, (std::vector<int>{7, 3})); }

TEST(ScoreParser, ToleratesWhitespace) {
  EXPECT_EQ(ok_parse("\\boxed{ 7 ,\t3\n, 10 }", 3).scores, (std::vector<int>{7, 3, 10}));
  EXPECT_EQ(ok_parse("\\boxed{\n1,2}", 2).scores, (std::vector<int>{1, 2}));
}

TEST(ScoreParser, LastBoxWins) {
  EXPECT_EQ(ok_parse("draft \\boxed{1, 2} final \\boxed{9, 4}", 2).scores, (std::vector<int>{9, 4}));
  // A bad last box is not rescued by a good earlier one.
  expect_error("\\boxed{9, 4} then \\boxed{9}", 2, ParseError::wrong_count);
  expect_error("\\boxed{9, 4} then \\boxed{9, 4", 2, ParseError::unclosed_box);
}

TEST(ScoreParser, NoBox) {
  expect_error("Scores: 7, 3", 2, ParseError::no_box);
  expect_error("", 2, ParseError::no_box);
  expect_error("\\boxed (7, 3)", 2, ParseError::no_box);
}

TEST(ScoreParser, UnclosedAndNestedBraces) {
  expect_error("Scores: \\boxed{7, 3", 2, ParseError::unclosed_box);
  expect_error("\\boxed{7, {3}", 2, ParseError::unclosed_box);
  expect_error("\\boxed{\\text{7}, 3}", 2, ParseError::not_integer);
  expect_error("\\boxed{{7}, 3}", 2, ParseError::not_integer);
  // The box ends at the brace that balances it; a stray brace after it is plain text.
  EXPECT_EQ(ok_parse("\\boxed{7, 3}}", 2).scores, (std::vector<int>{7, 3}));
}

TEST(ScoreParser, EmptyBox) {
  expect_error("\\boxed{}", 2, ParseError::empty_box);
  expect_error("\\boxed{  \n }", 1, ParseError::empty_box);
}

TEST(ScoreParser, WrongCount) {
  expect_error("\\boxed{7}", 2, ParseError::wrong_count);
  expect_error("\\boxed{7, 3, 5}", 2, ParseError::wrong_count);
  expect_error("\\boxed{7 3}", 2, ParseError::wrong_count);
}

TEST(ScoreParser, NotInteger) {
  expect_error("\\boxed{7.5, 3}", 2, ParseError::not_integer);
  expect_error("\\boxed{7, three}", 2, ParseError::not_integer);
  expect_error("\\boxed{7, }", 2, ParseError::not_integer);
  expect_error("\\boxed{, 7}", 2, ParseError::not_integer);
  expect_error("\\boxed{7/10, 3/10}", 2, ParseError::not_integer);
  expect_error("\\boxed{-}", 1, ParseError::not_integer);
  expect_error("\\boxed{- 3, 4}", 2, ParseError::not_integer);
}

TEST(ScoreParser, OutOfRangeIsNeverClamped) {
  expect_error("\\boxed{11, 3}", 2, ParseError::out_of_range);
  expect_error("\\boxed{0, 3}", 2, ParseError::out_of_range);
  expect_error("\\boxed{-3, 4}", 2, ParseError::out_of_range);
  expect_error("\\boxed{99999999999999999999999, 4}", 2, ParseError::out_of_range);
  expect_error("\\boxed{2}", 1, ParseError::out_of_range);
  expect_error("\\boxed{-1}", 1, ParseError::out_of_range);
}

TEST(ScoreParser, SignsAndLeadingZeros) {
  EXPECT_EQ(ok_parse("\\boxed{+7, 03}", 2).scores, (std::vector<int>{7, 3}));
  EXPECT_EQ(ok_parse("\\boxed{-0}", 1).scores, (std::vector<int>{0}));
}

TEST(ScoreParser, SingleResponseZeroOrOne) {
  EXPECT_EQ(ok_parse("Scores: \\boxed{0}", 1).scores, (std::vector<int>{0}));
  EXPECT_EQ(ok_parse("Scores: \\boxed{1}", 1).scores, (std::vector<int>{1}));
  expect_error("\\boxed{0, 1}", 1, ParseError::wrong_count);
}

TEST(ScoreParser, ReasonsNameTheEntry) {
  EXPECT_EQ(parse_scores("\\boxed{7, 11}", 2).reason, "score 2 ('11') is outside 1..10");
  EXPECT_EQ(parse_scores("\\boxed{7}", 2).reason, "expected 2 score(s) in the last \\boxed{}, found 1");
}

TEST(ScoreParser, SplitsPrinciplesAndCritique) {
  const std::string text =
      "Principles:\n1. Accuracy (60%)\n2. Clarity (40%)\n\n"
      "Critique:\nResponse 1 is right. Response 2 is wrong.\n\n"
      "Scores: \\boxed{8, 2}";
  ScoreParse p = ok_parse(text, 2);
  EXPECT_EQ(p.principles, "1. Accuracy (60%)\n2. Clarity (40%)");
  EXPECT_EQ(p.critique, "Response 1 is right. Response 2 is wrong.");
}

TEST(ScoreParser, SplitsMarkdownHeadingsAndInlineBox) {
  ScoreParse p = ok_parse("**Principles:** be right\n## Critique: both fine, so \\boxed{5, 5}", 2);
  EXPECT_EQ(p.principles, "be right");
  EXPECT_EQ(p.critique, "both fine, so");
}

TEST(ScoreParser, SectionsAreKeptForMalformedOutputs) {
  ScoreParse p = parse_scores("Critique: no scores given", 2);
  EXPECT_EQ(p.error, ParseError::no_box);
  EXPECT_EQ(p.critique, "no scores given");
  EXPECT_EQ(p.principles, "");
}

TEST(ScoreParser, RejectsBadResponseCount) {
  EXPECT_THROW(parse_scores("\\boxed{1}", 0), Error);
  EXPECT_THROW(score_range(-1), Error);
}

// ---- eq. 10 and 11 ------------------------------------------------------------------------

TEST(Correctness, BestMustBeStrictlyHighest) {
  EXPECT_TRUE(is_correct({7, 3}, Truth::best_of(2, 0)));
  EXPECT_FALSE(is_correct({7, 3}, Truth::best_of(2, 1)));
  EXPECT_FALSE(is_correct({5, 5}, Truth::best_of(2, 0)));  // a tie is wrong
  EXPECT_FALSE(is_correct({5, 5}, Truth::best_of(2, 1)));
  EXPECT_TRUE(is_correct({2, 9, 8}, Truth::best_of(3, 1)));
  EXPECT_FALSE(is_correct({9, 9, 8}, Truth::best_of(3, 1)));
  EXPECT_FALSE(is_correct({4, 9, 9}, Truth::best_of(3, 1)));
}

TEST(Correctness, SingleResponseMatchesLabel) {
  EXPECT_TRUE(is_correct({1}, Truth::single(1)));
  EXPECT_TRUE(is_correct({0}, Truth::single(0)));
  EXPECT_FALSE(is_correct({1}, Truth::single(0)));
  EXPECT_FALSE(is_correct({0}, Truth::single(1)));
}

TEST(Correctness, GradeGivesRewards) {
  Grade right = grade("Scores: \\boxed{3, 8}", Truth::best_of(2, 1));
  EXPECT_TRUE(right.correct);
  EXPECT_EQ(right.reward, 1);
  Grade tie = grade("Scores: \\boxed{8, 8}", Truth::best_of(2, 1));
  EXPECT_FALSE(tie.correct);
  EXPECT_EQ(tie.reward, -1);
  Grade bad = grade("Scores: \\boxed{3, 11}", Truth::best_of(2, 1));
  EXPECT_FALSE(bad.correct);
  EXPECT_EQ(bad.reward, -1);
  EXPECT_EQ(bad.parse.error, ParseError::out_of_range);
  EXPECT_EQ(grade("\\boxed{0}", Truth::single(0)).reward, 1);
  EXPECT_EQ(rule_reward(true), 1);
  EXPECT_EQ(rule_reward(false), -1);
}

TEST(Correctness, RejectsInconsistentTruth) {
  EXPECT_THROW(validate(Truth::best_of(2, 2)), Error);
  EXPECT_THROW(validate(Truth::best_of(2, -1)), Error);
  EXPECT_THROW(validate(Truth::single(2)), Error);
  EXPECT_THROW(validate(Truth{0, -1, -1}), Error);
  EXPECT_THROW(is_correct({7, 3, 1}, Truth::best_of(2, 0)), Error);
  try {
    validate(Truth::best_of(2, 3));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "field 'best': 3 is out of range for 2 responses");
  }
}

}  // namespace
}  // namespace spct::rewards
