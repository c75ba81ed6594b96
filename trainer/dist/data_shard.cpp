#include "trainer/dist/data_shard.h"

#include <numeric>
#include <random>

#include "core/error.h"
#include "core/random.h"

namespace spct {
namespace {

// Uniform in [0, n). std::uniform_int_distribution differs between standard libraries; this
// (rejection, then modulo) gives the same order everywhere, as std::mt19937_64 itself does.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n: values below it would bias the modulo
  for (;;) {
    const uint64_t r = rng();
    if (r >= threshold) return r % n;
  }
}

}  // namespace

int64_t accum_steps_for(int64_t global_batch, int64_t micro_batch, int world) {
  SPCT_CHECK(global_batch > 0 && micro_batch > 0 && world > 0,
             "batch sizes and world size must be positive: ", "global_batch=", global_batch,
             ", micro_batch=", micro_batch, ", world=", world);
  const int64_t per_step = micro_batch * world;
  SPCT_CHECK(global_batch % per_step == 0, "global_batch=", global_batch,
             " is not a multiple of micro_batch=", micro_batch, " x world=", world, " (= ", per_step,
             "): the global batch must be world * micro_batch", " * accum_steps");
  return global_batch / per_step;
}

DataShard::DataShard(const ShardConfig& config, int world, int rank)
    : cfg_(config),
      world_(world),
      rank_(rank),
      accum_(accum_steps_for(config.global_batch, config.micro_batch, world)) {
  SPCT_CHECK(config.num_items > 0, "cannot shard an empty dataset (num_items=", config.num_items, ")");
  SPCT_CHECK(rank >= 0 && rank < world, "rank ", rank, " is not in a world of ", world);
}

const std::vector<int64_t>& DataShard::permutation(int64_t epoch) const {
  auto it = perms_.find(epoch);
  if (it != perms_.end()) return it->second;
  if (perms_.size() >= 2) perms_.erase(perms_.begin());
  std::vector<int64_t> perm(static_cast<size_t>(cfg_.num_items));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  if (cfg_.shuffle) {
    std::mt19937_64 rng(splitmix64(cfg_.seed ^ splitmix64(static_cast<uint64_t>(epoch))));
    for (size_t i = perm.size() - 1; i > 0; --i) std::swap(perm[i], perm[uniform_below(rng, i + 1)]);
  }
  return perms_.emplace(epoch, std::move(perm)).first->second;
}

int64_t DataShard::item_at(int64_t position) const {
  return permutation(position / cfg_.num_items)[static_cast<size_t>(position % cfg_.num_items)];
}

std::vector<int64_t> DataShard::items_at(int64_t begin, int64_t count) const {
  SPCT_CHECK(begin >= 0 && count >= 0, "bad position range: begin=", begin, ", count=", count);
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(count));
  for (int64_t p = begin; p < begin + count; ++p) out.push_back(item_at(p));
  return out;
}

std::vector<int64_t> DataShard::step_items(int64_t step) const {
  SPCT_CHECK(step >= 0, "step must be non-negative, got ", step);
  return items_at(step * cfg_.global_batch, cfg_.global_batch);
}

std::vector<int64_t> DataShard::micro_items(int64_t step, int rank, int64_t micro) const {
  SPCT_CHECK(step >= 0, "step must be non-negative, got ", step);
  SPCT_CHECK(rank >= 0 && rank < world_, "rank ", rank, " is not in a world of ", world_);
  SPCT_CHECK(micro >= 0 && micro < accum_, "micro-step ", micro, " is not in [0, accum_steps=", accum_, ")");
  const int64_t per_rank = cfg_.micro_batch * accum_;
  return items_at(step * cfg_.global_batch + rank * per_rank + micro * cfg_.micro_batch, cfg_.micro_batch);
}

void DataShard::set_cursor(int64_t items) {
  SPCT_CHECK(items >= 0, "data cursor must be non-negative, got ", items);
  cursor_ = items;
}

std::vector<std::vector<int64_t>> DataShard::next_step() {
  const int64_t begin = cursor_ + rank_ * cfg_.micro_batch * accum_;
  std::vector<std::vector<int64_t>> micros;
  for (int64_t m = 0; m < accum_; ++m) micros.push_back(items_at(begin + m * cfg_.micro_batch, cfg_.micro_batch));
  cursor_ += cfg_.global_batch;
  return micros;
}

}  // namespace spct
