#include "rollout/sampler.h"

#include <cmath>

#include "core/error.h"

namespace spct {

void SamplingParams::validate() const {
  SPCT_CHECK(std::isfinite(temperature) && temperature >= 0, "sampling: temperature must be a finite number >= 0 (got ",
             temperature, ")");
  SPCT_CHECK(top_p > 0 && top_p <= 1, "sampling: top_p must be in (0, 1] (got ", top_p, ")");
  SPCT_CHECK(top_k >= 0, "sampling: top_k must be >= 0 (got ", top_k, ")");
  SPCT_CHECK(max_new_tokens > 0, "sampling: max_new_tokens must be positive (got ", max_new_tokens, ")");
  for (const auto& s : stop) SPCT_CHECK(!s.empty(), "sampling: a stop string is empty");
}

SamplerRows SamplerRows::make(const std::vector<SamplingParams>& params, const std::vector<uint64_t>& seeds,
                              at::Device device) {
  SPCT_CHECK(params.size() == seeds.size(), "sampler: ", params.size(), " parameter sets for ", seeds.size(), " seeds");
  std::vector<float> temp, top_p;
  std::vector<int64_t> top_k, seed;
  SamplerRows rows;
  rows.any_filter = false;
  for (size_t i = 0; i < params.size(); ++i) {
    temp.push_back(static_cast<float>(params[i].temperature));
    top_p.push_back(static_cast<float>(params[i].top_p));
    top_k.push_back(params[i].top_k);
    seed.push_back(static_cast<int64_t>(seeds[i]));
    rows.any_filter = rows.any_filter || params[i].filters();
  }
  rows.temperature = at::tensor(temp, at::kFloat).to(device);
  rows.top_p = at::tensor(top_p, at::kFloat).to(device);
  rows.top_k = at::tensor(top_k, at::kLong).to(device);
  rows.seed = at::tensor(seed, at::kLong).to(device);
  return rows;
}

namespace {

// Logical right shift of int64 bit patterns (tensor >> is arithmetic: it copies the sign bit).
at::Tensor lsr(const at::Tensor& x, int64_t k) {
  return at::bitwise_and(at::__rshift__(x, k), static_cast<int64_t>((~0ULL) >> k));
}

// splitmix64 (core/random.h) on int64 tensors: products wrap modulo 2^64 on CPU and CUDA alike.
at::Tensor mix(at::Tensor z) {
  z = z + static_cast<int64_t>(0x9e3779b97f4a7c15ULL);
  z = at::bitwise_xor(z, lsr(z, 30)) * static_cast<int64_t>(0xbf58476d1ce4e5b9ULL);
  z = at::bitwise_xor(z, lsr(z, 27)) * static_cast<int64_t>(0x94d049bb133111ebULL);
  return at::bitwise_xor(z, lsr(z, 31));
}

// One-level inverse CDF over the whole row, for target = u * the row's cumulative total.
at::Tensor inverse_cdf_flat(const at::Tensor& mass, const at::Tensor& u) {
  at::Tensor cdf = mass.cumsum(-1);  // (B, V)
  at::Tensor target = u.to(cdf.scalar_type()).unsqueeze(-1) * cdf.narrow(-1, cdf.size(-1) - 1, 1);
  // u * total can round up to total: the first index reaching the total still has mass.
  return at::minimum((cdf <= target).sum(-1), cdf.argmax(-1));  // (B,)
}

}  // namespace

at::Tensor inverse_cdf(const at::Tensor& mass, const at::Tensor& u, int64_t block) {
  const int64_t B = mass.size(0), V = mass.size(1);
  if (V <= 2 * block) return inverse_cdf_flat(mass, u);
  // Level 1: block sums (B, nb), the block j holding the target and the mass before it.
  const int64_t full = V / block, nb = (V + block - 1) / block;
  at::Tensor sums = mass.narrow(1, 0, full * block).view({B, full, block}).sum(-1);  // (B, full)
  if (nb > full) sums = at::cat({sums, mass.narrow(1, full * block, V - full * block).sum(-1, true)}, 1);
  at::Tensor block_cdf = sums.cumsum(-1);                                                        // (B, nb)
  at::Tensor target = u.to(mass.scalar_type()).unsqueeze(1) * block_cdf.narrow(1, nb - 1, 1);    // (B, 1)
  at::Tensor j = at::minimum((block_cdf <= target).sum(-1), block_cdf.argmax(-1)).unsqueeze(1);  // (B, 1)
  at::Tensor before = block_cdf.gather(1, j) - sums.gather(1, j);                                // (B, 1)
  // Level 2: within block j (the last block's missing tail has no mass). Summed in another order
  // than level 1, the block can end below the target: the guard then takes its last token with mass.
  at::Tensor cols = j * block + at::arange(block, j.options()).unsqueeze(0);  // (B, block)
  at::Tensor part = mass.gather(1, cols.clamp_max(V - 1)) * cols.lt(V).to(mass.scalar_type());
  at::Tensor cdf = before + part.cumsum(-1);
  at::Tensor inner = at::minimum((cdf <= target).sum(-1), cdf.argmax(-1));
  return j.squeeze(1) * block + inner;
}

at::Tensor counter_uniform(const at::Tensor& seed, const at::Tensor& counter) {
  return lsr(mix(mix(seed) + counter), 40).to(at::kDouble) * (1.0 / 16777216.0);
}

SampleOut sample_rows(const at::Tensor& logits_in, const SamplerRows& rows, const at::Tensor& counter) {
  at::Tensor logits = logits_in.to(at::kFloat);  // (B, V)
  const int64_t V = logits.size(-1);
  at::Tensor greedy = rows.temperature.eq(0);  // (B,)
  at::Tensor temp = at::where(greedy, at::ones_like(rows.temperature), rows.temperature).unsqueeze(-1);
  at::Tensor logp = at::log_softmax(logits / temp, -1);  // (B, V)
  at::Tensor probs = logp.exp();
  at::Tensor u = counter_uniform(rows.seed, counter);
  at::Tensor tokens = inverse_cdf(probs, u);
  if (rows.any_filter) {
    auto sorted = probs.sort(-1, /*descending=*/true);
    at::Tensor sp = std::get<0>(sorted), order = std::get<1>(sorted);  // (B, V)
    at::Tensor rank = at::arange(V, order.options()).unsqueeze(0);
    at::Tensor k = at::where(rows.top_k.gt(0), rows.top_k.clamp_max(V), at::full_like(rows.top_k, V));
    // Keep the k most likely tokens, and a token only while the ones before it hold < top_p of
    // the mass (the most likely token is always kept).
    at::Tensor keep = rank.lt(k.unsqueeze(-1)).logical_and((sp.cumsum(-1) - sp).le(rows.top_p.unsqueeze(-1)));
    at::Tensor picked = order.gather(-1, inverse_cdf(sp * keep, u).unsqueeze(-1)).squeeze(-1);
    at::Tensor filters = rows.top_k.gt(0).logical_or(rows.top_p.lt(1));
    tokens = at::where(filters, picked, tokens);
  }
  tokens = at::where(greedy, logits.argmax(-1), tokens);
  at::Tensor chosen = logp.gather(-1, tokens.unsqueeze(-1)).squeeze(-1);
  return {tokens, chosen};
}

}  // namespace spct
