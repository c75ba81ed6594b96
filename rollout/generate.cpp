#include "rollout/generate.h"

#include "core/error.h"

namespace spct {

std::vector<Generation> generate(const Transformer& model, const std::vector<std::vector<int32_t>>& prompts,
                                 const SamplingParams& params, const std::vector<uint64_t>& seeds,
                                 const EngineOptions& options, const Detokenizer& detokenize) {
  SPCT_CHECK(seeds.empty() || seeds.size() == prompts.size(), "generate: ", seeds.size(), " seeds for ", prompts.size(),
             " prompts");
  SPCT_CHECK(!prompts.empty(), "generate: no prompts");
  std::vector<Request> requests(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    requests[i].prompt = prompts[i];
    requests[i].params = params;
    requests[i].params.seed = seeds.empty() ? params.seed + i : seeds[i];
  }
  RolloutEngine engine(model, options, detokenize);
  std::vector<Generation> out;
  for (auto& samples : engine.run(requests)) out.push_back(std::move(samples[0]));
  return out;
}

}  // namespace spct
