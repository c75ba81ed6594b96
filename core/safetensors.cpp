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

constexpr uint64_t kMaxHeader = 100ull << 20;  // the format's own limit: 100 MB of JSON

const std::vector<std::pair<std::string, at::ScalarType>>& dtype_table() {
  static const std::vector<std::pair<std::string, at::ScalarType>> table = {
      {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf}, {"BF16", at::kBFloat16},
      {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},
      {"U8", at::kByte},    {"BOOL", at::kBool}};
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
  SPCT_CHECK(file_size >= 8, path, ": truncated safetensors file (", file_size, " bytes, no header)");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  SPCT_CHECK(header_len <= kMaxHeader, path, ": header length ", header_len, " exceeds the 100 MB limit");
  SPCT_CHECK(header_len <= file_size - 8, path, ": truncated: header claims ", header_len,
             " bytes but the file has ", file_size - 8, " after the length prefix");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  SPCT_CHECK(in.good(), path, ": cannot read the header");
  f.data_start_ = 8 + header_len;
  const uint64_t data_size = file_size - f.data_start_;

  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header);
  } catch (const nlohmann::json::parse_error& e) {
    throw_error(path, ": header is not valid JSON: ", e.what());
  }
  SPCT_CHECK(j.is_object(), path, ": header is not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      SPCT_CHECK(v.is_object(), path, ": __metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        SPCT_CHECK(m.value().is_string(), path, ": __metadata__.", m.key(), " is not a string");
        f.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto bad = [&](const std::string& what) { throw_error(path, ": tensor '", name, "': ", what); };
    if (!v.is_object()) bad("entry is not an object");
    if (!v.contains("dtype") || !v["dtype"].is_string()) bad("missing or non-string 'dtype'");
    if (!v.contains("shape") || !v["shape"].is_array()) bad("missing or non-array 'shape'");
    if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
      bad("'data_offsets' must be an array of two integers");
    TensorInfo t;
    t.name = name;
    t.dtype = v["dtype"].get<std::string>();
    at::ScalarType st;
    try {
      st = dtype_from_string(t.dtype);
    } catch (const Error& e) {
      bad(e.what());
    }
    uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) bad("shape entries must be non-negative integers");
      const uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && numel > (uint64_t(1) << 62) / dim) bad("shape is too large");
      numel *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    for (const auto& o : v["data_offsets"])
      if (!o.is_number_unsigned()) bad("data_offsets must be non-negative integers");
    t.begin = v["data_offsets"][0].get<uint64_t>();
    t.end = v["data_offsets"][1].get<uint64_t>();
    if (t.begin > t.end) bad("data_offsets begin > end");
    if (t.end > data_size)
      bad("data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
          ") reach past the end of the data (" + std::to_string(data_size) + " bytes): truncated or corrupt file");
    const uint64_t want = numel * c10::elementSize(st);
    if (t.end - t.begin != want)
      bad("holds " + std::to_string(t.end - t.begin) + " bytes but dtype and shape need " + std::to_string(want));
    f.tensors_.push_back(std::move(t));
  }
  // Like the reference implementation: tensors tile the data section without holes or overlap.
  std::vector<const TensorInfo*> order;
  for (const auto& t : f.tensors_) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  uint64_t expect = 0;
  for (const auto* t : order) {
    SPCT_CHECK(t->begin == expect, path, ": tensor '", t->name, "' starts at byte ", t->begin,
               " but the previous tensor ends at ", expect, " (overlap or hole)");
    expect = t->end;
  }
  SPCT_CHECK(expect == data_size, path, ": ", data_size - expect, " trailing bytes after the last tensor");
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
