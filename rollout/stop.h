// Stop strings, matched on decoded text as vLLM does: generation ends at the token whose text
// completes a stop string, and the returned text is cut just before the stop string.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace spct {

// Position of the earliest stop string occurrence in `text` that ends after `checked` (the
// length of text already searched), or std::string::npos. Searching only the tail keeps the
// check linear in the number of new characters.
size_t find_stop(const std::string& text, const std::vector<std::string>& stops, size_t checked);

}  // namespace spct
