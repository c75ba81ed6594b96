// Shared option parsing for the commands: Boost.Program_options with --help on every command and
// errors that name the command.
#pragma once
#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spct::cli {

namespace po = boost::program_options;

// Parses args against desc (plus --help). Returns nullopt after printing help for --help.
// Throws spct::Error for unknown options or bad values. `positional` maps bare arguments.
std::optional<po::variables_map> parse_options(const std::string& command, const std::string& usage,
                                               po::options_description desc, const std::vector<std::string>& args,
                                               const po::positional_options_description* positional = nullptr);

// "5,6, 7" -> {5, 6, 7}. Throws spct::Error "<what>: 'x' is not an integer" for a bad item.
std::vector<int64_t> parse_int_list(const std::string& text, const std::string& what);

}  // namespace spct::cli
