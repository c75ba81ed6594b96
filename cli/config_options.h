// The config options every training and evaluation command shares: --config FILE, repeated
// --set section.key=value overrides (applied after the file, in order) and --print-config.
#pragma once
#include <boost/program_options.hpp>

#include "core/config.h"

namespace spct::cli {

namespace po = boost::program_options;

void add_config_options(po::options_description& desc);

// Loads --config (defaults alone without it), applies the --set overrides, sets the log level and
// all_ranks from `logging`, and prints the resolved YAML to stdout if --print-config was given
// (a command then returns 0 without running). Throws spct::Error for any bad key or value.
RunConfig resolve_config(const po::variables_map& vm);

// Logs the resolved config as YAML (rank 0, info level): every run records what it ran with.
void log_config(const RunConfig& config);

}  // namespace spct::cli
