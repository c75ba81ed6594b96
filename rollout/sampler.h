// Next-token selection for a batch whose rows each carry their own sampling parameters: greedy,
// or temperature / top-k / top-p sampling driven by counter-based randomness. Row b's uniform
// for its t-th new token is a hash of (seed_b, t) computed with integer tensor ops, identically
// on CPU and GPU, so a request's tokens depend on its own seed and position only, never on its
// batch neighbours or its slot, and sampling needs no generator objects and no host sync.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace spct {

struct SamplingParams {
  double temperature = 1.0;  // 0 = greedy
  double top_p = 1.0;
  int64_t top_k = 0;  // 0 = off
  int64_t max_new_tokens = 64;
  std::vector<int64_t> stop_ids;
  std::vector<std::string> stop;  // stop strings, matched on the decoded text
  uint64_t seed = 0;

  void validate() const;  // throws spct::Error naming the bad field
  bool filters() const { return top_k > 0 || top_p < 1.0; }
};

// Per-row sampling parameters, one entry per batch row, on the logits' device.
struct SamplerRows {
  at::Tensor temperature;  // (B,) float32, 0 = greedy
  at::Tensor top_p;        // (B,) float32
  at::Tensor top_k;        // (B,) int64, 0 = off
  at::Tensor seed;         // (B,) int64 (a uint64 seed's bits)
  // Whether any row filters (top-k or top-p): only then is the vocabulary sorted. A row's token
  // never depends on this flag, only the work done for the batch does.
  bool any_filter = true;

  // Rows for a list of parameter sets (seeds[i] for row i) on `device`.
  static SamplerRows make(const std::vector<SamplingParams>& params, const std::vector<uint64_t>& seeds,
                          at::Device device);
};

struct SampleOut {
  at::Tensor tokens;    // (B,) int64
  at::Tensor logprobs;  // (B,) float32: log p(token) under softmax(logits / temperature), unfiltered
};

// (B,) float64 uniforms in [0, 1) from splitmix64(splitmix64(seed) + counter), 24-bit resolution.
at::Tensor counter_uniform(const at::Tensor& seed, const at::Tensor& counter);

// Inverse CDF: per row of mass (B, V) (non-negative, float32), the index of the first entry whose
// cumulative mass exceeds u (B,) times the row's total, never an entry without mass. Rows longer
// than 2 * block are searched in two levels (block sums, then one block): one reduction pass over
// the row instead of a full-length prefix sum, which costs most of a large-vocabulary decode step.
at::Tensor inverse_cdf(const at::Tensor& mass, const at::Tensor& u, int64_t block = 1024);

// logits: (B, V); counter: (B,) int64, the index of the token being sampled in its sequence.
// Sampling is inverse-CDF with the row's uniform: over the vocabulary in id order for rows that
// do not filter, over the kept tokens in descending-probability order for rows that do.
SampleOut sample_rows(const at::Tensor& logits, const SamplerRows& rows, const at::Tensor& counter);

}  // namespace spct
