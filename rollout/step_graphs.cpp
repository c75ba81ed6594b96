#include "rollout/step_graphs.h"

#include <map>

#ifdef SPCT_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace spct {

#ifdef SPCT_WITH_CUDA
struct StepGraphs::Impl {
  std::map<std::string, std::unique_ptr<at::cuda::CUDAGraph>> graphs;
  // One memory pool for all graphs: replays are serialized on one stream and every value that
  // outlives a step lives in buffers allocated outside the graphs.
  decltype(at::cuda::graph_pool_handle()) pool{};
  bool have_pool = false;
};

StepGraphs::StepGraphs(bool enabled, bool on_cuda) : impl_(std::make_unique<Impl>()), active_(enabled && on_cuda) {}

void StepGraphs::run(const std::string& key, const std::function<void()>& step) {
  if (!active_) return step();
  auto it = impl_->graphs.find(key);
  if (it != impl_->graphs.end()) return it->second->replay();
  step();
  c10::cuda::device_synchronize();
  auto graph = std::make_unique<at::cuda::CUDAGraph>();
  {
    // Capture needs a stream other than the legacy default one.
    c10::cuda::CUDAStreamGuard guard(c10::cuda::getStreamFromPool());
    if (!impl_->have_pool) {
      impl_->pool = at::cuda::graph_pool_handle();
      impl_->have_pool = true;
    }
    graph->capture_begin(impl_->pool);
    step();
    graph->capture_end();
  }
  c10::cuda::device_synchronize();
  impl_->graphs.emplace(key, std::move(graph));
}

int64_t StepGraphs::captured() const { return static_cast<int64_t>(impl_->graphs.size()); }
#else
struct StepGraphs::Impl {};

StepGraphs::StepGraphs(bool, bool) : impl_(std::make_unique<Impl>()) {}

void StepGraphs::run(const std::string&, const std::function<void()>& step) { step(); }

int64_t StepGraphs::captured() const { return 0; }
#endif

StepGraphs::~StepGraphs() = default;

}  // namespace spct
