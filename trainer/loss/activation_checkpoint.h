// Activation checkpointing for the transformer's blocks. LibTorch's C++ API has no
// torch.utils.checkpoint, so this is a custom autograd Function: the forward runs the block
// without building a graph (only its input is kept), the backward runs it again under grad mode
// and differentiates that recomputation. Memory per block drops from all its intermediates to
// one (B, T, hidden) tensor, for one extra block forward in backward.
#pragma once
#include "core/model.h"

namespace spct {

// For ForwardOptions::run_block. Checkpoints a block when grad mode is on and its input or a
// parameter requires grad; otherwise (no_grad evaluation) just runs it.
at::Tensor checkpointed_block(const std::function<at::Tensor(const at::Tensor&)>& block, const at::Tensor& h,
                              const std::vector<at::Tensor>& params);

// The forward options a training stage passes to Transformer::hidden: padding mask `valid`
// and, when model.activation_checkpointing is on, checkpointed_block.
ForwardOptions training_forward_options(const at::Tensor& valid, bool activation_checkpointing);

}  // namespace spct
