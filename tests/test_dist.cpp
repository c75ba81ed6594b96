// Collectives under mpirun (np 1 and 2) and alone (LocalDist). Every rank fills its tensors from
// a rank-seeded generator, so each rank can compute the expected result of a collective itself.
//
// A failed assertion on any rank ends the whole job (the listener below calls Dist::abort), so a
// rank never waits in a collective that a failed peer skipped; the exit code is non-zero.
// The gradient all-reduce of training steps (trainer/optim/grad_reducer.h) is tested here too: bucket
// assignment, sums equal to all_reduce_sum's with and without overlap, and StageTrainer giving the
// same parameters bit for bit whether the all-reduce overlaps backward or follows it.
// `--gpu` runs the same tests on NcclDist (CUDA builds). Drills, run by tests/dist.cmake:
// `--abort-on-last-rank` (every backend) and `--skip-collective-on-last-rank` (NCCL watchdog).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/error.h"
#include "core/model.h"
#include "core/torch_compat.h"
#include "trainer/loss/activation_checkpoint.h"
#include "trainer/dist/dist.h"
#include "trainer/optim/grad_reducer.h"
#include "trainer/loss/losses.h"
#include "trainer/stages/trainer.h"
#include "trainer/optim/zero.h"

namespace spct {
namespace {

Dist* g_dist = nullptr;

at::Tensor on_device(const at::Tensor& t) { return t.to(g_dist->device()); }

// Small integers are exact in every dtype (bf16 included) and so are their sums over a few
// ranks; floats get Gaussian values and a tolerance.
at::Tensor rank_values(int rank, std::vector<int64_t> shape, at::ScalarType dtype, int salt) {
  at::Generator gen = compat::cpu_generator(1000 * static_cast<uint64_t>(rank) + salt);
  if (dtype == at::kFloat || dtype == at::kDouble) return at::randn(shape, gen, at::TensorOptions(dtype));
  return at::randint(-8, 9, shape, gen, at::TensorOptions(at::kLong)).to(dtype);
}

struct Spec {
  std::vector<int64_t> shape;
  at::ScalarType dtype;
};

const std::vector<Spec> kMixed = {
    {{3, 5}, at::kFloat}, {{7}, at::kDouble},         {{4, 4}, at::kBFloat16}, {{2, 3}, at::kLong},
    {{100}, at::kFloat},  {{2, 2, 2}, at::kBFloat16}, {{0, 3}, at::kFloat},    {{1}, at::kFloat},
};

void expect_same(const at::Tensor& got, const at::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.scalar_type(), want.scalar_type()) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_EQ(got.device(), g_dist->device()) << what;
  EXPECT_TRUE(at::allclose(got.cpu().to(at::kDouble), want.cpu().to(at::kDouble), 1e-6, 1e-6)) << what << ": got\n"
                                                                                               << got << "\nwant\n"
                                                                                               << want;
}

class AllReduceBuckets : public ::testing::TestWithParam<int64_t> {};

TEST_P(AllReduceBuckets, SumOfMixedDtypesMatchesLocalSum) {
  Dist& d = *g_dist;
  d.set_bucket_bytes(GetParam());
  std::vector<at::Tensor> tensors;
  for (size_t i = 0; i < kMixed.size(); ++i)
    tensors.push_back(on_device(rank_values(d.rank(), kMixed[i].shape, kMixed[i].dtype, i)));
  tensors.push_back(on_device(rank_values(d.rank(), {6, 4}, at::kFloat, 99)).t());  // not contiguous
  d.all_reduce_sum(tensors);
  d.set_bucket_bytes(Dist::kDefaultBucketBytes);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const bool last = i == kMixed.size();
    const std::vector<int64_t> shape = last ? std::vector<int64_t>{6, 4} : kMixed[i].shape;
    const at::ScalarType dtype = last ? at::kFloat : kMixed[i].dtype;
    at::Tensor want = at::zeros(shape, at::kDouble);
    for (int r = 0; r < d.world_size(); ++r) want += rank_values(r, shape, dtype, last ? 99 : i).to(at::kDouble);
    if (last) want = want.t();
    expect_same(tensors[i], want.to(dtype), "tensor " + std::to_string(i));
  }
}

// 8 bytes: smaller than every tensor; 64: a few small tensors share a bucket; default: one per dtype.
INSTANTIATE_TEST_SUITE_P(Dist, AllReduceBuckets, ::testing::Values(8, 64, Dist::kDefaultBucketBytes));

TEST(Dist, Topology) {
  Dist& d = *g_dist;
  const char* launched = std::getenv("OMPI_COMM_WORLD_SIZE");
  EXPECT_EQ(d.world_size(), launched ? std::atoi(launched) : 1);
  EXPECT_EQ(d.backend(), !launched ? "local" : d.device().is_cuda() ? "nccl" : "mpi");
  EXPECT_GE(d.rank(), 0);
  EXPECT_LT(d.rank(), d.world_size());
  EXPECT_LT(d.local_rank(), d.local_size());
  EXPECT_EQ(d.local_size(), d.world_size());  // every test rank runs on this machine
}

TEST(Dist, SingleTensorSumAndMax) {
  Dist& d = *g_dist;
  at::Tensor sum = on_device(rank_values(d.rank(), {5}, at::kFloat, 1));
  at::Tensor max = on_device(rank_values(d.rank(), {2, 3}, at::kBFloat16, 2));
  d.all_reduce_sum(sum);
  d.all_reduce_max(max);
  at::Tensor want_sum = at::zeros({5}, at::kDouble);
  at::Tensor want_max = rank_values(0, {2, 3}, at::kBFloat16, 2);
  for (int r = 0; r < d.world_size(); ++r) {
    want_sum += rank_values(r, {5}, at::kFloat, 1).to(at::kDouble);
    want_max = at::maximum(want_max, rank_values(r, {2, 3}, at::kBFloat16, 2));
  }
  expect_same(sum, want_sum.to(at::kFloat), "sum");
  expect_same(max, want_max, "max");
}

// Non-blocking sums: several in flight at once (f32, bf16, f64, an empty one), polled, finished
// in another order than started, and a blocking collective issued while they are in flight.
TEST(Dist, StartAllReduceSumInFlight) {
  Dist& d = *g_dist;
  const std::vector<Spec> specs = {{{1000}, at::kFloat}, {{37}, at::kBFloat16}, {{0}, at::kFloat}, {{5}, at::kDouble}};
  std::vector<at::Tensor> flats;
  std::vector<std::unique_ptr<Dist::ReduceRequest>> requests;
  for (size_t i = 0; i < specs.size(); ++i) {
    flats.push_back(on_device(rank_values(d.rank(), specs[i].shape, specs[i].dtype, 40 + i)));
    requests.push_back(d.start_all_reduce_sum(flats.back()));
  }
  at::Tensor blocking = on_device(rank_values(d.rank(), {3}, at::kFloat, 49));
  d.all_reduce_sum(blocking);
  for (auto& r : requests) (void)r->poll();
  for (size_t k = requests.size(); k-- > 0;) requests[k]->finish();
  for (size_t i = 0; i < specs.size(); ++i) {
    at::Tensor want = at::zeros(specs[i].shape, at::kDouble);
    for (int r = 0; r < d.world_size(); ++r)
      want += rank_values(r, specs[i].shape, specs[i].dtype, 40 + i).to(at::kDouble);
    expect_same(flats[i], want.to(specs[i].dtype), "request " + std::to_string(i));
  }
  at::Tensor want = at::zeros({3}, at::kDouble);
  for (int r = 0; r < d.world_size(); ++r) want += rank_values(r, {3}, at::kFloat, 49).to(at::kDouble);
  expect_same(blocking, want.to(at::kFloat), "blocking all-reduce between them");
  // Only contiguous 1-D tensors of a reducible dtype.
  EXPECT_THROW(d.start_all_reduce_sum(on_device(at::zeros({2, 2}))), Error);
  EXPECT_THROW(d.start_all_reduce_sum(on_device(at::zeros({4})).slice(0, 0, 4, 2)), Error);
  EXPECT_THROW(d.start_all_reduce_sum(on_device(at::ones({3}, at::kBool))), Error);
}

TEST(Dist, RejectsUnsupportedDtypesAndScalars) {
  Dist& d = *g_dist;
  at::Tensor flags = on_device(at::ones({3}, at::kBool));
  EXPECT_THROW(d.all_reduce_sum(flags), Error);
  EXPECT_THROW(d.all_gather(on_device(at::scalar_tensor(1.0))), Error);
  EXPECT_THROW(d.set_bucket_bytes(0), Error);
  std::vector<at::Tensor> none;
  EXPECT_THROW(d.broadcast(none, d.world_size()), Error);
}

TEST(Dist, BroadcastFromLastRank) {
  Dist& d = *g_dist;
  const int root = d.world_size() - 1;  // rank 1 at np 2
  std::vector<at::Tensor> tensors = {on_device(rank_values(d.rank(), {3, 4}, at::kFloat, 5)),
                                     on_device(rank_values(d.rank(), {9}, at::kBFloat16, 6)),
                                     on_device(rank_values(d.rank(), {4, 2}, at::kLong, 7)).t()};
  d.broadcast(tensors, root);
  expect_same(tensors[0], rank_values(root, {3, 4}, at::kFloat, 5), "float");
  expect_same(tensors[1], rank_values(root, {9}, at::kBFloat16, 6), "bf16");
  expect_same(tensors[2], rank_values(root, {4, 2}, at::kLong, 7).t(), "int64, not contiguous");
}

TEST(Dist, AllGatherUnevenFirstDims) {
  Dist& d = *g_dist;
  for (int scale : {1, 2}) {  // rows per rank: r+1, then 2r (rank 0 sends none)
    auto rows = [&](int r) { return scale == 1 ? r + 1 : 2 * r; };
    const at::Tensor got = d.all_gather(on_device(rank_values(d.rank(), {rows(d.rank()), 3}, at::kDouble, 8)));
    std::vector<at::Tensor> parts;
    for (int r = 0; r < d.world_size(); ++r) parts.push_back(rank_values(r, {rows(r), 3}, at::kDouble, 8));
    expect_same(got, at::cat(parts), "scale " + std::to_string(scale));
  }
}

TEST(Dist, AllGatherRejectsMismatchedTrailingDims) {
  Dist& d = *g_dist;
  if (d.world_size() == 1) GTEST_SKIP() << "needs two ranks";
  const int64_t cols = d.rank() == 0 ? 3 : 4;
  EXPECT_THROW(d.all_gather(on_device(at::zeros({2, cols}))), Error);
}

TEST(Dist, AllGatherStringsAndJson) {
  Dist& d = *g_dist;
  const std::vector<std::string> got = d.all_gather_strings(std::string(d.rank(), 'x'));  // rank 0: ""
  ASSERT_EQ(static_cast<int>(got.size()), d.world_size());
  for (int r = 0; r < d.world_size(); ++r) EXPECT_EQ(got[r], std::string(r, 'x'));
  const std::vector<nlohmann::json> metrics = d.all_gather_json({{"rank", d.rank()}, {"loss", 0.5 * d.rank()}});
  ASSERT_EQ(static_cast<int>(metrics.size()), d.world_size());
  for (int r = 0; r < d.world_size(); ++r) {
    EXPECT_EQ(metrics[r]["rank"], r);
    EXPECT_DOUBLE_EQ(metrics[r]["loss"].get<double>(), 0.5 * r);
  }
}

// After the barrier every rank sees the file rank 0 wrote before it.
TEST(Dist, BarrierOrdersWrites) {
  Dist& d = *g_dist;
  namespace fs = std::filesystem;
  std::string dir;
  if (d.is_root()) {
    std::string templ = (fs::temp_directory_path() / "spct-dist-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir = templ;
  }
  dir = d.all_gather_strings(dir)[0];
  const fs::path flag = fs::path(dir) / "written";
  if (d.is_root()) std::ofstream(flag) << "ok";
  d.barrier();
  EXPECT_TRUE(fs::exists(flag)) << flag;
  d.barrier();
  if (d.is_root()) fs::remove_all(dir);
}

// ---- the gradient all-reduce ------------------------------------------------------------------

NamedTensors shapes(const std::vector<std::pair<std::vector<int64_t>, at::ScalarType>>& specs) {
  NamedTensors out;
  for (size_t i = 0; i < specs.size(); ++i)
    out.emplace_back(std::string(1, static_cast<char>('a' + i)),
                     at::empty(specs[i].first, at::TensorOptions(specs[i].second)));
  return out;
}

TEST(GradBuckets, ReverseOrderPerDtypeWithinBucketBytes) {
  // a f32 16 B, b f32 24 B, c bf16 10 B, d f32 empty, e f32 40 B, f bf16 6 B, g f32 4 B
  const NamedTensors params = shapes({{{4}, at::kFloat},
                                      {{2, 3}, at::kFloat},
                                      {{5}, at::kBFloat16},
                                      {{0, 2}, at::kFloat},
                                      {{10}, at::kFloat},
                                      {{3}, at::kBFloat16},
                                      {{1}, at::kFloat}});
  // 32 B: g closes when e (too big to join) comes; e is alone; b closes when a comes; the open
  // bf16 bucket (opened at f) closes before the f32 one opened at a.
  const std::vector<GradBucket> b = assign_grad_buckets(params, 32);
  const std::vector<std::vector<size_t>> want = {{6}, {4}, {1}, {5, 2}, {0}};
  ASSERT_EQ(b.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(b[i].params, want[i]) << "bucket " << i;
  EXPECT_EQ(b[3].dtype, at::kBFloat16);
  EXPECT_EQ(b[3].offsets, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(b[3].numel, 8);
  EXPECT_EQ(b[1].numel, 10);
  // One bucket per dtype when everything fits, in the order the dtypes first appear from the end.
  const std::vector<GradBucket> big = assign_grad_buckets(params, Dist::kDefaultBucketBytes);
  ASSERT_EQ(big.size(), 2u);
  EXPECT_EQ(big[0].params, (std::vector<size_t>{6, 4, 1, 0}));
  EXPECT_EQ(big[0].offsets, (std::vector<int64_t>{0, 1, 11, 17}));
  EXPECT_EQ(big[0].numel, 21);
  EXPECT_EQ(big[1].params, (std::vector<size_t>{5, 2}));
  // A bucket of 1 byte: every parameter alone, last first.
  const std::vector<GradBucket> tiny = assign_grad_buckets(params, 1);
  ASSERT_EQ(tiny.size(), 6u);
  for (size_t i = 0; i < tiny.size(); ++i) EXPECT_EQ(tiny[i].params.size(), 1u);
  EXPECT_EQ(tiny[0].params[0], 6u);
  EXPECT_EQ(tiny[5].params[0], 0u);
  EXPECT_THROW(assign_grad_buckets(params, 0), Error);
}

// The tiny model with an untied head, so that a loss of the hidden states alone leaves lm_head
// without a gradient (a parameter the last micro-batch's backward does not reach).
std::unique_ptr<Transformer> untied_tiny() {
  ModelConfig c = ModelConfig::tiny(64);
  c.tie_word_embeddings = false;
  auto m = std::make_unique<Transformer>(c, at::TensorOptions().dtype(at::kFloat).device(g_dist->device()));
  m->init_random(5, 0.1);
  for (const auto& [name, p] : m->parameters()) p.requires_grad_(true);
  return m;
}

constexpr int kMicro = 3;  // micro-batches per step on every rank

// Rank `rank`'s micro-batch `micro` of step `step`: log-probs through the chunked head, except the
// last micro-batch of even steps, whose loss weights the hidden states only (lm_head unused).
at::Tensor micro_loss(const Transformer& m, int rank, int step, int micro, bool checkpoint) {
  at::Generator gen = compat::cpu_generator(7919 * static_cast<uint64_t>(rank) + 101 * step + micro + 1);
  const at::TensorOptions ids_opt = at::TensorOptions().dtype(at::kLong);
  const at::Tensor ids = at::randint(m.config().vocab_size, {2, 6}, gen, ids_opt).to(g_dist->device());
  const at::Tensor valid = at::ones({2, 6}, at::TensorOptions().dtype(at::kBool).device(g_dist->device()));
  const at::Tensor hidden = m.hidden(ids, training_forward_options(valid, checkpoint));
  const bool head = micro + 1 < kMicro || step % 2 == 1;
  if (head) {
    const at::Tensor targets = at::randint(m.config().vocab_size, {2, 6}, gen, ids_opt).to(g_dist->device());
    return -token_logprobs(m, hidden, targets, /*chunk_tokens=*/5).sum() / 24.0;
  }
  return (hidden * at::randn(hidden.sizes(), gen).to(g_dist->device())).sum() / 24.0;
}

struct OverlapCase {
  bool overlap;
  bool checkpoint;
};
std::string case_name(const ::testing::TestParamInfo<OverlapCase>& info) {
  return std::string(info.param.overlap ? "Overlap" : "AfterBackward") + (info.param.checkpoint ? "Checkpointed" : "");
}

class GradReducerSums : public ::testing::TestWithParam<OverlapCase> {};

// Two steps of three micro-batches (gradients accumulate): the reducer's sums equal
// all_reduce_sum of the same gradients bit for bit (at most two ranks: a sum of two is the same
// in any order), and with overlap every bucket has started before backward returns, the first
// one long before (lm_head's bucket: first to be final, or not reached at all).
TEST_P(GradReducerSums, EqualAllReduceSum) {
  const auto [overlap, checkpoint] = GetParam();
  Dist& d = *g_dist;
  auto m = untied_tiny();
  const NamedTensors params(m->parameters().begin(), m->parameters().end());
  d.set_bucket_bytes(16 << 10);  // 16 KiB: lm_head alone, then a few parameters per bucket
  GradReducer reducer(d, params, overlap);
  d.set_bucket_bytes(Dist::kDefaultBucketBytes);
  const size_t n_buckets = reducer.buckets().size();
  ASSERT_GT(n_buckets, 4u);
  ASSERT_EQ(reducer.buckets()[0].params, (std::vector<size_t>{params.size() - 1})) << "lm_head alone, first";
  for (int step = 0; step < 2; ++step) {
    zero_grad(params);
    for (int micro = 0; micro < kMicro; ++micro) {
      const at::Tensor loss = micro_loss(*m, d.rank(), step, micro, checkpoint);
      const bool last = micro + 1 == kMicro;
      if (last) reducer.arm(loss);
      loss.backward();
      if (!last) continue;
      if (overlap) {
        EXPECT_EQ(reducer.started_in_backward(), static_cast<int64_t>(n_buckets)) << "step " << step;
        const std::vector<int64_t> ready = reducer.ready_when_started();
        ASSERT_EQ(ready.size(), n_buckets);
        EXPECT_EQ(ready[0], 1) << "step " << step << ": lm_head's bucket waited for other gradients";
        EXPECT_EQ(ready.back(), static_cast<int64_t>(params.size()));
      } else {
        EXPECT_EQ(reducer.started_in_backward(), 0);
      }
      reducer.start_remaining();
    }
    EXPECT_EQ(params.back().second.grad().defined(), true) << "lm_head had gradients from earlier micro-batches";
    std::vector<at::Tensor> want;
    for (const auto& [name, p] : params) want.push_back(p.grad().defined() ? p.grad().clone() : at::zeros_like(p));
    d.all_reduce_sum(want);  // a blocking collective while the reducer's are in flight: allowed
    reducer.finish();
    for (size_t i = 0; i < params.size(); ++i) {
      ASSERT_TRUE(params[i].second.grad().defined()) << params[i].first;
      EXPECT_TRUE(at::equal(params[i].second.grad(), want[i])) << "step " << step << " " << params[i].first;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dist, GradReducerSums,
                         ::testing::Values(OverlapCase{true, false}, OverlapCase{true, true}, OverlapCase{false, false},
                                           OverlapCase{false, true}),
                         case_name);

// On two ranks, the reduced gradients equal those of one process that runs every rank's
// micro-batches itself (what one rank does at the same global batch), within fp32 rounding.
TEST(GradReducerSums, EqualOneProcessOverAllMicroBatches) {
  Dist& d = *g_dist;
  auto m = untied_tiny();
  const NamedTensors params(m->parameters().begin(), m->parameters().end());
  std::vector<at::Tensor> want;
  for (int r = 0; r < d.world_size(); ++r)
    for (int micro = 0; micro < kMicro; ++micro) micro_loss(*m, r, 0, micro, true).backward();
  for (const auto& [name, p] : params) want.push_back(p.grad().clone());
  zero_grad(params);
  GradReducer reducer(d, params, /*overlap=*/true);
  for (int micro = 0; micro < kMicro; ++micro) {
    const at::Tensor loss = micro_loss(*m, d.rank(), 0, micro, true);
    if (micro + 1 == kMicro) reducer.arm(loss);
    loss.backward();
  }
  reducer.start_remaining();
  reducer.finish();
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor got = params[i].second.grad().cpu(), w = want[i].cpu();
    EXPECT_TRUE(at::allclose(got, w, 1e-5, 1e-6)) << params[i].first << ": max diff " << (got - w).abs().max();
  }
}

// ---- sharded gradients (ZeRO-2) ----------------------------------------------------------------

// Buckets per owner: every bucket holds parameters of one owner only, and every parameter with
// elements is in exactly one bucket.
TEST(GradBuckets, PerOwnerWhenSharded) {
  const NamedTensors params = shapes({{{4}, at::kFloat}, {{2, 3}, at::kFloat}, {{5}, at::kFloat}, {{3}, at::kFloat}});
  const std::vector<int> owners = {0, 1, 0, 1};
  const std::vector<GradBucket> b = assign_grad_buckets(params, Dist::kDefaultBucketBytes, owners);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].owner, 1);  // opened first: the last parameter's owner
  EXPECT_EQ(b[0].params, (std::vector<size_t>{3, 1}));
  EXPECT_EQ(b[1].owner, 0);
  EXPECT_EQ(b[1].params, (std::vector<size_t>{2, 0}));
  EXPECT_EQ(b[1].offsets, (std::vector<int64_t>{0, 5}));
  EXPECT_THROW(assign_grad_buckets(params, 64, {0, 1}), Error);
}

// Two steps of three micro-batches, reduced into owners' shards after every micro-batch: after each
// finish() no parameter holds a gradient and no bucket buffer is left; the installed shards equal
// all_reduce_sum of each micro-batch's gradients, added up in micro-batch order, bit for bit (a sum
// of two is the same in any order; at most two ranks run this); non-owned parameters get none.
class GradReducerSharded : public ::testing::TestWithParam<OverlapCase> {};

TEST_P(GradReducerSharded, ShardsEqualAllReduceSum) {
  const auto [overlap, checkpoint] = GetParam();
  Dist& d = *g_dist;
  auto m = untied_tiny();
  const NamedTensors params(m->parameters().begin(), m->parameters().end());
  const std::vector<int> owners = zero_owners(params, d.world_size());
  d.set_bucket_bytes(16 << 10);
  GradReducer reducer(d, params, overlap, owners);
  d.set_bucket_bytes(Dist::kDefaultBucketBytes);
  ASSERT_GT(reducer.buckets().size(), GradReducer::kMaxInFlight + 2);
  int64_t grad_bytes = 0;
  for (const auto& [name, p] : params) grad_bytes += static_cast<int64_t>(p.nbytes());
  for (int step = 0; step < 2; ++step) {
    std::vector<at::Tensor> want(params.size());
    for (int micro = 0; micro < kMicro; ++micro) {
      zero_grad(params);
      micro_loss(*m, d.rank(), step, micro, checkpoint).backward();
      std::vector<at::Tensor> sums;
      for (const auto& [name, p] : params) sums.push_back(p.grad().defined() ? p.grad().clone() : at::zeros_like(p));
      d.all_reduce_sum(sums);
      for (size_t i = 0; i < params.size(); ++i) want[i] = micro == 0 ? sums[i] : want[i].add_(sums[i]);
    }
    zero_grad(params);
    for (int micro = 0; micro < kMicro; ++micro) {
      const at::Tensor loss = micro_loss(*m, d.rank(), step, micro, checkpoint);
      reducer.arm(loss);
      loss.backward();
      reducer.start_remaining();
      reducer.finish();
      for (const auto& [name, p] : params) EXPECT_FALSE(p.grad().defined()) << name << " kept a gradient";
      EXPECT_EQ(reducer.buffer_bytes(), 0);
    }
    EXPECT_LT(reducer.peak_buffer_bytes(), grad_bytes) << "the bucket buffers held the whole gradient at once";
    reducer.install_shards();
    for (size_t i = 0; i < params.size(); ++i) {
      const at::Tensor& g = params[i].second.grad();
      if (owners[i] != d.rank()) {
        EXPECT_FALSE(g.defined()) << params[i].first << " is not this rank's";
        continue;
      }
      ASSERT_TRUE(g.defined()) << params[i].first;
      EXPECT_TRUE(at::equal(g, want[i])) << "step " << step << " " << params[i].first << ": max diff "
                                         << (g - want[i]).abs().max();
    }
    zero_grad(params);
  }
}

INSTANTIATE_TEST_SUITE_P(Dist, GradReducerSharded,
                         ::testing::Values(OverlapCase{true, false}, OverlapCase{true, true},
                                           OverlapCase{false, false}),
                         case_name);

// Reduced into root only: root gets the sum; the others' buffers are not checked.
TEST(Dist, StartReduceSumIntoRoot) {
  Dist& d = *g_dist;
  for (int root = 0; root < d.world_size(); ++root) {
    at::Tensor f32 = on_device(rank_values(d.rank(), {300}, at::kFloat, 60));
    at::Tensor bf16 = on_device(rank_values(d.rank(), {17}, at::kBFloat16, 61));
    auto a = d.start_reduce_sum(f32, root);
    auto b = d.start_reduce_sum(bf16, root);
    b->finish();
    a->finish();
    if (d.rank() != root) continue;
    at::Tensor want_f = at::zeros({300}, at::kDouble), want_b = at::zeros({17}, at::kDouble);
    for (int r = 0; r < d.world_size(); ++r) {
      want_f += rank_values(r, {300}, at::kFloat, 60).to(at::kDouble);
      want_b += rank_values(r, {17}, at::kBFloat16, 61).to(at::kDouble);
    }
    expect_same(f32, want_f.to(at::kFloat), "f32 into root " + std::to_string(root));
    expect_same(bf16, want_b.to(at::kBFloat16), "bf16 into root " + std::to_string(root));
  }
  EXPECT_THROW(d.start_reduce_sum(on_device(at::zeros({4})), d.world_size()), Error);
}

// ---- StageTrainer -----------------------------------------------------------------------------

struct TinyRun {
  bool checkpoint = false;
  bool overlap = true;
  int zero_stage = 0;
  int micro = kMicro;  // micro-batches per step on every rank
  int steps = 3;
};

RunConfig tiny_run_config(const TinyRun& r) {
  RunConfig config;
  config.model.activation_checkpointing = r.checkpoint;
  config.optim.overlap_allreduce = r.overlap;
  config.optim.zero_stage = r.zero_stage;
  config.sft.lr = 1e-3;
  config.sft.warmup_steps = 0;
  config.sft.weight_decay = 0.01;
  config.sft.grad_clip = 0.05;    // small enough to clip
  config.data.general_ratio = 0;  // resolved as RunConfig::from_yaml_string resolves its -1 default
  return config;
}

// Steps [first, last) of StageTrainer on the untied tiny model, with clipping and weight decay.
void train_steps(StageTrainer& trainer, const Transformer& m, const TinyRun& r, int first, int last) {
  for (int step = first; step < last; ++step) {
    for (int micro = 0; micro < r.micro; ++micro)
      trainer.backward(micro_loss(m, g_dist->rank(), step, micro, r.checkpoint), micro + 1 == r.micro);
    const double norm = trainer.apply_gradients();
    EXPECT_GT(norm, 0.05) << "step " << step << " was not clipped";
  }
}

std::vector<at::Tensor> params_of(const Transformer& m) {
  std::vector<at::Tensor> out;
  for (const auto& [name, p] : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

// The parameters after r.steps steps, 16 KiB gradient buckets.
std::vector<at::Tensor> train_tiny(const TinyRun& r) {
  const RunConfig config = tiny_run_config(r);
  auto m = untied_tiny();
  g_dist->set_bucket_bytes(16 << 10);
  {
    StageTrainer trainer(config, *g_dist, *m, Stage::sft, config.sft);
    g_dist->set_bucket_bytes(Dist::kDefaultBucketBytes);
    train_steps(trainer, *m, r, 0, r.steps);
  }
  return params_of(*m);
}

void expect_params(const std::vector<at::Tensor>& got, const std::vector<at::Tensor>& want, double tol,
                   const std::string& what) {
  const auto initial = untied_tiny();
  const NamedTensors& names = initial->parameters();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const bool ok = tol == 0 ? at::equal(got[i], want[i]) : at::allclose(got[i], want[i], 0, tol);
    EXPECT_TRUE(ok) << what << ": " << names[i].first << ": max diff " << (got[i] - want[i]).abs().max();
    EXPECT_FALSE(at::equal(got[i], names[i].second)) << names[i].first << " did not move";
  }
}

struct TrainerCase {
  bool checkpoint;
  int zero_stage;
};

class GradOverlapTrainer : public ::testing::TestWithParam<TrainerCase> {};

// StageTrainer, three steps of three micro-batches with clipping and weight decay: overlapping the
// all-reduce with backward gives the parameters of reducing after backward, bit for bit.
TEST_P(GradOverlapTrainer, SameParametersAsAfterBackward) {
  const auto [checkpoint, zero_stage] = GetParam();
  Dist& d = *g_dist;
  if (d.world_size() == 1) GTEST_SKIP() << "one rank does not all-reduce";
  auto run = [&](bool overlap) { return train_tiny({checkpoint, overlap, zero_stage}); };
  expect_params(run(true), run(false), 0, "overlapped vs after backward");
}

INSTANTIATE_TEST_SUITE_P(Dist, GradOverlapTrainer,
                         ::testing::Values(TrainerCase{false, 0}, TrainerCase{true, 0}, TrainerCase{true, 1},
                                           TrainerCase{false, 2}, TrainerCase{true, 2}),
                         [](const auto& info) {
                           return std::string(info.param.checkpoint ? "Checkpointed" : "Plain") + "Zero" +
                                  std::to_string(info.param.zero_stage);
                         });

// ZeRO-2 against the replicated optimizer (zero_stage 0), three steps with clipping and weight
// decay. One micro-batch per step: the same sums in the same order (a reduce into the owner adds
// the same two numbers as the all-reduce; the norm is summed in parameter order from exact
// per-parameter squares), so bit for bit. Three micro-batches: ZeRO-2 reduces each micro-batch
// and adds the sums, the replicated run adds the micro-batches first, so within fp32 rounding.
TEST(Zero2Trainer, SameParametersAsReplicated) {
  if (g_dist->world_size() == 1) GTEST_SKIP() << "one rank does not shard";
  expect_params(train_tiny({false, true, 2, 1}), train_tiny({false, true, 0, 1}), 0, "one micro-batch");
  expect_params(train_tiny({false, true, 2, kMicro}), train_tiny({false, true, 0, kMicro}), 1e-6,
                "three micro-batches");
}

// A directory every rank sees (rank 0 makes it), removed at the end.
struct SharedDir {
  std::string path;
  SharedDir() {
    if (g_dist->is_root()) {
      std::string templ = (std::filesystem::temp_directory_path() / "spct-zero-XXXXXX").string();
      if (mkdtemp(templ.data())) path = templ;
    }
    path = g_dist->all_gather_strings(path)[0];
  }
  ~SharedDir() {
    g_dist->barrier();
    if (g_dist->is_root() && !path.empty()) std::filesystem::remove_all(path);
  }
};

// A checkpoint written after two steps with one ZeRO stage continues with another (optimizer
// state re-sharded or gathered) and gives, after four steps, the parameters of four uninterrupted
// ZeRO-2 steps bit for bit (one micro-batch per step: the stages agree bit for bit).
TEST(Zero2Trainer, ResumeOntoAnotherStage) {
  Dist& d = *g_dist;
  if (d.world_size() == 1) GTEST_SKIP() << "one rank does not shard";
  const TinyRun base{false, true, 2, 1, 4};
  const std::vector<at::Tensor> want = train_tiny(base);
  for (auto [from, to] : {std::pair{2, 0}, std::pair{0, 2}}) {
    SharedDir dir;
    ASSERT_FALSE(dir.path.empty());
    auto model_for = [&](int stage, RunConfig& config) {
      TinyRun r = base;
      r.zero_stage = stage;
      config = tiny_run_config(r);
      config.model.path = dir.path + "/model";
      config.checkpoint.dir = dir.path + "/checkpoints";
      return r;
    };
    {
      RunConfig config;
      const TinyRun r = model_for(from, config);
      auto m = untied_tiny();
      if (d.is_root()) {
        std::filesystem::create_directories(config.model.path);
        std::ofstream(config.model.path + "/config.json") << m->config().to_hf_json("float32").dump(2);
      }
      StageTrainer trainer(config, d, *m, Stage::sft, config.sft);
      train_steps(trainer, *m, r, 0, 2);
      trainer.save_checkpoint(nlohmann::json::object());
    }
    RunConfig config;
    const TinyRun r = model_for(to, config);
    auto m = untied_tiny();
    StageTrainer trainer(config, d, *m, Stage::sft, config.sft);
    ASSERT_TRUE(trainer.resume());
    EXPECT_EQ(trainer.step(), 2);
    train_steps(trainer, *m, r, 2, 4);
    expect_params(params_of(*m), want, 0, "zero_stage " + std::to_string(from) + " then " + std::to_string(to));
  }
}

// Prints failures from ranks other than 0 (rank 0 has gtest's printer) and ends the job when a
// test fails on this rank.
class RankListener : public ::testing::EmptyTestEventListener {
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (result.failed() && !g_dist->is_root())
      std::fprintf(stderr, "[rank %d] %s:%d: failure\n%s\n", g_dist->rank(),
                   result.file_name() ? result.file_name() : "?", result.line_number(), result.summary());
  }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result()->Failed() && g_dist->world_size() > 1)
      g_dist->abort(std::string("test ") + info.test_suite_name() + "." + info.name() +
                    " failed on this rank; ending the job so no rank waits in a collective");
  }
};

// The failure drill: the last rank aborts while the others wait in a barrier that it never
// reaches. The job must end with a non-zero status instead of hanging.
int abort_on_last_rank(Dist& d) {
  if (d.rank() == d.world_size() - 1) d.abort("deliberate abort from test_dist");
  d.barrier();
  std::fprintf(stderr, "rank %d passed a barrier the last rank never reached\n", d.rank());
  return 0;
}

// The NCCL watchdog drill: the last rank skips an all-reduce the others queue, so their GPU
// kernels wait forever; the watchdog must end the job after SPCT_NCCL_TIMEOUT_S.
int skip_collective_on_last_rank(Dist& d) {
  if (d.rank() != d.world_size() - 1) {
    at::Tensor t = at::ones({1024}, at::TensorOptions(d.device()));
    d.all_reduce_sum(t);
  }
  d.barrier();
  std::fprintf(stderr, "rank %d finished an all-reduce the last rank never joined\n", d.rank());
  return 0;
}

}  // namespace
}  // namespace spct

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto has = [&](const char* flag) { return std::find(args.begin(), args.end(), flag) != args.end(); };
  std::unique_ptr<spct::Dist> dist = spct::make_dist(/*use_gpu=*/has("--gpu"));
  spct::g_dist = dist.get();
  if (has("--abort-on-last-rank")) return spct::abort_on_last_rank(*dist);
  if (has("--skip-collective-on-last-rank")) return spct::skip_collective_on_last_rank(*dist);
  ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (!dist->is_root()) delete listeners.Release(listeners.default_result_printer());
  listeners.Append(new spct::RankListener);
  at::Tensor failed = at::tensor(std::vector<int64_t>{RUN_ALL_TESTS() != 0 ? 1 : 0}).to(dist->device());
  dist->all_reduce_max(failed);  // every rank exits with the job's verdict
  spct::g_dist = nullptr;
  const int rc = failed.item<int64_t>() != 0 ? 1 : 0;
  dist.reset();  // finalizes MPI
  return rc;
}
