#include "core/model.h"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "core/decode_kernels.h"
#include "core/error.h"
#include "core/torch_compat.h"

namespace spct {

std::vector<ParamSpec> parameter_specs(const ModelConfig& c) {
  std::vector<ParamSpec> specs;
  const int64_t h = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  specs.push_back({"model.embed_tokens.weight", {c.vocab_size, h}});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {h}});
    specs.push_back({p + "self_attn.q_proj.weight", {q, h}});
    if (c.qkv_bias) specs.push_back({p + "self_attn.q_proj.bias", {q}});
    specs.push_back({p + "self_attn.k_proj.weight", {kv, h}});
    if (c.qkv_bias) specs.push_back({p + "self_attn.k_proj.bias", {kv}});
    specs.push_back({p + "self_attn.v_proj.weight", {kv, h}});
    if (c.qkv_bias) specs.push_back({p + "self_attn.v_proj.bias", {kv}});
    specs.push_back({p + "self_attn.o_proj.weight", {h, q}});
    if (c.o_bias) specs.push_back({p + "self_attn.o_proj.bias", {h}});
    if (c.qk_norm) {
      specs.push_back({p + "self_attn.q_norm.weight", {c.head_dim}});
      specs.push_back({p + "self_attn.k_norm.weight", {c.head_dim}});
    }
    specs.push_back({p + "post_attention_layernorm.weight", {h}});
    if (c.gemma_style()) {
      specs.push_back({p + "pre_feedforward_layernorm.weight", {h}});
      specs.push_back({p + "post_feedforward_layernorm.weight", {h}});
    }
    for (const char* proj : {"gate_proj", "up_proj"}) {
      specs.push_back({p + "mlp." + proj + ".weight", {c.intermediate_size, h}});
      if (c.mlp_bias) specs.push_back({p + "mlp." + proj + ".bias", {c.intermediate_size}});
    }
    specs.push_back({p + "mlp.down_proj.weight", {h, c.intermediate_size}});
    if (c.mlp_bias) specs.push_back({p + "mlp.down_proj.bias", {h}});
  }
  specs.push_back({"model.norm.weight", {h}});
  if (c.num_labels > 0)
    specs.push_back({"score.weight", {c.num_labels, h}});
  else if (!c.tie_word_embeddings)
    specs.push_back({"lm_head.weight", {c.vocab_size, h}});
  return specs;
}

at::Tensor rope_inv_freq(const ModelConfig& c) {
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  at::Tensor exponent = at::arange(0, c.head_dim, 2, at::TensorOptions().dtype(at::kLong)).to(at::kFloat) /
                        static_cast<double>(c.head_dim);
  at::Tensor inv_freq = 1.0 / at::pow(at::scalar_tensor(c.rope.theta, f32), exponent);
  const RopeConfig& r = c.rope;
  if (r.type == "linear") return inv_freq / r.factor;
  if (r.type != "llama3") return inv_freq;
  // Llama 3.1: long wavelengths are divided by `factor`, short ones kept, the band between
  // interpolated smoothly.
  const double old_len = static_cast<double>(r.original_max_position);
  const double low_freq_wavelen = old_len / r.low_freq_factor;
  const double high_freq_wavelen = old_len / r.high_freq_factor;
  at::Tensor wavelen = 2 * M_PI / inv_freq;
  at::Tensor scaled = at::where(wavelen > low_freq_wavelen, inv_freq / r.factor, inv_freq);
  at::Tensor smooth = (old_len / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
  at::Tensor smoothed = (1 - smooth) * scaled / r.factor + smooth * scaled;
  at::Tensor medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
  return at::where(medium, smoothed, scaled);
}

Transformer::Transformer(ModelConfig config, at::TensorOptions options)
    : config_(std::move(config)), options_(options) {
  config_.validate("model config");
  for (const auto& spec : parameter_specs(config_)) {
    index_[spec.name] = params_.size();
    params_.emplace_back(spec.name, at::empty(spec.shape, options_));
  }
  bind();
}

at::Tensor& Transformer::param(const std::string& name) {
  auto it = index_.find(name);
  SPCT_CHECK(it != index_.end(), "model has no parameter '", name, "'");
  return params_[it->second].second;
}

void Transformer::bind() {
  auto get = [&](const std::string& name) -> at::Tensor {
    auto it = index_.find(name);
    return it == index_.end() ? at::Tensor() : params_[it->second].second;
  };
  embed_ = get("model.embed_tokens.weight");
  final_norm_ = get("model.norm.weight");
  head_ = config_.num_labels > 0 ? get("score.weight") : config_.tie_word_embeddings ? embed_ : get("lm_head.weight");
  layers_.assign(config_.num_layers, Layer{});
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    Layer& l = layers_[i];
    l.in_norm = get(p + "input_layernorm.weight");
    l.post_attn_norm = get(p + "post_attention_layernorm.weight");
    l.pre_ffn_norm = get(p + "pre_feedforward_layernorm.weight");
    l.post_ffn_norm = get(p + "post_feedforward_layernorm.weight");
    l.q_w = get(p + "self_attn.q_proj.weight");
    l.q_b = get(p + "self_attn.q_proj.bias");
    l.k_w = get(p + "self_attn.k_proj.weight");
    l.k_b = get(p + "self_attn.k_proj.bias");
    l.v_w = get(p + "self_attn.v_proj.weight");
    l.v_b = get(p + "self_attn.v_proj.bias");
    l.o_w = get(p + "self_attn.o_proj.weight");
    l.o_b = get(p + "self_attn.o_proj.bias");
    l.q_norm = get(p + "self_attn.q_norm.weight");
    l.k_norm = get(p + "self_attn.k_norm.weight");
    l.gate_w = get(p + "mlp.gate_proj.weight");
    l.gate_b = get(p + "mlp.gate_proj.bias");
    l.up_w = get(p + "mlp.up_proj.weight");
    l.up_b = get(p + "mlp.up_proj.bias");
    l.down_w = get(p + "mlp.down_proj.weight");
    l.down_b = get(p + "mlp.down_proj.bias");
    l.sliding = !config_.sliding_layers.empty() && config_.sliding_layers[i];
  }
  inv_freq_ = rope_inv_freq(config_).to(options_.device());
}

void Transformer::init_random(uint64_t seed, double std) {
  at::Generator gen = compat::cpu_generator(seed);
  c10::NoGradGuard no_grad;
  for (auto& [name, p] : params_) {
    at::Tensor value;
    const bool is_norm = name.find("norm") != std::string::npos;
    if (is_norm)
      value = config_.gemma_style() ? at::zeros(p.sizes()) : at::ones(p.sizes());
    else if (p.dim() == 1)
      value = at::zeros(p.sizes());
    else
      value = at::empty(p.sizes()).normal_(0.0, std, gen);
    p.copy_(value);
  }
}

void Transformer::to(at::TensorOptions options) {
  options_ = options_.dtype(options.dtype()).device(options.device());
  for (auto& [name, p] : params_) p = p.to(options_);
  bind();
}

at::Tensor Transformer::norm(const at::Tensor& x, const at::Tensor& w) const {
  // Both variants normalize in float32 as HF does; they differ in where the weight applies.
  at::Tensor x32 = x.to(at::kFloat);
  x32 = x32 * at::rsqrt(x32.pow(2).mean(-1, true) + config_.rms_norm_eps);
  if (config_.gemma_style()) return (x32 * (1.0 + w.to(at::kFloat))).to(x.scalar_type());
  return w * x32.to(x.scalar_type());
}

namespace {

// (x1, x2) -> (x2, x1) over the last axis. HF's rotate_half is (-x2, x1): the sign is folded into
// the first half of the sine table instead (exact: -a * b == a * -b), which saves a kernel.
at::Tensor swap_halves(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  return b.defined() ? at::linear(x, w, b) : at::linear(x, w);
}

// The most negative finite value of a floating dtype: masked scores get it, as in HF's eager
// attention (a finite value keeps fully masked rows free of NaN).
double lowest_value(at::ScalarType dtype) {
  switch (dtype) {
    case at::kBFloat16: return static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
    case at::kHalf: return static_cast<double>(std::numeric_limits<c10::Half>::lowest());
    case at::kDouble: return std::numeric_limits<double>::lowest();
    default: return std::numeric_limits<float>::lowest();
  }
}

// (B, H_kv, S, D) -> (B, H_kv * rep, S, D): query head h reads kv head h / rep.
at::Tensor repeat_kv(const at::Tensor& x, int64_t rep) {
  if (rep == 1) return x;
  const auto s = x.sizes();
  return x.unsqueeze(2).expand({s[0], s[1], rep, s[2], s[3]}).reshape({s[0], s[1] * rep, s[2], s[3]});
}

// Causal attention without a mask tensor, so fused kernels apply. q: (B, H, T, D); k, v:
// (B, H_kv, T, D). Packed (cu_seqlens): B = 1 and each sequence attends only to itself, through
// the variable-length flash kernel. Returns (B, T, H * D).
at::Tensor fused_causal(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& cu_seqlens,
                        int64_t max_seqlen, double scale) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  if (cu_seqlens.defined()) {  // (T, heads, D) rows of all sequences back to back
    auto rows = [](const at::Tensor& x) { return x.select(0, 0).transpose(0, 1).contiguous(); };
    return compat::flash_varlen(rows(q), rows(k), rows(v), cu_seqlens, max_seqlen, scale).reshape({B, T, H * D});
  }
  // Only the flash kernel reads grouped K/V heads itself (bf16/fp16 on CUDA); SDPA would send
  // other inputs with fewer K/V heads to its slow math kernel, so those get K/V repeated.
  const bool native_gqa = q.is_cuda() && (q.scalar_type() == at::kBFloat16 || q.scalar_type() == at::kHalf) && D <= 256;
  const int64_t rep = native_gqa ? 1 : H / k.size(1);
  return compat::sdpa_causal(q, repeat_kv(k, rep), repeat_kv(v, rep), scale).transpose(1, 2).reshape({B, T, H * D});
}

}  // namespace

struct Transformer::Pass {
  at::Tensor positions;                // (B, T) int64
  at::Tensor cos, sin;                 // rotary tables (B, 1, T, D), the sine's first half negated
  at::Tensor full_mask, sliding_mask;  // (B, 1, T, S) bool; undefined: fused causal attention, no mask
  at::Tensor cu_seqlens;               // packed sequences (ForwardOptions::cu_seqlens)
  int64_t max_seqlen = 0;
  AttentionCache* cache = nullptr;
  const at::Tensor& mask(const Layer& l) const { return l.sliding ? sliding_mask : full_mask; }
};

at::Tensor Transformer::attention(const Layer& l, int64_t index, const at::Tensor& x, const Pass& p) const {
  const int64_t B = x.size(0), T = x.size(1), H = config_.num_heads, Hkv = config_.num_kv_heads, D = config_.head_dim;
  at::Tensor q = linear(x, l.q_w, l.q_b).view({B, T, H, D});                    // (B, T, H, D)
  at::Tensor k = linear(x, l.k_w, l.k_b).view({B, T, Hkv, D});                  // (B, T, Hkv, D)
  at::Tensor v = linear(x, l.v_w, l.v_b).view({B, T, Hkv, D}).transpose(1, 2);  // (B, Hkv, T, D)
  if (config_.qk_norm) {
    q = norm(q, l.q_norm);
    k = norm(k, l.k_norm);
  }
  q = q.transpose(1, 2);                   // (B, H, T, D)
  k = k.transpose(1, 2);                   // (B, Hkv, T, D)
  q = q * p.cos + swap_halves(q) * p.sin;  // sin: first half negated (hidden())
  k = k * p.cos + swap_halves(k) * p.sin;
  if (p.cache) std::tie(k, v) = p.cache->store(index, k, v);
  const double scale = config_.attn_scale();
  const at::Tensor& mask = p.mask(l);
  if (!mask.defined()) return linear(fused_causal(q, k, v, p.cu_seqlens, p.max_seqlen, scale), l.o_w, l.o_b);
  // One query per row (decoding): the query heads sharing a KV head become that head's query
  // axis, (B, H_kv, rep, D), so keys and values are read once instead of copied rep times.
  const int64_t rep = H / Hkv;
  const bool fold = T == 1 && rep > 1;
  if (fold) q = q.reshape({B, Hkv, rep, D});
  const int64_t kv_rep = fold ? 1 : rep;
  at::Tensor out;
  if (config_.attn_logit_softcapping == 0.0 && compat::kHasSdpa) {
    out = compat::sdpa(q, repeat_kv(k, kv_rep), repeat_kv(v, kv_rep), mask, scale);
  } else {
    // Eager attention, op for op as HF's: soft-cap, mask, softmax in float32.
    at::Tensor scores = at::matmul(q, repeat_kv(k, kv_rep).transpose(-2, -1)) * scale;  // (B, H, T, S)
    if (config_.attn_logit_softcapping > 0.0) {
      const double cap = config_.attn_logit_softcapping;
      scores = at::tanh(scores / cap) * cap;
    }
    scores = scores.masked_fill(mask.logical_not(), lowest_value(scores.scalar_type()));
    at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
    out = at::matmul(probs, repeat_kv(v, kv_rep));  // (B, H, T, D)
  }
  if (fold) out = out.reshape({B, H, 1, D});
  out = out.transpose(1, 2).reshape({B, T, H * D});
  return linear(out, l.o_w, l.o_b);
}

at::Tensor Transformer::mlp(const Layer& l, const at::Tensor& x) const {
  at::Tensor gate = linear(x, l.gate_w, l.gate_b);
  gate = config_.hidden_act == "silu" ? at::silu(gate) : at::gelu(gate, "tanh");
  return linear(gate * linear(x, l.up_w, l.up_b), l.down_w, l.down_b);
}

at::Tensor Transformer::block(const Layer& l, int64_t i, const at::Tensor& h, const Pass& p) const {
  if (config_.gemma_style()) {
    at::Tensor out = h + norm(attention(l, i, norm(h, l.in_norm), p), l.post_attn_norm);
    return out + norm(mlp(l, norm(out, l.pre_ffn_norm)), l.post_ffn_norm);
  }
  at::Tensor out = h + attention(l, i, norm(h, l.in_norm), p);
  return out + mlp(l, norm(out, l.post_attn_norm));
}

// The decode step through kernels/: each residual add fused into the RMSNorm after it (the next
// layer's included), rotary into the K/V cache write, the GLU into one kernel. The same math,
// op for op, as block() and the final norm.
at::Tensor Transformer::decode_layers(at::Tensor h, const Pass& p) const {
  namespace dk = decode_kernels;
  at::Tensor x = dk::rms_norm(h, layers_[0].in_norm, config_);  // the normalized input of the next sublayer
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const Layer& l = layers_[i];
    const at::Tensor& next_norm = i + 1 < config_.num_layers ? layers_[i + 1].in_norm : final_norm_;
    at::Tensor a = decode_attention(l, i, x, p);
    if (config_.gemma_style()) {
      std::tie(h, x) = dk::add_rms_norm(h, dk::rms_norm(a, l.post_attn_norm, config_), l.pre_ffn_norm, config_);
      at::Tensor m = dk::rms_norm(decode_mlp(l, x), l.post_ffn_norm, config_);
      std::tie(h, x) = dk::add_rms_norm(h, m, next_norm, config_);
    } else {
      std::tie(h, x) = dk::add_rms_norm(h, a, l.post_attn_norm, config_);
      std::tie(h, x) = dk::add_rms_norm(h, decode_mlp(l, x), next_norm, config_);
    }
  }
  return x;
}

at::Tensor Transformer::decode_attention(const Layer& l, int64_t index, const at::Tensor& x, const Pass& p) const {
  const int64_t B = x.size(0), H = config_.num_heads, Hkv = config_.num_kv_heads, D = config_.head_dim;
  at::Tensor q = linear(x, l.q_w, l.q_b).view({B, H, D});
  at::Tensor k = linear(x, l.k_w, l.k_b).view({B, Hkv, D});
  at::Tensor v = linear(x, l.v_w, l.v_b).view({B, Hkv, D});
  if (config_.qk_norm) {
    q = decode_kernels::rms_norm(q, l.q_norm, config_);
    k = decode_kernels::rms_norm(k, l.k_norm, config_);
  }
  // Rotary, the K/V write and attention over the cache: the cache's kernels, since it owns the layout.
  at::Tensor out = p.cache->fused_decode_attention(index, q, k, v, p.positions.reshape({B}), inv_freq_, config_,
                                                   l.sliding);  // (B, H, D)
  return linear(out.view({B, 1, H * D}), l.o_w, l.o_b);
}

at::Tensor Transformer::decode_mlp(const Layer& l, const at::Tensor& x) const {
  at::Tensor gate = linear(x, l.gate_w, l.gate_b), up = linear(x, l.up_w, l.up_b);
  return linear(decode_kernels::glu(gate, up, config_), l.down_w, l.down_b);
}

bool Transformer::fused_attention(const ForwardOptions& opt, at::Device device) const {
  const bool sliding =
      std::find(config_.sliding_layers.begin(), config_.sliding_layers.end(), true) != config_.sliding_layers.end();
  if (opt.cache || opt.valid.defined() || config_.attn_logit_softcapping != 0.0 || sliding) return false;
  if (!opt.cu_seqlens.defined()) return compat::kHasSdpa;
  const at::ScalarType dtype = options_.dtype().toScalarType();
  return compat::kHasFlashVarlen && device.is_cuda() && (dtype == at::kBFloat16 || dtype == at::kHalf) &&
         config_.head_dim % 8 == 0 && config_.head_dim <= 256;
}

at::Tensor Transformer::hidden(const at::Tensor& ids, const ForwardOptions& opt) const {
  SPCT_CHECK(ids.dim() == 2, "model input must be (batch, tokens), got ", ids.sizes());
  const int64_t B = ids.size(0), T = ids.size(1);
  AttentionCache* cache = opt.cache;
  const auto dev = ids.device();
  const auto long_opts = at::TensorOptions().dtype(at::kLong).device(dev);
  at::Tensor valid = opt.valid.defined() ? opt.valid.to(dev, at::kBool) : at::ones({B, T}, long_opts.dtype(at::kBool));
  const CacheWindow window = cache ? cache->begin_forward(B, T, valid) : CacheWindow{0, T, valid, {}};
  const bool per_row = window.per_row();  // continuous batching: rows at their own columns
  const int64_t past = window.past, S = window.span;
  at::Tensor positions = opt.positions.defined() ? opt.positions.to(dev)
                         : per_row               ? window.row_length.view({B, 1})
                                                 : at::arange(past, S, long_opts).unsqueeze(0).expand({B, T});

  SPCT_CHECK(!(opt.run_block && cache), "ForwardOptions: run_block cannot be combined with a KV cache");

  at::Tensor h = at::embedding(embed_, ids);  // (B, T, hidden)
  if (config_.gemma_style())
    h = h * at::scalar_tensor(std::sqrt(static_cast<double>(config_.hidden_size)), h.options());
  Pass pass;
  pass.cache = cache;
  pass.positions = positions;
  // A decode step through kernels/ needs no masks and no rotary tables: the kernels work from
  // the row lengths and positions.
  if (per_row && opt.decode_kernels && cache->has_fused_decode() && decode_kernels::fit(config_, embed_)) {
    at::Tensor out = decode_layers(h, pass);
    cache->end_forward(T);
    return out;
  }

  const bool packed = opt.cu_seqlens.defined();
  SPCT_CHECK(!packed || (B == 1 && !cache && !opt.valid.defined()),
             "ForwardOptions: packed sequences need ids of shape (1, N), no KV cache and no valid mask");
  pass.cu_seqlens = opt.cu_seqlens;
  pass.max_seqlen = opt.max_seqlen;
  // Masks (B, 1, T, S), true = attend: causal, not padding, and always the token itself (so a
  // padding query never has an empty row; no real query ever sees a padding key).
  // In the per-row layout every column below a row's length holds a real token: causal is enough.
  // Packed: causal within each sequence. Fused attention needs no mask tensor at all.
  if (!fused_attention(opt, dev)) {
    at::Tensor q_slot =
        per_row ? window.row_length.view({B, 1, 1, 1}) : at::arange(past, S, long_opts).view({1, 1, T, 1});
    at::Tensor k_slot = at::arange(0, S, long_opts).view({1, 1, 1, S});
    at::Tensor causal = k_slot <= q_slot;
    pass.full_mask =
        per_row ? causal : causal.logical_and(window.key_valid.view({B, 1, 1, S})).logical_or(k_slot == q_slot);
    if (packed) {  // sequence index of each token: how many sequence starts (after the first) precede it
      const int64_t n = opt.cu_seqlens.size(0) - 1;
      const at::Tensor starts = opt.cu_seqlens.to(dev, at::kLong).narrow(0, 1, n - 1).view({1, n - 1});
      const at::Tensor seq = (at::arange(0, T, long_opts).view({T, 1}) >= starts).sum(1);
      pass.full_mask = pass.full_mask.logical_and(seq.view({1, 1, T, 1}) == seq.view({1, 1, 1, T}));
    }
    if (config_.sliding_window > 0)
      pass.sliding_mask = pass.full_mask.logical_and(q_slot - k_slot < config_.sliding_window);
  }

  // Rotary tables from positions, computed in float32, applied in the model's dtype.
  at::Tensor freqs = positions.to(at::kFloat).unsqueeze(-1) * inv_freq_.view({1, 1, -1});  // (B, T, D/2)
  at::Tensor emb = at::cat({freqs, freqs}, -1);
  const auto dtype = options_.dtype().toScalarType();
  pass.cos = emb.cos().to(dtype).unsqueeze(1);  // (B, 1, T, D)
  // The sine's first half negated: rotate_half's sign, for swap_halves in attention().
  pass.sin = at::cat({-freqs.sin(), freqs.sin()}, -1).to(dtype).unsqueeze(1);

  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const Layer& l = layers_[i];
    if (!opt.run_block) {
      h = block(l, i, h, pass);
      continue;
    }
    // By value: a recomputing run_block calls it again during backward, after this frame is gone
    // (pass holds no cache here).
    const auto fn = [this, &l, i, pass](const at::Tensor& x) { return block(l, i, x, pass); };
    std::vector<at::Tensor> params;
    for (const at::Tensor* p : {&l.in_norm,      &l.post_attn_norm,
                                &l.pre_ffn_norm, &l.post_ffn_norm,
                                &l.q_w,          &l.q_b,
                                &l.k_w,          &l.k_b,
                                &l.v_w,          &l.v_b,
                                &l.o_w,          &l.o_b,
                                &l.q_norm,       &l.k_norm,
                                &l.gate_w,       &l.gate_b,
                                &l.up_w,         &l.up_b,
                                &l.down_w,       &l.down_b})
      if (p->defined()) params.push_back(*p);
    h = opt.run_block(fn, h, params);
  }
  if (cache) cache->end_forward(T);
  return norm(h, final_norm_);
}

at::Tensor AttentionCache::fused_decode_attention(int64_t, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                                  const at::Tensor&, const at::Tensor&, const ModelConfig&, bool) {
  throw_error("this cache has no fused decode attention (has_fused_decode() is false)");
}

at::Tensor Transformer::logits(const at::Tensor& hidden) const {
  at::Tensor out = at::linear(hidden, head_);
  if (config_.final_logit_softcapping > 0.0 && config_.num_labels == 0) {
    const double cap = config_.final_logit_softcapping;
    out = at::tanh(out / cap) * cap;
  }
  return out;
}

}  // namespace spct
