// The config loader on arbitrary YAML and --set overrides (the lines after a line "--set"): it
// either gives a config or throws spct::Error naming the key; an accepted config printed with
// to_yaml reads back to the same config.
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find("\n--set\n");
  const std::string yaml = input.substr(0, split);
  std::vector<std::string> overrides;
  if (split != std::string::npos) {
    std::istringstream lines(input.substr(split + 7));
    for (std::string line; std::getline(lines, line);) overrides.push_back(line);
  }
  spct::RunConfig config;
  try {
    config = spct::RunConfig::from_yaml_string(yaml, "fuzz.yaml", overrides);
  } catch (const spct::Error&) {
    return 0;
  }
  const spct::RunConfig back = spct::RunConfig::from_yaml_string(spct::to_yaml(config), "printed.yaml");
  if (!(back == config)) __builtin_trap();
  return 0;
}
