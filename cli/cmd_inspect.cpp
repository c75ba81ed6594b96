// spct inspect: a human summary of a checkpoint file, a checkpoint directory (its checkpoints and
// the latest valid one) or an HF model directory. Every checkpoint is fully verified (CRC32), so
// a corrupt file is an error with exit code 1.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/hf_io.h"
#include "core/log.h"
#include "core/safetensors.h"
#include "trainer/checkpoint/checkpoint.h"

namespace spct::cli {
namespace {
namespace fs = std::filesystem;

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

uint64_t nbytes(const NamedTensors& ts) {
  uint64_t n = 0;
  for (const auto& [name, t] : ts) n += t.numel() * t.element_size();
  return n;
}

std::string shape_of(at::IntArrayRef sizes) {
  std::ostringstream os;
  os << sizes;
  return os.str();
}

void row(const char* key, const std::string& value) { std::printf("%-13s %s\n", key, value.c_str()); }

std::string config_summary(const std::string& yaml) {
  try {
    const RunConfig c = RunConfig::from_yaml_string(yaml, "config_yaml");
    std::string stages;
    for (Stage s : c.stages) stages += (stages.empty() ? "" : ",") + name_of(s);
    return "model.path=" + c.model.path + " model.dtype=" + name_of(c.model.dtype) + " seed=" + std::to_string(c.seed) +
           " stages=" + stages + " run_dir=" + c.run_dir;
  } catch (const Error& e) {
    return "(unreadable: " + std::string(e.what()) + ")";
  }
}

void list_tensors(const std::string& group, const NamedTensors& ts) {
  for (const auto& [name, t] : ts)
    std::printf("  %-60s %-9s %-14s %s\n", ("/" + group + "/" + name).c_str(),
                checkpoint_dtype_name(t.scalar_type()).c_str(), shape_of(t.sizes()).c_str(),
                human_bytes(t.numel() * t.element_size()).c_str());
}

// A ZeRO checkpoint resumes only with every rank's optimizer shard beside it: name the missing.
std::string missing_shards(const std::string& path, const CheckpointState& s) {
  const std::string dir = fs::path(path).parent_path().string();
  std::string missing;
  for (int r = 0; r < s.optimizer_shards; ++r) {
    const std::string shard = checkpoint_shard_path(dir, s.step, r);
    if (!fs::exists(shard)) missing += (missing.empty() ? "" : ", ") + shard;
  }
  if (missing.empty()) return "";
  log::warn(path, ": optimizer shard(s) missing: ", missing, "; this checkpoint cannot be resumed");
  return "; WARNING: missing " + missing;
}

void inspect_checkpoint(const std::string& path, bool tensors) {
  const CheckpointState s = load_checkpoint(path);
  row("checkpoint", path + " (" + human_bytes(fs::file_size(path)) + ")");
  row("format", "version " + std::to_string(kCheckpointFormatVersion));
  row("step", std::to_string(s.step));
  row("stage", s.stage);
  row("data cursor", std::to_string(s.data_cursor));
  int64_t count = 0;
  for (const auto& [name, t] : s.params) count += t.numel();
  const std::string dtype = s.params.empty() ? "-" : checkpoint_dtype_name(s.params[0].second.scalar_type());
  std::string model = std::to_string(count) + " parameters, " + std::to_string(s.params.size()) + " tensors, " + dtype +
                      ", " + human_bytes(nbytes(s.params));
  try {
    const auto j = nlohmann::json::parse(s.model_config_json);
    const ModelConfig c = ModelConfig::from_hf_json(j, "model_config_json");
    model = family_name(c.family) + " (" + std::to_string(c.num_layers) + " layers, hidden " +
            std::to_string(c.hidden_size) + "), " + model;
  } catch (const std::exception& e) {
    model += " (model config unreadable: " + std::string(e.what()) + ")";
  }
  row("model", model);
  if (s.optimizer_shards > 0)
    row("optimizer", "in " + std::to_string(s.optimizer_shards) + " rank shard file(s)" + missing_shards(path, s));
  else
    row("optimizer", std::to_string(s.optimizer.size()) + " tensors, " + human_bytes(nbytes(s.optimizer)));
  std::string rng;
  for (const auto& [name, t] : s.rng) rng += (rng.empty() ? "" : ", ") + name;
  row("rng", rng.empty() ? "none" : rng);
  row("config", config_summary(s.config_yaml));
  row("metrics", s.metrics_json.empty() ? "none" : s.metrics_json.substr(0, 300));
  if (!tensors) return;
  list_tensors("params", s.params);
  list_tensors("optimizer", s.optimizer);
  NamedTensors rng_tensors(s.rng.begin(), s.rng.end());
  list_tensors("rng", rng_tensors);
}

void inspect_model_dir(const std::string& dir, bool tensors) {
  const ModelConfig c = ModelConfig::load((fs::path(dir) / "config.json").string());
  row("model dir", dir);
  row("family", family_name(c.family));
  row("parameters", std::to_string(c.num_parameters()));
  row("dtype", c.source.value("torch_dtype", c.source.value("dtype", std::string("unknown"))));
  row("layers", std::to_string(c.num_layers) + " (hidden " + std::to_string(c.hidden_size) + ", heads " +
                    std::to_string(c.num_heads) + "/" + std::to_string(c.num_kv_heads) + ", vocab " +
                    std::to_string(c.vocab_size) + ")");
  uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".safetensors" || e.path().filename() == "reference.safetensors") continue;
    total += e.file_size();
    if (!tensors) continue;
    const auto file = safetensors::File::open(e.path().string());
    for (const auto& t : file.tensors())
      std::printf("  %-52s %-5s %s\n", t.name.c_str(), t.dtype.c_str(), shape_of(t.shape).c_str());
  }
  row("weights", human_bytes(total));
}

int run_inspect(const std::vector<std::string>& args) {
  po::options_description desc("inspect options");
  std::string path;
  desc.add_options()("path", po::value(&path)->required(),
                     "checkpoint file, checkpoint directory or HF model directory")(
      "tensors", "list every dataset (tensor) with dtype and shape");
  po::positional_options_description pos;
  pos.add("path", 1);
  auto vm = parse_options("inspect", "PATH [--tensors]", desc, args, &pos);
  if (!vm) return 0;
  const bool tensors = vm->count("tensors") > 0;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    inspect_checkpoint(path, tensors);
  } else if (fs::is_directory(path, ec) && fs::exists(fs::path(path) / "config.json")) {
    inspect_model_dir(path, tensors);
  } else if (fs::is_directory(path, ec)) {
    const auto all = list_checkpoints(path);
    SPCT_CHECK(!all.empty(), path, ": no checkpoints (step_<N>.h5) and no config.json here");
    for (const auto& f : all) row("found", f + " (" + human_bytes(fs::file_size(f)) + ")");
    const auto latest = latest_valid_checkpoint(path);
    SPCT_CHECK(latest, path, ": none of the ", all.size(), " checkpoint(s) is valid");
    inspect_checkpoint(*latest, tensors);
  } else {
    throw_error(path, ": no such file or directory");
  }
  return 0;
}

}  // namespace
SPCT_COMMAND("inspect", "summarize a checkpoint or model directory", run_inspect);
}  // namespace spct::cli
