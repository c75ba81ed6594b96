#include "rewards/rules/correctness.h"

#include "core/error.h"

namespace spct::rewards {

void validate(const Truth& t) {
  SPCT_CHECK(t.num_responses >= 1, "field 'num_responses': must be >= 1, got ", t.num_responses);
  if (t.num_responses == 1) {
    SPCT_CHECK(t.label == 0 || t.label == 1, "field 'label': a single response needs label 0 or 1, got ", t.label);
    SPCT_CHECK(t.best == -1, "field 'best': a single response is judged by 'label', not 'best'");
  } else {
    SPCT_CHECK(t.best >= 0 && t.best < t.num_responses, "field 'best': ", t.best, " is out of range for ",
               t.num_responses, " responses");
    SPCT_CHECK(t.label == -1, "field 'label': only a single response takes a label, got ", t.num_responses,
               " responses");
  }
}

bool is_correct(const std::vector<int>& scores, const Truth& truth) {
  validate(truth);
  SPCT_CHECK(scores.size() == static_cast<size_t>(truth.num_responses), "is_correct: ", scores.size(), " scores for ",
             truth.num_responses, " responses");
  if (truth.num_responses == 1) return scores[0] == truth.label;
  for (int i = 0; i < truth.num_responses; ++i)
    if (i != truth.best && scores[i] >= scores[truth.best]) return false;
  return true;
}

Grade grade(std::string_view text, const Truth& truth) {
  validate(truth);
  Grade g;
  g.parse = parse_scores(text, truth.num_responses);
  g.correct = g.parse.ok() && is_correct(g.parse.scores, truth);
  g.reward = rule_reward(g.correct);
  return g;
}

}  // namespace spct::rewards
