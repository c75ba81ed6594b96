#include "core/safetensors.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/file_util.h"

namespace spct::safetensors {
namespace {

const std::vector<std::pair<std::string, at::ScalarType>>& dtype_table() {
  static const std::vector<std::pair<std::string, at::ScalarType>> table = {
      {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf}, {"BF16", at::kBFloat16}, {"I64", at::kLong},
      {"I32", at::kInt},    {"I16", at::kShort}, {"I8", at::kChar},  {"U8", at::kByte},       {"BOOL", at::kBool}};
  return table;
}

}  // namespace

at::ScalarType dtype_from_string(const std::string& dtype) {
  for (const auto& [name, type] : dtype_table())
    if (name == dtype) return type;
  throw_error("unsupported safetensors dtype '", dtype, "'");
}

std::string dtype_to_string(at::ScalarType dtype) {
  for (const auto& [name, type] : dtype_table())
    if (type == dtype) return name;
  throw_error("dtype ", c10::toString(dtype), " cannot be stored in safetensors");
}

File File::open(const std::string& path) {
  File f;
  f.path_ = path;
  std::ifstream in(path, std::ios::binary);
  SPCT_CHECK(in.good(), path, ": cannot open: ", std::strerror(errno));
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  SPCT_CHECK(!ec, path, ": cannot stat: ", ec.message());
  Header h = read_header(in, file_size, path);
  f.data_start_ = h.data_start;
  f.tensors_ = std::move(h.tensors);
  f.metadata_ = std::move(h.metadata);
  for (size_t i = 0; i < f.tensors_.size(); ++i) f.index_[f.tensors_[i].name] = i;
  return f;
}

const TensorInfo& File::info(const std::string& name) const {
  auto it = index_.find(name);
  SPCT_CHECK(it != index_.end(), path_, ": no tensor named '", name, "'");
  return tensors_[it->second];
}

at::Tensor File::load(const std::string& name) const {
  const TensorInfo& t = info(name);
  at::Tensor out = at::empty(t.shape, at::TensorOptions().dtype(dtype_from_string(t.dtype)));
  std::ifstream in(path_, std::ios::binary);
  SPCT_CHECK(in.good(), path_, ": cannot open: ", std::strerror(errno));
  in.seekg(static_cast<std::streamoff>(data_start_ + t.begin));
  in.read(static_cast<char*>(out.data_ptr()), static_cast<std::streamsize>(t.end - t.begin));
  SPCT_CHECK(in.good(), path_, ": tensor '", name, "': short read (file changed or truncated)");
  return out;
}

void save(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
          const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> data;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    SPCT_CHECK(name != "__metadata__", path, ": '__metadata__' is not a valid tensor name");
    at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const uint64_t bytes = t.numel() * t.element_size();
    header[name] = {{"dtype", dtype_to_string(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(t);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
  write_file_atomic(path, [&](std::ostream& out) {
    uint64_t n = text.size();
    unsigned char len_bytes[8];
    for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
    out.write(reinterpret_cast<const char*>(len_bytes), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& t : data)
      out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
  });
}

}  // namespace spct::safetensors
