#include "rollout/decode_step.h"

#include <c10/core/GradMode.h>

namespace spct {

DecodeState DecodeState::allocate(int64_t slots, int64_t window, int64_t capacity, at::Device device) {
  const auto i64 = at::TensorOptions().dtype(at::kLong).device(device);
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  DecodeState s;
  s.tok = at::zeros({slots}, i64);
  s.len = at::zeros({slots}, i64);
  s.counter = at::zeros({slots}, i64);
  s.rows.temperature = at::zeros({slots}, f32);
  s.rows.top_p = at::ones({slots}, f32);
  s.rows.top_k = at::zeros({slots}, i64);
  s.rows.seed = at::zeros({slots}, i64);
  s.out_tok = at::zeros({slots, window}, i64);
  s.out_lp = at::zeros({slots, window}, f32);
  s.col = at::zeros({1}, i64);
  s.capacity = capacity;
  return s;
}

KVCache slot_view(const KVCache& cache, const DecodeState& state, int64_t B, int64_t span) {
  KVCache view;
  for (const auto& t : cache.k) view.k.push_back(t.narrow(0, 0, B));
  for (const auto& t : cache.v) view.v.push_back(t.narrow(0, 0, B));
  view.valid = cache.valid.narrow(0, 0, B);
  view.row_length = state.len.narrow(0, 0, B);
  view.span = span;
  return view;
}

void decode_step(const Transformer& model, KVCache& view, DecodeState& s, int64_t B, bool any_filter, bool kernels) {
  c10::NoGradGuard no_grad;
  at::Tensor tok = s.tok.narrow(0, 0, B), len = s.len.narrow(0, 0, B), counter = s.counter.narrow(0, 0, B);
  ForwardOptions fo;
  fo.positions = len.view({B, 1});
  fo.cache = &view;
  fo.decode_kernels = kernels;
  at::Tensor h = model.hidden(tok.view({B, 1}), fo);  // (B, 1, hidden)
  at::Tensor logits = model.logits(h.select(1, 0));   // (B, V)
  SamplerRows rows{s.rows.temperature.narrow(0, 0, B), s.rows.top_p.narrow(0, 0, B), s.rows.top_k.narrow(0, 0, B),
                   s.rows.seed.narrow(0, 0, B), any_filter};
  SampleOut out = sample_rows(logits, rows, counter);
  s.out_tok.narrow(0, 0, B).index_copy_(1, s.col, out.tokens.view({B, 1}));
  s.out_lp.narrow(0, 0, B).index_copy_(1, s.col, out.logprobs.view({B, 1}));
  tok.copy_(out.tokens);
  len.copy_((len + 1).clamp_max(s.capacity - 1));
  counter.add_(1);
  s.col.add_(1);
}

}  // namespace spct
