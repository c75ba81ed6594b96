// trainer/losses against the pure-Python float64 references in tests/fixtures/losses (written by
// scripts/make_loss_fixtures.py): losses, normalizers, metrics and the autograd gradient with
// respect to the logits. Tolerance: 1e-6 absolute (relative above magnitude 1), float32 against
// float64; a sum of n terms gets n times that. Also: the chunked token_logprobs equals the full
// forward on the fixture model, in value and gradient.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_util.h"
#include "core/hf_io.h"
#include "core/torch_compat.h"
#include "trainer/loss/losses.h"
#include "tests/loss_fixtures.h"

namespace spct {
namespace {

using nlohmann::json;
constexpr double kTol = test::kLossTol;
using test::loss_fixture;

void flatten(const json& j, std::vector<double>& values, std::vector<int64_t>& shape, size_t depth) {
  if (!j.is_array()) {
    values.push_back(j.is_boolean() ? double(j.get<bool>()) : j.get<double>());
    return;
  }
  if (shape.size() == depth) shape.push_back(static_cast<int64_t>(j.size()));
  for (const json& x : j) flatten(x, values, shape, depth + 1);
}

// A nested JSON array (or number) as a tensor of the given dtype.
at::Tensor tensor_of(const json& j, at::ScalarType dtype) {
  std::vector<double> values;
  std::vector<int64_t> shape;
  flatten(j, values, shape, 0);
  return at::tensor(values, at::kDouble).view(shape).to(dtype);
}

void expect_close(const at::Tensor& got, const json& want, const std::string& what) {
  const at::Tensor ref = tensor_of(want, at::kDouble);
  ASSERT_EQ(got.sizes(), ref.sizes()) << what;
  const double err = (got.detach().to(at::kDouble) - ref).abs().max().item<double>();
  EXPECT_LE(err, kTol) << what;
}

void expect_near(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, kTol * std::max(1.0, std::abs(want))) << what;
}

// A sum of n per-token (or per-sequence) terms: kTol for each term it adds up.
void expect_sum_near(double got, double want, int64_t n, const std::string& what) {
  EXPECT_NEAR(got, want, kTol * double(std::max<int64_t>(1, n))) << what;
}

double value(const at::Tensor& t) { return t.item<double>(); }

// ---- SFT ----------------------------------------------------------------------------------

TEST(LossSft, MatchesReferenceWithMasking) {
  const json f = loss_fixture("sft.json");
  at::Tensor logits = tensor_of(f["logits"], at::kFloat).requires_grad_(true);  // (B, T, V)
  const at::Tensor targets = tensor_of(f["targets"], at::kLong);                // (B, T)
  const at::Tensor mask = tensor_of(f["mask"], at::kBool);                      // (B, T)
  const LossSum loss = sft_loss_sum(logprobs_from_logits(logits, targets), mask);
  expect_sum_near(value(loss.sum), f["sum"].get<double>(), loss.normalizer, "sum");
  EXPECT_EQ(loss.normalizer, f["count"].get<int64_t>());
  expect_near(value(loss.mean()), f["loss"].get<double>(), "mean");
  loss.mean().backward();
  expect_close(logits.grad(), f["grad_logits"], "grad wrt logits");
}

TEST(LossSft, MeanFormEqualsSumOverNormalizer) {
  const json f = loss_fixture("sft.json");
  const at::Tensor logp = logprobs_from_logits(tensor_of(f["logits"], at::kFloat), tensor_of(f["targets"], at::kLong));
  expect_near(value(sft_loss(logp, tensor_of(f["mask"], at::kBool))), f["loss"].get<double>(), "sft_loss");
}

TEST(LossSft, InfiniteLogprobOnMaskedTokenStaysOut) {
  at::Tensor logp = at::full({2, 3}, -0.5, at::kFloat);
  logp.index_put_({0, 0}, -INFINITY);
  logp.requires_grad_(true);
  const at::Tensor mask = at::tensor({0, 1, 1, 1, 1, 0}, at::kLong).to(at::kBool).view({2, 3});
  const at::Tensor loss = sft_loss(logp, mask);
  loss.backward();
  EXPECT_NEAR(value(loss), 0.5, 1e-7);
  EXPECT_TRUE(at::isfinite(logp.grad()).all().item<bool>());
  EXPECT_EQ(value(logp.grad()[0][0]), 0.0);
}

TEST(LossSft, SumOverGlobalNormalizerAccumulatesLikeOneBatch) {
  const json f = loss_fixture("sft.json");
  at::Tensor logits = tensor_of(f["logits"], at::kFloat).requires_grad_(true);
  const at::Tensor targets = tensor_of(f["targets"], at::kLong);
  const at::Tensor mask = tensor_of(f["mask"], at::kBool);
  // Micro-batches of rows {0} and {1, 2}, normalized by the count of both (as across ranks).
  const int64_t global = loss_normalizer(mask.narrow(0, 0, 1), LossAgg::token_mean) +
                         loss_normalizer(mask.narrow(0, 1, 2), LossAgg::token_mean);
  for (auto [start, n] : {std::pair<int64_t, int64_t>{0, 1}, {1, 2}}) {
    const at::Tensor logp = logprobs_from_logits(logits.narrow(0, start, n), targets.narrow(0, start, n));
    (sft_loss_sum(logp, mask.narrow(0, start, n)).sum / double(global)).backward();
  }
  expect_close(logits.grad(), f["grad_logits"], "accumulated grad");
}

// ---- GRPO ---------------------------------------------------------------------------------

KlEstimator estimator_of(const std::string& name) {
  return name == "k1" ? KlEstimator::k1 : name == "k2" ? KlEstimator::k2 : KlEstimator::k3;
}

GrpoLossOptions options_of(const json& o) {
  GrpoLossOptions opt;
  opt.beta = o["beta"].get<double>();
  opt.kl_estimator = estimator_of(o["kl_estimator"].get<std::string>());
  opt.clip_eps_low = o["clip_eps"].get<double>();
  opt.clip_eps_high = o["clip_eps_high"].get<double>();
  opt.loss_agg = o["loss_agg"].get<std::string>() == "token_mean" ? LossAgg::token_mean : LossAgg::seq_mean;
  return opt;
}

json grpo_case(const std::string& name) {
  for (const json& c : loss_fixture("grpo.json"))
    if (c["name"] == name) return c;
  throw_error("no GRPO fixture case ", name);
}

struct GrpoInputs {
  at::Tensor logits, targets, mask, old_logp, ref_logp;
  GroupAdvantages adv;
};

GrpoInputs grpo_inputs(const json& c) {
  GrpoInputs in;
  const json& o = c["options"];
  in.logits = tensor_of(c["logits"], at::kFloat).requires_grad_(true);  // (B, T, V)
  in.targets = tensor_of(c["targets"], at::kLong);                      // (B, T)
  in.old_logp = tensor_of(c["old_logp"], at::kFloat);                   // (B, T), 1000 where masked
  in.ref_logp = tensor_of(c["ref_logp"], at::kFloat);                   // (B, T)
  in.adv = group_advantages(tensor_of(c["rewards"], at::kFloat), o["group_size"].get<int64_t>(),
                            o["scale_by_std"].get<bool>(), o["eps"].get<double>());
  in.mask = tensor_of(c["mask"], at::kBool);
  if (c["drop_zero_variance"].get<bool>()) in.mask = in.mask & in.adv.zero_variance.logical_not().unsqueeze(1);
  return in;
}

class LossGrpo : public ::testing::TestWithParam<std::string> {};

TEST_P(LossGrpo, MatchesReference) {
  const json c = grpo_case(GetParam());
  GrpoInputs in = grpo_inputs(c);
  expect_close(in.adv.advantages, c["advantages"], "advantages");
  EXPECT_TRUE(at::equal(in.adv.zero_variance, tensor_of(c["zero_variance"], at::kBool)));

  const at::Tensor logp = logprobs_from_logits(in.logits, in.targets);
  const GrpoLoss loss =
      grpo_loss_sum(logp, in.old_logp, in.ref_logp, in.adv.advantages, in.mask, options_of(c["options"]));
  expect_sum_near(value(loss.loss.sum), c["sum"].get<double>(), loss.loss.normalizer, "sum");
  EXPECT_EQ(loss.loss.normalizer, c["normalizer"].get<int64_t>());
  expect_near(value(loss.loss.mean()), c["loss"].get<double>(), "loss");
  const json& m = c["metrics"];
  expect_sum_near(loss.metrics.pg_sum, m["pg_sum"].get<double>(), loss.metrics.tokens, "pg_sum");
  expect_sum_near(loss.metrics.kl_sum, m["kl_sum"].get<double>(), loss.metrics.tokens, "kl_sum");
  expect_sum_near(loss.metrics.ratio_sum, m["ratio_sum"].get<double>(), loss.metrics.tokens, "ratio_sum");
  EXPECT_EQ(loss.metrics.clipped_low, m["clipped_low"].get<int64_t>());
  EXPECT_EQ(loss.metrics.clipped_high, m["clipped_high"].get<int64_t>());
  EXPECT_EQ(loss.metrics.tokens, m["tokens"].get<int64_t>());
  EXPECT_DOUBLE_EQ(
      loss.metrics.clip_fraction(),
      double(m["clipped_low"].get<int64_t>() + m["clipped_high"].get<int64_t>()) / m["tokens"].get<double>());

  loss.loss.mean().backward();
  ASSERT_TRUE(in.logits.grad().defined());
  expect_close(in.logits.grad(), c["grad_logits"], "grad wrt logits");
}

INSTANTIATE_TEST_SUITE_P(Fixture, LossGrpo,
                         ::testing::Values("k1_token_mean", "k2_token_mean", "k3_token_mean", "k3_seq_mean", "dr_grpo",
                                           "clip_higher", "no_kl", "zero_variance_kept",
                                           "zero_variance_dropped_seq_mean", "seq_mean_empty_row"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Micro-batches of rows {0..2} and {3..7}, each backpropagating sum / global normalizer, give the
// gradient of the whole batch, for both aggregations.
void check_accumulation(const std::string& name) {
  const json c = grpo_case(name);
  GrpoInputs in = grpo_inputs(c);
  const GrpoLossOptions opt = options_of(c["options"]);
  const std::vector<std::pair<int64_t, int64_t>> parts{{0, 3}, {3, 5}};
  int64_t global = 0;
  for (auto [s, n] : parts) global += loss_normalizer(in.mask.narrow(0, s, n), opt.loss_agg);
  EXPECT_EQ(global, c["normalizer"].get<int64_t>());
  GrpoMetrics metrics;
  for (auto [s, n] : parts) {
    const at::Tensor logp = logprobs_from_logits(in.logits.narrow(0, s, n), in.targets.narrow(0, s, n));
    const GrpoLoss loss = grpo_loss_sum(logp, in.old_logp.narrow(0, s, n), in.ref_logp.narrow(0, s, n),
                                        in.adv.advantages.narrow(0, s, n), in.mask.narrow(0, s, n), opt);
    EXPECT_EQ(loss.loss.normalizer, loss_normalizer(in.mask.narrow(0, s, n), opt.loss_agg));
    (loss.loss.sum / double(global)).backward();
    metrics += loss.metrics;
  }
  expect_close(in.logits.grad(), c["grad_logits"], name + ": accumulated grad");
  expect_sum_near(metrics.pg_sum, c["metrics"]["pg_sum"].get<double>(), metrics.tokens, name + ": accumulated pg_sum");
  EXPECT_EQ(metrics.tokens, c["metrics"]["tokens"].get<int64_t>());
}

TEST(LossGrpoAccumulation, TokenMeanMicroBatchesEqualWholeBatch) { check_accumulation("k3_token_mean"); }
TEST(LossGrpoAccumulation, SeqMeanMicroBatchesEqualWholeBatch) { check_accumulation("seq_mean_empty_row"); }

TEST(LossGrpo, BetaNeedsReferenceLogprobs) {
  const at::Tensor lp = at::zeros({1, 2});
  const at::Tensor mask = at::ones({1, 2}, at::kBool);
  GrpoLossOptions opt;
  EXPECT_THROW(grpo_loss_sum(lp, lp, at::Tensor(), at::zeros({1}), mask, opt), Error);
  opt.beta = 0.0;
  EXPECT_NO_THROW(grpo_loss_sum(lp, lp, at::Tensor(), at::zeros({1}), mask, opt));
  EXPECT_THROW(grpo_loss_sum(lp, lp, lp, at::zeros({2}), mask, opt), Error);  // advantages not (B)
}

TEST(LossGrpo, OptionsFromConfigResolveClipHigh) {
  GrpoSection g;
  g.clip_eps = 0.2;
  g.clip_eps_high = 0.0;
  EXPECT_DOUBLE_EQ(grpo_loss_options(g).clip_eps_high, 0.2);
  g.clip_eps_high = 0.28;
  EXPECT_DOUBLE_EQ(grpo_loss_options(g).clip_eps_high, 0.28);
  EXPECT_DOUBLE_EQ(grpo_loss_options(g).clip_eps_low, 0.2);
}

TEST(LossGrpoAdvantages, StatsAndErrors) {
  const GroupAdvantages a = group_advantages(at::tensor({1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0}), 4, true);
  EXPECT_EQ(a.zero_variance_groups, 1);
  EXPECT_NEAR(a.max, 1.5, 1e-5);
  EXPECT_NEAR(a.min, -0.5, 1e-5);
  EXPECT_NEAR(a.mean, 0.0, 1e-7);
  EXPECT_THROW(group_advantages(at::zeros({6}), 4, true), Error);  // not whole groups
  EXPECT_THROW(group_advantages(at::zeros({3}), 1, true), Error);  // std of one is undefined
}

// ---- BCE ----------------------------------------------------------------------------------

TEST(LossBce, MatchesReference) {
  const json f = loss_fixture("bce.json");
  at::Tensor logits = tensor_of(f["logits"], at::kFloat).requires_grad_(true);  // (N)
  const LossSum loss = bce_loss_sum(logits, tensor_of(f["labels"], at::kFloat));
  expect_sum_near(value(loss.sum), f["sum"].get<double>(), loss.normalizer, "sum");
  EXPECT_EQ(loss.normalizer, f["count"].get<int64_t>());
  bce_loss(logits, tensor_of(f["labels"], at::kFloat)).backward();
  expect_close(logits.grad(), f["grad_logits"], "grad wrt logits");
}

// ---- chunked log-probs on the fixture model -------------------------------------------------

struct ModelRun {
  at::Tensor logprobs;            // (B, T)
  std::vector<at::Tensor> grads;  // one per parameter
};

TEST(LossTokenLogprobs, ChunkedEqualsFullForwardInValueAndGradient) {
  auto model = load_model(test::fixture_model("llama"));
  for (const auto& [name, p] : model->parameters()) p.requires_grad_(true);
  at::Generator g = compat::cpu_generator(7);
  const int64_t B = 2, T = 9, V = model->config().vocab_size;
  const at::Tensor ids = at::randint(3, V, {B, T}, g, at::kLong);
  const at::Tensor targets = at::randint(0, V, {B, T}, g, at::kLong);
  const at::Tensor weights = at::randn({B, T}, g, at::kFloat);

  // chunk 0: the reference, log_softmax of the whole (B, T, V) logits.
  auto run = [&](int64_t chunk, double temperature) {
    for (const auto& [name, p] : model->parameters())
      if (p.grad().defined()) p.mutable_grad().reset();
    const at::Tensor hidden = model->hidden(ids);
    ModelRun r;
    r.logprobs = chunk == 0 ? at::log_softmax(model->logits(hidden).to(at::kFloat) / temperature, -1)
                                  .gather(-1, targets.unsqueeze(-1))
                                  .squeeze(-1)
                            : token_logprobs(*model, hidden, targets, chunk, temperature);
    (r.logprobs * weights).sum().backward();
    for (const auto& [name, p] : model->parameters()) r.grads.push_back(p.grad().clone());
    return r;
  };
  for (double temperature : {1.0, 0.7}) {
    const ModelRun full = run(0, temperature);
    for (int64_t chunk : {int64_t{1}, int64_t{7}, B * T + 5}) {
      const ModelRun chunked = run(chunk, temperature);
      ASSERT_EQ(chunked.logprobs.sizes(), full.logprobs.sizes());
      EXPECT_LE((chunked.logprobs - full.logprobs).abs().max().item<double>(), 1e-6)
          << "chunk " << chunk << " temperature " << temperature;
      for (size_t i = 0; i < full.grads.size(); ++i) {
        const double scale = std::max(1.0, full.grads[i].abs().max().item<double>());
        EXPECT_LE((chunked.grads[i] - full.grads[i]).abs().max().item<double>(), 1e-5 * scale)
            << model->parameters()[i].first << " chunk " << chunk;
      }
    }
  }
}

TEST(LossTokenLogprobs, EntropyMatchesFullLogitsAndHasNoGrad) {
  auto model = load_model(test::fixture_model("llama"));
  at::Generator g = compat::cpu_generator(3);
  const at::Tensor ids = at::randint(3, model->config().vocab_size, {2, 5}, g, at::kLong);
  c10::NoGradGuard no_grad;
  const at::Tensor hidden = model->hidden(ids);
  const TokenLogprobs out = token_logprobs_and_entropy(*model, hidden, ids, 3);
  const at::Tensor full = entropy_from_logits(model->logits(hidden));
  EXPECT_LE((out.entropy - full).abs().max().item<double>(), 1e-5);
  EXPECT_FALSE(out.entropy.requires_grad());
  EXPECT_GT(out.entropy.min().item<double>(), 0.0);
  EXPECT_THROW(token_logprobs(*model, hidden, ids, 0), Error);
}

}  // namespace
}  // namespace spct
