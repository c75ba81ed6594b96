// The training commands: `spct run CONFIG` runs every stage the config lists; `spct sft|rft|grpo|
// metarm CONFIG` runs one. Launch under mpirun for several ranks (one GPU per local rank).
// One run holds its run_dir (core/run_lock.h); SIGTERM, SIGINT or SIGUSR1 stops it after a
// checkpoint with exit status 75 (trainer/stages/stop_signal.h).
#include <filesystem>
#include <optional>

#include "cli/command.h"
#include "cli/config_options.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/log.h"
#include "core/run_lock.h"
#include "trainer/dist/dist.h"
#include "trainer/stages/pipeline.h"
#include "trainer/stages/stop_signal.h"

namespace spct::cli {
namespace {

int run_training(const std::string& command, const std::vector<std::string>& args, std::optional<Stage> stage) {
  po::options_description desc(command + " options");
  add_config_options(desc);
  po::positional_options_description positional;
  positional.add("config", 1);
  auto vm =
      parse_options(command, "CONFIG.yaml [--set section.key=value ...] [--print-config]", desc, args, &positional);
  if (!vm) return 0;
  SPCT_CHECK(vm->count("config"), "spct ", command, ": no config (pass CONFIG.yaml)");
  RunConfig config = resolve_config(*vm);
  if (vm->count("print-config")) return 0;
  auto dist = make_dist(config.model.device == Device::cuda);
  stop::install_handlers();
  try {
    std::optional<RunLock> lock;  // rank 0 holds it: the ranks of one run share the directory
    if (dist->is_root()) {
      lock.emplace(config.run_dir);
      const auto metrics_dir = std::filesystem::path(config.logging.metrics_file).parent_path();
      if (!metrics_dir.empty()) require_writable_dir(metrics_dir.string(), "logging.metrics_file's directory");
    }
    require_writable_dir(config.checkpoint.dir, "checkpoint.dir");  // every rank writes its shards there
    log_config(config);
    if (stage)
      run_stage(config, *dist, *stage);
    else
      run_pipeline(config, *dist);
  } catch (const stop::Stopped&) {
    return stop::kStoppedExitCode;  // every rank saved and agreed; the log says where
  } catch (const std::exception& e) {
    if (dist->world_size() > 1) dist->abort(e.what());  // bring every rank down, naming this one
    throw;
  }
  return 0;
}

int cmd_run(const std::vector<std::string>& a) { return run_training("run", a, std::nullopt); }
int cmd_sft(const std::vector<std::string>& a) { return run_training("sft", a, Stage::sft); }
int cmd_rft(const std::vector<std::string>& a) { return run_training("rft", a, Stage::rft); }
int cmd_grpo(const std::vector<std::string>& a) { return run_training("grpo", a, Stage::grpo); }
int cmd_metarm(const std::vector<std::string>& a) { return run_training("metarm", a, Stage::metarm); }

}  // namespace
SPCT_COMMAND("run", "run every stage the config lists (sft, rft, grpo, metarm, eval), resuming where it stopped",
             cmd_run);
SPCT_COMMAND("sft", "warm-up SFT on general data and correct teacher trajectories", cmd_sft);
SPCT_COMMAND("rft", "rejective fine-tuning: sample, reject, fine-tune on kept trajectories", cmd_rft);
SPCT_COMMAND("grpo", "rule-based online RL (GRPO) with a KL penalty to a frozen reference", cmd_grpo);
SPCT_COMMAND("metarm", "train the meta reward model on the GRM's labelled trajectories", cmd_metarm);
}  // namespace spct::cli
