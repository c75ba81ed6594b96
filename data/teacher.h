// The synthetic teacher: a stand-in for the paper's stronger sampler model. For each item of a
// synthetic RM dataset (data/synth.h) it writes complete, short GRM trajectories: principles
// (mode `generate`), a one-line critique per response that reports the program checker's finding,
// and `Scores: \boxed{...}` in the format rewards::parse_scores reads. A trajectory is correct
// (SPCT eq. 10) with probability `correct_rate`; otherwise it misreads one response and ends in a
// plausible wrong verdict (a tie or a swapped preference; for one response, the flipped label).
// Each output line can be graded directly by `spct reward`. Details: docs/data.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/synth.h"
#include "rewards/rules/judge_prompt.h"

namespace spct::data {

// Trajectories never exceed this many bytes (docs/data.md; the tests check it).
constexpr size_t kMaxTrajectoryBytes = 480;  // the quote style: four quoted responses of up to 45 bytes

// How a trajectory reads. full: principles with their descriptions and a critique line per
// response that cites the checker's finding ("Response 1 gives 41, but 17 + 25 = 42."). brief:
// principle names and weights only, and a verdict per response ("Response 1: wrong.": right,
// close or wrong, the score band it implies), for a model trained from scratch in minutes.
// quote: brief, and each verdict follows a quote of its response ("Response 1: \"41\" wrong."):
// the model copies the response it judges next to its verdict instead of looking it up unseen.
enum class TeacherStyle { full, brief, quote };
TeacherStyle parse_teacher_style(const std::string& name);  // "full" | "brief" | "quote", else spct::Error

struct TeacherConfig {
  uint64_t seed = 0;
  double correct_rate = 0.7;  // in [0, 1]
  int samples = 3;            // trajectories per item, each in its own response order
  bool hinted = false;        // hint names the best response (label); see docs/data.md
  TeacherStyle style = TeacherStyle::full;
  rewards::JudgePromptConfig prompt;  // mode and templates of the judge prompt
};

struct TeacherStats {
  long trajectories = 0;
  long correct = 0;
  size_t total_bytes = 0;  // of the trajectory texts
  size_t max_bytes = 0;
};

// Trajectories for one item: `line` is its raw JSONL line (it must carry the synthetic `task`),
// `index` its 0-based position in the file (it seeds the orders and the draws), `where` the
// "file:line" prefix of error messages. One JSON object per sample:
// {"id", "subset", "sample", "prompt", "order", "text", "num_responses", "best" | "label", "hinted"}.
std::vector<Json> teach_item(const std::string& line, uint64_t index, const std::string& where,
                             const TeacherConfig& config);

// Reads a synthetic RM dataset and writes every item's trajectories to out_path (atomically).
TeacherStats write_teacher(const std::string& data_path, const std::string& out_path, const TeacherConfig& config);

// "6000 trajectories, 4203 correct (70.0%), 181 bytes mean, 352 max"
std::string format_stats(const TeacherStats& stats);

}  // namespace spct::data
