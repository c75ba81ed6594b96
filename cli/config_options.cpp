#include "cli/config_options.h"

#include <iostream>
#include <string>
#include <vector>

#include "core/log.h"

namespace spct::cli {

void add_config_options(po::options_description& desc) {
  desc.add_options()("config", po::value<std::string>()->value_name("FILE"), "YAML run config (see docs/config.md)")(
      "set", po::value<std::vector<std::string>>()->composing()->value_name("KEY=VALUE"),
      "override one config key after the file, e.g. --set grpo.beta=0.02 or --set eval.k=[1,2,4]; "
      "repeatable")("print-config", "print the resolved config as YAML and exit");
}

RunConfig resolve_config(const po::variables_map& vm) {
  const auto overrides = vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  RunConfig config = vm.count("config") ? RunConfig::from_file(vm["config"].as<std::string>(), overrides)
                                        : RunConfig::from_yaml_string("", "(no --config)", overrides);
  log::set_level(config.logging.level);
  log::set_all_ranks(config.logging.all_ranks);
  if (vm.count("print-config")) std::cout << to_yaml(config) << std::flush;
  return config;
}

void log_config(const RunConfig& config) {
  std::string yaml = to_yaml(config);
  yaml.pop_back();  // log::info ends the line itself
  log::info("config (from ", config.origin, "):\n", yaml);
}

}  // namespace spct::cli
