// The gradient all-reduce of a training step, in flat buckets, optionally overlapped with the
// backward of the step's last micro-batch (optim.overlap_allreduce, docs/distributed.md).
//
// Parameters are grouped into buckets once, in DDP's order (last parameter first: roughly the
// order backward finishes their gradients). With overlap, a hook on each parameter's gradient
// accumulator copies the gradient into its bucket's flat buffer as soon as the accumulator has run
// in the last micro-batch's backward (the gradient is then final: it already holds the earlier
// micro-batches' sum), and a bucket whose parameters are all in starts its all-reduce at once, on
// Dist::start_all_reduce_sum, buckets strictly in order so every rank starts the same reductions
// in the same order. Without overlap the same buckets are packed and started after backward. The
// sums, and so the results, are the same bit for bit either way.
//
// Sharded (ZeRO-2, given the owner rank of each parameter): a bucket holds parameters of one
// owner, and is reduced into that owner's buffer only (Dist::start_reduce_sum). The reducer is
// armed in every micro-batch: each gradient is packed and dropped from its parameter as soon as
// it is final, the buckets are reduced as they fill (at most kMaxInFlight at once, their buffers
// allocated when they start filling and freed once reduced), and each owner adds the sums into
// gradient shards of its own parameters. So no rank holds the whole gradient after the reduction:
// only its shard, plus the buckets being filled or in flight.
#pragma once
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "trainer/dist/dist.h"
#include "trainer/optim/optimizer.h"

namespace torch::autograd {
struct Node;
}

namespace spct {

struct GradBucket {
  at::ScalarType dtype = at::kFloat;
  int owner = -1;                // the rank its sum goes to; -1: every rank (all-reduce)
  std::vector<size_t> params;    // indices into the parameter list, in packing order
  std::vector<int64_t> offsets;  // element offset of each in the flat buffer
  int64_t numel = 0;             // elements of the flat buffer
};

// Buckets for params (in their order, e.g. Transformer::parameters()): walking the parameters from
// the last to the first, each goes into the open bucket of its dtype; one that would take that
// bucket past bucket_bytes closes it first (a parameter larger than bucket_bytes gets a bucket of
// its own). Buckets are numbered in the order they close; those still open at the end close in the
// order they opened. Parameters without elements go in no bucket. The same on every rank.
// With owners (one rank per parameter), buckets are per dtype and owner.
std::vector<GradBucket> assign_grad_buckets(const NamedTensors& params, int64_t bucket_bytes,
                                            const std::vector<int>& owners = {});

struct GradReadyHook;

class GradReducer {
 public:
  // params: the trained parameters (leaves that require grad), on dist.device(). Buckets of at most
  // dist.bucket_bytes(). With overlap, registers a post hook on every parameter's gradient
  // accumulator (kept alive here, so later graphs use the same one); it does nothing until arm().
  // With owners (ZeRO-2, one rank per parameter): sharded, as described above.
  GradReducer(Dist& dist, const NamedTensors& params, bool overlap, std::vector<int> owners = {});
  ~GradReducer();
  GradReducer(const GradReducer&) = delete;
  GradReducer& operator=(const GradReducer&) = delete;

  static constexpr size_t kMaxInFlight = 2;  // sharded: buckets reduced at once, at most

  // Before the backward of a step's last micro-batch (sharded: of every micro-batch); loss is
  // what that backward starts from.
  // Parameters whose accumulator is not reachable from loss get no gradient in it: they are taken
  // as final right away. A no-op without overlap.
  void arm(const at::Tensor& loss);
  // After the last micro-batch's backward: starts every bucket not started yet (without overlap,
  // all of them). Every rank calls it at the same point, so the reductions are started before any
  // collective that follows.
  void start_remaining();
  // Starts what is not started yet, waits for every bucket and writes the sums into the
  // parameters' grads (a parameter without a grad gets one: the others' sum). Then ready for the
  // next step. Sharded: after every micro-batch's backward; the sums go into this rank's shards
  // (added to those of the step's earlier micro-batches) and no parameter has a grad.
  void finish();
  // Sharded, after the step's last finish(): each parameter this rank owns gets its shard as its
  // grad (zeros if none arrived), and the shards are cleared for the next step.
  void install_shards();

  bool sharded() const { return !owners_.empty(); }
  const std::vector<int>& owners() const { return owners_; }

  const std::vector<GradBucket>& buckets() const { return buckets_; }
  bool overlap() const { return overlap_; }
  // For tests and metrics, of the step in progress or the last finished one: how many buckets were
  // started between arm() and start_remaining() (during backward), and for each bucket started so,
  // how many bucketed parameters were final when it started.
  int64_t started_in_backward() const;
  std::vector<int64_t> ready_when_started() const;
  // Bytes of bucket buffers allocated now, and at most so far (sharded: they come and go).
  int64_t buffer_bytes() const;
  int64_t peak_buffer_bytes() const;

 private:
  friend struct GradReadyHook;
  void on_accumulated(size_t param);  // the hook, after the accumulator of params_[param] ran
  void mark_ready(size_t param);
  void start_ready_buckets();
  void poll_oldest();
  void complete(size_t bucket);  // waits for a started bucket; sharded: adds it to the shards
  int64_t buffer_bytes_unlocked() const;

  Dist& dist_;
  NamedTensors params_;
  bool overlap_;
  std::vector<int> owners_;  // sharded: owner rank per parameter; empty: all-reduce
  std::vector<GradBucket> buckets_;
  std::vector<int64_t> bucket_of_;  // per parameter: its bucket, -1 for none
  std::vector<int64_t> slot_of_;    // per parameter: its index within the bucket
  std::vector<at::Tensor> flats_;   // per bucket: allocated once, or (sharded) while it is in use
  std::vector<at::Tensor> shards_;  // sharded: per parameter this rank owns, the step's sum so far
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;  // per parameter (overlap)
  std::vector<uintptr_t> hook_keys_;
  std::unordered_map<const torch::autograd::Node*, size_t> accumulator_index_;  // accumulator -> parameter

  mutable std::mutex mutex_;  // hooks may run on LibTorch's autograd thread of a CUDA device
  bool armed_ = false;
  std::vector<char> ready_;                                     // per parameter, this step
  std::vector<int64_t> missing_;                                // per bucket: parameters not ready yet
  size_t next_start_ = 0;                                       // buckets [0, next_start_) are started
  size_t polled_ = 0;                                           // buckets [0, polled_) are known complete
  size_t completed_ = 0;                                        // sharded: buckets [0, completed_) are consumed
  std::vector<std::unique_ptr<Dist::ReduceRequest>> requests_;  // per bucket, this step
  int64_t ready_count_ = 0;
  int64_t started_in_backward_ = 0;
  int64_t peak_buffer_bytes_ = 0;
  std::vector<int64_t> ready_when_started_;
};

}  // namespace spct
