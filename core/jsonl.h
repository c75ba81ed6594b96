// Reading JSONL: one JSON object a line, blank lines skipped, every error prefixed "file:line".
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <string>

#include "core/error.h"

namespace spct {

// Calls fn(object, "path:line") for every non-blank line; a line that is not a JSON object is
// an spct::Error naming the file and line.
inline void for_each_jsonl(const std::string& path,
                           const std::function<void(const nlohmann::json&, const std::string& where)>& fn) {
  std::ifstream in(path);
  SPCT_CHECK(in.good(), path, ": cannot open");
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw_error(where, ": not valid JSON: ", e.what());
    }
    SPCT_CHECK(j.is_object(), where, ": expected a JSON object");
    fn(j, where);
  }
}

}  // namespace spct
