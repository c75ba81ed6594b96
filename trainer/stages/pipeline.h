// The SPCT pipeline of `spct run` and the single-stage commands: each stage reads the model the
// previous stage wrote (or model.path), trains, and writes its own under run_dir/<stage>/model.
// A stage whose model exists is done and skipped; an interrupted stage resumes from its checkpoint.
#pragma once
#include <string>

#include "core/config.h"
#include "trainer/dist/dist.h"

namespace spct {

std::string stage_dir(const RunConfig& config, Stage stage);        // run_dir/<stage>
std::string stage_model_dir(const RunConfig& config, Stage stage);  // run_dir/<stage>/model
bool stage_done(const RunConfig& config, Stage stage);

// The GRM a stage starts from: the newest finished earlier training stage's model, or model.path.
std::string stage_input_model(const RunConfig& config, Stage stage);

// Runs one stage (skipped, with a message, when already done).
void run_stage(const RunConfig& config, Dist& dist, Stage stage);
// Runs config.stages in order.
void run_pipeline(const RunConfig& config, Dist& dist);

}  // namespace spct
