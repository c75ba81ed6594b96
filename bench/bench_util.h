// What the benchmarks share: random weights drawn on the model's device, and a Kineto kernel
// profile for their --profile options.
#pragma once
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/torch_compat.h"

namespace spct::bench {

// HF-style random init (normal(0, 0.02) matrices, unit norms, zero biases) drawn on the model's
// device: seconds for a 3B model where Transformer::init_random's CPU draws take minutes.
inline void init_on_device(Transformer& model, uint64_t seed) {
  c10::NoGradGuard no_grad;
  at::manual_seed(seed);
  for (const auto& [name, p] : model.parameters()) {
    at::Tensor t = p;
    if (name.find("norm") != std::string::npos)
      t.fill_(1.0);
    else if (t.dim() == 1)
      t.zero_();
    else
      t.normal_(0.0, 0.02);
  }
}

// Device time by kernel of `work` (kernels inside CUDA graphs are recorded too): the `top` most
// expensive kernel names with their share of all kernel time, printed as a table.

inline void profile_kernels(const std::function<void()>& work, int top, const char* what) {
  namespace prof = torch::autograd::profiler;
  using torch::profiler::impl::ActivityType;
  const prof::ProfilerConfig config(prof::ProfilerState::KINETO);
  const std::set<ActivityType> activities = {ActivityType::CPU, ActivityType::CUDA};
  prof::prepareProfiler(config, activities);
  prof::enableProfiler(config, activities);
  work();
  const std::unique_ptr<prof::ProfilerResult> result = prof::disableProfiler();
  std::map<std::string, std::pair<double, int64_t>> by_name;  // name -> (us, launches)
  double total = 0;
  for (const auto& e : result->events()) {
    if (e.deviceType() != c10::DeviceType::CUDA) continue;
    auto& [us, count] = by_name[e.name()];
    const double d = compat::event_duration_us(e);
    us += d;
    ++count;
    total += d;
  }
  std::vector<std::pair<std::string, std::pair<double, int64_t>>> rows(by_name.begin(), by_name.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::printf("\nkernel time of %s: %.1f ms on the device in %zu kernel names\n", what, total / 1e3, rows.size());
  std::printf("| share | ms | launches | kernel |\n|---|---|---|---|\n");
  for (int i = 0; i < top && i < static_cast<int>(rows.size()); ++i) {
    std::string name = rows[i].first.substr(0, 110);
    std::replace(name.begin(), name.end(), '|', '/');
    std::printf("| %.1f%% | %.1f | %lld | %s |\n", 100.0 * rows[i].second.first / std::max(total, 1.0),
                rows[i].second.first / 1e3, static_cast<long long>(rows[i].second.second), name.c_str());
  }
  std::fflush(stdout);
}

}  // namespace spct::bench
