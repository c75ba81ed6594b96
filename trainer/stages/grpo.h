// Rule-based online RL (GRPO) for the GRM: G judgments sampled per query (each showing the
// responses in its own order), reward +1 when the scores single out the ground-truth best
// response (eq. 11) and -1 otherwise, group-normalized advantages, clipped-ratio loss with a KL
// penalty to a frozen reference model.
#pragma once
#include <vector>

#include "core/config.h"
#include "core/model.h"
#include "core/tokenizer/tokenizer.h"
#include "rewards/judge/judge.h"
#include "trainer/dist/dist.h"

namespace spct {

// The judge settings a training stage samples with: the stage's principle mode, the rollout
// section's sampling parameters, the model section's chat template.
rewards::JudgeOptions stage_judge_options(const RunConfig& config, PrincipleMode mode);

// Rollout rewards of one trajectory: +1 correct (eq. 10), -1 otherwise (malformed included).
int trajectory_reward(const rewards::RmItem& item, const rewards::Trajectory& trajectory);

struct GrpoStats {
  double reward_mean = 0, accuracy = 0, malformed_rate = 0, kl = 0;
  int64_t steps = 0;  // run in this call
};

// Trains `policy` for grpo.steps rollout steps (continuing from the stage's checkpoint when
// checkpoint.resume allows). reference: the frozen model of the KL term.
GrpoStats train_grpo(const RunConfig& config, Dist& dist, Transformer& policy, const Transformer& reference,
                     const Tokenizer& tokenizer, const std::vector<rewards::RmItem>& items);

}  // namespace spct
