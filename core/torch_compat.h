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
#include <vector>

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
inline at::Tensor sdpa(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                       double scale) {
#if SPCT_TORCH_AT_LEAST(2, 1)
  return at::scaled_dot_product_attention(q, k, v, mask, 0.0, false, scale);
#else
  (void)q;
  (void)k;
  (void)v;
  (void)mask;
  (void)scale;
  TORCH_CHECK(false, "scaled_dot_product_attention needs LibTorch >= 2.1");
#endif
}

// Causal softmax(q k^T * scale) v without a mask tensor, so flash kernels apply. q: (B, H, T, D);
// k and v: (B, H_kv, T, D) with H a multiple of H_kv (grouped-query attention).
inline at::Tensor sdpa_causal(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale) {
#if SPCT_TORCH_AT_LEAST(2, 5)
  return at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true, scale,
                                          /*enable_gqa=*/q.size(1) != k.size(1));
#else
  (void)q;
  (void)k;
  (void)v;
  (void)scale;
  TORCH_CHECK(false, "causal scaled_dot_product_attention with grouped-query heads needs LibTorch >= 2.5");
#endif
}

// Variable-length causal flash attention (CUDA, bf16/fp16, differentiable through ATen's own
// derivative of _flash_attention_forward). q: (N, H, D), k and v: (N, H_kv, D), sequence i at rows
// [cu_seqlens[i], cu_seqlens[i + 1]) (int32, on the device); returns (N, H, D).
#if defined(SPCT_WITH_CUDA) && SPCT_TORCH_AT_LEAST(2, 5)
constexpr bool kHasFlashVarlen = true;
#else
constexpr bool kHasFlashVarlen = false;
#endif
inline at::Tensor flash_varlen(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const at::Tensor& cu_seqlens, int64_t max_seqlen, double scale) {
#if defined(SPCT_WITH_CUDA) && SPCT_TORCH_AT_LEAST(2, 5)
  return std::get<0>(at::_flash_attention_forward(q, k, v, cu_seqlens, cu_seqlens, max_seqlen, max_seqlen,
                                                  /*dropout_p=*/0.0, /*is_causal=*/true,
                                                  /*return_debug_mask=*/false, scale));
#else
  (void)q;
  (void)k;
  (void)v;
  (void)cu_seqlens;
  (void)max_seqlen;
  (void)scale;
  TORCH_CHECK(false, "variable-length flash attention needs a CUDA LibTorch >= 2.5");
#endif
}

// One call of ATen's multi-tensor fused AdamW (CUDA): float32 params (the masters, or float32
// parameters themselves), float32 grads and moments, then `rounded` (bf16/fp16 parameters) set
// from `masters` (their float32 masters, in the same order).
struct AdamWGroup {
  std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs, rounded, masters;
};
#if SPCT_TORCH_AT_LEAST(2, 5)
constexpr bool kHasFusedAdamW = true;
#else
constexpr bool kHasFusedAdamW = false;
#endif
// step: a () float32 tensor on the device holding the step count (1 on the first update), read
// by the kernel for the bias corrections. Decoupled weight decay, as trainer/optim/optimizer.h's loop.
inline void fused_adamw(AdamWGroup& g, const at::Tensor& step, double lr, double beta1, double beta2,
                        double weight_decay, double eps) {
#if SPCT_TORCH_AT_LEAST(2, 5)
  const std::vector<at::Tensor> steps(g.params.size(), step);
  at::_fused_adamw_(g.params, g.grads, g.exp_avgs, g.exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, lr, beta1, beta2,
                    weight_decay, eps, /*amsgrad=*/false, /*maximize=*/false);
  if (!g.rounded.empty()) at::_foreach_copy_(g.rounded, g.masters);
#else
  (void)g;
  (void)step;
  (void)lr;
  (void)beta1;
  (void)beta2;
  (void)weight_decay;
  (void)eps;
  TORCH_CHECK(false, "fused AdamW needs LibTorch >= 2.5");
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
  if constexpr (HasDurationNs<Event>::value)
    return static_cast<double>(e.durationNs()) / 1e3;
  else
    return static_cast<double>(e.durationUs());
}

}  // namespace spct::compat
