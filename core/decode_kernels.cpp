#include "core/decode_kernels.h"

#include "core/error.h"

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
at::Tensor glu(const at::Tensor&, const at::Tensor&, const ModelConfig&) { absent(); }
#endif

}  // namespace spct::decode_kernels
