// Next-token selection: greedy, or temperature / top-k / top-p sampling with one random stream
// per request, so a request's tokens depend on its own seed only, not on its batch neighbours.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace spct {

struct SamplingParams {
  double temperature = 1.0;  // 0 = greedy
  double top_p = 1.0;
  int64_t top_k = 0;         // 0 = off
  int64_t max_new_tokens = 64;
  std::vector<int64_t> stop_ids;
  uint64_t seed = 0;

  void validate() const;  // throws spct::Error naming the bad field
};

struct SampleOut {
  at::Tensor tokens;    // (B,) int64
  at::Tensor logprobs;  // (B,) float32: log p(token) under softmax(logits / temperature)
};

// logits: (B, V). gens: one generator per row (ignored when greedy).
SampleOut sample_next(const at::Tensor& logits, const SamplingParams& params, std::vector<at::Generator>& gens);

}  // namespace spct
