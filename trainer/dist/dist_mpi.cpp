// MPI: start-up, node topology, the helpers NcclDist shares (strings, barrier, abort), and
// MpiDist, whose collectives run on CPU tensors.
#include <c10/core/GradMode.h>
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "trainer/dist/dist.h"

namespace spct::detail {
namespace {

bool g_owned = false;  // make_dist called MPI_Init_thread, so it finalizes too
int g_thread_level = MPI_THREAD_SINGLE;
std::thread::id g_mpi_thread;  // the thread that may call MPI below MPI_THREAD_MULTIPLE

// MPI counts are ints: large buffers go in pieces of this many elements.
constexpr int64_t kMaxCount = int64_t{1} << 30;

MPI_Datatype mpi_type(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return MPI_FLOAT;
    case at::kDouble: return MPI_DOUBLE;
    case at::kInt: return MPI_INT32_T;
    case at::kLong: return MPI_INT64_T;
    default: throw_error("MPI has no reduction for dtype ", t);
  }
}

// MPI_Iallreduce requests over one flat tensor (several when it exceeds kMaxCount elements).
// bf16/f16 are reduced in an f32 copy (`wide`) and rounded into the tensor once, at finish().
class MpiReduceRequest final : public Dist::ReduceRequest {
 public:
  MpiReduceRequest(at::Tensor flat, at::Tensor wide) : flat_(std::move(flat)), wide_(std::move(wide)) {}
  ~MpiReduceRequest() override {
    if (done_) return;
    try {
      finish();
    } catch (const std::exception& e) {  // never from a destructor; the job is failing anyway
      log::error("an unfinished all-reduce could not be completed: ", e.what());
    }
  }
  std::vector<MPI_Request>& requests() { return requests_; }

  bool poll() override {
    if (done_) return true;
    mpi_check_thread("Dist::ReduceRequest::poll");
    int flag = 0;
    mpiCheck(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &flag, MPI_STATUSES_IGNORE));
    if (flag) complete();
    return done_;
  }
  void finish() override {
    if (done_) return;
    mpi_check_thread("Dist::ReduceRequest::finish");
    mpiCheck(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE));
    complete();
  }

 private:
  void complete() {
    if (wide_.defined()) {
      c10::NoGradGuard no_grad;
      flat_.copy_(wide_);
    }
    done_ = true;
  }
  at::Tensor flat_, wide_;
  std::vector<MPI_Request> requests_;
  bool done_ = false;
};

class MpiDist final : public Dist {
 public:
  using Dist::Dist;
  ~MpiDist() override { mpi_finalize_if_owned(); }
  at::Device device() const override { return at::Device(at::kCPU); }
  std::string backend() const override { return "mpi"; }
  std::vector<std::string> all_gather_strings(const std::string& value) override {
    return mpi_all_gather_strings(value);
  }
  void barrier() override { mpi_barrier(); }
  [[noreturn]] void abort(const std::string& why) override { mpi_abort(why); }

 protected:
  void reduce_flat(at::Tensor& flat, ReduceOp op) override {
    // MPI has no 16-bit floats: reduce in f32 and round once.
    if (flat.scalar_type() == at::kBFloat16 || flat.scalar_type() == at::kHalf) {
      at::Tensor wide = flat.to(at::kFloat);
      reduce_flat(wide, op);
      flat.copy_(wide);
      return;
    }
    const MPI_Datatype type = mpi_type(flat.scalar_type());
    const MPI_Op mop = op == ReduceOp::sum ? MPI_SUM : MPI_MAX;
    char* data = static_cast<char*>(flat.data_ptr());
    const int64_t n = flat.numel();
    for (int64_t off = 0; off < n; off += kMaxCount) {
      const int count = static_cast<int>(std::min(kMaxCount, n - off));
      mpiCheck(MPI_Allreduce(MPI_IN_PLACE, data + off * flat.element_size(), count, type, mop, MPI_COMM_WORLD));
    }
  }

  std::unique_ptr<ReduceRequest> start_reduce_flat(const at::Tensor& flat) override {
    return start_nonblocking(flat, -1, "Dist::start_all_reduce_sum");
  }
  std::unique_ptr<ReduceRequest> start_reduce_to_root(const at::Tensor& flat, int root) override {
    return start_nonblocking(flat, root, "Dist::start_reduce_sum");
  }

  void broadcast_flat(at::Tensor& flat, int root) override {
    mpi_broadcast_bytes(flat.data_ptr(), static_cast<int64_t>(flat.nbytes()), root);
  }

  void gather_flat(const at::Tensor& in, at::Tensor& out) override {
    const int64_t bytes = static_cast<int64_t>(in.nbytes());
    SPCT_CHECK(bytes <= INT_MAX, "all_gather: ", bytes, " bytes per rank is more than MPI can send at once");
    mpiCheck(MPI_Allgather(in.data_ptr(), static_cast<int>(bytes), MPI_BYTE, out.data_ptr(), static_cast<int>(bytes),
                           MPI_BYTE, MPI_COMM_WORLD));
  }

 private:
  // MPI_Iallreduce (root < 0) or MPI_Ireduce into root, in place.
  std::unique_ptr<ReduceRequest> start_nonblocking(const at::Tensor& flat, int root, const char* what) {
    mpi_check_thread(what);
    // MPI has no 16-bit floats: reduce an f32 copy, rounded into `flat` once at finish().
    const bool narrow = flat.scalar_type() == at::kBFloat16 || flat.scalar_type() == at::kHalf;
    at::Tensor wide = narrow ? flat.to(at::kFloat) : at::Tensor();
    const at::Tensor& buf = narrow ? wide : flat;
    auto request = std::make_unique<MpiReduceRequest>(flat, wide);
    const MPI_Datatype type = mpi_type(buf.scalar_type());
    char* data = static_cast<char*>(buf.data_ptr());
    const int64_t n = buf.numel();
    for (int64_t off = 0; off < n; off += kMaxCount) {
      const int count = static_cast<int>(std::min(kMaxCount, n - off));
      request->requests().push_back(MPI_REQUEST_NULL);
      void* chunk = data + off * buf.element_size();
      MPI_Request* r = &request->requests().back();
      if (root < 0)
        mpiCheck(MPI_Iallreduce(MPI_IN_PLACE, chunk, count, type, MPI_SUM, MPI_COMM_WORLD, r));
      else if (root == rank())
        mpiCheck(MPI_Ireduce(MPI_IN_PLACE, chunk, count, type, MPI_SUM, root, MPI_COMM_WORLD, r));
      else
        mpiCheck(MPI_Ireduce(chunk, nullptr, count, type, MPI_SUM, root, MPI_COMM_WORLD, r));
    }
    return request;
  }
};

}  // namespace

DistTopology mpi_init() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) {
    MPI_Query_thread(&g_thread_level);
  } else {
    const int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &g_thread_level);
    SPCT_CHECK(rc == MPI_SUCCESS, "MPI_Init_thread failed with code ", rc);
    g_owned = true;
  }
  SPCT_CHECK(g_thread_level >= MPI_THREAD_FUNNELED, "MPI provides thread level ", g_thread_level,
             "; spct needs MPI_THREAD_FUNNELED (", MPI_THREAD_FUNNELED, ") or above");
  g_mpi_thread = std::this_thread::get_id();
  // Errors come back to mpiCheck, which names the call, file and line before aborting.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

  DistTopology topo;
  mpiCheck(MPI_Comm_rank(MPI_COMM_WORLD, &topo.rank));
  mpiCheck(MPI_Comm_size(MPI_COMM_WORLD, &topo.world));
  MPI_Comm node;
  mpiCheck(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, topo.rank, MPI_INFO_NULL, &node));
  mpiCheck(MPI_Comm_rank(node, &topo.local_rank));
  mpiCheck(MPI_Comm_size(node, &topo.local_size));
  mpiCheck(MPI_Comm_free(&node));
  return topo;
}

void mpi_finalize_if_owned() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (g_owned && !finalized) MPI_Finalize();
}

void mpi_check(int code, const char* call, const char* file, int line) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  mpi_abort(log::detail::join(file, ":", line, ": ", call, " failed: ", std::string(text, len)));
}

std::vector<std::string> mpi_all_gather_strings(const std::string& value) {
  int world = 0;
  mpiCheck(MPI_Comm_size(MPI_COMM_WORLD, &world));
  int64_t len = static_cast<int64_t>(value.size());
  std::vector<int64_t> lens(world);
  mpiCheck(MPI_Allgather(&len, 1, MPI_INT64_T, lens.data(), 1, MPI_INT64_T, MPI_COMM_WORLD));
  std::vector<int> counts(world), displs(world);
  int64_t total = 0;
  for (int r = 0; r < world; ++r) {
    displs[r] = static_cast<int>(total);
    counts[r] = static_cast<int>(lens[r]);
    total += lens[r];
  }
  SPCT_CHECK(total <= INT_MAX, "all_gather_strings: ", total, " bytes in all is more than MPI can gather");
  std::string all(static_cast<size_t>(total), '\0');
  mpiCheck(MPI_Allgatherv(value.data(), static_cast<int>(len), MPI_CHAR, all.data(), counts.data(), displs.data(),
                          MPI_CHAR, MPI_COMM_WORLD));
  std::vector<std::string> out;
  for (int r = 0; r < world; ++r) out.push_back(all.substr(displs[r], counts[r]));
  return out;
}

void mpi_barrier() { mpiCheck(MPI_Barrier(MPI_COMM_WORLD)); }

void mpi_broadcast_bytes(void* data, int64_t bytes, int root) {
  char* p = static_cast<char*>(data);
  for (int64_t off = 0; off < bytes; off += kMaxCount) {
    const int count = static_cast<int>(std::min(kMaxCount, bytes - off));
    mpiCheck(MPI_Bcast(p + off, count, MPI_BYTE, root, MPI_COMM_WORLD));
  }
}

void mpi_check_thread(const char* what) {
  SPCT_CHECK(g_thread_level >= MPI_THREAD_MULTIPLE || std::this_thread::get_id() == g_mpi_thread, what,
             ": called from a thread other than the one that initialized MPI, which MPI's thread level (",
             g_thread_level, ", below MPI_THREAD_MULTIPLE) does not allow");
}

void mpi_abort(const std::string& why) {
  log::error("aborting the job: ", why);
  std::fflush(nullptr);
  if (g_thread_level >= MPI_THREAD_MULTIPLE || std::this_thread::get_id() == g_mpi_thread) MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

std::unique_ptr<Dist> make_mpi_dist(const DistTopology& topology) { return std::make_unique<MpiDist>(topology); }

}  // namespace spct::detail
