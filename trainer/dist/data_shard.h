// Which dataset items each rank trains on, step by step. One global order (per-epoch seeded
// shuffles, the same on every rank and for every world size) is cut into global batches; a
// global batch is cut into contiguous per-rank slices, each into accum_steps micro-batches:
//
//   position p of the global order = item perm_{p / N}[p % N]
//   step s covers positions [s*G, (s+1)*G)           (G = global_batch, epochs run into each other)
//   rank r, micro-step m of step s: positions s*G + r*(micro*accum) + m*micro + [0, micro)
//
// So the global batch of a step does not depend on the number of ranks, and a cursor counting
// the items consumed resumes exactly, even with a different world size.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

namespace spct {

struct ShardConfig {
  int64_t num_items;     // N, items in the dataset
  int64_t global_batch;  // G = world * micro_batch * accum_steps
  int64_t micro_batch;   // items per rank per forward/backward
  uint64_t seed;         // shuffle seed; epoch e uses a permutation derived from (seed, e)
  bool shuffle;          // false: epochs run in dataset order
};

// accum_steps for a global batch; throws spct::Error naming the values when they do not divide.
int64_t accum_steps_for(int64_t global_batch, int64_t micro_batch, int world);

class DataShard {
 public:
  DataShard(const ShardConfig& config, int world, int rank);

  int64_t accum_steps() const { return accum_; }
  int64_t global_batch() const { return cfg_.global_batch; }
  int64_t micro_batch() const { return cfg_.micro_batch; }

  // Items at positions [begin, begin + count) of the global order.
  std::vector<int64_t> items_at(int64_t begin, int64_t count) const;
  // The whole global batch of step s (positions from 0, ignoring the cursor).
  std::vector<int64_t> step_items(int64_t step) const;
  // Micro-step m of step s for rank r (any rank: tests and logging use other ranks' plans).
  std::vector<int64_t> micro_items(int64_t step, int rank, int64_t micro) const;

  // Cursor: positions consumed so far by the whole job (a multiple of G unless G changed).
  int64_t cursor() const { return cursor_; }
  void set_cursor(int64_t items);
  int64_t epoch() const { return cursor_ / cfg_.num_items; }
  // This rank's accum_steps micro-batches of the next global batch; advances the cursor by G.
  std::vector<std::vector<int64_t>> next_step();

 private:
  int64_t item_at(int64_t position) const;
  const std::vector<int64_t>& permutation(int64_t epoch) const;

  ShardConfig cfg_;
  int world_;
  int rank_;
  int64_t accum_;
  int64_t cursor_ = 0;
  mutable std::map<int64_t, std::vector<int64_t>> perms_;  // the last two epochs used
};

}  // namespace spct
