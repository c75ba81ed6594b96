// Token batches for training: (prompt, response) examples right-padded into input ids, next-token
// targets and a loss mask that is true exactly on response tokens (on every target token when the
// loss is not completion-only).
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace spct {

struct Example {
  std::vector<int32_t> prompt;    // context: no loss
  std::vector<int32_t> response;  // trained tokens (end-of-turn token included)
  int64_t length() const { return static_cast<int64_t>(prompt.size() + response.size()); }
};

struct TokenBatch {
  at::Tensor ids;      // (B, T) int64: example tokens [0, L-1), right-padded
  at::Tensor targets;  // (B, T) int64: tokens [1, L)
  at::Tensor mask;     // (B, T) bool: the target is a response token (completion_only) or any real token
  at::Tensor valid;    // (B, T) bool: the input position holds a real token
};

// Examples longer than max_len keep their first max_len tokens. T = longest (truncated) length - 1.
// completion_only = false puts the loss on the prompt's tokens too (all but the first token).
TokenBatch make_batch(const std::vector<const Example*>& examples, int64_t max_len, at::Device device,
                      bool completion_only = true);

// Tokens an example contributes to the loss after truncation to max_len: its response tokens, or
// every token but the first when the loss is not completion-only (the count make_batch's mask holds).
int64_t loss_tokens(const Example& example, int64_t max_len, bool completion_only = true);

}  // namespace spct
