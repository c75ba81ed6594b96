// `spct reward --input T.jsonl [--output O.jsonl]`: grades GRM outputs (eq. 10) and writes their
// rule-based rewards (eq. 11). The logic lives in rewards/rules/reward_jsonl.cpp; this file handles the
// options and files. With --output, lines go to a temporary file beside O.jsonl that is renamed
// over it only once every line succeeded (write_file_atomic), so a failure never leaves half a file.
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/log.h"
#include "rewards/rules/reward_jsonl.h"

namespace spct::cli {
namespace {

rewards::RewardSummary score_to_file(std::istream& in, const std::string& in_name, const std::string& out_path) {
  rewards::RewardSummary summary;
  write_file_atomic(out_path, [&](std::ostream& out) { summary = rewards::score_jsonl(in, out, in_name); });
  return summary;
}

int cmd_reward(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("input,i", po::value<std::string>()->required(), "JSONL of GRM outputs ('-' for stdin)")(
      "output,o", po::value<std::string>(), "JSONL to write (default: stdout)");
  auto vm = parse_options("reward", "--input T.jsonl [--output O.jsonl]", desc, args);
  if (!vm) return 0;
  const std::string input = (*vm)["input"].as<std::string>();
  std::ifstream file;
  if (input != "-") {
    file.open(input, std::ios::binary);
    SPCT_CHECK(file, input, ": cannot open");
  }
  std::istream& in = input == "-" ? std::cin : file;
  const std::string in_name = input == "-" ? "<stdin>" : input;
  const rewards::RewardSummary summary = vm->count("output")
                                             ? score_to_file(in, in_name, (*vm)["output"].as<std::string>())
                                             : rewards::score_jsonl(in, std::cout, in_name);
  std::cout.flush();
  log::info("reward: ", rewards::format_summary(summary));
  return 0;
}

}  // namespace

SPCT_COMMAND("reward", "parse GRM outputs and compute correctness and rule-based rewards", cmd_reward);

}  // namespace spct::cli
