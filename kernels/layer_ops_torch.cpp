#include "kernels/layer_ops_torch.h"

#include <ATen/cuda/CUDAContext.h>

#include "kernels/layer_ops.h"

namespace spct::kernels {
namespace {

DType dtype_of(const at::Tensor& t) {
  TORCH_CHECK(t.is_cuda() && (t.scalar_type() == at::kBFloat16 || t.scalar_type() == at::kHalf),
              "layer kernels: CUDA bf16/fp16 tensors expected, got ", t.scalar_type(), " on ", t.device());
  return t.scalar_type() == at::kBFloat16 ? DType::bf16 : DType::f16;
}

// (rows, dim) view with contiguous rows; copies only when x cannot be viewed so.
at::Tensor rows_of(const at::Tensor& x) {
  at::Tensor r = x.reshape({-1, x.size(-1)});
  return r.stride(1) == 1 ? r : r.contiguous();
}

void check(cudaError_t err, const char* what) { TORCH_CHECK(err == cudaSuccess, what, ": ", cudaGetErrorString(err)); }

cudaStream_t stream() { return at::cuda::getCurrentCUDAStream().stream(); }

}  // namespace

at::Tensor rms_norm_torch(const at::Tensor& x, const at::Tensor& weight, double eps, bool gemma) {
  const at::Tensor xr = rows_of(x), w = weight.contiguous();
  TORCH_CHECK(w.numel() == xr.size(1) && w.scalar_type() == x.scalar_type(), "rms_norm: weight ", w.sizes(),
              " for rows of ", xr.size(1));
  at::Tensor out = at::empty(xr.sizes(), xr.options());
  RmsNormArgs a;
  a.dtype = dtype_of(x), a.rows = static_cast<int>(xr.size(0)), a.dim = static_cast<int>(xr.size(1));
  a.x = xr.data_ptr(), a.x_stride = xr.stride(0), a.weight = w.data_ptr();
  a.out = out.data_ptr(), a.out_stride = out.stride(0), a.eps = static_cast<float>(eps), a.gemma = gemma;
  check(rms_norm(a, stream()), "rms_norm");
  return out.view(x.sizes());
}

std::pair<at::Tensor, at::Tensor> add_rms_norm_torch(const at::Tensor& x, const at::Tensor& residual,
                                                     const at::Tensor& weight, double eps, bool gemma) {
  TORCH_CHECK(x.sizes() == residual.sizes() && x.scalar_type() == residual.scalar_type(), "add_rms_norm: x ", x.sizes(),
              " and residual ", residual.sizes(), " differ");
  const at::Tensor xr = rows_of(x), rr = rows_of(residual), w = weight.contiguous();
  TORCH_CHECK(w.numel() == xr.size(1) && w.scalar_type() == x.scalar_type(), "add_rms_norm: weight ", w.sizes(),
              " for rows of ", xr.size(1));
  at::Tensor sum = at::empty(xr.sizes(), xr.options()), out = at::empty(xr.sizes(), xr.options());
  RmsNormArgs a;
  a.dtype = dtype_of(x), a.rows = static_cast<int>(xr.size(0)), a.dim = static_cast<int>(xr.size(1));
  a.x = xr.data_ptr(), a.x_stride = xr.stride(0), a.residual = rr.data_ptr(), a.residual_stride = rr.stride(0);
  a.sum = sum.data_ptr(), a.sum_stride = sum.stride(0), a.weight = w.data_ptr();
  a.out = out.data_ptr(), a.out_stride = out.stride(0), a.eps = static_cast<float>(eps), a.gemma = gemma;
  check(rms_norm(a, stream()), "add_rms_norm");
  return {sum.view(x.sizes()), out.view(x.sizes())};
}

void rotary_to_cache_torch(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& positions,
                           const at::Tensor& row_length, const at::Tensor& inv_freq, const at::Tensor& k_cache,
                           const at::Tensor& v_cache) {
  TORCH_CHECK(q.dim() == 3 && k.dim() == 3 && k.sizes() == v.sizes() && k.strides() == v.strides() &&
                  k_cache.dim() == 4 && k_cache.sizes() == v_cache.sizes() && k_cache.strides() == v_cache.strides(),
              "rotary_to_cache: q (B, H, D), k and v (B, H_kv, D), caches (B, H_kv, capacity, D) expected, got ",
              q.sizes(), ", ", k.sizes(), ", ", k_cache.sizes());
  const int64_t B = q.size(0), D = q.size(2);
  TORCH_CHECK(k.size(0) == B && k.size(2) == D && k_cache.size(0) == B && k_cache.size(1) == k.size(1) &&
                  k_cache.size(3) == D && q.stride(2) == 1 && k.stride(2) == 1 && k_cache.stride(3) == 1,
              "rotary_to_cache: shapes do not match");
  TORCH_CHECK(positions.numel() == B && row_length.numel() == B && positions.scalar_type() == at::kLong &&
                  row_length.scalar_type() == at::kLong && inv_freq.numel() == D / 2 &&
                  inv_freq.scalar_type() == at::kFloat,
              "rotary_to_cache: positions, row lengths or inv_freq do not match");
  const at::Tensor pos = positions.contiguous(), rows = row_length.contiguous(), freq = inv_freq.contiguous();
  RotaryCacheArgs a;
  a.dtype = dtype_of(q), a.batch = static_cast<int>(B), a.heads = static_cast<int>(q.size(1));
  a.kv_heads = static_cast<int>(k.size(1)), a.head_dim = static_cast<int>(D);
  a.q = q.data_ptr(), a.q_stride_b = q.stride(0), a.q_stride_h = q.stride(1);
  a.k = k.data_ptr(), a.v = v.data_ptr(), a.kv_stride_b = k.stride(0), a.kv_stride_h = k.stride(1);
  a.positions = pos.data_ptr<int64_t>(), a.row_length = rows.data_ptr<int64_t>(), a.inv_freq = freq.data_ptr<float>();
  a.k_cache = k_cache.data_ptr(), a.v_cache = v_cache.data_ptr();
  a.cache_stride_b = k_cache.stride(0), a.cache_stride_h = k_cache.stride(1), a.cache_stride_s = k_cache.stride(2);
  check(rotary_to_cache(a, stream()), "rotary_to_cache");
}

at::Tensor glu_torch(const at::Tensor& gate, const at::Tensor& up, bool gelu) {
  TORCH_CHECK(gate.sizes() == up.sizes() && gate.scalar_type() == up.scalar_type(), "glu: gate ", gate.sizes(),
              " and up ", up.sizes(), " differ");
  const at::Tensor g = rows_of(gate), u = rows_of(up);
  at::Tensor out = at::empty(g.sizes(), g.options());
  GluArgs a;
  a.dtype = dtype_of(gate), a.act = gelu ? GluAct::gelu_tanh : GluAct::silu;
  a.rows = static_cast<int>(g.size(0)), a.dim = static_cast<int>(g.size(1));
  a.gate = g.data_ptr(), a.up = u.data_ptr(), a.out = out.data_ptr();
  a.gate_stride = g.stride(0), a.up_stride = u.stride(0), a.out_stride = out.stride(0);
  check(glu(a, stream()), "glu");
  return out.view(gate.sizes());
}

}  // namespace spct::kernels
