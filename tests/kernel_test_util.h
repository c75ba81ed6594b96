// Helpers for the CUDA kernel tests (test_kernels): device buffers, bf16/fp16 values on the
// host, random inputs, and the skip when the machine has no GPU. No LibTorch: the kernels'
// launchers take raw pointers, and the references are plain C++ in float.
#pragma once
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/dtype.h"

namespace spct::test {

#define SPCT_CUDA_OK(expr) ASSERT_EQ(cudaSuccess, (expr)) << cudaGetErrorString(cudaGetLastError())

inline bool have_cuda_device() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}
#define SPCT_SKIP_WITHOUT_GPU() \
  if (!spct::test::have_cuda_device()) GTEST_SKIP() << "no CUDA device"

// Round-to-nearest-even float -> bf16 bits, and back (exact).
inline uint16_t bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if (std::isnan(x)) return 0x7fc0;
  u += 0x7fff + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16_value(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}
inline uint16_t half_bits(float x) {
  const __half h = __float2half_rn(x);
  uint16_t b;
  std::memcpy(&b, &h, 2);
  return b;
}
inline float half_value(uint16_t b) {
  __half h;
  std::memcpy(&h, &b, 2);
  return __half2float(h);
}
inline uint16_t to_bits(kernels::DType t, float x) { return t == kernels::DType::bf16 ? bf16_bits(x) : half_bits(x); }
inline float from_bits(kernels::DType t, uint16_t b) {
  return t == kernels::DType::bf16 ? bf16_value(b) : half_value(b);
}
// x rounded to the element type, as a float.
inline float rounded(kernels::DType t, float x) { return from_bits(t, to_bits(t, x)); }

// n values ~ N(0, stddev) already rounded to the element type: the reference sees exactly what
// the kernel reads. Also returns their bits for upload.
struct HostValues {
  std::vector<float> f;
  std::vector<uint16_t> bits;
};
inline HostValues random_values(kernels::DType t, size_t n, std::mt19937& rng, float stddev = 1.0f) {
  std::normal_distribution<float> dist(0.0f, stddev);
  HostValues v;
  v.f.resize(n);
  v.bits.resize(n);
  for (size_t i = 0; i < n; ++i) {
    v.bits[i] = to_bits(t, dist(rng));
    v.f[i] = from_bits(t, v.bits[i]);
  }
  return v;
}

// Owns cudaMalloc'd memory; copies host vectors in and out.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes) : bytes_(bytes) {
    if (cudaMalloc(&ptr_, bytes == 0 ? 1 : bytes) != cudaSuccess) ptr_ = nullptr;
  }
  template <typename T>
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size() * sizeof(T)) {
    if (ptr_) cudaMemcpy(ptr_, host.data(), bytes_, cudaMemcpyHostToDevice);
  }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <typename T = void>
  T* get() const {
    return static_cast<T*>(ptr_);
  }
  template <typename T>
  std::vector<T> download() const {
    std::vector<T> host(bytes_ / sizeof(T));
    cudaMemcpy(host.data(), ptr_, bytes_, cudaMemcpyDeviceToHost);
    return host;
  }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace spct::test
