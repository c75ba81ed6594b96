// The memory-bounded gather behind token_logprobs (trainer/loss/losses.h): per-token log p(target)
// over a large vocabulary, computed chunk by chunk, with a custom autograd Function whose backward
// recomputes each chunk's logits from the hidden states. With grad enabled, neither the forward
// nor the backward ever holds more than one chunk's (chunk, vocab) float32 log-softmax.
#pragma once
#include <ATen/ATen.h>

#include <functional>

namespace spct {

// rows(h) -> (n, V) float32 log-probabilities for hidden rows h (n, H), differentiable in h and
// in `head` (the tensor rows reads its weights from). Called again during backward.
using LogprobRows = std::function<at::Tensor(const at::Tensor& h)>;

struct ChunkedLogprobs {
  at::Tensor logprobs;  // (N) float32, differentiable in hidden and head
  at::Tensor entropy;   // (N) float32 without grad; undefined unless asked for
};

// hidden: (N, H); targets: (N) int64; head: the weight rows() uses (its gradient comes back
// through the returned log-probs when it requires grad).
ChunkedLogprobs recomputed_logprobs(const LogprobRows& rows, const at::Tensor& hidden, const at::Tensor& head,
                                    const at::Tensor& targets, int64_t chunk_tokens, bool with_entropy);

// The same for a plain linear LM head, logits = hidden weight^T / temperature (no soft-capping),
// with a hand-written backward instead of differentiating a recomputation: the forward keeps one
// log-sum-exp per token; the backward recomputes each chunk's logits in the weight's dtype and
// forms d logits = g (onehot(target) - softmax) in float32 in place (a few passes over the
// chunk where autograd's graph takes about twice as many). Differentiable in hidden and weight.
// hidden: (N, H); weight: (V, H); targets: (N) int64 -> (N) float32 (float64 for float64
// inputs; entropy: no grad).
ChunkedLogprobs linear_logprobs(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                                int64_t chunk_tokens, double temperature, bool with_entropy);

}  // namespace spct
