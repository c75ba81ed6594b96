// Learning rate as a pure function of the step: linear warmup, then constant or cosine decay to
// a floor. Restarting from a checkpoint needs nothing but the step.
#pragma once
#include <cstdint>

#include "core/config.h"

namespace spct {

struct LrScheduleOptions {
  double lr = 0.0;  // peak learning rate
  int64_t warmup_steps = 0;
  LrSchedule schedule = LrSchedule::constant;
  int64_t total_steps = 0;    // cosine reaches the floor here
  double min_lr_ratio = 0.0;  // cosine floor = lr * min_lr_ratio
};

// lr, warmup_steps, lr_schedule and steps (as total_steps) of a stage's config.
LrScheduleOptions lr_schedule_options(const TrainSection& config, double min_lr_ratio = 0.0);

// The learning rate of update `step` (0-based: the first update is step 0):
//   step < warmup:  lr * (step + 1) / warmup
//   constant:       lr
//   cosine:         lr * (r + (1 - r) * (1 + cos(pi * p)) / 2),  r = min_lr_ratio,
//                   p = min(1, (step - warmup) / max(1, total_steps - warmup))
double lr_at(const LrScheduleOptions& options, int64_t step);

}  // namespace spct
