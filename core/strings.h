// Small string helpers shared by the config's "did you mean" and the data generators.
#pragma once
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

namespace spct {

// Levenshtein distance (insertions, deletions, substitutions of bytes).
inline size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row.back();
}

}  // namespace spct
