// The logic of `spct reward`: grade a JSONL file of GRM outputs line by line (eq. 10 and 11).
// Input line: {"text": ..., "num_responses": n, "best": b} (b 0-based, in the order the judge saw)
//         or  {"text": ..., "label": 0|1} (one response).
// Output line: the input fields in their order, plus "scores" (list or null), "correct", "reward"
// and, only when malformed, "error". Blank lines are skipped.
#pragma once
#include <istream>
#include <ostream>
#include <string>

namespace spct::rewards {

struct RewardSummary {
  long count = 0;
  long correct = 0;
  long malformed = 0;
  double mean_reward = 0.0;  // 0 when count == 0
};

// Throws spct::Error naming "name:line: field '...'" at the first bad line; lines before it have
// already been written to out.
RewardSummary score_jsonl(std::istream& in, std::ostream& out, const std::string& name);

// "12 outputs, 8 correct, 2 malformed, mean reward 0.333"
std::string format_summary(const RewardSummary& summary);

}  // namespace spct::rewards
