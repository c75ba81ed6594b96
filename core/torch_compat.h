// The one place that knows which LibTorch it is built against: Debian's 1.13 (CPU) or 2.x with
// CUDA. Everything else calls these wrappers instead of version-specific APIs.
#pragma once
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>  // at::NoGradGuard / AutoGradMode: ATen.h pulls it in on 1.13, not on 2.11
#include <torch/csrc/api/include/torch/version.h>

#include <optional>
#include <type_traits>
#include <utility>

#define SPCT_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace spct::compat {

// A CPU random generator with an explicit seed, independent of the global one.
inline at::Generator cpu_generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

// The default generator of CUDA device `index` (its state is what checkpoints store per rank).
// Only call it on a CUDA build with that device present; Context's lookup works on 1.13 and 2.x.
inline at::Generator cuda_generator(int index) {
  return at::globalContext().defaultGenerator(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index)));
}

// Waits for the work queued on device's current stream (timing spans). A scalar copied to the
// host does that on every LibTorch version without the CUDA headers; on the CPU it is free.
inline void synchronize(at::Device device) {
  if (device.is_cuda()) (void)at::zeros({1}, at::TensorOptions().device(device)).item<float>();
}

// Whether fused scaled-dot-product attention (with an explicit scale) is available.
constexpr bool kHasSdpa = SPCT_TORCH_AT_LEAST(2, 1);

// softmax(q k^T * scale + mask) v. mask: bool, true = attend, broadcastable to (B, H, T, S).
// q: (B, H, T, D), k and v: (B, H, S, D).
inline at::Tensor sdpa(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                       const at::Tensor& mask, double scale) {
#if SPCT_TORCH_AT_LEAST(2, 1)
  return at::scaled_dot_product_attention(q, k, v, mask, 0.0, false, scale);
#else
  (void)q; (void)k; (void)v; (void)mask; (void)scale;
  TORCH_CHECK(false, "scaled_dot_product_attention needs LibTorch >= 2.1");
#endif
}

// A profiler event's duration in microseconds: KinetoEvent has durationUs() on 1.13 and
// durationNs() on 2.x (detected, so this header needs no profiler include).
template <class Event, class = void>
struct HasDurationNs : std::false_type {};
template <class Event>
struct HasDurationNs<Event, std::void_t<decltype(std::declval<const Event&>().durationNs())>> : std::true_type {};

template <class Event>
double event_duration_us(const Event& e) {
  if constexpr (HasDurationNs<Event>::value) return static_cast<double>(e.durationNs()) / 1e3;
  else return static_cast<double>(e.durationUs());
}

}  // namespace spct::compat
