// The safetensors header reader on arbitrary file bytes: it either returns tensors whose byte
// ranges tile the data section exactly, or throws spct::Error; nothing else.
#include <cstdint>
#include <sstream>
#include <string>

#include "core/error.h"
#include "core/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const auto h = spct::safetensors::read_header(in, size, "fuzz.safetensors");
    uint64_t covered = 0;
    for (const auto& t : h.tensors) {
      uint64_t numel = 1;
      for (int64_t d : t.shape) numel *= static_cast<uint64_t>(d);
      if (t.end > size - h.data_start || t.end - t.begin != numel * spct::safetensors::dtype_size(t.dtype))
        __builtin_trap();
      covered += t.end - t.begin;
    }
    if (covered != size - h.data_start) __builtin_trap();
  } catch (const spct::Error&) {
  }
  return 0;
}
