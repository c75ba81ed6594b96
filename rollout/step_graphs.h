// Decode steps captured as CUDA graphs, one per shape (batch bucket, attention span, sampler
// mode): a replay launches the whole step (a few hundred kernels) at once, removing the per-kernel
// launch cost that dominates small-model decoding. Compiled in only with CUDA (the #ifdef lives
// in step_graphs.cpp alone); `rollout.cuda_graphs: false` turns it off at run time.
#pragma once
#include <functional>
#include <memory>
#include <string>

namespace spct {

class StepGraphs {
 public:
  // Active only when `enabled`, the build has CUDA and `on_cuda`.
  StepGraphs(bool enabled, bool on_cuda);
  ~StepGraphs();
  bool active() const { return active_; }
  // Runs step(): eagerly when inactive; for a new key eagerly once (a real step, which also
  // warms up lazily created handles) and then captured; for a known key by replaying it.
  void run(const std::string& key, const std::function<void()>& step);
  int64_t captured() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool active_ = false;
};

}  // namespace spct
