// Reward-model datasets: one JSON object per line, in any of three formats (docs/rewards.md):
//   {"prompt", "responses": [...], "best": b}          n >= 2, b 0-based
//   {"prompt", "chosen", "rejected"}                    Reward Bench style: n = 2, best = 0
//   {"prompt", "response", "label": 0|1}                 single response
// plus optional "id", "subset" and "principles" (string or list). "prompt" is a string or a list
// of {role, content} messages. Errors name the file, the 1-based line and the field.
#pragma once
#include <istream>
#include <string>
#include <vector>

#include "rewards/rules/judge_prompt.h"

namespace spct::rewards {

struct RmItem {
  std::string id;      // "" when the line has none
  std::string subset;  // "" when the line has none
  Query prompt;
  std::vector<std::string> responses;  // (n,) original order
  int best = -1;                       // n >= 2: 0-based index of the best response
  int label = -1;                      // n == 1: 0 or 1
  std::string principles;              // "" when none; a list becomes numbered lines
  int line = 0;                        // 1-based line in the source file
};

// Chosen/rejected items always have best == 0: the judge must shuffle (make_permutation) before
// showing them, or a position bias scores as accuracy.

// Parses one line; `where` is "file:line", used as the prefix of every error message.
RmItem parse_rm_line(const std::string& line, const std::string& where);

// Reads every non-blank line; `name` is the file name used in messages.
std::vector<RmItem> read_rm_dataset(std::istream& in, const std::string& name);
std::vector<RmItem> read_rm_dataset(const std::string& path);

}  // namespace spct::rewards
