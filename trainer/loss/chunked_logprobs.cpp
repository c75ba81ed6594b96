#include "trainer/loss/chunked_logprobs.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

namespace spct {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct RowsHolder : torch::CustomClassHolder {
  explicit RowsHolder(LogprobRows f) : fn(std::move(f)) {}
  LogprobRows fn;
};

// Forward without a graph; the only tensors kept for backward are hidden, head and targets.
ChunkedLogprobs forward_chunks(const LogprobRows& rows, const at::Tensor& hidden, const at::Tensor& targets,
                               int64_t chunk, bool with_entropy) {
  const int64_t N = hidden.size(0);
  std::vector<at::Tensor> lp, ent;
  for (int64_t start = 0; start < N; start += chunk) {
    const int64_t n = std::min(chunk, N - start);
    const at::Tensor logp = rows(hidden.narrow(0, start, n));  // (n, V) float32
    lp.push_back(logp.gather(1, targets.narrow(0, start, n).unsqueeze(1)).squeeze(1));
    if (with_entropy) ent.push_back(-(logp.exp() * logp).sum(1));
  }
  const auto f32 = hidden.options().dtype(at::kFloat);
  ChunkedLogprobs out;
  out.logprobs = N == 0 ? at::zeros({0}, f32) : at::cat(lp);
  if (with_entropy) out.entropy = N == 0 ? at::zeros({0}, f32) : at::cat(ent);
  return out;
}

struct ChunkedGather : torch::autograd::Function<ChunkedGather> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& hidden, const at::Tensor& head,
                               const at::Tensor& targets, const LogprobRows& rows, int64_t chunk, bool with_entropy) {
    ctx->save_for_backward({hidden, head, targets});
    ctx->saved_data["rows"] = at::IValue::make_capsule(c10::make_intrusive<RowsHolder>(rows));
    ctx->saved_data["chunk"] = chunk;
    at::NoGradGuard no_grad;
    ChunkedLogprobs out = forward_chunks(rows, hidden, targets, chunk, with_entropy);
    if (!with_entropy) return {out.logprobs};
    ctx->mark_non_differentiable({out.entropy});
    return {out.logprobs, out.entropy};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor &hidden = saved[0], &head = saved[1], &targets = saved[2];
    const auto holder = c10::static_intrusive_pointer_cast<RowsHolder>(ctx->saved_data["rows"].toCapsule());
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    const at::Tensor& g = grad_out[0];  // (N) d loss / d logprob
    const int64_t N = hidden.size(0);
    at::Tensor grad_hidden = hidden.requires_grad() ? at::zeros_like(hidden) : at::Tensor();
    // float32 across chunks, as one matmul over all N rows would accumulate.
    at::Tensor grad_head = head.requires_grad() ? at::zeros_like(head, head.options().dtype(at::kFloat)) : at::Tensor();
    for (int64_t start = 0; start < N && g.defined(); start += chunk) {
      const int64_t n = std::min(chunk, N - start);
      at::Tensor h = hidden.narrow(0, start, n).detach().requires_grad_(hidden.requires_grad());
      at::Tensor lp;
      {
        at::AutoGradMode grad_mode(true);
        lp = holder->fn(h).gather(1, targets.narrow(0, start, n).unsqueeze(1)).squeeze(1);  // (n)
      }
      variable_list inputs;
      if (h.requires_grad()) inputs.push_back(h);
      if (head.requires_grad()) inputs.push_back(head);
      if (inputs.empty()) break;
      const variable_list grads = torch::autograd::grad({lp}, inputs, {g.narrow(0, start, n)}, false, false, true);
      size_t k = 0;
      if (h.requires_grad()) {
        if (grads[k].defined()) grad_hidden.narrow(0, start, n).copy_(grads[k]);
        ++k;
      }
      if (head.requires_grad() && grads[k].defined()) grad_head.add_(grads[k].to(at::kFloat));
    }
    // One per forward input: hidden, head, targets, rows, chunk, with_entropy.
    if (grad_head.defined()) grad_head = grad_head.to(head.scalar_type());
    return {grad_hidden, grad_head, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// The dtype linear_logprobs computes in: float32, or float64 for float64 inputs (tests).
at::ScalarType wide(at::ScalarType t) { return at::promote_types(t, at::kFloat); }

// op(logits / temperature, dtype) for a softmax-type op computing in wide(): with temperature 1
// it reads the model's dtype and writes float32 in one kernel.
template <class Op>
at::Tensor scaled_f32(const at::Tensor& logits, double temperature, Op op) {
  const at::ScalarType t = wide(logits.scalar_type());
  return op(temperature == 1.0 ? logits : logits.to(t).div_(temperature), t);
}

// linear_logprobs' forward: one float32 log-softmax chunk at a time, nothing kept.
ChunkedLogprobs linear_forward(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                               int64_t chunk, double temperature, bool with_entropy) {
  const int64_t N = hidden.size(0);
  std::vector<at::Tensor> lp, ent;
  for (int64_t start = 0; start < N; start += chunk) {
    const int64_t n = std::min(chunk, N - start);
    const at::Tensor logp = scaled_f32(at::linear(hidden.narrow(0, start, n), weight), temperature,
                                       [](const at::Tensor& x, at::ScalarType t) { return at::log_softmax(x, -1, t); });
    lp.push_back(logp.gather(1, targets.narrow(0, start, n).unsqueeze(1)).squeeze(1));
    if (with_entropy) ent.push_back(-(logp.exp() * logp).sum(1));
  }
  const auto f32 = hidden.options().dtype(wide(hidden.scalar_type()));
  ChunkedLogprobs out;
  out.logprobs = N == 0 ? at::zeros({0}, f32) : at::cat(lp);
  if (with_entropy) out.entropy = N == 0 ? at::zeros({0}, f32) : at::cat(ent);
  return out;
}

struct LinearLogprobs : torch::autograd::Function<LinearLogprobs> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& hidden, const at::Tensor& weight,
                               const at::Tensor& targets, int64_t chunk, double temperature, bool with_entropy) {
    ctx->save_for_backward({hidden, weight, targets});
    ctx->saved_data["chunk"] = chunk;
    ctx->saved_data["temperature"] = temperature;
    at::NoGradGuard no_grad;
    const ChunkedLogprobs out = linear_forward(hidden, weight, targets, chunk, temperature, with_entropy);
    if (!with_entropy) return {out.logprobs};
    ctx->mark_non_differentiable({out.entropy});
    return {out.logprobs, out.entropy};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor &hidden = saved[0], &weight = saved[1], &targets = saved[2];
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    const double temperature = ctx->saved_data["temperature"].toDouble();
    const int64_t N = hidden.size(0);
    at::Tensor grad_hidden = at::zeros_like(hidden);
    const at::ScalarType acc = wide(weight.scalar_type());
    at::Tensor grad_weight = at::zeros_like(weight, weight.options().dtype(acc));  // float32 across chunks
    for (int64_t start = 0; start < N && grad_out[0].defined(); start += chunk) {
      const int64_t n = std::min(chunk, N - start);
      const at::Tensor h = hidden.narrow(0, start, n);
      // d logp[t] / d logits = (onehot(t) - softmax(logits / T)) / T, times the incoming g.
      const at::Tensor gs = grad_out[0].narrow(0, start, n).to(acc).unsqueeze(1) / temperature;  // (n, 1)
      at::Tensor d = scaled_f32(at::linear(h, weight), temperature,
                                [](const at::Tensor& x, at::ScalarType t) { return at::softmax(x, -1, t); });
      d.mul_(-gs).scatter_add_(1, targets.narrow(0, start, n).unsqueeze(1), gs);
      const at::Tensor dl = d.to(weight.scalar_type());  // (n, V): d loss / d logits
      grad_hidden.narrow(0, start, n).copy_(at::mm(dl, weight));
      grad_weight.add_(at::mm(dl.t(), h).to(acc));
    }
    // One per forward input: hidden, weight, targets, chunk, temperature, with_entropy.
    return {grad_hidden, grad_weight.to(weight.scalar_type()), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

ChunkedLogprobs linear_logprobs(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                                int64_t chunk_tokens, double temperature, bool with_entropy) {
  if (!at::GradMode::is_enabled() || !(hidden.requires_grad() || weight.requires_grad())) {
    at::NoGradGuard no_grad;
    return linear_forward(hidden, weight, targets, chunk_tokens, temperature, with_entropy);
  }
  const variable_list out = LinearLogprobs::apply(hidden, weight, targets, chunk_tokens, temperature, with_entropy);
  return {out[0], with_entropy ? out[1] : at::Tensor()};
}

ChunkedLogprobs recomputed_logprobs(const LogprobRows& rows, const at::Tensor& hidden, const at::Tensor& head,
                                    const at::Tensor& targets, int64_t chunk_tokens, bool with_entropy) {
  const bool differentiable = at::GradMode::is_enabled() && (hidden.requires_grad() || head.requires_grad());
  if (!differentiable) {
    at::NoGradGuard no_grad;
    return forward_chunks(rows, hidden, targets, chunk_tokens, with_entropy);
  }
  const variable_list out = ChunkedGather::apply(hidden, head, targets, rows, chunk_tokens, with_entropy);
  return {out[0], with_entropy ? out[1] : at::Tensor()};
}

}  // namespace spct
