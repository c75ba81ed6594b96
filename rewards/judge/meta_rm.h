// The meta reward model: a transformer backbone with a scalar head read at the last token of
// prompt + trajectory, giving the probability that the trajectory is correct (paper eq. 10).
// Stored as an HF *ForSequenceClassification directory with num_labels = 1.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "core/hf_io.h"
#include "core/model.h"

namespace spct::rewards {

class MetaRM {
 public:
  // An HF sequence-classification directory with one label, or "tiny" (random init from seed).
  static std::unique_ptr<MetaRM> load(const std::string& path, LoadOptions options = {});
  explicit MetaRM(std::unique_ptr<Transformer> backbone);

  // ids: (B, T) right-padded, lengths: (B,) real lengths -> (B,) logits at each last real token.
  at::Tensor logits(const at::Tensor& ids, const at::Tensor& lengths) const;
  // Probabilities for token sequences of any lengths, run in batches of batch_size.
  std::vector<double> probabilities(const std::vector<std::vector<int32_t>>& sequences, int64_t batch_size = 16) const;

  Transformer& backbone() { return *backbone_; }
  const Transformer& backbone() const { return *backbone_; }

 private:
  std::unique_ptr<Transformer> backbone_;
};

}  // namespace spct::rewards
