#include "core/safetensors_header.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "core/error.h"

namespace spct::safetensors {
namespace {

constexpr uint64_t kMaxHeader = 100ull << 20;  // the format's own limit: 100 MB of JSON

TensorInfo parse_entry(const std::string& name, const nlohmann::json& v, uint64_t data_size, const std::string& path) {
  auto bad = [&](const std::string& what) { throw_error(path, ": tensor '", name, "': ", what); };
  if (!v.is_object()) bad("entry is not an object");
  if (!v.contains("dtype") || !v["dtype"].is_string()) bad("missing or non-string 'dtype'");
  if (!v.contains("shape") || !v["shape"].is_array()) bad("missing or non-array 'shape'");
  if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
    bad("'data_offsets' must be an array of two integers");
  TensorInfo t;
  t.name = name;
  t.dtype = v["dtype"].get<std::string>();
  uint64_t element = 0;
  try {
    element = dtype_size(t.dtype);
  } catch (const Error& e) {
    bad(e.what());
  }
  uint64_t numel = 1;
  for (const auto& d : v["shape"]) {
    if (!d.is_number_unsigned()) bad("shape entries must be non-negative integers");
    const uint64_t dim = d.get<uint64_t>();
    if (dim > (uint64_t(1) << 62) || (dim != 0 && numel > (uint64_t(1) << 62) / dim)) bad("shape is too large");
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
  // Checked before the byte count is formed: 2^62 float32 elements would wrap it to 0.
  if (numel > data_size / element)
    bad("shape needs more bytes than the file holds (" + std::to_string(data_size) + " bytes of data)");
  const uint64_t want = numel * element;
  if (t.end - t.begin != want)
    bad("holds " + std::to_string(t.end - t.begin) + " bytes but dtype and shape need " + std::to_string(want));
  return t;
}

// Like the reference implementation: tensors tile the data section without holes or overlap.
void check_tiling(const std::vector<TensorInfo>& tensors, uint64_t data_size, const std::string& path) {
  std::vector<const TensorInfo*> order;
  for (const auto& t : tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  uint64_t expect = 0;
  for (const auto* t : order) {
    SPCT_CHECK(t->begin == expect, path, ": tensor '", t->name, "' starts at byte ", t->begin,
               " but the previous tensor ends at ", expect, " (overlap or hole)");
    expect = t->end;
  }
  SPCT_CHECK(expect == data_size, path, ": ", data_size - expect, " trailing bytes after the last tensor");
}

}  // namespace

uint64_t dtype_size(const std::string& dtype) {
  static const std::vector<std::pair<std::string, uint64_t>> table = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2},
                                                                      {"I64", 8}, {"I32", 4}, {"I16", 2}, {"I8", 1},
                                                                      {"U8", 1},  {"BOOL", 1}};
  for (const auto& [name, size] : table)
    if (name == dtype) return size;
  throw_error("unsupported safetensors dtype '", dtype, "'");
}

Header read_header(std::istream& in, uint64_t file_size, const std::string& path) {
  SPCT_CHECK(file_size >= 8, path, ": truncated safetensors file (", file_size, " bytes, no header)");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  SPCT_CHECK(in.good(), path, ": cannot read the header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  SPCT_CHECK(header_len <= kMaxHeader, path, ": header length ", header_len, " exceeds the 100 MB limit");
  SPCT_CHECK(header_len <= file_size - 8, path, ": truncated: header claims ", header_len, " bytes but the file has ",
             file_size - 8, " after the length prefix");
  std::string text(header_len, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_len));
  SPCT_CHECK(in.good(), path, ": cannot read the header");
  Header h;
  h.data_start = 8 + header_len;
  const uint64_t data_size = file_size - h.data_start;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw_error(path, ": header is not valid JSON: ", e.what());
  }
  SPCT_CHECK(j.is_object(), path, ": header is not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "__metadata__") {
      h.tensors.push_back(parse_entry(it.key(), it.value(), data_size, path));
      continue;
    }
    SPCT_CHECK(it.value().is_object(), path, ": __metadata__ is not an object");
    for (auto m = it.value().begin(); m != it.value().end(); ++m) {
      SPCT_CHECK(m.value().is_string(), path, ": __metadata__.", m.key(), " is not a string");
      h.metadata[m.key()] = m.value().get<std::string>();
    }
  }
  check_tiling(h.tensors, data_size, path);
  return h;
}

}  // namespace spct::safetensors
