// The backend-independent half of the distributed layer: bucketing, uneven all_gather, the
// single-process LocalDist and the factory. Backends supply the flat collectives.
#include "trainer/dist/dist.h"

#include <c10/core/GradMode.h>
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"

namespace spct {
namespace {

bool reducible(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
    case at::kDouble:
    case at::kBFloat16:
    case at::kHalf:
    case at::kInt:
    case at::kLong: return true;
    default: return false;
  }
}

// A single process: every collective is the identity.
class LocalDist final : public Dist {
 public:
  explicit LocalDist(bool use_gpu)
      : Dist(DistTopology{}), device_(use_gpu ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU)) {}
  at::Device device() const override { return device_; }
  std::string backend() const override { return "local"; }
  std::vector<std::string> all_gather_strings(const std::string& value) override { return {value}; }
  void barrier() override {}
  [[noreturn]] void abort(const std::string& why) override {
    log::error("aborting: ", why);
    std::fflush(nullptr);
    std::_Exit(1);
  }

 protected:
  void reduce_flat(at::Tensor&, ReduceOp) override {}
  void broadcast_flat(at::Tensor&, int) override {}
  void gather_flat(const at::Tensor& in, at::Tensor& out) override { out.copy_(in); }

 private:
  at::Device device_;
};

}  // namespace

void Dist::set_bucket_bytes(int64_t bytes) {
  SPCT_CHECK(bytes > 0, "dist bucket size must be positive, got ", bytes, " bytes");
  bucket_bytes_ = bytes;
}

void Dist::check_on_device(const at::Tensor& t, const char* what, size_t index) const {
  SPCT_CHECK(t.defined(), what, ": tensor ", index, " is undefined");
  SPCT_CHECK(t.device() == device(), what, ": tensor ", index, " is on ", t.device(),
             " but this rank's collectives run on ", device());
}

void Dist::all_reduce_sum(std::vector<at::Tensor>& tensors) { reduce_buckets(tensors, ReduceOp::sum); }

void Dist::all_reduce_sum(at::Tensor& tensor) {
  std::vector<at::Tensor> one{tensor};
  reduce_buckets(one, ReduceOp::sum);
}

void Dist::all_reduce_max(at::Tensor& tensor) {
  std::vector<at::Tensor> one{tensor};
  reduce_buckets(one, ReduceOp::max);
}

namespace {
class FinishedRequest final : public Dist::ReduceRequest {
 public:
  bool poll() override { return true; }
  void finish() override {}
};
}  // namespace

void Dist::check_flat(const at::Tensor& flat, const char* what) const {
  check_on_device(flat, what, 0);
  SPCT_CHECK(flat.dim() == 1 && flat.is_contiguous(), what, " needs a contiguous 1-D tensor, got sizes ", flat.sizes(),
             flat.is_contiguous() ? "" : " (not contiguous)");
  SPCT_CHECK(reducible(flat.scalar_type()), what, ": dtype ", flat.scalar_type(),
             " is not supported (float, double, bfloat16, half, int32, int64)");
}

std::unique_ptr<Dist::ReduceRequest> Dist::start_all_reduce_sum(const at::Tensor& flat) {
  check_flat(flat, "start_all_reduce_sum");
  return start_reduce_flat(flat);
}

std::unique_ptr<Dist::ReduceRequest> Dist::start_reduce_sum(const at::Tensor& flat, int root) {
  check_flat(flat, "start_reduce_sum");
  SPCT_CHECK(root >= 0 && root < world_size(), "start_reduce_sum: root ", root, " is not a rank of a job of ",
             world_size());
  return start_reduce_to_root(flat, root);
}

std::unique_ptr<Dist::ReduceRequest> Dist::start_reduce_to_root(const at::Tensor& flat, int root) {
  return start_reduce_flat(flat);
}

std::unique_ptr<Dist::ReduceRequest> Dist::start_reduce_flat(const at::Tensor& flat) {
  at::Tensor t = flat;
  c10::NoGradGuard no_grad;
  if (t.numel() > 0) reduce_flat(t, ReduceOp::sum);
  return std::make_unique<FinishedRequest>();
}

// Buckets hold tensors of one dtype in their original order, so every rank builds the same ones.
void Dist::reduce_buckets(std::vector<at::Tensor>& tensors, ReduceOp op) {
  std::vector<at::ScalarType> dtypes;
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_on_device(tensors[i], "all_reduce", i);
    const at::ScalarType t = tensors[i].scalar_type();
    SPCT_CHECK(reducible(t), "all_reduce: tensor ", i, " has dtype ", t,
               " (supported: float, double, bfloat16, half, int32, int64)");
    if (std::find(dtypes.begin(), dtypes.end(), t) == dtypes.end()) dtypes.push_back(t);
  }
  c10::NoGradGuard no_grad;
  for (at::ScalarType dtype : dtypes) {
    std::vector<at::Tensor*> bucket;
    int64_t bytes = 0;
    for (at::Tensor& t : tensors) {
      if (t.scalar_type() != dtype || t.numel() == 0) continue;
      const int64_t n = static_cast<int64_t>(t.nbytes());
      if (!bucket.empty() && bytes + n > bucket_bytes_) {
        reduce_bucket(bucket, op);
        bucket.clear();
        bytes = 0;
      }
      bucket.push_back(&t);
      bytes += n;
    }
    if (!bucket.empty()) reduce_bucket(bucket, op);
  }
}

void Dist::reduce_bucket(std::vector<at::Tensor*>& bucket, ReduceOp op) {
  if (bucket.size() == 1 && bucket[0]->is_contiguous()) {
    at::Tensor flat = bucket[0]->view({-1});  // shares storage: reduced in place
    reduce_flat(flat, op);
    return;
  }
  std::vector<at::Tensor> parts;
  parts.reserve(bucket.size());
  for (at::Tensor* t : bucket) parts.push_back(t->reshape({-1}));
  at::Tensor flat = at::cat(parts);
  reduce_flat(flat, op);
  int64_t offset = 0;
  for (at::Tensor* t : bucket) {
    const int64_t n = t->numel();
    t->copy_(flat.narrow(0, offset, n).view(t->sizes()));
    offset += n;
  }
}

void Dist::broadcast(std::vector<at::Tensor>& tensors, int root) {
  SPCT_CHECK(root >= 0 && root < world_size(), "broadcast: root ", root, " is not a rank of a job of ", world_size());
  c10::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_on_device(tensors[i], "broadcast", i);
    at::Tensor& t = tensors[i];
    if (t.numel() == 0) continue;
    if (t.is_contiguous()) {
      broadcast_flat(t, root);
    } else {
      at::Tensor flat = t.contiguous();
      broadcast_flat(flat, root);
      t.copy_(flat);
    }
  }
}

// Two rounds: a fixed-size header per rank (rows, dims, dtype, trailing shape), then the rows
// padded to the longest rank's, which the flat gather needs.
at::Tensor Dist::all_gather(const at::Tensor& tensor) {
  check_on_device(tensor, "all_gather", 0);
  SPCT_CHECK(tensor.dim() >= 1, "all_gather needs a tensor with at least one dim, got a scalar");
  const at::IntArrayRef trailing = tensor.sizes().slice(1);
  int64_t shape_code = 17;
  for (int64_t d : trailing) shape_code = shape_code * 1000003 + d;
  const int64_t rows = tensor.size(0);
  at::Tensor header =
      at::tensor(std::vector<int64_t>{rows, tensor.dim(), static_cast<int64_t>(tensor.scalar_type()), shape_code})
          .to(device());
  at::Tensor headers = at::empty({world_size() * 4}, header.options());
  gather_flat(header, headers);
  headers = headers.cpu().view({world_size(), 4});
  const int64_t* h = headers.data_ptr<int64_t>();
  int64_t max_rows = 0;
  for (int r = 0; r < world_size(); ++r) {
    SPCT_CHECK(h[4 * r + 1] == h[1] && h[4 * r + 2] == h[2] && h[4 * r + 3] == h[3], "all_gather: rank ", r,
               " sent a tensor whose dims or dtype differ from rank 0's ",
               "(only the first dim may differ); this rank has ", tensor.sizes(), " ", tensor.scalar_type());
    max_rows = std::max(max_rows, h[4 * r]);
  }
  const int64_t row_numel = c10::multiply_integers(trailing);
  at::Tensor padded = at::zeros({max_rows * row_numel}, tensor.options());
  padded.narrow(0, 0, rows * row_numel).copy_(tensor.reshape({-1}));
  at::Tensor all = at::empty({world_size() * max_rows * row_numel}, tensor.options());
  gather_flat(padded, all);
  std::vector<at::Tensor> pieces;
  int64_t total_rows = 0;
  for (int r = 0; r < world_size(); ++r) {
    pieces.push_back(all.narrow(0, r * max_rows * row_numel, h[4 * r] * row_numel));
    total_rows += h[4 * r];
  }
  std::vector<int64_t> shape{total_rows};
  shape.insert(shape.end(), trailing.begin(), trailing.end());
  return at::cat(pieces).view(shape);
}

std::vector<nlohmann::json> Dist::all_gather_json(const nlohmann::json& value) {
  std::vector<nlohmann::json> out;
  for (const std::string& s : all_gather_strings(value.dump())) out.push_back(nlohmann::json::parse(s));
  return out;
}

bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    const char* v = std::getenv(var);
    if (v && *v) return true;
  }
  return false;
}

std::unique_ptr<Dist> make_dist(bool use_gpu) {
  SPCT_CHECK(!use_gpu || at::hasCUDA(), "a GPU run was requested, but LibTorch was built without CUDA or sees no GPU");
  int initialized = 0;
  MPI_Initialized(&initialized);
  std::unique_ptr<Dist> dist;
  if (!initialized && !launched_by_mpi()) {
    log::set_rank(0, 1);
    dist = std::make_unique<LocalDist>(use_gpu);
  } else {
    const DistTopology topo = detail::mpi_init();
    log::set_rank(topo.rank, topo.world);
    if (use_gpu) {
#ifdef SPCT_WITH_NCCL
      dist = detail::make_nccl_dist(topo);
#else
      throw_error("a GPU run under MPI needs NCCL, but spct was built without it (SPCT_WITH_NCCL)");
#endif
    } else {
      dist = detail::make_mpi_dist(topo);
    }
  }
  log::info("dist: backend ", dist->backend(), ", ", dist->world_size(), " rank(s), ", dist->local_size(),
            " per node, device ", dist->device());
  return dist;
}

}  // namespace spct
