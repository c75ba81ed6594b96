// Shared option parsing for the commands: Boost.Program_options with --help on every command and
// errors that name the command.
#pragma once
#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

namespace spct::cli {

namespace po = boost::program_options;

// Parses args against desc (plus --help). Returns nullopt after printing help for --help.
// Throws spct::Error for unknown options or bad values. `positional` maps bare arguments.
std::optional<po::variables_map> parse_options(const std::string& command, const std::string& usage,
                                               po::options_description desc,
                                               const std::vector<std::string>& args,
                                               const po::positional_options_description* positional = nullptr);

}  // namespace spct::cli
