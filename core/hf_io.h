// HF model directories in and out: config.json + model.safetensors, or a sharded checkpoint
// with model.safetensors.index.json. Loading checks every tensor against the config (names,
// shapes, nothing missing, nothing unexpected) before the model is used.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>

#include "core/model.h"

namespace spct {

struct LoadOptions {
  at::ScalarType dtype = at::kFloat;
  at::Device device = at::kCPU;
  uint64_t seed = 0;          // initializes the built-in tiny model
  int64_t num_labels = 0;     // the tiny model's head: 0 = LM, > 0 = score head (HF dirs: from config.json)
  bool from_scratch = false;  // HF directory: config.json only, random init from `seed` (HF from_config)
};

// `path` is an HF model directory, or "tiny" for the built-in tiny model (random init from
// `seed`, byte-level vocabulary). With from_scratch, the directory's config.json is read and the
// weights are drawn from `seed` like the tiny model's; weight files, if any, are not read.
std::unique_ptr<Transformer> load_model(const std::string& path, const LoadOptions& options = {});

struct ExportOptions {
  uint64_t max_shard_bytes = 5ull << 30;  // larger models are written as shards plus an index
  std::string tokenizer_dir;              // copy tokenizer files from here, if set
  bool byte_tokenizer = false;            // mark the directory as using spct's byte tokenizer
  bool overwrite = false;                 // replace a non-empty output directory
};

// Writes config.json, generation_config.json and safetensors weights (in the model's dtype) to
// `dir`. The directory is assembled beside its final name and renamed into place.
void export_hf(const Transformer& model, const std::string& dir, const ExportOptions& options = {});

at::ScalarType parse_dtype(const std::string& name);  // float32|bfloat16|float16
std::string dtype_name(at::ScalarType dtype);         // as HF config.json spells it

}  // namespace spct
