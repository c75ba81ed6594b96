// The command registry of the `spct` executable. Each cli/cmd_*.cpp registers its command with
// SPCT_COMMAND; main.cpp dispatches `spct <command> args...` and lists them in `spct --help`.
#pragma once
#include <string>
#include <vector>

namespace spct::cli {

// Receives the arguments after the command name; returns the process exit code.
using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  std::string name;
  std::string summary;  // one line for `spct --help`
  CommandFn run;
};

std::vector<Command>& registry();

struct Registrar {
  Registrar(const char* name, const char* summary, CommandFn fn) { registry().push_back({name, summary, fn}); }
};

}  // namespace spct::cli

#define SPCT_COMMAND(name, summary, fn) static ::spct::cli::Registrar spct_registrar_##fn(name, summary, fn)
