// `spct <command> [options]`: dispatches to the registered commands (cli/cmd_*.cpp).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/cpu_runtime.h"
#include "core/error.h"
#include "core/log.h"

namespace spct::cli {

std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

std::optional<po::variables_map> parse_options(const std::string& command, const std::string& usage,
                                               po::options_description desc, const std::vector<std::string>& args,
                                               const po::positional_options_description* positional) {
  desc.add_options()("help,h", "show this help");
  po::variables_map vm;
  try {
    auto parser = po::command_line_parser(args).options(desc);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: spct " << command << " " << usage << "\n\n" << desc << "\n";
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw_error("spct ", command, ": ", e.what(), " (see spct ", command, " --help)");
  }
  return vm;
}

namespace {

void print_help() {
  std::map<std::string, std::string> lines;
  for (const auto& c : registry()) lines[c.name] = c.summary;
  std::cout << "spct: generative reward models trained with SPCT\n\n"
               "usage: spct <command> [options]   (spct <command> --help for its options)\n\n"
               "commands:\n";
  for (const auto& [name, summary] : lines) std::printf("  %-10s %s\n", name.c_str(), summary.c_str());
}

}  // namespace
std::vector<int64_t> parse_int_list(const std::string& text, const std::string& what) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    try {
      out.push_back(std::stoll(item, &used));
    } catch (const std::exception&) {
      used = 0;
    }
    SPCT_CHECK(used > 0 && item.find_first_not_of(' ', used) == std::string::npos, what, ": '", item,
               "' is not an integer");
  }
  return out;
}

}  // namespace spct::cli

int main(int argc, char** argv) {
  using namespace spct::cli;
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : registry()) {
    if (c.name != name) continue;
    spct::tune_cpu_runtime();
    try {
      return c.run(args);
    } catch (const spct::Error& e) {
      spct::log::error(e.what());
      return 1;
    } catch (const std::exception& e) {
      spct::log::error("spct ", name, ": ", e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "spct: unknown command '%s' (see spct --help)\n", name.c_str());
  return 2;
}
