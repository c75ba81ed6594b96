// Reads the scores out of one GRM output: the last `\boxed{...}` must hold exactly n integers in
// range (1..10 for n >= 2, 0 or 1 for n == 1). Anything else is malformed, with the reason;
// nothing is clamped or repaired. Also splits out the "Principles:" and "Critique:" sections that
// the judge templates (rewards/rules/judge_prompt.h) ask for.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace spct::rewards {

// Inclusive score range for a prompt with n responses: [1, 10] for n >= 2, [0, 1] for n == 1.
struct ScoreRange {
  int min;
  int max;
};
ScoreRange score_range(int num_responses);  // throws spct::Error for n < 1

enum class ParseError {
  none,
  no_box,        // no `\boxed{` anywhere
  unclosed_box,  // the last `\boxed{` has no matching `}`
  empty_box,     // the last box holds only whitespace
  wrong_count,   // not exactly n comma-separated entries
  not_integer,   // an entry is empty or not a plain integer (digits with an optional sign)
  out_of_range,  // an integer outside score_range(n)
};
const char* to_string(ParseError error);  // "no_box", "unclosed_box", ...

struct ScoreParse {
  std::vector<int> scores;  // (n,) in displayed order; empty when malformed
  std::string principles;   // text under the "Principles:" heading; empty if there is none
  std::string critique;     // text under the "Critique:" heading; empty if there is none
  ParseError error = ParseError::none;
  std::string reason;  // human-readable reason, empty when ok
  bool ok() const { return error == ParseError::none; }
};

// Never throws for any text; throws spct::Error only when num_responses < 1 (a caller bug).
ScoreParse parse_scores(std::string_view text, int num_responses);

}  // namespace spct::rewards
