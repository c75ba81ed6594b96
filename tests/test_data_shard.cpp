// Data sharding: the global batch does not depend on the world size, ranks split it in order,
// epochs reshuffle deterministically, and a cursor resumes exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "trainer/dist/data_shard.h"

namespace spct {
namespace {

ShardConfig config(int64_t items, int64_t global, int64_t micro) {
  return ShardConfig{items, global, micro, /*seed=*/1234, /*shuffle=*/true};
}

// This step's items as rank r sees them, micro-batches concatenated.
std::vector<int64_t> rank_items(const DataShard& shard, int64_t step, int rank) {
  std::vector<int64_t> out;
  for (int64_t m = 0; m < shard.accum_steps(); ++m) {
    const std::vector<int64_t> micro = shard.micro_items(step, rank, m);
    out.insert(out.end(), micro.begin(), micro.end());
  }
  return out;
}

TEST(DataShard, AccumStepsFromGlobalBatch) {
  EXPECT_EQ(accum_steps_for(32, 4, 2), 4);
  EXPECT_EQ(accum_steps_for(32, 4, 8), 1);
  EXPECT_EQ(accum_steps_for(8, 8, 1), 1);
}

TEST(DataShard, IndivisibleGlobalBatchNamesTheValues) {
  try {
    accum_steps_for(30, 4, 2);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("global_batch=30"), std::string::npos) << msg;
    EXPECT_NE(msg.find("micro_batch=4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("world=2"), std::string::npos) << msg;
  }
  EXPECT_THROW(accum_steps_for(0, 4, 2), Error);
  EXPECT_THROW(DataShard(config(0, 4, 2), 1, 0), Error);
  EXPECT_THROW(DataShard(config(10, 4, 2), 2, 2), Error);
}

TEST(DataShard, UnionOverRanksIsTheGlobalBatchInOrder) {
  const int world = 4;
  std::vector<DataShard> ranks;
  for (int r = 0; r < world; ++r) ranks.emplace_back(config(100, 24, 3), world, r);
  ASSERT_EQ(ranks[0].accum_steps(), 2);
  for (int64_t step = 0; step < 10; ++step) {  // 240 positions: crosses two epoch boundaries
    std::vector<int64_t> joined;
    for (int r = 0; r < world; ++r) {
      const std::vector<int64_t> mine = rank_items(ranks[r], step, r);
      joined.insert(joined.end(), mine.begin(), mine.end());
    }
    EXPECT_EQ(joined, ranks[0].step_items(step)) << "step " << step;
  }
}

TEST(DataShard, GlobalBatchIndependentOfWorldSize) {
  const DataShard one(config(50, 8, 2), 1, 0);
  const DataShard two_r0(config(50, 8, 2), 2, 0);
  const DataShard two_r1(config(50, 8, 2), 2, 1);
  EXPECT_EQ(one.accum_steps(), 4);
  EXPECT_EQ(two_r0.accum_steps(), 2);
  for (int64_t step = 0; step < 20; ++step) {
    std::vector<int64_t> joined = rank_items(two_r0, step, 0);
    const std::vector<int64_t> second = rank_items(two_r1, step, 1);
    joined.insert(joined.end(), second.begin(), second.end());
    EXPECT_EQ(joined, rank_items(one, step, 0)) << "step " << step;
  }
}

TEST(DataShard, EachEpochIsAPermutationAndEpochsDiffer) {
  const DataShard shard(config(37, 1, 1), 1, 0);
  const std::vector<int64_t> e0 = shard.items_at(0, 37);
  const std::vector<int64_t> e1 = shard.items_at(37, 37);
  std::vector<int64_t> sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 37; ++i) EXPECT_EQ(sorted[i], i);
  sorted = e1;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 37; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_NE(e0, e1);
}

// The exact order is part of the contract: a resumed job on another machine must see the same
// items. These values pin the shuffle (std::mt19937_64 + rejection sampling, both portable).
TEST(DataShard, ShuffleIsPinned) {
  const DataShard shard(ShardConfig{10, 1, 1, /*seed=*/7, /*shuffle=*/true}, 1, 0);
  EXPECT_EQ(shard.items_at(0, 10), (std::vector<int64_t>{7, 8, 0, 4, 1, 6, 9, 5, 2, 3}));
  EXPECT_EQ(shard.items_at(10, 10), (std::vector<int64_t>{1, 9, 7, 8, 0, 3, 4, 2, 5, 6}));
  EXPECT_NE(shard.items_at(0, 10), DataShard(ShardConfig{10, 1, 1, 8, true}, 1, 0).items_at(0, 10));
  const DataShard plain(ShardConfig{5, 1, 1, 7, /*shuffle=*/false}, 1, 0);
  EXPECT_EQ(plain.items_at(3, 5), (std::vector<int64_t>{3, 4, 0, 1, 2}));
}

TEST(DataShard, NextStepMatchesThePlanAndAdvancesTheCursor) {
  DataShard shard(config(30, 12, 2), 3, 1);
  for (int64_t step = 0; step < 6; ++step) {
    EXPECT_EQ(shard.cursor(), step * 12);
    const auto micros = shard.next_step();
    ASSERT_EQ(static_cast<int64_t>(micros.size()), shard.accum_steps());
    for (int64_t m = 0; m < shard.accum_steps(); ++m) EXPECT_EQ(micros[m], shard.micro_items(step, 1, m));
  }
  EXPECT_EQ(shard.epoch(), 2);
}

TEST(DataShard, ResumeFromCursorContinuesIdentically) {
  DataShard straight(config(23, 4, 2), 2, 0);
  std::vector<std::vector<int64_t>> expected;
  for (int i = 0; i < 15; ++i) {
    const auto micros = straight.next_step();
    expected.insert(expected.end(), micros.begin(), micros.end());
  }
  DataShard first(config(23, 4, 2), 2, 0);
  std::vector<std::vector<int64_t>> got;
  for (int i = 0; i < 7; ++i) {
    const auto micros = first.next_step();
    got.insert(got.end(), micros.begin(), micros.end());
  }
  DataShard resumed(config(23, 4, 2), 2, 0);  // a fresh process restoring the checkpointed cursor
  resumed.set_cursor(first.cursor());
  for (int i = 7; i < 15; ++i) {
    const auto micros = resumed.next_step();
    got.insert(got.end(), micros.begin(), micros.end());
  }
  EXPECT_EQ(got, expected);
}

TEST(DataShard, ResumeWithAnotherWorldSizeSeesTheSameGlobalBatches) {
  DataShard two_r0(config(40, 8, 2), 2, 0), two_r1(config(40, 8, 2), 2, 1);
  for (int i = 0; i < 3; ++i) {
    two_r0.next_step();
    two_r1.next_step();
  }
  DataShard one(config(40, 8, 2), 1, 0);
  one.set_cursor(two_r0.cursor());
  const auto micros = one.next_step();
  std::vector<int64_t> joined;
  for (const auto& m : micros) joined.insert(joined.end(), m.begin(), m.end());
  EXPECT_EQ(joined, one.step_items(3));
}

TEST(DataShard, EveryItemOncePerEpochAcrossRanks) {
  const int world = 2;
  std::multiset<int64_t> seen;
  for (int r = 0; r < world; ++r) {
    DataShard shard(config(48, 8, 2), world, r);
    for (int step = 0; step < 6; ++step)
      for (const auto& m : shard.next_step()) seen.insert(m.begin(), m.end());
  }
  ASSERT_EQ(seen.size(), 48u);
  for (int64_t i = 0; i < 48; ++i) EXPECT_EQ(seen.count(i), 1u) << "item " << i;
}

}  // namespace
}  // namespace spct
