// Batched generation with a KV cache: prompts are left-padded into one batch, prefilled once,
// then decoded a token at a time until each row stops (stop id or max_new_tokens).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/model.h"
#include "rollout/sampler.h"

namespace spct {

struct Generation {
  std::vector<int32_t> tokens;   // new tokens, the stop token included if one ended the row
  std::vector<float> logprobs;   // one per new token
  std::string finish_reason;     // "stop" or "length"
};

// Row i samples from a stream seeded with seeds[i], or params.seed + i when seeds is empty, so a
// request's tokens do not depend on the other requests of the batch.
std::vector<Generation> generate(const Transformer& model, const std::vector<std::vector<int32_t>>& prompts,
                                 const SamplingParams& params, const std::vector<uint64_t>& seeds = {});

}  // namespace spct
