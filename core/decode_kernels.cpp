#include "core/decode_kernels.h"

#include "core/error.h"
#include "rollout/kv_cache.h"

#ifdef SPCT_CUDA_KERNELS
#include "kernels/decode_attention_torch.h"
#include "kernels/layer_ops_torch.h"
#endif

namespace spct::decode_kernels {

#ifdef SPCT_CUDA_KERNELS
bool fit(const ModelConfig& c, const at::Tensor& like) {
  return kernels::decode_attention_fits(like, c.num_heads, c.num_kv_heads, c.head_dim) && c.hidden_size % 8 == 0 &&
         c.intermediate_size % 8 == 0;
}

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, const ModelConfig& c) {
  return kernels::rms_norm_torch(x, weight, c.rms_norm_eps, c.gemma_style());
}

std::pair<at::Tensor, at::Tensor> add_rms_norm(const at::Tensor& x, const at::Tensor& residual,
                                               const at::Tensor& weight, const ModelConfig& c) {
  return kernels::add_rms_norm_torch(x, residual, weight, c.rms_norm_eps, c.gemma_style());
}

void rotary_to_cache(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& positions,
                     const at::Tensor& inv_freq, KVCache& cache, int64_t layer) {
  kernels::rotary_to_cache_torch(q, k, v, positions, cache.row_length, inv_freq, cache.k[layer], cache.v[layer]);
}

at::Tensor attention(const ModelConfig& c, bool sliding, int64_t layer, const at::Tensor& q, const KVCache& cache) {
  return kernels::decode_attention_torch(q, cache.k[layer], cache.v[layer], cache.row_length, cache.span,
                                         c.attn_scale(), c.attn_logit_softcapping, sliding ? c.sliding_window : 0);
}

at::Tensor glu(const at::Tensor& gate, const at::Tensor& up, const ModelConfig& c) {
  return kernels::glu_torch(gate, up, c.hidden_act != "silu");
}
#else
// Never called: the model asks fit() first.
[[noreturn]] void absent() { throw_error("decode kernels: this build has no CUDA kernels (fit() is false)"); }

bool fit(const ModelConfig&, const at::Tensor&) { return false; }
at::Tensor rms_norm(const at::Tensor&, const at::Tensor&, const ModelConfig&) { absent(); }
std::pair<at::Tensor, at::Tensor> add_rms_norm(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                               const ModelConfig&) {
  absent();
}
void rotary_to_cache(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                     KVCache&, int64_t) {
  absent();
}
at::Tensor attention(const ModelConfig&, bool, int64_t, const at::Tensor&, const KVCache&) { absent(); }
at::Tensor glu(const at::Tensor&, const at::Tensor&, const ModelConfig&) { absent(); }
#endif

}  // namespace spct::decode_kernels
