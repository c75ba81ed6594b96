#include "rollout/generate.h"

#include <c10/core/GradMode.h>
#include <algorithm>

#include "core/error.h"
#include "core/torch_compat.h"
#include "rollout/kv_cache.h"

namespace spct {

std::vector<Generation> generate(const Transformer& model, const std::vector<std::vector<int32_t>>& prompts,
                                 const SamplingParams& params, const std::vector<uint64_t>& seeds) {
  params.validate();
  SPCT_CHECK(seeds.empty() || seeds.size() == prompts.size(), "generate: ", seeds.size(), " seeds for ",
             prompts.size(), " prompts");
  SPCT_CHECK(!prompts.empty(), "generate: no prompts");
  const int64_t B = static_cast<int64_t>(prompts.size());
  int64_t P = 0;
  for (const auto& p : prompts) {
    SPCT_CHECK(!p.empty(), "generate: empty prompt");
    P = std::max<int64_t>(P, static_cast<int64_t>(p.size()));
  }
  const int64_t vocab = model.config().vocab_size;
  const auto device = model.options().device();
  c10::NoGradGuard no_grad;

  // Left padding: every row's last prompt token sits in slot P - 1.
  std::vector<int64_t> flat_ids(B * P, 0);
  std::vector<uint8_t> flat_valid(B * P, 0);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t off = P - static_cast<int64_t>(prompts[b].size());
    for (size_t t = 0; t < prompts[b].size(); ++t) {
      const int32_t tok = prompts[b][t];
      SPCT_CHECK(tok >= 0 && tok < vocab, "generate: prompt ", b, " token ", t, " = ", tok,
                 " is outside the vocabulary (", vocab, ")");
      flat_ids[b * P + off + t] = tok;
      flat_valid[b * P + off + t] = 1;
    }
  }
  at::Tensor ids = at::tensor(flat_ids, at::kLong).view({B, P});
  at::Tensor valid = at::tensor(std::vector<int64_t>(flat_valid.begin(), flat_valid.end()), at::kLong).view({B, P}).to(at::kBool);
  at::Tensor positions = (valid.to(at::kLong).cumsum(1) - 1).clamp_min(0);
  ids = ids.to(device);
  valid = valid.to(device);
  positions = positions.to(device);

  KVCache cache = KVCache::allocate(model.config(), B, P + params.max_new_tokens, model.options());
  std::vector<at::Generator> gens;
  for (int64_t b = 0; b < B; ++b) gens.push_back(compat::cpu_generator(seeds.empty() ? params.seed + b : seeds[b]));

  std::vector<Generation> out(B);
  std::vector<bool> done(B, false);
  at::Tensor logits = model.forward(ids, {positions, valid, &cache}).select(1, P - 1);  // (B, V)
  at::Tensor next_pos = positions.select(1, P - 1) + 1;                                 // (B,)
  for (int64_t step = 0; step < params.max_new_tokens; ++step) {
    SampleOut s = sample_next(logits, params, gens);
    at::Tensor tok_cpu = s.tokens.cpu(), lp_cpu = s.logprobs.cpu();
    int64_t live = 0;
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) continue;
      const int64_t tok = tok_cpu[b].item<int64_t>();
      out[b].tokens.push_back(static_cast<int32_t>(tok));
      out[b].logprobs.push_back(lp_cpu[b].item<float>());
      if (std::find(params.stop_ids.begin(), params.stop_ids.end(), tok) != params.stop_ids.end()) {
        done[b] = true;
        out[b].finish_reason = "stop";
      } else {
        ++live;
      }
    }
    if (live == 0 || step + 1 == params.max_new_tokens) break;
    logits = model.forward(s.tokens.view({B, 1}), {next_pos.view({B, 1}), at::Tensor(), &cache}).select(1, 0);
    next_pos = next_pos + 1;
  }
  for (auto& g : out)
    if (g.finish_reason.empty()) g.finish_reason = "length";
  return out;
}

}  // namespace spct
