#include "trainer/loss/activation_checkpoint.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

namespace spct {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using BlockFn = std::function<at::Tensor(const at::Tensor&)>;

// The block's forward travels to backward in the context's saved data, which only holds IValues.
struct BlockHolder : torch::CustomClassHolder {
  explicit BlockHolder(BlockFn f) : fn(std::move(f)) {}
  BlockFn fn;
};

struct CheckpointedBlock : torch::autograd::Function<CheckpointedBlock> {
  // params are inputs so that autograd routes their gradients through this node; saving them
  // (leaves: saved as themselves) lets backward differentiate the recomputation with respect to them.
  static variable_list forward(AutogradContext* ctx, const at::Tensor& h, at::TensorList params, const BlockFn& block) {
    variable_list saved{h};
    saved.insert(saved.end(), params.begin(), params.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["block"] = at::IValue::make_capsule(c10::make_intrusive<BlockHolder>(block));
    at::NoGradGuard no_grad;
    return {block(h)};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    const variable_list saved = ctx->get_saved_variables();
    const auto holder = c10::static_intrusive_pointer_cast<BlockHolder>(ctx->saved_data["block"].toCapsule());
    const at::Tensor& h = saved[0];
    at::Tensor x = h.detach().requires_grad_(h.requires_grad());
    at::Tensor out;
    {
      at::AutoGradMode grad_mode(true);
      out = holder->fn(x);  // the same ops on the same values: the forward's activations again
    }
    variable_list inputs;  // what needs a gradient: x and the parameters that require grad
    if (x.requires_grad()) inputs.push_back(x);
    for (size_t i = 1; i < saved.size(); ++i)
      if (saved[i].requires_grad()) inputs.push_back(saved[i]);
    variable_list grads;
    if (!inputs.empty())
      grads = torch::autograd::grad({out}, inputs, {grad_out[0]}, /*retain_graph=*/false,
                                    /*create_graph=*/false, /*allow_unused=*/true);
    variable_list result;  // one per forward input: h, each param, the (non-tensor) block
    size_t k = 0;
    result.push_back(x.requires_grad() ? grads[k++] : at::Tensor());
    for (size_t i = 1; i < saved.size(); ++i) result.push_back(saved[i].requires_grad() ? grads[k++] : at::Tensor());
    result.push_back(at::Tensor());
    return result;
  }
};

}  // namespace

at::Tensor checkpointed_block(const BlockFn& block, const at::Tensor& h, const std::vector<at::Tensor>& params) {
  bool needs_grad = h.requires_grad();
  for (const at::Tensor& p : params) needs_grad = needs_grad || p.requires_grad();
  if (!at::GradMode::is_enabled() || !needs_grad) return block(h);
  // As a TensorList, each parameter counts as an input of its own (a std::vector would not).
  return CheckpointedBlock::apply(h, at::TensorList(params), block)[0];
}

ForwardOptions training_forward_options(const at::Tensor& valid, bool activation_checkpointing) {
  ForwardOptions o;
  o.valid = valid;
  if (activation_checkpointing) o.run_block = checkpointed_block;
  return o;
}

}  // namespace spct
