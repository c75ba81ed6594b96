#include "trainer/optim/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace spct {
namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

LrScheduleOptions lr_schedule_options(const TrainSection& config, double min_lr_ratio) {
  LrScheduleOptions o;
  o.lr = config.lr;
  o.warmup_steps = config.warmup_steps;
  o.schedule = config.lr_schedule;
  o.total_steps = config.steps;
  o.min_lr_ratio = min_lr_ratio;
  return o;
}

double lr_at(const LrScheduleOptions& o, int64_t step) {
  SPCT_CHECK(step >= 0, "lr schedule: step must be >= 0, got ", step);
  SPCT_CHECK(o.lr >= 0.0 && o.warmup_steps >= 0, "lr schedule: need lr >= 0 and warmup_steps >= 0");
  SPCT_CHECK(o.min_lr_ratio >= 0.0 && o.min_lr_ratio <= 1.0, "lr schedule: min_lr_ratio must be in [0, 1], got ",
             o.min_lr_ratio);
  // +1: the first update already moves the weights (a zero first lr would waste a step).
  if (step < o.warmup_steps) return o.lr * double(step + 1) / double(o.warmup_steps);
  if (o.schedule == LrSchedule::constant) return o.lr;
  const double span = double(std::max<int64_t>(1, o.total_steps - o.warmup_steps));
  const double progress = std::min(1.0, double(step - o.warmup_steps) / span);
  const double r = o.min_lr_ratio;
  return o.lr * (r + (1.0 - r) * 0.5 * (1.0 + std::cos(kPi * progress)));
}

}  // namespace spct
