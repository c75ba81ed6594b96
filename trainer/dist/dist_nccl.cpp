// NcclDist: one GPU per local rank, an NCCL communicator bootstrapped over MPI (rank 0 makes
// the unique id, MPI broadcasts it, every rank calls ncclCommInitRankConfig).
//
// Hang protection: the communicator is non-blocking, so no NCCL call can block the host forever;
// calls that report ncclInProgress are polled with a deadline. A watchdog thread records a CUDA
// event after every collective and polls the communicator's async error; a collective that has
// not completed after SPCT_NCCL_TIMEOUT_S seconds (default 600), or any NCCL error, aborts the
// communicator and ends the job with a message naming the rank.
//
// Stream: collectives run on the legacy default stream (0), which is LibTorch's current stream
// unless the caller installs another; callers that use side streams must synchronize with it.
// start_all_reduce_sum (the gradient all-reduce overlapped with backward) runs on a communication
// stream of its own (non-blocking, so stream 0 does not serialize with it): it waits for an event
// recorded on stream 0, and finish() makes stream 0 wait for the reduction's event. Collectives
// on stream 0 first wait for every reduction queued on the communication stream, so all NCCL work
// of the communicator runs in the order it was issued.
// Compiled only when SPCT_WITH_NCCL is defined (trainer/dist.cmake).
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "trainer/dist/dist.h"

#if NCCL_VERSION_CODE < NCCL_VERSION(2, 14, 0)
#error "spct needs NCCL >= 2.14 (non-blocking communicators)"
#endif

#define cudaCheck(call) check_cuda((call), #call, __FILE__, __LINE__)
#define ncclCheck(call) check_nccl((call), #call, __FILE__, __LINE__)

namespace spct::detail {
namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

Seconds timeout_from_env() {
  const char* v = std::getenv("SPCT_NCCL_TIMEOUT_S");
  if (!v || !*v) return Seconds(600);
  char* end = nullptr;
  const double s = std::strtod(v, &end);
  SPCT_CHECK(*end == '\0' && s > 0, "SPCT_NCCL_TIMEOUT_S='", v, "' is not a positive number of seconds");
  return Seconds(s);
}

ncclDataType_t nccl_type(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return ncclFloat32;
    case at::kDouble: return ncclFloat64;
    case at::kBFloat16: return ncclBfloat16;
    case at::kHalf: return ncclFloat16;
    case at::kInt: return ncclInt32;
    case at::kLong: return ncclInt64;
    default: throw_error("NCCL has no reduction for dtype ", t);
  }
}

// One GPU per local rank. A process that sees a single GPU (CUDA_VISIBLE_DEVICES set per rank,
// srun --gpus-per-task=1) uses that one.
int pick_device(const DistTopology& topo) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  SPCT_CHECK(e == cudaSuccess, "rank ", topo.rank, ": cudaGetDeviceCount failed: ", cudaGetErrorString(e));
  if (count == 1) return 0;
  SPCT_CHECK(topo.local_rank < count, "rank ", topo.rank, " is local rank ", topo.local_rank, " of ", topo.local_size,
             " on its node, but only ", count, " GPUs are visible: launch at most one rank per GPU");
  return topo.local_rank;
}

class NcclDist final : public Dist {
 public:
  explicit NcclDist(const DistTopology& topo);
  ~NcclDist() override;
  at::Device device() const override { return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_)); }
  std::string backend() const override { return "nccl"; }
  std::vector<std::string> all_gather_strings(const std::string& value) override {
    return mpi_all_gather_strings(value);
  }
  void barrier() override {
    cudaCheck(cudaStreamSynchronize(stream()));
    cudaCheck(cudaStreamSynchronize(comm_stream_));
    mpi_barrier();
  }
  [[noreturn]] void abort(const std::string& why) override;

 protected:
  void reduce_flat(at::Tensor& flat, ReduceOp op) override {
    after_overlapped();
    ncclCheck(ncclAllReduce(flat.data_ptr(), flat.data_ptr(), static_cast<size_t>(flat.numel()),
                            nccl_type(flat.scalar_type()), op == ReduceOp::sum ? ncclSum : ncclMax, comm_, stream()));
    track("all_reduce");
  }
  void broadcast_flat(at::Tensor& flat, int root) override {
    after_overlapped();
    ncclCheck(ncclBroadcast(flat.data_ptr(), flat.data_ptr(), flat.nbytes(), ncclUint8, root, comm_, stream()));
    track("broadcast");
  }
  void gather_flat(const at::Tensor& in, at::Tensor& out) override {
    after_overlapped();
    ncclCheck(ncclAllGather(in.data_ptr(), out.data_ptr(), in.nbytes(), ncclUint8, comm_, stream()));
    track("all_gather");
  }
  std::unique_ptr<ReduceRequest> start_reduce_flat(const at::Tensor& flat) override { return start_on_comm(flat, -1); }
  std::unique_ptr<ReduceRequest> start_reduce_to_root(const at::Tensor& flat, int root) override {
    return start_on_comm(flat, root);
  }

 private:
  struct Pending {
    cudaEvent_t done;
    Clock::time_point start;
    const char* op;
    int64_t seq;
  };

  // An all-reduce queued on comm_stream_; finish() makes stream 0 wait for it (the host does not).
  class Request final : public ReduceRequest {
   public:
    Request(NcclDist& dist, cudaEvent_t done) : dist_(dist), done_(done) {}
    ~Request() override {
      if (!finished_) finish();
      cudaEventDestroy(done_);  // released by CUDA once the event has completed
    }
    bool poll() override {
      const cudaError_t q = cudaEventQuery(done_);
      if (q == cudaErrorNotReady) return false;
      dist_.check_cuda(q, "cudaEventQuery(done)", __FILE__, __LINE__);
      return true;
    }
    void finish() override {
      if (finished_) return;
      dist_.check_cuda(cudaStreamWaitEvent(stream(), done_, 0), "cudaStreamWaitEvent(stream(), done, 0)", __FILE__,
                       __LINE__);
      finished_ = true;
    }

   private:
    NcclDist& dist_;
    cudaEvent_t done_;
    bool finished_ = false;
  };

  static cudaStream_t stream() { return nullptr; }  // the legacy default stream
  // Orders the next work on stream 0 after every reduction queued on comm_stream_.
  void after_overlapped() { cudaCheck(cudaStreamWaitEvent(stream(), comm_tail_, 0)); }
  void check_cuda(cudaError_t e, const char* call, const char* file, int line);
  void check_nccl(ncclResult_t r, const char* call, const char* file, int line);
  void wait_ready(const char* call);
  void track(const char* op, cudaStream_t on = stream());
  std::unique_ptr<ReduceRequest> start_on_comm(const at::Tensor& flat, int root);  // root < 0: all-reduce
  void watch();
  std::string watch_once();

  int device_ = 0;
  ncclComm_t comm_ = nullptr;
  cudaStream_t comm_stream_ = nullptr;  // start_all_reduce_sum's reductions (cudaStreamNonBlocking)
  cudaEvent_t ready_ = nullptr;         // recorded on stream 0 before each overlapped reduction
  cudaEvent_t comm_tail_ = nullptr;     // recorded on comm_stream_ after each overlapped reduction
  Seconds timeout_;
  std::atomic<bool> aborting_{false};
  std::mutex mutex_;  // guards pending_, seq_, stop_
  std::condition_variable wake_;
  std::deque<Pending> pending_;
  int64_t seq_ = 0;
  bool stop_ = false;
  std::thread watchdog_;
};

NcclDist::NcclDist(const DistTopology& topo) : Dist(topo), timeout_(timeout_from_env()) {
  device_ = pick_device(topo);
  cudaCheck(cudaSetDevice(device_));
  cudaCheck(cudaStreamCreateWithFlags(&comm_stream_, cudaStreamNonBlocking));
  cudaCheck(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming));
  cudaCheck(cudaEventCreateWithFlags(&comm_tail_, cudaEventDisableTiming));
  ncclUniqueId id{};
  if (rank() == 0) ncclCheck(ncclGetUniqueId(&id));
  mpi_broadcast_bytes(&id, sizeof id, 0);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  ncclCheck(ncclCommInitRankConfig(&comm_, world_size(), id, rank(), &config));
  watchdog_ = std::thread([this] { watch(); });
}

NcclDist::~NcclDist() {
  cudaCheck(cudaStreamSynchronize(comm_stream_));  // the watchdog still guards these waits
  cudaCheck(cudaStreamSynchronize(stream()));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
  for (Pending& p : pending_) cudaEventDestroy(p.done);
  ncclCheck(ncclCommFinalize(comm_));
  ncclCheck(ncclCommDestroy(comm_));
  cudaEventDestroy(ready_);
  cudaEventDestroy(comm_tail_);
  cudaStreamDestroy(comm_stream_);
  mpi_finalize_if_owned();
}

void NcclDist::abort(const std::string& why) {
  // The first caller (main thread or watchdog) brings the job down; a second one waits for it.
  if (aborting_.exchange(true)) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (comm_) ncclCommAbort(comm_);
  mpi_abort(why);
}

void NcclDist::check_cuda(cudaError_t e, const char* call, const char* file, int line) {
  if (e == cudaSuccess) return;
  abort(log::detail::join(file, ":", line, ": rank ", rank(), ": ", call, " failed: ", cudaGetErrorString(e)));
}

void NcclDist::check_nccl(ncclResult_t r, const char* call, const char* file, int line) {
  if (r == ncclInProgress) return wait_ready(call);
  if (r == ncclSuccess) return;
  abort(log::detail::join(file, ":", line, ": rank ", rank(), ": ", call, " failed: ", ncclGetErrorString(r),
                          comm_ ? std::string(" (") + ncclGetLastError(comm_) + ")" : std::string()));
}

// A non-blocking communicator finishes a call in the background; poll until it has.
void NcclDist::wait_ready(const char* call) {
  const Clock::time_point deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout_);
  for (;;) {
    ncclResult_t state = ncclSuccess;
    const ncclResult_t r = ncclCommGetAsyncError(comm_, &state);
    if (r != ncclSuccess) state = r;
    if (state == ncclSuccess) return;
    if (state != ncclInProgress)
      abort(log::detail::join("rank ", rank(), ": ", call, " failed: ", ncclGetErrorString(state), " (",
                              ncclGetLastError(comm_), ")"));
    if (Clock::now() > deadline)
      abort(log::detail::join("rank ", rank(), ": ", call, " did not finish within ", timeout_.count(),
                              " s (SPCT_NCCL_TIMEOUT_S)"));
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

// The overlapped all-reduce (root < 0) or reduce into root (ZeRO-2): on comm_stream_, after the
// work queued so far on stream 0 (the bucket's packing). May be called from LibTorch's autograd
// thread of this device (a gradient hook): NCCL calls on one communicator only need to be
// serialized, and they are (the main thread waits in backward meanwhile).
std::unique_ptr<Dist::ReduceRequest> NcclDist::start_on_comm(const at::Tensor& flat, int root) {
  cudaCheck(cudaEventRecord(ready_, stream()));
  cudaCheck(cudaStreamWaitEvent(comm_stream_, ready_, 0));
  const size_t count = static_cast<size_t>(flat.numel());
  if (root < 0) {
    ncclCheck(ncclAllReduce(flat.data_ptr(), flat.data_ptr(), count, nccl_type(flat.scalar_type()), ncclSum, comm_,
                            comm_stream_));
    track("all_reduce (overlapped)", comm_stream_);
  } else {
    ncclCheck(ncclReduce(flat.data_ptr(), flat.data_ptr(), count, nccl_type(flat.scalar_type()), ncclSum, root, comm_,
                         comm_stream_));
    track("reduce (overlapped)", comm_stream_);
  }
  cudaEvent_t done;
  cudaCheck(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  cudaCheck(cudaEventRecord(done, comm_stream_));
  cudaCheck(cudaEventRecord(comm_tail_, comm_stream_));
  return std::make_unique<Request>(*this, done);
}

// Records an event after the collective just queued (on stream `on`), for the watchdog to time.
void NcclDist::track(const char* op, cudaStream_t on) {
  cudaEvent_t done;
  cudaCheck(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  cudaCheck(cudaEventRecord(done, on));
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.push_back(Pending{done, Clock::now(), op, ++seq_});
}

void NcclDist::watch() {
  cudaCheck(cudaSetDevice(device_));  // the current device is per thread
  const auto poll = std::chrono::duration_cast<Clock::duration>(std::min(Seconds(1), timeout_ / 10));
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, poll, [this] { return stop_; })) return;
    }
    const std::string problem = watch_once();
    if (!problem.empty()) abort(problem);
  }
}

// One look: retire completed collectives; return why the job must end, or "" if all is well.
std::string NcclDist::watch_once() {
  ncclResult_t state = ncclSuccess;
  const ncclResult_t r = ncclCommGetAsyncError(comm_, &state);
  if (r != ncclSuccess) state = r;
  if (state != ncclSuccess && state != ncclInProgress)
    return log::detail::join("rank ", rank(), ": NCCL reported an asynchronous error: ", ncclGetErrorString(state),
                             " (", ncclGetLastError(comm_), ")");
  std::lock_guard<std::mutex> lock(mutex_);
  while (!pending_.empty()) {
    Pending& p = pending_.front();
    const cudaError_t q = cudaEventQuery(p.done);
    if (q == cudaErrorNotReady) {
      const Seconds waited = Clock::now() - p.start;
      if (waited > timeout_)
        return log::detail::join("rank ", rank(), ": NCCL ", p.op, " #", p.seq, " has not completed after ",
                                 waited.count(), " s (SPCT_NCCL_TIMEOUT_S=", timeout_.count(),
                                 "); a rank is stuck or gone");
      return "";
    }
    if (q != cudaSuccess)
      return log::detail::join("rank ", rank(), ": CUDA error while NCCL ", p.op, " #", p.seq,
                               " ran: ", cudaGetErrorString(q));
    cudaEventDestroy(p.done);
    pending_.pop_front();
  }
  return "";
}

}  // namespace

std::unique_ptr<Dist> make_nccl_dist(const DistTopology& topology) { return std::make_unique<NcclDist>(topology); }

}  // namespace spct::detail
