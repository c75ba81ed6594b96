#include "kernels/decode_attention_torch.h"

#include <ATen/cuda/CUDAContext.h>

#include "kernels/decode_attention.h"

namespace spct::kernels {

bool decode_attention_fits(const at::Tensor& q, int64_t heads, int64_t kv_heads, int64_t head_dim) {
  const auto t = q.scalar_type();
  return q.is_cuda() && (t == at::kBFloat16 || t == at::kHalf) && kv_heads > 0 && heads % kv_heads == 0 &&
         decode_attention_supported(static_cast<int>(head_dim), static_cast<int>(heads / kv_heads));
}

at::Tensor decode_attention_torch(const at::Tensor& q, const at::Tensor& k_cache, const at::Tensor& v_cache,
                                  const at::Tensor& row_length, int64_t span, double scale, double softcap,
                                  int64_t window) {
  TORCH_CHECK(q.dim() == 3 && k_cache.dim() == 4 && v_cache.sizes() == k_cache.sizes() &&
                  v_cache.strides() == k_cache.strides(),
              "decode_attention: q (B, H, D) and equal K/V caches (B, H_kv, capacity, D) expected, got ", q.sizes(),
              ", ", k_cache.sizes(), ", ", v_cache.sizes());
  const int64_t B = q.size(0), H = q.size(1), D = q.size(2), Hkv = k_cache.size(1);
  TORCH_CHECK(k_cache.size(0) == B && k_cache.size(3) == D && q.stride(2) == 1 && k_cache.stride(3) == 1,
              "decode_attention: cache ", k_cache.sizes(), " does not match q ", q.sizes());
  TORCH_CHECK(k_cache.scalar_type() == q.scalar_type() && row_length.scalar_type() == at::kLong &&
                  row_length.numel() == B && row_length.is_cuda(),
              "decode_attention: dtypes or row lengths do not match");
  TORCH_CHECK(span > 0 && span <= k_cache.size(2), "decode_attention: span ", span, " outside (0, ", k_cache.size(2),
              "]");
  const at::Tensor rows = row_length.contiguous();
  at::Tensor out = at::empty({B, H, D}, q.options());
  DecodeAttentionArgs a;
  a.dtype = q.scalar_type() == at::kBFloat16 ? DType::bf16 : DType::f16;
  a.batch = static_cast<int>(B), a.heads = static_cast<int>(H), a.kv_heads = static_cast<int>(Hkv);
  a.head_dim = static_cast<int>(D);
  a.q = q.data_ptr(), a.q_stride_b = q.stride(0), a.q_stride_h = q.stride(1);
  a.k = k_cache.data_ptr(), a.v = v_cache.data_ptr();
  a.kv_stride_b = k_cache.stride(0), a.kv_stride_h = k_cache.stride(1), a.kv_stride_s = k_cache.stride(2);
  a.row_length = rows.data_ptr<int64_t>();
  a.span = static_cast<int>(span), a.scale = static_cast<float>(scale), a.softcap = static_cast<float>(softcap);
  a.window = static_cast<int>(window);
  a.out = out.data_ptr(), a.out_stride_b = out.stride(0), a.out_stride_h = out.stride(1);
  a.splits =
      decode_attention_splits(a.batch, a.kv_heads, a.span, at::cuda::getCurrentDeviceProperties()->multiProcessorCount);
  at::Tensor workspace;
  if (a.splits > 1) {
    const auto n = static_cast<int64_t>(decode_attention_workspace_floats(a.batch, a.heads, a.head_dim, a.splits));
    workspace = at::empty({n}, q.options().dtype(at::kFloat));
    a.workspace = workspace.data_ptr<float>();
  }
  const cudaError_t err = decode_attention(a, at::cuda::getCurrentCUDAStream().stream());
  TORCH_CHECK(err == cudaSuccess, "decode_attention (B ", B, ", H ", H, ", H_kv ", Hkv, ", D ", D, ", span ", span,
              "): ", cudaGetErrorString(err));
  return out;
}

}  // namespace spct::kernels
