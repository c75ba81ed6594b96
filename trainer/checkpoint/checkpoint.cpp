#include "trainer/checkpoint/checkpoint.h"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include "core/byte_tokenizer.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/log.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoints store little-endian bytes and checksum them as they lie in memory"
#endif

namespace spct {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// ---- HDF5 plumbing -------------------------------------------------------------------------

// The innermost message on HDF5's error stack (its own printing is turned off), e.g.
// "truncated file: eof = 1024, ...".
std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason.empty() ? "" : " (" + reason + ")";
}

// Every HDF5 call goes through here: a negative return becomes an spct::Error naming the file,
// the object and what was being done.
template <class T>
T H5Check(T rc, const std::string& file, const std::string& what) {
  if (rc < 0) throw_error(file, ": ", what, " failed", hdf5_reason());
  return rc;
}

// Owns one hid_t and closes it with the matching H5?close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    std::swap(id_, o.id_);
    std::swap(close_, o.close_);
    return *this;
  }
  Handle(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  herr_t release_and_close() {
    const hid_t id = id_;
    id_ = -1;
    return close_(id);
  }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

// CRC-32 of a tensor's first `bytes` bytes (contiguous), the checksum stored beside each dataset.
uint32_t tensor_crc32(const at::Tensor& t, size_t bytes) {
  return crc32(std::string_view(static_cast<const char*>(t.data_ptr()), bytes));
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// How each tensor dtype is stored. bfloat16 has no HDF5 type: its bits go in uint16.
struct StoredType {
  at::ScalarType scalar;
  const char* name;
  H5T_class_t cls;
};
const StoredType kStoredTypes[] = {
    {at::kFloat, "float32", H5T_FLOAT},       {at::kDouble, "float64", H5T_FLOAT}, {at::kHalf, "float16", H5T_FLOAT},
    {at::kBFloat16, "bfloat16", H5T_INTEGER}, {at::kLong, "int64", H5T_INTEGER},   {at::kInt, "int32", H5T_INTEGER},
    {at::kByte, "uint8", H5T_INTEGER},        {at::kBool, "bool", H5T_INTEGER},
};

const StoredType* stored_type(at::ScalarType s) {
  for (const auto& t : kStoredTypes)
    if (t.scalar == s) return &t;
  return nullptr;
}
const StoredType* stored_type(const std::string& name) {
  for (const auto& t : kStoredTypes)
    if (name == t.name) return &t;
  return nullptr;
}

// The HDF5 file type for a dtype. float16 is built as h5py builds its '<f2'.
Handle h5_type(at::ScalarType s, const std::string& file) {
  hid_t base;
  switch (s) {
    case at::kFloat: base = H5T_IEEE_F32LE; break;
    case at::kDouble: base = H5T_IEEE_F64LE; break;
    case at::kHalf: base = H5T_IEEE_F32LE; break;
    case at::kBFloat16: base = H5T_STD_U16LE; break;
    case at::kLong: base = H5T_STD_I64LE; break;
    case at::kInt: base = H5T_STD_I32LE; break;
    default: base = H5T_STD_U8LE; break;  // uint8, bool
  }
  Handle t(H5Check(H5Tcopy(base), file, "H5Tcopy"), H5Tclose);
  if (s == at::kHalf) {
    H5Check(H5Tset_fields(t, 15, 10, 5, 0, 10), file, "H5Tset_fields (float16)");
    H5Check(H5Tset_size(t, 2), file, "H5Tset_size (float16)");
    H5Check(H5Tset_ebias(t, 15), file, "H5Tset_ebias (float16)");
  }
  return t;
}

Handle string_type(const std::string& file) {
  Handle t(H5Check(H5Tcopy(H5T_C_S1), file, "H5Tcopy"), H5Tclose);
  H5Check(H5Tset_size(t, H5T_VARIABLE), file, "H5Tset_size");
  H5Check(H5Tset_cset(t, H5T_CSET_UTF8), file, "H5Tset_cset");
  return t;
}

void check_name(const std::string& name, const std::string& file) {
  SPCT_CHECK(!name.empty() && name != "." && name.find('/') == std::string::npos, file, ": tensor name '", name,
             "' cannot be an HDF5 dataset name (empty, '.' or has '/')");
}

at::Tensor text_tensor(const std::string& text) {
  auto t = at::empty({static_cast<int64_t>(text.size())}, at::kByte);
  if (!text.empty()) std::memcpy(t.data_ptr(), text.data(), text.size());
  return t;
}

// ---- writing -------------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(const std::string& path) : path_(path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    file_ = Handle(H5Check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), path, "create file"),
                   H5Fclose);
  }
  hid_t root() const { return file_; }

  // Groups remember creation order, so tensors read back in the order they were written.
  Handle group(hid_t parent, const std::string& name) {
    Handle gcpl(H5Check(H5Pcreate(H5P_GROUP_CREATE), path_, "H5Pcreate"), H5Pclose);
    H5Check(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), path_,
            "set link creation order");
    return Handle(
        H5Check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), path_, "create group /" + name),
        H5Gclose);
  }

  // A dataset holding the tensor's bytes, with attributes dtype and crc32.
  void tensor(hid_t parent, const std::string& where, const std::string& name, const at::Tensor& value) {
    check_name(name, path_);
    const std::string obj = "dataset " + where + name;
    const StoredType* st = stored_type(value.scalar_type());
    SPCT_CHECK(st, path_, ": ", obj, ": dtype ", c10::toString(value.scalar_type()), " cannot be stored");
    const at::Tensor t = value.detach().to(at::kCPU).contiguous();
    std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
    Handle space(H5Check(dims.empty() ? H5Screate(H5S_SCALAR)
                                      : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                         path_, obj + ": create dataspace"),
                 H5Sclose);
    Handle type = h5_type(t.scalar_type(), path_);
    Handle ds(H5Check(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path_,
                      "create " + obj),
              H5Dclose);
    const size_t bytes = t.numel() * t.element_size();
    if (bytes > 0) H5Check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()), path_, "write " + obj);
    attr_str(ds, "dtype", st->name, obj);
    attr_u32(ds, "crc32", tensor_crc32(t, bytes), obj);
  }

  void attr_i64(hid_t obj, const std::string& name, int64_t v, const std::string& what = "/") {
    write_attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v, what);
  }
  void attr_u32(hid_t obj, const std::string& name, uint32_t v, const std::string& what) {
    write_attr(obj, name, H5T_STD_U32LE, H5T_NATIVE_UINT32, &v, what);
  }
  void attr_str(hid_t obj, const std::string& name, const std::string& v, const std::string& what = "/") {
    Handle t = string_type(path_);
    const char* p = v.c_str();
    write_attr(obj, name, t, t, &p, what);
  }

  // Flushes and closes; the caller fsyncs and renames.
  void close() {
    H5Check(H5Fflush(file_, H5F_SCOPE_GLOBAL), path_, "flush");
    H5Check(file_.release_and_close(), path_, "close");
  }

 private:
  void write_attr(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type, const void* v,
                  const std::string& what) {
    const std::string a = what + " attribute " + name;
    Handle space(H5Check(H5Screate(H5S_SCALAR), path_, "create dataspace"), H5Sclose);
    Handle attr(
        H5Check(H5Acreate2(obj, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT), path_, "create " + a),
        H5Aclose);
    H5Check(H5Awrite(attr, mem_type, v), path_, "write " + a);
  }

  std::string path_;
  Handle file_;
};

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  SPCT_CHECK(fd >= 0, path, ": cannot open to sync: ", std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  SPCT_CHECK(rc == 0, path, ": fsync failed: ", std::strerror(errno));
}

// Writes path via <path>.tmp: flushed, fsynced, renamed, directory fsynced. A crash at any point
// leaves either the old state or the complete new file (plus perhaps a .tmp, ignored by readers).
void write_h5_atomic(const std::string& path, const std::function<void(Writer&)>& fill) {
  const std::string tmp = path + ".tmp";
  try {
    {
      Writer w(tmp);
      fill(w);
      w.close();
    }
    fsync_path(tmp, O_RDONLY);
    fs::rename(tmp, path);
    fsync_path(fs::path(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

void write_group(Writer& w, const std::string& name, const NamedTensors& tensors) {
  Handle g = w.group(w.root(), name);
  for (const auto& [n, t] : tensors) w.tensor(g, "/" + name + "/", n, t);
}

// ---- reading -------------------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    std::error_code ec;
    SPCT_CHECK(fs::is_regular_file(path, ec), path, ": no such checkpoint file");
    SPCT_CHECK(H5Fis_hdf5(path.c_str()) > 0, path, ": not an HDF5 file (truncated or overwritten?)", hdf5_reason());
    file_ = Handle(
        H5Check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path, "open (the file is truncated or corrupt)"),
        H5Fclose);
  }
  const std::string& path() const { return path_; }
  hid_t root() const { return file_; }

  bool has(hid_t parent, const std::string& name) const {
    return H5Check(H5Lexists(parent, name.c_str(), H5P_DEFAULT), path_, "look up " + name) > 0;
  }
  Handle group(const std::string& name) const {
    SPCT_CHECK(has(file_, name), path_, ": missing group /", name);
    return Handle(H5Check(H5Gopen2(file_, name.c_str(), H5P_DEFAULT), path_, "open group /" + name), H5Gclose);
  }
  // Member names in the order they were written.
  std::vector<std::string> children(hid_t group, const std::string& what) const {
    H5G_info_t info;
    H5Check(H5Gget_info(group, &info), path_, "list " + what);
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      const ssize_t n =
          H5Check(H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT), path_,
                  "list " + what);
      std::string name(static_cast<size_t>(n) + 1, '\0');
      H5Check(H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT),
              path_, "list " + what);
      name.resize(static_cast<size_t>(n));
      names.push_back(name);
    }
    return names;
  }

  int64_t attr_i64(hid_t obj, const std::string& name, const std::string& what = "/") const {
    Handle a = open_attr(obj, name, what);
    Handle t(H5Check(H5Aget_type(a), path_, "type of " + what + " attribute " + name), H5Tclose);
    SPCT_CHECK(H5Tget_class(t) == H5T_INTEGER, path_, ": ", what, " attribute ", name, " is not an integer");
    int64_t v = 0;
    H5Check(H5Aread(a, H5T_NATIVE_INT64, &v), path_, "read " + what + " attribute " + name);
    return v;
  }
  std::string attr_str(hid_t obj, const std::string& name, const std::string& what = "/") const {
    Handle a = open_attr(obj, name, what);
    Handle t(H5Check(H5Aget_type(a), path_, "type of " + what + " attribute " + name), H5Tclose);
    SPCT_CHECK(H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0, path_, ": ", what, " attribute ", name,
               " is not a variable-length string");
    Handle mem = string_type(path_);
    char* p = nullptr;
    H5Check(H5Aread(a, mem, &p), path_, "read " + what + " attribute " + name);
    std::string v = p ? p : "";
    H5free_memory(p);
    return v;
  }

  // Reads one dataset and checks its dtype, type, and CRC32.
  at::Tensor tensor(hid_t parent, const std::string& where, const std::string& name) const {
    const std::string obj = "dataset " + where + name;
    SPCT_CHECK(has(parent, name), path_, ": missing ", obj);
    Handle ds(H5Check(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), path_, "open " + obj), H5Dclose);
    const std::string dtype = attr_str(ds, "dtype", obj);
    const StoredType* st = stored_type(dtype);
    SPCT_CHECK(st, path_, ": ", obj, ": unknown dtype '", dtype, "'");
    Handle type(H5Check(H5Dget_type(ds), path_, "type of " + obj), H5Tclose);
    const size_t elem = c10::elementSize(st->scalar);
    SPCT_CHECK(
        H5Tget_class(type) == st->cls && H5Tget_size(type) == elem && (elem == 1 || H5Tget_order(type) == H5T_ORDER_LE),
        path_, ": ", obj, ": stored HDF5 type does not match its dtype attribute '", dtype, "'");
    Handle space(H5Check(H5Dget_space(ds), path_, "dataspace of " + obj), H5Sclose);
    const int ndims = H5Check(H5Sget_simple_extent_ndims(space), path_, "rank of " + obj);
    std::vector<hsize_t> dims(ndims);
    H5Check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), path_, "shape of " + obj);
    at::Tensor t = at::empty(std::vector<int64_t>(dims.begin(), dims.end()), st->scalar);
    const size_t bytes = t.numel() * elem;
    if (bytes > 0) H5Check(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()), path_, "read " + obj);
    const uint32_t stored = static_cast<uint32_t>(attr_i64(ds, "crc32", obj));
    const uint32_t actual = tensor_crc32(t, bytes);
    SPCT_CHECK(stored == actual, path_, ": ", obj, ": CRC32 mismatch (stored ", hex(stored), ", computed ", hex(actual),
               "): the data is corrupt");
    return t;
  }

  NamedTensors tensors(const std::string& group_name) const {
    Handle g = group(group_name);
    NamedTensors out;
    for (const auto& n : children(g, "/" + group_name)) out.emplace_back(n, tensor(g, "/" + group_name + "/", n));
    return out;
  }
  std::string text(const std::string& name) const {
    const at::Tensor t = tensor(file_, "/", name);
    SPCT_CHECK(t.dim() == 1 && t.scalar_type() == at::kByte, path_, ": dataset /", name,
               " must be a 1-D uint8 array of text");
    return std::string(static_cast<const char*>(t.data_ptr()), t.numel());
  }

  // Checks the format version before anything else is read.
  void check_version() const {
    SPCT_CHECK(H5Check(H5Aexists(file_, "format_version"), path_, "look up /format_version") > 0, path_,
               ": not an spct checkpoint (no attribute format_version)");
    const int64_t v = attr_i64(file_, "format_version");
    SPCT_CHECK(v == kCheckpointFormatVersion, path_, ": checkpoint format_version ", v,
               " is not supported (this build reads version ", kCheckpointFormatVersion, ")");
  }

 private:
  Handle open_attr(hid_t obj, const std::string& name, const std::string& what) const {
    SPCT_CHECK(H5Check(H5Aexists(obj, name.c_str()), path_, "look up " + what + " attribute " + name) > 0, path_, ": ",
               what, ": missing attribute ", name);
    return Handle(H5Check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), path_, "open " + what + " attribute " + name),
                  H5Aclose);
  }

  std::string path_;
  Handle file_;
};

CheckpointState read_checkpoint(const std::string& path, bool with_optimizer) {
  Reader r(path);
  r.check_version();
  CheckpointState s;
  s.step = r.attr_i64(r.root(), "step");
  s.stage = r.attr_str(r.root(), "stage");
  s.data_cursor = r.attr_i64(r.root(), "data_cursor");
  s.optimizer_shards = r.attr_i64(r.root(), "optimizer_shards");
  s.params = r.tensors("params");
  if (with_optimizer) s.optimizer = r.tensors("optimizer");
  for (auto& [name, t] : r.tensors("rng")) s.rng[name] = t;
  s.config_yaml = r.text("config_yaml");
  s.model_config_json = r.text("model_config_json");
  s.metrics_json = r.text("metrics_json");
  return s;
}

// ---- the checkpoint directory --------------------------------------------------------------

// A file of a checkpoint directory: step_<N>.h5, step_<N>.rank<R>.h5, either with .tmp.
struct DirEntry {
  int64_t step;
  bool main;  // step_<N>.h5 itself
};
std::optional<DirEntry> parse_entry(const std::string& filename) {
  static const std::regex re(R"(step_(\d{1,18})(\.rank\d+)?\.h5(\.tmp)?)");
  std::smatch m;
  if (!std::regex_match(filename, m, re)) return std::nullopt;
  return DirEntry{std::stoll(m[1].str()), !m[2].matched && !m[3].matched};
}

void prune(const std::string& dir, int keep_last) {
  if (keep_last <= 0) return;
  const auto kept = list_checkpoints(dir);
  if (kept.size() <= static_cast<size_t>(keep_last)) return;
  const int64_t oldest_kept = parse_entry(fs::path(kept[kept.size() - keep_last]).filename().string())->step;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto parsed = parse_entry(e.path().filename().string());
    if (!parsed || parsed->step >= oldest_kept) continue;
    std::error_code ec;
    fs::remove(e.path(), ec);
    if (ec)
      log::warn(e.path().string(), ": cannot remove old checkpoint file: ", ec.message());
    else
      log::debug("removed old checkpoint file ", e.path().string());
  }
}

ModelConfig current_architecture(const std::string& model_path) {
  if (model_path == "tiny") return ModelConfig::tiny(ByteTokenizer::kVocabSize);
  return ModelConfig::load((fs::path(model_path) / "config.json").string());
}

ModelConfig stored_architecture(const CheckpointState& s, const std::string& origin) {
  json j;
  try {
    j = json::parse(s.model_config_json);
  } catch (const json::parse_error& e) {
    throw_error(origin, ": model_config_json is not valid JSON: ", e.what());
  }
  return ModelConfig::from_hf_json(j, origin + ": model_config_json");
}

std::string stage_list(const std::vector<Stage>& stages, size_t n) {
  std::string out = "[";
  for (size_t i = 0; i < n && i < stages.size(); ++i) out += (i ? ", " : "") + name_of(stages[i]);
  return out + "]";
}

const TrainSection* train_section(const RunConfig& c, const std::string& stage) {
  if (stage == "sft") return &c.sft;
  if (stage == "rft") return &c.rft;
  if (stage == "grpo") return &c.grpo;
  if (stage == "metarm") return &c.metarm;
  return nullptr;
}

}  // namespace

// ---- public API ----------------------------------------------------------------------------

std::string checkpoint_dtype_name(at::ScalarType dtype) {
  const StoredType* st = stored_type(dtype);
  return st ? st->name : c10::toString(dtype);
}

std::string checkpoint_path(const std::string& dir, int64_t step) {
  return (fs::path(dir) / ("step_" + std::to_string(step) + ".h5")).string();
}

std::string checkpoint_shard_path(const std::string& dir, int64_t step, int rank) {
  return (fs::path(dir) / ("step_" + std::to_string(step) + ".rank" + std::to_string(rank) + ".h5")).string();
}

void save_checkpoint(const std::string& dir, const CheckpointState& s, int keep_last) {
  const std::string path = checkpoint_path(dir, s.step);
  SPCT_CHECK(s.step >= 0, path, ": negative step ", s.step);
  SPCT_CHECK(s.optimizer_shards == 0 || s.optimizer.empty(), path,
             ": optimizer tensors given although the state says they live in ", s.optimizer_shards, " shards");
  for (int r = 0; r < s.optimizer_shards; ++r)
    SPCT_CHECK(fs::exists(checkpoint_shard_path(dir, s.step, r)), path, ": optimizer shard ",
               checkpoint_shard_path(dir, s.step, r), " must be written before the main file");
  fs::create_directories(dir);
  write_h5_atomic(path, [&](Writer& w) {
    w.attr_i64(w.root(), "format_version", kCheckpointFormatVersion);
    w.attr_i64(w.root(), "step", s.step);
    w.attr_str(w.root(), "stage", s.stage);
    w.attr_i64(w.root(), "data_cursor", s.data_cursor);
    w.attr_i64(w.root(), "optimizer_shards", s.optimizer_shards);
    write_group(w, "params", s.params);
    write_group(w, "optimizer", s.optimizer);
    write_group(w, "rng", NamedTensors(s.rng.begin(), s.rng.end()));
    w.tensor(w.root(), "/", "config_yaml", text_tensor(s.config_yaml));
    w.tensor(w.root(), "/", "model_config_json", text_tensor(s.model_config_json));
    w.tensor(w.root(), "/", "metrics_json", text_tensor(s.metrics_json));
  });
  prune(dir, keep_last);
}

CheckpointState load_checkpoint(const std::string& path) { return read_checkpoint(path, true); }

void save_optimizer_shard(const std::string& dir, int64_t step, int rank, const NamedTensors& optimizer) {
  fs::create_directories(dir);
  write_h5_atomic(checkpoint_shard_path(dir, step, rank), [&](Writer& w) {
    w.attr_i64(w.root(), "format_version", kCheckpointFormatVersion);
    w.attr_i64(w.root(), "step", step);
    w.attr_i64(w.root(), "rank", rank);
    write_group(w, "optimizer", optimizer);
  });
}

NamedTensors load_optimizer_shard(const std::string& main_path, int rank) {
  int64_t step, shards;
  {
    Reader main(main_path);
    main.check_version();
    step = main.attr_i64(main.root(), "step");
    shards = main.attr_i64(main.root(), "optimizer_shards");
  }
  SPCT_CHECK(rank >= 0 && rank < shards, main_path, ": has ", shards, " optimizer shard(s); rank ", rank,
             " has none (resume with the world size that wrote it)");
  const std::string dir = fs::path(main_path).parent_path().string();
  Reader r(checkpoint_shard_path(dir.empty() ? "." : dir, step, rank));
  r.check_version();
  SPCT_CHECK(r.attr_i64(r.root(), "step") == step && r.attr_i64(r.root(), "rank") == rank, r.path(),
             ": shard does not belong to step ", step, " rank ", rank);
  return r.tensors("optimizer");
}

std::vector<std::string> list_checkpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto parsed = parse_entry(e.path().filename().string());
    if (parsed && parsed->main) found.emplace_back(parsed->step, e.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

std::optional<std::string> latest_valid_checkpoint(const std::string& dir) {
  const auto all = list_checkpoints(dir);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      const CheckpointState s = load_checkpoint(*it);
      SPCT_CHECK(s.step == parse_entry(fs::path(*it).filename().string())->step, *it,
                 ": file name does not match its step attribute ", s.step);
      for (int r = 0; r < s.optimizer_shards; ++r) load_optimizer_shard(*it, r);
      return *it;
    } catch (const Error& e) {
      log::warn("skipping unusable checkpoint: ", e.what());
    }
  }
  return std::nullopt;
}

std::string resolve_resume(const std::string& resume, const std::string& dir) {
  if (resume == "none") return "";
  if (resume == "auto") {
    auto latest = latest_valid_checkpoint(dir);
    if (!latest) log::info("no checkpoint to resume in ", dir, ": starting fresh");
    return latest.value_or("");
  }
  std::error_code ec;
  if (fs::is_directory(resume, ec)) {
    auto latest = latest_valid_checkpoint(resume);
    SPCT_CHECK(latest, "checkpoint.resume: ", resume, " holds no valid checkpoint");
    return *latest;
  }
  SPCT_CHECK(fs::is_regular_file(resume, ec), "checkpoint.resume: ", resume,
             " is neither none, auto, a checkpoint file nor a directory of checkpoints");
  return resume;
}

void check_resumable(const CheckpointState& s, const RunConfig& current) {
  const std::string origin = "checkpoint of step " + std::to_string(s.step) + " (stage " + s.stage + ")";
  const RunConfig saved = RunConfig::from_yaml_string(s.config_yaml, origin + ": config_yaml");
  std::vector<std::string> reasons;
  auto compare = [&](const std::string& what, const auto& then, const auto& now) {
    if (then == now) return;
    std::ostringstream os;
    os << std::boolalpha << what << " was " << then << ", now " << now;
    reasons.push_back(os.str());
  };
  const ModelConfig a = stored_architecture(s, origin);
  const ModelConfig b = current_architecture(current.model.path);
  compare("model family", family_name(a.family), family_name(b.family));
  compare("vocab_size", a.vocab_size, b.vocab_size);
  compare("hidden_size", a.hidden_size, b.hidden_size);
  compare("intermediate_size", a.intermediate_size, b.intermediate_size);
  compare("num_hidden_layers", a.num_layers, b.num_layers);
  compare("num_attention_heads", a.num_heads, b.num_heads);
  compare("num_key_value_heads", a.num_kv_heads, b.num_kv_heads);
  compare("head_dim", a.head_dim, b.head_dim);
  compare("tie_word_embeddings", a.tie_word_embeddings, b.tie_word_embeddings);
  compare("attention bias", a.qkv_bias || a.o_bias, b.qkv_bias || b.o_bias);
  compare("qk_norm", a.qk_norm, b.qk_norm);
  compare("model.dtype", name_of(saved.model.dtype), name_of(current.model.dtype));
  compare("seed", saved.seed, current.seed);
  // The data the stage reads: the cursor counts items of exactly these inputs.
  compare("data.shuffle", saved.data.shuffle, current.data.shuffle);
  if (s.stage == "sft") compare("data.teacher", saved.data.teacher, current.data.teacher);
  if (s.stage == "rft" || s.stage == "grpo" || s.stage == "metarm")
    compare("data.train", saved.data.train, current.data.train);
  if (s.stage == "sft" || s.stage == "rft") {
    compare("data.general_sft", saved.data.general_sft, current.data.general_sft);
    compare("data.general_ratio", saved.data.general_ratio, current.data.general_ratio);
  }

  // The stages up to and including the checkpoint's must be the same; later ones may change.
  const auto& names = enum_names(Stage{});
  const auto stage_it = std::find(names.begin(), names.end(), s.stage);
  SPCT_CHECK(stage_it != names.end(), origin, ": unknown stage '", s.stage, "'");
  const Stage stage = static_cast<Stage>(stage_it - names.begin());
  const auto pos = std::find(saved.stages.begin(), saved.stages.end(), stage) - saved.stages.begin();
  const auto now_pos = std::find(current.stages.begin(), current.stages.end(), stage) - current.stages.begin();
  // A single-stage command (`spct sft CONFIG`) runs its stage whether or not `stages` lists it;
  // what must not change is whether it was part of the pipeline, and the stages before it.
  const bool listed_then = pos < static_cast<ptrdiff_t>(saved.stages.size());
  const bool listed_now = now_pos < static_cast<ptrdiff_t>(current.stages.size());
  if (listed_then != listed_now)
    reasons.push_back("stage " + s.stage + (listed_then ? " was" : " was not") + " in stages " +
                      stage_list(saved.stages, saved.stages.size()) + (listed_now ? " and is" : " and is not") +
                      " in " + stage_list(current.stages, current.stages.size()));
  else if (listed_now)
    compare("stage order", stage_list(saved.stages, pos + 1), stage_list(current.stages, now_pos + 1));

  if (const TrainSection* t = train_section(saved, s.stage)) {
    compare(s.stage + ".batch_size", t->batch_size, train_section(current, s.stage)->batch_size);
  }
  if (s.stage == "grpo") compare("grpo.group_size", saved.grpo.group_size, current.grpo.group_size);

  if (reasons.empty()) return;
  std::string all;
  for (size_t i = 0; i < reasons.size(); ++i) all += (i ? "; " : "") + reasons[i];
  throw_error("cannot resume from the ", origin, " with config ", current.origin, ": ", all);
}

std::unique_ptr<Transformer> model_from_checkpoint(const std::string& path, at::ScalarType dtype) {
  const CheckpointState s = read_checkpoint(path, false);
  auto model = std::make_unique<Transformer>(stored_architecture(s, path), at::TensorOptions().dtype(dtype));
  std::set<std::string> seen;
  c10::NoGradGuard no_grad;
  for (const auto& [name, t] : s.params) {
    SPCT_CHECK(model->has_param(name), path, ": /params/", name, " is not a parameter of this ",
               family_name(model->config().family), " model");
    at::Tensor& p = model->param(name);
    SPCT_CHECK(t.sizes() == p.sizes(), path, ": /params/", name, " has shape ", t.sizes(), " but the config implies ",
               p.sizes());
    p.copy_(t);
    seen.insert(name);
  }
  for (const auto& [name, p] : model->parameters()) SPCT_CHECK(seen.count(name), path, ": missing /params/", name);
  return model;
}

}  // namespace spct
