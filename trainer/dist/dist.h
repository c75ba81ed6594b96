// The distributed layer: one process per GPU (or per CPU slot), collectives over all ranks.
// Backends: LocalDist (a single process not started by a launcher), MpiDist (CPU tensors, MPI
// collectives), NcclDist (one GPU per local rank, NCCL bootstrapped over MPI). See
// docs/distributed.md for the rank-to-GPU rule, timeouts and failure behaviour.
#pragma once
#include <ATen/ATen.h>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spct {

// Where this process sits in the job. local_* count the ranks on this node.
struct DistTopology {
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  int local_size = 1;
};

// Collectives take tensors on device() and are called by every rank in the same order.
// Reductions are in place. One Dist per process: the MPI-based backends finalize MPI when
// destroyed, if make_dist initialized it.
class Dist {
 public:
  static constexpr int64_t kDefaultBucketBytes = 25LL << 20;

  explicit Dist(const DistTopology& topology) : topo_(topology) {}
  virtual ~Dist() = default;
  Dist(const Dist&) = delete;
  Dist& operator=(const Dist&) = delete;

  int rank() const { return topo_.rank; }
  int world_size() const { return topo_.world; }
  int local_rank() const { return topo_.local_rank; }
  int local_size() const { return topo_.local_size; }
  bool is_root() const { return topo_.rank == 0; }
  virtual at::Device device() const = 0;
  virtual std::string backend() const = 0;  // "local", "mpi" or "nccl"

  // Largest flat buffer all_reduce_sum packs tensors into (a larger tensor goes alone).
  int64_t bucket_bytes() const { return bucket_bytes_; }
  void set_bucket_bytes(int64_t bytes);

  // Sums every tensor across ranks, in place. Tensors of one dtype are packed into flat buckets
  // of at most bucket_bytes(), reduced, and unpacked. bf16/f16 are reduced in f32 on MPI.
  void all_reduce_sum(std::vector<at::Tensor>& tensors);
  void all_reduce_sum(at::Tensor& tensor);
  void all_reduce_max(at::Tensor& tensor);

  // A sum started by start_all_reduce_sum and still to be completed. finish() waits for it: the
  // tensor then holds the sum (NcclDist: for work queued on the compute stream after finish();
  // the host does not wait). poll() moves it on (MPI progresses a non-blocking collective only
  // inside MPI calls) and says whether it is done. A request destroyed unfinished finishes first.
  class ReduceRequest {
   public:
    virtual ~ReduceRequest() = default;
    virtual bool poll() = 0;
    virtual void finish() = 0;
  };
  // Starts summing `flat` (contiguous, 1-D, on device(), a reducible dtype) across ranks and
  // returns without waiting. `flat` must stay alive and untouched until finish(). Like every
  // collective, all ranks start the same reductions in the same order. MpiDist: MPI_Iallreduce
  // (bf16/f16 through an f32 copy, rounded once at finish); NcclDist: ncclAllReduce on a
  // communication stream, after the work queued so far on the compute stream; LocalDist: nothing.
  std::unique_ptr<ReduceRequest> start_all_reduce_sum(const at::Tensor& flat);
  // The same, but only root's `flat` receives the sum (ZeRO-2: a gradient bucket reduced into
  // its owner's shard); the other ranks' `flat` is left unspecified. MpiDist: MPI_Ireduce;
  // NcclDist: ncclReduce on the communication stream; LocalDist: nothing.
  std::unique_ptr<ReduceRequest> start_reduce_sum(const at::Tensor& flat, int root);
  // Overwrites every tensor with root's (parameters at start).
  void broadcast(std::vector<at::Tensor>& tensors, int root);
  // Every rank's tensor concatenated along dim 0 in rank order. First dims may differ per rank;
  // the other dims and the dtype must match (checked on every rank alike).
  at::Tensor all_gather(const at::Tensor& tensor);
  // One string per rank, in rank order (metrics, error summaries).
  virtual std::vector<std::string> all_gather_strings(const std::string& value) = 0;
  std::vector<nlohmann::json> all_gather_json(const nlohmann::json& value);
  virtual void barrier() = 0;
  // Logs `why` with the rank and brings the whole job down with a non-zero exit. Never returns.
  [[noreturn]] virtual void abort(const std::string& why) = 0;

 protected:
  enum class ReduceOp { sum, max };
  // flat: contiguous 1-D tensor on device(), reduced across ranks in place.
  virtual void reduce_flat(at::Tensor& flat, ReduceOp op) = 0;
  // flat: contiguous tensor on device(), overwritten with root's bytes.
  virtual void broadcast_flat(at::Tensor& flat, int root) = 0;
  // in: contiguous (n) on device(); out: contiguous (world * n), same dtype; rank r's lands at r*n.
  virtual void gather_flat(const at::Tensor& in, at::Tensor& out) = 0;
  // flat: contiguous 1-D tensor on device(), checked. This default reduces at once (reduce_flat)
  // and returns a finished request.
  virtual std::unique_ptr<ReduceRequest> start_reduce_flat(const at::Tensor& flat);
  // flat as above, root a rank. This default all-reduces (root gets the sum, so does everyone).
  virtual std::unique_ptr<ReduceRequest> start_reduce_to_root(const at::Tensor& flat, int root);

 private:
  void reduce_buckets(std::vector<at::Tensor>& tensors, ReduceOp op);
  void reduce_bucket(std::vector<at::Tensor*>& bucket, ReduceOp op);
  void check_on_device(const at::Tensor& t, const char* what, size_t index) const;
  void check_flat(const at::Tensor& flat, const char* what) const;

  DistTopology topo_;
  int64_t bucket_bytes_ = kDefaultBucketBytes;
};

// Starts the distributed layer. Launched by mpirun/srun (an MPI launcher's environment is
// present, or MPI is already initialized): initializes MPI with at least MPI_THREAD_FUNNELED and
// returns NcclDist when use_gpu, else MpiDist. Otherwise returns LocalDist (world 1, no MPI).
// Sets log::set_rank. Throws spct::Error when use_gpu cannot be honoured.
std::unique_ptr<Dist> make_dist(bool use_gpu);

// True when this process was started by an MPI launcher (Open MPI, PMI or PMIx environment).
bool launched_by_mpi();

// Plumbing shared by the MPI-based backends (dist_mpi.cpp, dist_nccl.cpp); not for callers.
namespace detail {
DistTopology mpi_init();  // initializes MPI if needed; rank, world and node-local rank
void mpi_finalize_if_owned();
void mpi_check(int code, const char* call, const char* file, int line);
std::vector<std::string> mpi_all_gather_strings(const std::string& value);
void mpi_barrier();
void mpi_broadcast_bytes(void* data, int64_t bytes, int root);
// Throws spct::Error naming `what` when the calling thread may not make MPI calls (MPI below
// MPI_THREAD_MULTIPLE and not the thread that initialized it).
void mpi_check_thread(const char* what);
// Logs, then MPI_Abort from the thread that initialized MPI; from any other thread (a watchdog)
// exits with status 1, which makes mpirun (and srun --kill-on-bad-exit) end the job.
[[noreturn]] void mpi_abort(const std::string& why);
std::unique_ptr<Dist> make_mpi_dist(const DistTopology& topology);
std::unique_ptr<Dist> make_nccl_dist(const DistTopology& topology);  // SPCT_WITH_NCCL builds only
}  // namespace detail

#define mpiCheck(call) ::spct::detail::mpi_check((call), #call, __FILE__, __LINE__)

}  // namespace spct
