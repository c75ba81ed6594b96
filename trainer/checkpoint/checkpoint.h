// Training checkpoints: one HDF5 file `step_<N>.h5` per save (layout in docs/checkpoint.md),
// written atomically, verified by CRC32 on load, and enough state (parameters, optimizer, RNG,
// data cursor, config) to continue a run bit for bit.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/model.h"

namespace spct {

constexpr int64_t kCheckpointFormatVersion = 1;

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct CheckpointState {
  int64_t step = 0;
  std::string stage;                      // name_of(Stage), e.g. "grpo"
  int64_t data_cursor = 0;                // sequences of the stage's data consumed so far
  NamedTensors params;                    // HF names; float32, bfloat16 or float16
  NamedTensors optimizer;                 // e.g. "exp_avg.<param>"; empty when optimizer_shards > 0
  std::map<std::string, at::Tensor> rng;  // "cpu", "cuda0", ...: Generator::get_state() bytes
  std::string config_yaml;                // to_yaml(RunConfig) of the run that wrote it
  std::string model_config_json;          // HF config.json text
  std::string metrics_json;               // free-form JSON of the last metrics
  int64_t optimizer_shards = 0;           // > 0: optimizer state lives in step_<N>.rank<R>.h5, R < this
};

std::string checkpoint_path(const std::string& dir, int64_t step);                  // <dir>/step_<N>.h5
std::string checkpoint_shard_path(const std::string& dir, int64_t step, int rank);  // step_<N>.rank<R>.h5

// Writes <dir>/step_<step>.h5 (creating dir): a temporary file, flushed and fsynced, renamed into
// place. Then removes checkpoints (and their shards, and stale temporaries) older than the newest
// keep_last ones; keep_last 0 keeps all. Tensors may live on any device.
void save_checkpoint(const std::string& dir, const CheckpointState& state, int keep_last);

// Reads and verifies a whole checkpoint: format version, every CRC32, shapes and dtypes. Tensors
// come back on the CPU in the stored dtype. A truncated or corrupt file throws spct::Error naming
// the file and the object at fault.
CheckpointState load_checkpoint(const std::string& path);

// One rank's part of the optimizer state, written before rank 0 writes the main file with
// optimizer_shards = world size (so a complete main file implies complete shards).
void save_optimizer_shard(const std::string& dir, int64_t step, int rank, const NamedTensors& optimizer);
// Reads rank's shard of the checkpoint whose main file is main_path (verified like load_checkpoint).
NamedTensors load_optimizer_shard(const std::string& main_path, int rank);

// Main checkpoint files (step_<N>.h5) in dir, sorted by step; none if dir is absent.
std::vector<std::string> list_checkpoints(const std::string& dir);

// The newest checkpoint in dir that loads and verifies completely (shards included); warns about
// and skips any newer one that does not.
std::optional<std::string> latest_valid_checkpoint(const std::string& dir);

// checkpoint.resume -> the checkpoint to load, or "" to start fresh. "none": "", "auto": the
// latest valid one in dir (or ""), a directory: its latest valid one (error if none), a file: itself.
std::string resolve_resume(const std::string& resume, const std::string& dir);

// Throws spct::Error with every reason `current` cannot continue the checkpoint's run (the list
// is in docs/checkpoint.md). Reads current.model.path's config.json to compare the architecture.
void check_resumable(const CheckpointState& state, const RunConfig& current);

// A dtype as checkpoints spell it (the datasets' `dtype` attribute): float32, bfloat16, int64...
std::string checkpoint_dtype_name(at::ScalarType dtype);

// The model stored in a checkpoint, its parameters cast to dtype (for `spct export`).
std::unique_ptr<Transformer> model_from_checkpoint(const std::string& path, at::ScalarType dtype);

}  // namespace spct
