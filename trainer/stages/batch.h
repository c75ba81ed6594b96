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
  bool padded = true;  // some position is padding (false: every row has T real tokens)
};

// The same examples without padding: their inputs back to back in one row, for the model's
// packed attention (ForwardOptions::cu_seqlens). Per-token results come back to make_batch's
// (B, T) layout through unpack(), so the losses and their masks are unchanged.
struct PackedBatch {
  at::Tensor ids;         // (1, N) int64, N = the examples' input tokens
  at::Tensor targets;     // (1, N) int64
  at::Tensor positions;   // (1, N) int64 rotary positions, restarting at 0 for every sequence
  at::Tensor cu_seqlens;  // (n + 1) int32: where each sequence starts, then N
  int64_t max_seqlen = 0;
  at::Tensor mask;   // (B, T) bool: make_batch's loss mask for the same examples
  at::Tensor index;  // (N) int64: each packed token's position b * T + t in the (B, T) layout
  // (1, N) per-token values -> (B, T), zero at padding; differentiable.
  at::Tensor unpack(const at::Tensor& packed) const;
};

// Examples longer than max_len keep their first max_len tokens. T = longest (truncated) length - 1.
// completion_only = false puts the loss on the prompt's tokens too (all but the first token).
TokenBatch make_batch(const std::vector<const Example*>& examples, int64_t max_len, at::Device device,
                      bool completion_only = true);

// make_batch's examples packed: the same tokens, targets and loss mask, no padding positions.
PackedBatch make_packed_batch(const std::vector<const Example*>& examples, int64_t max_len, at::Device device,
                              bool completion_only = true);

// Splits items 0..n-1 (in order) into consecutive groups of at most `budget` tokens each
// (tokens[i] per item); an item longer than the budget forms a group of its own. budget > 0.
std::vector<std::vector<int64_t>> split_by_tokens(const std::vector<int64_t>& tokens, int64_t budget);

// Tokens an example contributes to the loss after truncation to max_len: its response tokens, or
// every token but the first when the loss is not completion-only (the count make_batch's mask holds).
int64_t loss_tokens(const Example& example, int64_t max_len, bool completion_only = true);

}  // namespace spct
