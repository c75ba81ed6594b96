// `spct data synth|teacher`: the data of the no-download demo (docs/data.md).
//   spct data synth --out DIR --seed S [--train N --test M --valid V --general K]
//   spct data teacher --data DIR/train.jsonl --out T.jsonl --seed S [--correct-rate 0.7]
//                     [--samples 3] [--mode generate|given|none] [--hinted]
// The logic lives in data/synth.cpp and data/teacher.cpp; this file handles options and logging.
#include <iostream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/log.h"
#include "data/synth.h"
#include "data/teacher.h"

namespace spct::cli {
namespace {

const char* kUsage =
    "usage: spct data <subcommand> [options]\n\n"
    "subcommands:\n"
    "  synth     write a synthetic multi-domain RM dataset (train, test, general SFT, meta)\n"
    "  teacher   write GRM trajectories of a synthetic teacher for a synthetic RM dataset\n\n"
    "see spct data <subcommand> --help\n";

int run_synth(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("out", po::value<std::string>()->required(), "directory to write (created if missing)")(
      "seed", po::value<uint64_t>()->required(), "random seed: the same seed gives the same bytes")(
      "train", po::value<int>()->default_value(2000), "RM items in train.jsonl")(
      "test", po::value<int>()->default_value(400), "RM items in test.jsonl")(
      "valid", po::value<int>()->default_value(0), "RM items in valid.jsonl, a validation split to tune on (0 = none)")(
      "general", po::value<int>()->default_value(1000), "chat examples in general_sft.jsonl")(
      "surface-faults", po::value<double>()->default_value(0.0, "0"),
      "probability that a wrong response is a non-answer (a fault visible without arithmetic)");
  auto vm = parse_options("data synth", "--out DIR --seed S [--train N --test M --valid V --general K]", desc, args);
  if (!vm) return 0;
  data::SynthConfig config;
  config.seed = (*vm)["seed"].as<uint64_t>();
  config.train = (*vm)["train"].as<int>();
  config.test = (*vm)["test"].as<int>();
  config.valid = (*vm)["valid"].as<int>();
  config.surface_faults = (*vm)["surface-faults"].as<double>();
  config.general = (*vm)["general"].as<int>();
  const std::string out = (*vm)["out"].as<std::string>();
  const data::SynthData d = data::write_synth(config, out);
  log::info("data synth: ", out, ": ", d.train.size(), " train, ", d.test.size(), " test, ", d.valid.size(), " valid, ",
            d.general.size(), " general SFT (seed ", config.seed, ")");
  return 0;
}

int run_teacher(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("data", po::value<std::string>()->required(),
                     "synthetic RM items (train.jsonl of spct data synth)")("out", po::value<std::string>()->required(),
                                                                            "JSONL of trajectories to write")(
      "seed", po::value<uint64_t>()->required(), "random seed: the same seed gives the same bytes")(
      "correct-rate", po::value<double>()->default_value(0.7, "0.7"), "probability that a trajectory is correct")(
      "samples", po::value<int>()->default_value(3), "trajectories per item")(
      "mode", po::value<std::string>()->default_value("generate"), "principle mode: generate, given or none")(
      "hinted", po::bool_switch(), "add a hint naming the best response (hinted sampling)")(
      "style", po::value<std::string>()->default_value("full"),
      "full (principle descriptions, critique citing the finding), brief (names, weights, verdicts) or "
      "quote (brief, each verdict after a quote of its response)")(
      "templates", po::value<std::string>(), "YAML file replacing judge prompt templates (docs/rewards.md)");
  auto vm = parse_options("data teacher", "--data FILE --out T.jsonl --seed S [options]", desc, args);
  if (!vm) return 0;
  data::TeacherConfig config;
  config.seed = (*vm)["seed"].as<uint64_t>();
  config.correct_rate = (*vm)["correct-rate"].as<double>();
  config.samples = (*vm)["samples"].as<int>();
  config.hinted = (*vm)["hinted"].as<bool>();
  config.style = data::parse_teacher_style((*vm)["style"].as<std::string>());
  config.prompt.mode = rewards::parse_principle_mode((*vm)["mode"].as<std::string>());
  if (vm->count("templates")) config.prompt.templates = rewards::load_templates((*vm)["templates"].as<std::string>());
  SPCT_CHECK(config.correct_rate >= 0.0 && config.correct_rate <= 1.0,
             "spct data teacher: --correct-rate must be in [0, 1], got ", config.correct_rate);
  SPCT_CHECK(config.samples >= 1, "spct data teacher: --samples must be >= 1, got ", config.samples);
  const std::string out = (*vm)["out"].as<std::string>();
  const data::TeacherStats stats = data::write_teacher((*vm)["data"].as<std::string>(), out, config);
  log::info("data teacher: ", out, ": ", data::format_stats(stats));
  return 0;
}

int cmd_data(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "synth") return run_synth(rest);
  if (args[0] == "teacher") return run_teacher(rest);
  throw_error("spct data: unknown subcommand '", args[0], "' (expected synth or teacher)");
}

}  // namespace

SPCT_COMMAND("data", "synthesize datasets and teacher trajectories", cmd_data);

}  // namespace spct::cli
