// AdamW with decoupled weight decay and float32 master weights, and global gradient-norm
// clipping. The optimizer updates whatever named parameters it is given: a whole model's, or one
// rank's shard of them (ZeRO-1); it does no communication itself.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace spct {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  // Also decay 1-D parameters (norm weights, biases). Off by default, as in HF and verl.
  bool decay_1d = false;
  // On CUDA (LibTorch >= 2.5), update all parameters with ATen's multi-tensor fused AdamW kernel
  // (the same formula, a few launches instead of several per parameter). The CPU always runs
  // the per-parameter loop.
  bool fused = true;
};

class AdamW {
 public:
  // params: (HF name, tensor) pairs sharing storage with the model (e.g. Transformer::parameters(),
  // or a subset). Each must be float32, bfloat16 or float16; non-float32 ones get a float32 master.
  AdamW(const NamedTensors& params, AdamWOptions options);

  // One update at learning rate lr from each parameter's .grad(); a parameter without a grad
  // is left as it is (its moments too), while the shared step count still advances.
  void step(double lr);

  int64_t steps() const { return step_; }
  bool decays(const std::string& name) const;
  const AdamWOptions& options() const { return options_; }

  // The state for a checkpoint, aliasing the live tensors (copy them before the next step):
  // "step" (() int64), "exp_avg.<name>", "exp_avg_sq.<name>" (float32, the param's shape), and
  // "master.<name>" (float32) for every parameter that is not float32 itself.
  NamedTensors state() const;
  // Restores exactly the names state() gives, checking every shape and dtype before changing
  // anything; then each parameter with a master is set to its master rounded to its dtype.
  void load_state(const NamedTensors& state);

 private:
  struct Slot {
    std::string name;
    at::Tensor param;       // the model's tensor, updated in place
    at::Tensor master;      // float32 copy when param is not float32; undefined otherwise
    at::Tensor exp_avg;     // float32, param's shape
    at::Tensor exp_avg_sq;  // float32, param's shape
    bool decay = false;
  };
  void fused_step(double lr);

  AdamWOptions options_;
  std::vector<Slot> slots_;
  int64_t step_ = 0;
  bool on_one_cuda_device_ = false;  // fused_step can take every parameter
  at::Tensor step_tensor_;           // fused_step: the step count as the kernel reads it (float32, device)
};

// Drops every parameter's .grad() (the next backward allocates fresh ones).
void zero_grad(const NamedTensors& params);

struct GradNorm {
  double norm = 0.0;   // global L2 norm of all gradients before clipping
  bool finite = true;  // false: norm is inf or NaN, and no gradient was changed
  double scale = 1.0;  // factor the gradients were multiplied by (1: not clipped)
};

// Global gradient-norm clipping. The squared norm is summed over params' grads (float32), then
// passed to all_reduce_sum when given (a () float32 tensor on the grads' device, to be summed in
// place across ranks whose grads are disjoint shards). If the norm is finite and max_norm > 0,
// grads are scaled by min(1, max_norm / (norm + 1e-6)) as torch.nn.utils.clip_grad_norm_ does.
// A non-finite norm is reported, never clipped: the caller decides to skip the step.
GradNorm clip_grad_norm(const NamedTensors& params, double max_norm,
                        const std::function<void(at::Tensor&)>& all_reduce_sum = {});

// The same over gradients sharded by parameter (ZeRO-2): this rank holds the grads of the
// parameters marked in `mine` (the others have none). The squared norm of each parameter goes
// into a (params.size()) float32 vector, zero where not mine, which all_reduce_sum adds across
// ranks (exactly: every entry has one non-zero term) before it is summed in parameter order. So
// the norm equals clip_grad_norm's over the whole summed gradients bit for bit.
GradNorm clip_sharded_grad_norm(const NamedTensors& params, const std::vector<char>& mine, double max_norm,
                                const std::function<void(at::Tensor&)>& all_reduce_sum);

}  // namespace spct
