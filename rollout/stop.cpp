#include "rollout/stop.h"

#include <algorithm>

namespace spct {

size_t find_stop(const std::string& text, const std::vector<std::string>& stops, size_t checked) {
  size_t best = std::string::npos;
  for (const std::string& s : stops) {
    // An occurrence ending after `checked` starts at or after checked - |s| + 1.
    const size_t from = checked >= s.size() ? checked - s.size() + 1 : 0;
    const size_t at = text.find(s, from);
    if (at != std::string::npos) best = std::min(best, at);
  }
  return best;
}

}  // namespace spct
