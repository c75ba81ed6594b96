#include "trainer/stages/batch.h"

#include <algorithm>

#include "core/error.h"

namespace spct {

int64_t loss_tokens(const Example& e, int64_t max_len, bool completion_only) {
  const int64_t len = std::min(e.length(), max_len);
  if (!completion_only) return len - 1;
  return std::max<int64_t>(0, len - std::max<int64_t>(static_cast<int64_t>(e.prompt.size()), 1));
}

TokenBatch make_batch(const std::vector<const Example*>& examples, int64_t max_len, at::Device device,
                      bool completion_only) {
  SPCT_CHECK(!examples.empty(), "make_batch: no examples");
  SPCT_CHECK(max_len >= 2, "make_batch: max_len must be >= 2");
  const int64_t B = static_cast<int64_t>(examples.size());
  int64_t T = 1;
  for (const Example* e : examples) {
    SPCT_CHECK(!e->prompt.empty(), "make_batch: an example has an empty prompt (it needs at least a BOS)");
    T = std::max(T, std::min(e->length(), max_len) - 1);
  }
  std::vector<int64_t> ids(B * T, 0), targets(B * T, 0);
  std::vector<uint8_t> mask(B * T, 0), valid(B * T, 0);
  for (int64_t b = 0; b < B; ++b) {
    const Example& e = *examples[b];
    std::vector<int32_t> full = e.prompt;
    full.insert(full.end(), e.response.begin(), e.response.end());
    const int64_t len = std::min<int64_t>(static_cast<int64_t>(full.size()), max_len);
    const int64_t p = static_cast<int64_t>(e.prompt.size());
    for (int64_t t = 0; t + 1 < len; ++t) {
      ids[b * T + t] = full[t];
      targets[b * T + t] = full[t + 1];
      valid[b * T + t] = 1;
      mask[b * T + t] = !completion_only || t + 1 >= p;  // predicting a response token (or any)
    }
  }
  auto to_bool = [&](const std::vector<uint8_t>& v) {
    return at::tensor(std::vector<int64_t>(v.begin(), v.end()), at::kLong).view({B, T}).to(device).to(at::kBool);
  };
  const bool padded = std::find(valid.begin(), valid.end(), 0) != valid.end();
  return {at::tensor(ids, at::kLong).view({B, T}).to(device), at::tensor(targets, at::kLong).view({B, T}).to(device),
          to_bool(mask), to_bool(valid), padded};
}

at::Tensor PackedBatch::unpack(const at::Tensor& packed) const {
  const at::Tensor flat = packed.reshape({-1});
  return at::zeros({mask.numel()}, flat.options()).index_copy(0, index, flat).view(mask.sizes());
}

PackedBatch make_packed_batch(const std::vector<const Example*>& examples, int64_t max_len, at::Device device,
                              bool completion_only) {
  // The padded batch on the host gives the tokens and the mask; packing keeps its real positions.
  const TokenBatch padded = make_batch(examples, max_len, at::kCPU, completion_only);
  const int64_t B = padded.ids.size(0), T = padded.ids.size(1);
  std::vector<int64_t> index, positions;
  std::vector<int32_t> cu{0};
  PackedBatch p;
  const at::Tensor valid = padded.valid.to(at::kLong);
  const int64_t* v = valid.data_ptr<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    int64_t len = 0;
    while (len < T && v[b * T + len]) ++len;  // make_batch's real positions are a prefix of the row
    for (int64_t t = 0; t < len; ++t) {
      index.push_back(b * T + t);
      positions.push_back(t);
    }
    cu.push_back(static_cast<int32_t>(index.size()));
    p.max_seqlen = std::max(p.max_seqlen, len);
  }
  const int64_t N = static_cast<int64_t>(index.size());
  const at::Tensor idx = at::tensor(index, at::kLong);
  p.ids = padded.ids.reshape({-1}).index_select(0, idx).view({1, N}).to(device);
  p.targets = padded.targets.reshape({-1}).index_select(0, idx).view({1, N}).to(device);
  p.positions = at::tensor(positions, at::kLong).view({1, N}).to(device);
  p.cu_seqlens = at::tensor(cu, at::kInt).to(device);
  p.mask = padded.mask.to(device);
  p.index = idx.to(device);
  return p;
}

std::vector<std::vector<int64_t>> split_by_tokens(const std::vector<int64_t>& tokens, int64_t budget) {
  SPCT_CHECK(budget > 0, "split_by_tokens: the token budget must be > 0, got ", budget);
  std::vector<std::vector<int64_t>> groups;
  int64_t used = 0;
  for (int64_t i = 0; i < static_cast<int64_t>(tokens.size()); ++i) {
    if (groups.empty() || used + tokens[i] > budget) {
      groups.emplace_back();
      used = 0;
    }
    groups.back().push_back(i);
    used += tokens[i];
  }
  return groups;
}

}  // namespace spct
