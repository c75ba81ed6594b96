// Correctness of one GRM trajectory (SPCT eq. 10) and the rule-based RL reward (eq. 11).
// n >= 2 with best b: correct iff S_b > S_i for every i != b (a tie is wrong).
// n == 1 with label r: correct iff S_1 == r. A malformed output is never correct.
#pragma once
#include <string_view>
#include <vector>

#include "rewards/rules/score_parser.h"

namespace spct::rewards {

// What the judge should have found, in the order the judge saw the responses.
struct Truth {
  int num_responses = 0;
  int best = -1;   // 0-based displayed index of the best response; n >= 2 only
  int label = -1;  // 0 or 1; n == 1 only

  static Truth best_of(int num_responses, int best) { return {num_responses, best, -1}; }
  static Truth single(int label) { return {1, -1, label}; }
};

// Throws spct::Error naming the field when truth is inconsistent (n < 1, best or label missing
// or out of range).
void validate(const Truth& truth);

// Eq. 10 on parsed scores; scores.size() must equal truth.num_responses.
bool is_correct(const std::vector<int>& scores, const Truth& truth);

// Eq. 11: +1 if correct, -1 otherwise.
inline int rule_reward(bool correct) { return correct ? 1 : -1; }

struct Grade {
  ScoreParse parse;
  bool correct = false;
  int reward = -1;
};

// Parses text for truth.num_responses scores and grades it; malformed -> incorrect, reward -1.
Grade grade(std::string_view text, const Truth& truth);

}  // namespace spct::rewards
