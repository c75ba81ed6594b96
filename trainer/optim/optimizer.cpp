#include "trainer/optim/optimizer.h"

#include <c10/core/GradMode.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/torch_compat.h"

namespace spct {
namespace {

std::string shape_str(at::IntArrayRef sizes) {
  std::ostringstream os;
  os << sizes;
  return os.str();
}

bool is_training_dtype(at::ScalarType t) { return t == at::kFloat || t == at::kBFloat16 || t == at::kHalf; }

// Clips every defined grad of params to max_norm, given their squared global norm `total`.
GradNorm clip_to(const NamedTensors& params, double max_norm, const at::Tensor& total) {
  c10::NoGradGuard no_grad;
  GradNorm out;
  out.norm = std::sqrt(total.item<double>());
  out.finite = std::isfinite(out.norm);
  if (!out.finite || max_norm <= 0.0) return out;
  const double coef = max_norm / (out.norm + 1e-6);
  if (coef >= 1.0) return out;
  out.scale = coef;
  for (const auto& [name, p] : params) {
    const at::Tensor& g = p.grad();
    if (g.defined()) p.mutable_grad().mul_(coef);
  }
  return out;
}

}  // namespace

AdamW::AdamW(const NamedTensors& params, AdamWOptions options) : options_(options) {
  SPCT_CHECK(options.beta1 >= 0.0 && options.beta1 < 1.0 && options.beta2 >= 0.0 && options.beta2 < 1.0,
             "AdamW: betas must be in [0, 1), got ", options.beta1, ", ", options.beta2);
  SPCT_CHECK(options.eps > 0.0 && options.weight_decay >= 0.0, "AdamW: need eps > 0 and weight_decay >= 0");
  c10::NoGradGuard no_grad;
  std::set<std::string> seen;
  for (const auto& [name, param] : params) {
    SPCT_CHECK(param.defined(), "AdamW: parameter '", name, "' is undefined");
    SPCT_CHECK(seen.insert(name).second, "AdamW: parameter '", name, "' given twice");
    SPCT_CHECK(is_training_dtype(param.scalar_type()), "AdamW: parameter '", name, "' has dtype ", param.scalar_type(),
               "; expected float32, bfloat16 or float16");
    Slot slot;
    slot.name = name;
    slot.param = param;
    if (param.scalar_type() != at::kFloat) slot.master = param.detach().to(at::kFloat).clone();
    slot.exp_avg = at::zeros(param.sizes(), param.options().dtype(at::kFloat));
    slot.exp_avg_sq = at::zeros(param.sizes(), param.options().dtype(at::kFloat));
    slot.decay = options.weight_decay > 0.0 && (options.decay_1d || param.dim() > 1);
    slots_.push_back(std::move(slot));
  }
  on_one_cuda_device_ = !slots_.empty();
  for (const Slot& s : slots_)
    on_one_cuda_device_ = on_one_cuda_device_ && s.param.is_cuda() && s.param.device() == slots_[0].param.device();
}

bool AdamW::decays(const std::string& name) const {
  for (const Slot& s : slots_)
    if (s.name == name) return s.decay;
  throw_error("AdamW: no parameter named '", name, "'");
}

void AdamW::step(double lr) {
  c10::NoGradGuard no_grad;
  ++step_;
  const double bc1 = 1.0 - std::pow(options_.beta1, double(step_));
  const double bc2 = 1.0 - std::pow(options_.beta2, double(step_));
  for (Slot& s : slots_) {
    const at::Tensor& g = s.param.grad();
    SPCT_CHECK(!g.defined() || g.sizes() == s.param.sizes(), "AdamW: grad of '", s.name, "' has shape ",
               shape_str(g.sizes()), ", param ", shape_str(s.param.sizes()));
  }
  if (compat::kHasFusedAdamW && options_.fused && on_one_cuda_device_) return fused_step(lr);
  for (Slot& s : slots_) {
    const at::Tensor& g = s.param.grad();
    if (!g.defined()) continue;
    const at::Tensor grad = g.to(at::kFloat);
    at::Tensor& w = s.master.defined() ? s.master : s.param;
    s.exp_avg.mul_(options_.beta1).add_(grad, 1.0 - options_.beta1);
    s.exp_avg_sq.mul_(options_.beta2).addcmul_(grad, grad, 1.0 - options_.beta2);
    if (s.decay) w.mul_(1.0 - lr * options_.weight_decay);  // decoupled: not part of the moments
    const at::Tensor denom = (s.exp_avg_sq.sqrt() / std::sqrt(bc2)).add_(options_.eps);
    w.addcdiv_(s.exp_avg, denom, -lr / bc1);
    if (s.master.defined()) s.param.copy_(s.master);  // round to nearest in the param's dtype
  }
}

// The loop's update through compat::fused_adamw, in groups of like parameters (weight decay or
// not) of bounded size, so the float32 copies of bf16 gradients stay small.
// The kernel derives the bias corrections from the step count.
void AdamW::fused_step(double lr) {
  if (!step_tensor_.defined()) step_tensor_ = at::zeros({}, slots_[0].param.options().dtype(at::kFloat));
  step_tensor_.fill_(static_cast<double>(step_));
  constexpr int64_t kGroupElements = int64_t{1} << 28;  // 1 GiB of float32 gradient copies at most
  for (bool decay : {false, true}) {
    compat::AdamWGroup group;
    int64_t elements = 0;
    auto flush = [&] {
      if (group.params.empty()) return;
      compat::fused_adamw(group, step_tensor_, lr, options_.beta1, options_.beta2, decay ? options_.weight_decay : 0.0,
                          options_.eps);
      group = compat::AdamWGroup();
      elements = 0;
    };
    for (Slot& s : slots_) {
      const at::Tensor& g = s.param.grad();
      if (!g.defined() || s.decay != decay) continue;
      group.params.push_back(s.master.defined() ? s.master : s.param);
      group.grads.push_back(g.to(at::kFloat));
      group.exp_avgs.push_back(s.exp_avg);
      group.exp_avg_sqs.push_back(s.exp_avg_sq);
      if (s.master.defined()) {
        group.rounded.push_back(s.param);
        group.masters.push_back(s.master);
      }
      elements += s.param.numel();
      if (elements >= kGroupElements) flush();
    }
    flush();
  }
}

NamedTensors AdamW::state() const {
  NamedTensors out;
  out.emplace_back("step", at::full({}, step_, at::TensorOptions().dtype(at::kLong)));
  for (const Slot& s : slots_) {
    out.emplace_back("exp_avg." + s.name, s.exp_avg);
    out.emplace_back("exp_avg_sq." + s.name, s.exp_avg_sq);
    if (s.master.defined()) out.emplace_back("master." + s.name, s.master);
  }
  return out;
}

void AdamW::load_state(const NamedTensors& state) {
  std::map<std::string, at::Tensor> given;
  for (const auto& [name, t] : state) {
    SPCT_CHECK(given.emplace(name, t).second, "optimizer state: '", name, "' appears twice");
  }
  auto take = [&](const std::string& name) -> at::Tensor {
    auto it = given.find(name);
    SPCT_CHECK(it != given.end(), "optimizer state: missing '", name, "'");
    at::Tensor t = it->second;
    given.erase(it);
    SPCT_CHECK(t.defined(), "optimizer state: '", name, "' is undefined");
    return t;
  };
  auto check = [](const std::string& name, const at::Tensor& t, const at::Tensor& like) {
    SPCT_CHECK(t.sizes() == like.sizes(), "optimizer state: '", name, "' has shape ", shape_str(t.sizes()),
               ", expected ", shape_str(like.sizes()));
    SPCT_CHECK(t.scalar_type() == at::kFloat, "optimizer state: '", name, "' has dtype ", t.scalar_type(),
               ", expected float32");
  };

  const at::Tensor step = take("step");
  SPCT_CHECK(step.dim() == 0 && step.scalar_type() == at::kLong,
             "optimizer state: 'step' must be a () int64 tensor, got ", step.scalar_type(), " ",
             shape_str(step.sizes()));
  const int64_t step_value = step.item<int64_t>();
  SPCT_CHECK(step_value >= 0, "optimizer state: 'step' is negative (", step_value, ")");
  std::vector<std::pair<at::Tensor*, at::Tensor>> copies;  // applied only once everything checks
  for (Slot& s : slots_) {
    for (auto [prefix, dst] : {std::pair{"exp_avg.", &s.exp_avg}, std::pair{"exp_avg_sq.", &s.exp_avg_sq},
                               std::pair{"master.", &s.master}}) {
      if (!dst->defined()) continue;
      const std::string name = prefix + s.name;
      at::Tensor t = take(name);
      check(name, t, *dst);
      copies.emplace_back(dst, t);
    }
  }
  SPCT_CHECK(given.empty(), "optimizer state: unexpected '", given.empty() ? "" : given.begin()->first, "' (",
             given.size(), " unexpected entries; different model, dtype or shard?)");

  c10::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst->copy_(src);
  for (Slot& s : slots_)
    if (s.master.defined()) s.param.copy_(s.master);
  step_ = step_value;
}

void zero_grad(const NamedTensors& params) {
  for (const auto& [name, p] : params)
    if (p.grad().defined()) p.mutable_grad().reset();
}

GradNorm clip_grad_norm(const NamedTensors& params, double max_norm,
                        const std::function<void(at::Tensor&)>& all_reduce_sum) {
  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> squares;  // () float32 per grad
  at::TensorOptions device_opts = at::TensorOptions().dtype(at::kFloat);
  for (const auto& [name, p] : params) {
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    squares.push_back(g.to(at::kFloat).pow(2).sum());
    device_opts = device_opts.device(g.device());
  }
  at::Tensor total = squares.empty() ? at::zeros({}, device_opts) : at::stack(squares).sum();  // ()
  if (all_reduce_sum) all_reduce_sum(total);
  return clip_to(params, max_norm, total);
}

GradNorm clip_sharded_grad_norm(const NamedTensors& params, const std::vector<char>& mine, double max_norm,
                                const std::function<void(at::Tensor&)>& all_reduce_sum) {
  SPCT_CHECK(mine.size() == params.size(), "clip_sharded_grad_norm: ", mine.size(), " flags for ", params.size(),
             " parameters");
  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> squares;  // () float32 per parameter, zero where not mine
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor& p = params[i].second;
    const at::Tensor& g = p.grad();
    SPCT_CHECK(!mine[i] || g.defined(), "clip_sharded_grad_norm: parameter '", params[i].first,
               "' is this rank's but has no gradient");
    squares.push_back(mine[i] ? g.to(at::kFloat).pow(2).sum() : at::zeros({}, p.options().dtype(at::kFloat)));
  }
  if (squares.empty()) return clip_to(params, max_norm, at::zeros({}, at::TensorOptions().dtype(at::kFloat)));
  at::Tensor per_param = at::stack(squares);  // (params)
  all_reduce_sum(per_param);
  return clip_to(params, max_norm, per_param.sum());
}

}  // namespace spct
