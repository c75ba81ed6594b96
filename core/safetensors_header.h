// The safetensors header reader, free of LibTorch so that the fuzzer (tests/fuzz/) runs it alone:
// the 8-byte little-endian length, the JSON header {name: {dtype, shape, data_offsets}}, and every
// check of offsets, sizes and tiling against the file's size before any tensor byte is read.
#pragma once
#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

namespace spct::safetensors {

struct TensorInfo {
  std::string name;
  std::string dtype;  // "F32", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section
};

struct Header {
  uint64_t data_start = 0;  // byte offset of the data section in the file
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
};

// Bytes per element of a safetensors dtype name; throws spct::Error for unsupported names.
uint64_t dtype_size(const std::string& dtype);

// Reads and validates the header of a file of file_size bytes from `in` (at its start); errors
// are spct::Error naming `path` and the tensor.
Header read_header(std::istream& in, uint64_t file_size, const std::string& path);

}  // namespace spct::safetensors
