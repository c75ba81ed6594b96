// Decoder-only transformer in plain LibTorch ops (no torch::nn modules): parameters are named
// exactly as in HF checkpoints, so loading, exporting and checkpointing are name-for-name.
// Supports the families of core/model_config.h; autograd works through every op for training.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/attention_cache.h"
#include "core/model_config.h"

namespace spct {

struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
};
// Every parameter the config implies, in a stable order (HF names).
std::vector<ParamSpec> parameter_specs(const ModelConfig& config);

struct ForwardOptions {
  at::Tensor positions;             // (B, T) int64 rotary positions; default: cache length + 0..T-1
  at::Tensor valid;                 // (B, T) bool, false marks padding; default: all true
  AttentionCache* cache = nullptr;  // when set, K/V are written through it and attention reads what it returns
  // Packed sequences (trainer/stages/batch.h, make_packed_batch): ids is (1, N) holding several
  // sequences back to back, sequence i at [cu_seqlens[i], cu_seqlens[i + 1]); a token attends
  // only to earlier tokens of its own sequence. cu_seqlens: (n + 1) int32 on the model's device;
  // max_seqlen: the longest sequence. Pass positions restarting per sequence; not with cache or valid.
  at::Tensor cu_seqlens = {};  // initialized: brace-initialized options may stop before it
  int64_t max_seqlen = 0;
  // When set, each transformer block runs as run_block(block, h, params): block(h) is the
  // layer's forward (it holds no reference to this call's locals), params the layer's weights.
  // Training sets it to recompute blocks in backward (trainer/loss/activation_checkpoint.h); it
  // cannot be combined with a cache.
  std::function<at::Tensor(const std::function<at::Tensor(const at::Tensor&)>& block, const at::Tensor& h,
                           const std::vector<at::Tensor>& params)>
      run_block = nullptr;
  // A one-token forward over a per-row cache (a rollout decode step) on CUDA in bf16/fp16 runs
  // the decode kernels of kernels/ where the build has them and the shapes fit
  // (core/decode_kernels.h); false keeps LibTorch's generic ops (to compare the two).
  bool decode_kernels = true;
};

class Transformer {
 public:
  // Allocates every parameter (uninitialized) with the given dtype and device.
  Transformer(ModelConfig config, at::TensorOptions options);

  const ModelConfig& config() const { return config_; }
  at::TensorOptions options() const { return options_; }

  // ids: (B, T) int64 -> final hidden states (B, T, hidden), after the final norm.
  at::Tensor hidden(const at::Tensor& ids, const ForwardOptions& opt = {}) const;
  // hidden: (..., hidden) -> logits (..., vocab), final soft-capping applied; for a
  // sequence-classification config (num_labels > 0) the `score` head's (..., num_labels) instead.
  at::Tensor logits(const at::Tensor& hidden) const;
  at::Tensor forward(const at::Tensor& ids, const ForwardOptions& opt = {}) const { return logits(hidden(ids, opt)); }

  const std::vector<std::pair<std::string, at::Tensor>>& parameters() const { return params_; }
  at::Tensor& param(const std::string& name);
  bool has_param(const std::string& name) const { return index_.count(name) > 0; }

  // HF-style init: normal(0, std) matrices, zero biases, unit norms (zero for Gemma's 1+w).
  void init_random(uint64_t seed, double std = 0.02);
  // Moves or casts every parameter.
  void to(at::TensorOptions options);

 private:
  struct Layer {
    at::Tensor in_norm, post_attn_norm, pre_ffn_norm, post_ffn_norm;
    at::Tensor q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b, q_norm, k_norm;
    at::Tensor gate_w, gate_b, up_w, up_b, down_w, down_b;
    bool sliding = false;
  };
  struct Pass;  // what every layer of one forward shares (model.cpp)
  void bind();
  // Whether attention runs as fused causal kernels (no mask tensor): no padding, cache, soft-cap
  // or sliding window; packed sequences also need the CUDA variable-length flash kernel.
  bool fused_attention(const ForwardOptions& opt, at::Device device) const;
  at::Tensor norm(const at::Tensor& x, const at::Tensor& w) const;
  at::Tensor attention(const Layer& layer, int64_t index, const at::Tensor& x, const Pass& pass) const;
  at::Tensor mlp(const Layer& layer, const at::Tensor& x) const;
  at::Tensor block(const Layer& layer, int64_t index, const at::Tensor& h, const Pass& pass) const;
  // The decode step through core/decode_kernels.h: all layers and the final norm.
  at::Tensor decode_layers(at::Tensor h, const Pass& pass) const;
  at::Tensor decode_attention(const Layer& layer, int64_t index, const at::Tensor& x, const Pass& pass) const;
  at::Tensor decode_mlp(const Layer& layer, const at::Tensor& x) const;

  ModelConfig config_;
  at::TensorOptions options_;
  std::vector<std::pair<std::string, at::Tensor>> params_;
  std::map<std::string, size_t> index_;
  std::vector<Layer> layers_;
  at::Tensor embed_, final_norm_, head_;  // head_: lm_head, the tied embedding, or score
  at::Tensor inv_freq_;                   // (head_dim / 2) float32
};

// Rotary inverse frequencies (float32) as HF computes them, rope scaling included.
at::Tensor rope_inv_freq(const ModelConfig& config);

}  // namespace spct
