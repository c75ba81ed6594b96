// Meta RM training (SPCT stage 3): the GRM samples trajectories for the training items, each is
// labelled correct or not by eq. 10, and the scalar meta RM learns to predict that label (BCE) from
// prompt + trajectory. Held-out items measure accuracy and ROC-AUC.
#pragma once
#include <vector>

#include "core/config.h"
#include "core/model.h"
#include "core/tokenizer/tokenizer.h"
#include "rewards/judge/meta_rm.h"
#include "rewards/rules/rm_dataset.h"
#include "trainer/dist/dist.h"

namespace spct {

struct MetaRmStats {
  int64_t train = 0, holdout = 0;  // labelled trajectories
  double positive_rate = 0;        // fraction labelled correct (training part)
  double holdout_accuracy = 0, holdout_auc = 0;
};

// A meta RM initialized from the GRM's backbone with a zero-initialized one-label score head.
std::unique_ptr<rewards::MetaRM> meta_rm_from_grm(const Transformer& grm);

MetaRmStats train_metarm(const RunConfig& config, Dist& dist, const Transformer& grm, rewards::MetaRM& meta_rm,
                         const Tokenizer& tokenizer, const std::vector<rewards::RmItem>& items);

}  // namespace spct
