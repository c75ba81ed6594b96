// The score parser on arbitrary judge output: a parse is either malformed (no scores) or exactly
// n integers within score_range(n); it never throws for n >= 1.
#include <cstdint>
#include <string_view>

#include "rewards/rules/score_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int n = 1 + data[0] % 16;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto parse = spct::rewards::parse_scores(text, n);
  const auto range = spct::rewards::score_range(n);
  if (!parse.ok()) {
    if (!parse.scores.empty()) __builtin_trap();
    return 0;
  }
  if (static_cast<int>(parse.scores.size()) != n) __builtin_trap();
  for (int s : parse.scores)
    if (s < range.min || s > range.max) __builtin_trap();
  return 0;
}
