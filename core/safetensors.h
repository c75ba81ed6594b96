// Reader and writer for the safetensors format (https://huggingface.co/docs/safetensors):
// 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then
// the raw little-endian tensor bytes. Every offset in the header is bounds-checked against the
// file before any read; a malformed file gives an spct::Error naming the file and the tensor.
#pragma once
#include <ATen/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/safetensors_header.h"

namespace spct::safetensors {

class File {
 public:
  // Parses and validates the header; the data stays on disk until load().
  static File open(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const { return index_.count(name) > 0; }
  const TensorInfo& info(const std::string& name) const;
  // A CPU tensor with the stored dtype and shape.
  at::Tensor load(const std::string& name) const;

 private:
  std::string path_;
  uint64_t data_start_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

at::ScalarType dtype_from_string(const std::string& dtype);  // throws for unknown names
std::string dtype_to_string(at::ScalarType dtype);

// Writes tensors (any device; copied to CPU) in the given order. Atomic: a temporary file is
// written, flushed and renamed over `path`, so a crash never leaves a half-written file.
void save(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
          const std::map<std::string, std::string>& metadata = {});

}  // namespace spct::safetensors
