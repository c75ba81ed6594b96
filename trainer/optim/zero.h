// ZeRO-1: the AdamW state (fp32 masters and moments) sharded over the data-parallel ranks. Each
// parameter is owned by one rank, which keeps its optimizer state and updates it; the owners then
// broadcast the updated parameters so every rank holds the whole model again. Gradients are still
// all-reduced whole, so the update equals the replicated optimizer's exactly.
#pragma once
#include <string>
#include <vector>

#include "trainer/dist/dist.h"
#include "trainer/optim/optimizer.h"

namespace spct {

// Owner rank of each parameter (in the order given). Whole parameters, greedily to the least
// loaded rank by element count (ties: lowest rank), in order: deterministic on every rank.
std::vector<int> zero_owners(const NamedTensors& params, int world);
// The same from element counts alone (the memory planner has no tensors).
std::vector<int> zero_owners(const std::vector<int64_t>& numels, int world);

// The parameters rank owns, in their order.
NamedTensors owned_params(const NamedTensors& params, const std::vector<int>& owners, int rank);

// Every parameter overwritten with its owner's values: for each owner, its parameters packed
// (per dtype) into flat buckets of at most dist.bucket_bytes(), each broadcast from the owner.
void broadcast_from_owners(Dist& dist, const NamedTensors& params, const std::vector<int>& owners);

// AdamW state entries ("step", "exp_avg.<p>", "exp_avg_sq.<p>", "master.<p>") for the parameters
// named in `owned`, picked from entries of any sharding (re-sharding a checkpoint to another world
// size or zero_stage). Every shard's "step" must agree; origin names the checkpoint in errors.
NamedTensors select_optimizer_state(const std::vector<NamedTensors>& shards, const NamedTensors& owned,
                                    const std::string& origin);

}  // namespace spct
