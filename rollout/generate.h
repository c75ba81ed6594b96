// Batched generation for callers with a plain list of prompts: each prompt is one request of the
// rollout engine (rollout/engine.h), sampled once.
#pragma once
#include <cstdint>
#include <vector>

#include "core/model.h"
#include "rollout/engine.h"
#include "rollout/sampler.h"

namespace spct {

// Row i samples from seed seeds[i], or params.seed + i when seeds is empty, so a request's
// tokens do not depend on the other requests. Stop strings need `detokenize`.
std::vector<Generation> generate(const Transformer& model, const std::vector<std::vector<int32_t>>& prompts,
                                 const SamplingParams& params, const std::vector<uint64_t>& seeds = {},
                                 const EngineOptions& options = {}, const Detokenizer& detokenize = {});

}  // namespace spct
