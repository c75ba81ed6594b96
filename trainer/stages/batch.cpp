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
  return {at::tensor(ids, at::kLong).view({B, T}).to(device), at::tensor(targets, at::kLong).view({B, T}).to(device),
          to_bool(mask), to_bool(valid)};
}

}  // namespace spct
