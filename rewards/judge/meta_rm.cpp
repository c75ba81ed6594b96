#include "rewards/judge/meta_rm.h"

#include <c10/core/GradMode.h>

#include <algorithm>

#include "core/error.h"

namespace spct::rewards {

std::unique_ptr<MetaRM> MetaRM::load(const std::string& path, LoadOptions options) {
  options.num_labels = 1;
  auto model = load_model(path, options);
  SPCT_CHECK(model->config().num_labels == 1, path, ": a meta RM needs a sequence-classification head with ",
             "num_labels = 1 (found ", model->config().num_labels,
             model->config().num_labels == 0 ? ": a causal LM" : "", ")");
  return std::make_unique<MetaRM>(std::move(model));
}

MetaRM::MetaRM(std::unique_ptr<Transformer> backbone) : backbone_(std::move(backbone)) {
  SPCT_CHECK(backbone_->config().num_labels == 1, "meta RM: backbone must have a one-label score head");
}

at::Tensor MetaRM::logits(const at::Tensor& ids, const at::Tensor& lengths) const {
  SPCT_CHECK(ids.dim() == 2 && lengths.dim() == 1 && lengths.size(0) == ids.size(0),
             "meta RM: ids must be (B, T) and lengths (B,), got ", ids.sizes(), " and ", lengths.sizes());
  const auto dev = backbone_->options().device();
  at::Tensor len = lengths.to(dev, at::kLong);
  at::Tensor valid = at::arange(ids.size(1), len.options()).unsqueeze(0) < len.unsqueeze(1);  // (B, T)
  at::Tensor hidden = backbone_->hidden(ids.to(dev), {at::Tensor(), valid});                  // (B, T, H)
  at::Tensor last = hidden.gather(1, (len - 1).view({-1, 1, 1}).expand({-1, 1, hidden.size(2)})).squeeze(1);
  return backbone_->logits(last).squeeze(-1).to(at::kFloat);  // (B,)
}

std::vector<double> MetaRM::probabilities(const std::vector<std::vector<int32_t>>& sequences,
                                          int64_t batch_size) const {
  c10::NoGradGuard no_grad;
  std::vector<double> out;
  out.reserve(sequences.size());
  for (size_t start = 0; start < sequences.size(); start += batch_size) {
    const size_t end = std::min(sequences.size(), start + static_cast<size_t>(batch_size));
    int64_t T = 1;
    for (size_t i = start; i < end; ++i) T = std::max<int64_t>(T, sequences[i].size());
    std::vector<int64_t> flat((end - start) * T, 0), lens;
    for (size_t i = start; i < end; ++i) {
      SPCT_CHECK(!sequences[i].empty(), "meta RM: empty sequence ", i);
      std::copy(sequences[i].begin(), sequences[i].end(), flat.begin() + (i - start) * T);
      lens.push_back(static_cast<int64_t>(sequences[i].size()));
    }
    at::Tensor ids = at::tensor(flat, at::kLong).view({static_cast<int64_t>(end - start), T});
    at::Tensor p = at::sigmoid(logits(ids, at::tensor(lens, at::kLong))).cpu().to(at::kDouble);
    out.insert(out.end(), p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
  }
  return out;
}

}  // namespace spct::rewards
