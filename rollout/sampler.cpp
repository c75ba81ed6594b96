#include "rollout/sampler.h"

#include "core/error.h"

namespace spct {

void SamplingParams::validate() const {
  SPCT_CHECK(temperature >= 0, "sampling: temperature must be >= 0 (got ", temperature, ")");
  SPCT_CHECK(top_p > 0 && top_p <= 1, "sampling: top_p must be in (0, 1] (got ", top_p, ")");
  SPCT_CHECK(top_k >= 0, "sampling: top_k must be >= 0 (got ", top_k, ")");
  SPCT_CHECK(max_new_tokens > 0, "sampling: max_new_tokens must be positive (got ", max_new_tokens, ")");
}

SampleOut sample_next(const at::Tensor& logits_in, const SamplingParams& p, std::vector<at::Generator>& gens) {
  at::Tensor logits = logits_in.to(at::kFloat);
  const bool greedy = p.temperature == 0.0;
  at::Tensor logp = at::log_softmax(greedy ? logits : logits / p.temperature, -1);  // (B, V)
  at::Tensor tokens;
  if (greedy) {
    tokens = logits.argmax(-1);
  } else {
    at::Tensor filtered = logp.clone();
    if (p.top_k > 0 && p.top_k < filtered.size(-1)) {
      at::Tensor kth = std::get<0>(filtered.topk(p.top_k, -1)).narrow(-1, p.top_k - 1, 1);
      filtered = filtered.masked_fill(filtered < kth, -INFINITY);
    }
    if (p.top_p < 1.0) {
      auto [sorted, order] = filtered.sort(-1, /*descending=*/true);
      at::Tensor probs = sorted.softmax(-1);
      // Drop a token once the tokens before it already hold top_p of the mass (keeps >= 1).
      at::Tensor drop_sorted = (probs.cumsum(-1) - probs) > p.top_p;
      at::Tensor drop = at::zeros_like(drop_sorted).scatter(-1, order, drop_sorted);
      filtered = filtered.masked_fill(drop, -INFINITY);
    }
    // Exponential race: argmax(p / E) with E ~ Exp(1) draws from p, and consumes exactly V
    // numbers of the row's stream per step whatever p is.
    at::Tensor probs = filtered.softmax(-1).cpu();
    const int64_t B = probs.size(0);
    SPCT_CHECK(static_cast<int64_t>(gens.size()) == B, "sampler: ", gens.size(), " generators for ", B, " rows");
    std::vector<at::Tensor> picks;
    for (int64_t b = 0; b < B; ++b) {
      at::Tensor e = at::empty({probs.size(1)}, probs.options()).exponential_(1.0, gens[b]);
      picks.push_back((probs[b] / e).argmax());
    }
    tokens = at::stack(picks).to(logits.device());
  }
  at::Tensor chosen = logp.gather(-1, tokens.unsqueeze(-1)).squeeze(-1);
  return {tokens, chosen};
}

}  // namespace spct
