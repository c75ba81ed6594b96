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
  std::vector<size_t> params;    // indices into the parameter list, in packing order
  std::vector<int64_t> offsets;  // element offset of each in the flat buffer
  int64_t numel = 0;             // elements of the flat buffer
};

// Buckets for params (in their order, e.g. Transformer::parameters()): walking the parameters from
// the last to the first, each goes into the open bucket of its dtype; one that would take that
// bucket past bucket_bytes closes it first (a parameter larger than bucket_bytes gets a bucket of
// its own). Buckets are numbered in the order they close; those still open at the end close in the
// order they opened. Parameters without elements go in no bucket. The same on every rank.
std::vector<GradBucket> assign_grad_buckets(const NamedTensors& params, int64_t bucket_bytes);

struct GradReadyHook;

class GradReducer {
 public:
  // params: the trained parameters (leaves that require grad), on dist.device(). Buckets of at most
  // dist.bucket_bytes(). With overlap, registers a post hook on every parameter's gradient
  // accumulator (kept alive here, so later graphs use the same one); it does nothing until arm().
  GradReducer(Dist& dist, const NamedTensors& params, bool overlap);
  ~GradReducer();
  GradReducer(const GradReducer&) = delete;
  GradReducer& operator=(const GradReducer&) = delete;

  // Before the backward of a step's last micro-batch; loss is what that backward starts from.
  // Parameters whose accumulator is not reachable from loss get no gradient in it: they are taken
  // as final right away. A no-op without overlap.
  void arm(const at::Tensor& loss);
  // After the last micro-batch's backward: starts every bucket not started yet (without overlap,
  // all of them). Every rank calls it at the same point, so the reductions are started before any
  // collective that follows.
  void start_remaining();
  // Starts what is not started yet, waits for every bucket and writes the sums into the
  // parameters' grads (a parameter without a grad gets one: the others' sum). Then ready for the
  // next step.
  void finish();

  const std::vector<GradBucket>& buckets() const { return buckets_; }
  bool overlap() const { return overlap_; }
  // For tests and metrics, of the step in progress or the last finished one: how many buckets were
  // started between arm() and start_remaining() (during backward), and for each bucket started so,
  // how many bucketed parameters were final when it started.
  int64_t started_in_backward() const;
  std::vector<int64_t> ready_when_started() const;

 private:
  friend struct GradReadyHook;
  void on_accumulated(size_t param);  // the hook, after the accumulator of params_[param] ran
  void mark_ready(size_t param);
  void start_ready_buckets();
  void poll_oldest();

  Dist& dist_;
  NamedTensors params_;
  bool overlap_;
  std::vector<GradBucket> buckets_;
  std::vector<int64_t> bucket_of_;  // per parameter: its bucket, -1 for none
  std::vector<int64_t> slot_of_;    // per parameter: its index within the bucket
  std::vector<at::Tensor> flats_;   // per bucket, allocated once
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;  // per parameter (overlap)
  std::vector<uintptr_t> hook_keys_;
  std::unordered_map<const torch::autograd::Node*, size_t> accumulator_index_;  // accumulator -> parameter

  mutable std::mutex mutex_;  // hooks may run on LibTorch's autograd thread of a CUDA device
  bool armed_ = false;
  std::vector<char> ready_;                       // per parameter, this step
  std::vector<int64_t> missing_;                  // per bucket: parameters not ready yet
  size_t next_start_ = 0;                         // buckets [0, next_start_) are started
  size_t polled_ = 0;                             // buckets [0, polled_) are known complete
  std::vector<std::unique_ptr<Dist::ReduceRequest>> requests_;  // per bucket, this step
  int64_t ready_count_ = 0;
  int64_t started_in_backward_ = 0;
  std::vector<int64_t> ready_when_started_;
};

}  // namespace spct
