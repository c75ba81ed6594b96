// trainer/optimizer and trainer/lr_schedule against the pure-Python float64 references in
// tests/fixtures/losses (scripts/make_loss_fixtures.py): AdamW over 3 steps with weight decay and
// bias correction, bf16 parameters with float32 masters, state save/load, gradient clipping and
// the schedule. Tolerance: 1e-6 absolute (relative above magnitude 1), float32 against float64.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_util.h"
#include "trainer/optim/lr_schedule.h"
#include "trainer/optim/optimizer.h"
#include "tests/loss_fixtures.h"

namespace spct {
namespace {

using nlohmann::json;
constexpr double kTol = test::kLossTol;
using test::loss_fixture;

// A flat JSON list of numbers as a tensor of the given shape and dtype.
at::Tensor tensor_of(const json& flat, at::IntArrayRef shape, at::ScalarType dtype = at::kFloat) {
  return at::tensor(flat.get<std::vector<double>>(), at::kDouble).view(shape).to(dtype);
}

void expect_close(const at::Tensor& got, const json& flat, const std::string& what) {
  const at::Tensor ref = tensor_of(flat, got.sizes(), at::kDouble);
  const double err = (got.detach().to(at::kDouble) - ref).abs().max().item<double>();
  EXPECT_LE(err, kTol * std::max(1.0, ref.abs().max().item<double>())) << what;
}

using test::error_of;

// The fixture's parameters "w" (2, 3) and "b" (3), as leaf tensors of dtype.
NamedTensors fixture_params(const json& f, at::ScalarType dtype) {
  NamedTensors params;
  for (const std::string name : {"w", "b"}) {
    const auto shape = f["options"]["shapes"][name].get<std::vector<int64_t>>();
    params.emplace_back(name, tensor_of(f["params"][name], shape, dtype).requires_grad_(true));
  }
  return params;
}

void set_grads(const NamedTensors& params, const json& grads) {
  for (const auto& [name, p] : params) p.mutable_grad() = tensor_of(grads[name], p.sizes(), p.scalar_type());
}

AdamWOptions fixture_options(const json& f, bool decay_1d) {
  AdamWOptions o;
  o.beta1 = f["options"]["beta1"].get<double>();
  o.beta2 = f["options"]["beta2"].get<double>();
  o.eps = f["options"]["eps"].get<double>();
  o.weight_decay = f["options"]["weight_decay"].get<double>();
  o.decay_1d = decay_1d;
  return o;
}

std::map<std::string, at::Tensor> state_map(const AdamW& opt) {
  std::map<std::string, at::Tensor> m;
  for (const auto& [name, t] : opt.state()) m[name] = t;
  return m;
}

void check_reference(bool decay_1d, const std::string& key) {
  const json f = loss_fixture("adamw.json");
  const NamedTensors params = fixture_params(f, at::kFloat);
  AdamW opt(params, fixture_options(f, decay_1d));
  EXPECT_TRUE(opt.decays("w"));
  EXPECT_EQ(opt.decays("b"), decay_1d);
  const json& want = f[key];
  for (size_t step = 0; step < 3; ++step) {
    set_grads(params, f["grads"][step]);
    opt.step(f["lrs"][step].get<double>());
    for (const auto& [name, p] : params)
      expect_close(p, want["params_after_step"][step][name], key + " step " + std::to_string(step + 1) + " " + name);
  }
  auto state = state_map(opt);
  EXPECT_EQ(state.at("step").item<int64_t>(), 3);
  EXPECT_EQ(state.count("master.w"), 0u);  // float32 params are their own master
  for (const std::string name : {"w", "b"}) {
    expect_close(state.at("exp_avg." + name), want["exp_avg"][name], "exp_avg." + name);
    expect_close(state.at("exp_avg_sq." + name), want["exp_avg_sq"][name], "exp_avg_sq." + name);
  }
}

TEST(AdamW, MatchesReferenceOverThreeStepsWithoutDecayOn1d) { check_reference(false, "decay_matrices_only"); }
TEST(AdamW, MatchesReferenceOverThreeStepsDecayingEverything) { check_reference(true, "decay_all"); }

TEST(AdamW, Bf16ParamsKeepFloat32MasterAndMatchFloat32Run) {
  const json f = loss_fixture("adamw.json");
  const NamedTensors bf16 = fixture_params(f, at::kBFloat16);  // fixture values are exact in bf16
  const NamedTensors f32 = fixture_params(f, at::kFloat);
  AdamW opt16(bf16, fixture_options(f, false));
  AdamW opt32(f32, fixture_options(f, false));
  for (size_t step = 0; step < 3; ++step) {
    set_grads(bf16, f["grads"][step]);
    set_grads(f32, f["grads"][step]);
    opt16.step(f["lrs"][step].get<double>());
    opt32.step(f["lrs"][step].get<double>());
  }
  auto state = state_map(opt16);
  for (size_t i = 0; i < bf16.size(); ++i) {
    const auto& [name, p] = bf16[i];
    const at::Tensor master = state.at("master." + name);
    EXPECT_EQ(master.scalar_type(), at::kFloat);
    EXPECT_EQ(state.at("exp_avg." + name).scalar_type(), at::kFloat);
    EXPECT_EQ(p.scalar_type(), at::kBFloat16);
    EXPECT_TRUE(at::equal(master, f32[i].second.detach())) << name << ": master follows the float32 run";
    EXPECT_TRUE(at::equal(p.detach(), master.to(at::kBFloat16))) << name << ": param is the master rounded";
  }
}

TEST(AdamW, StateRoundTripContinuesIdentically) {
  const json f = loss_fixture("adamw.json");
  const NamedTensors a = fixture_params(f, at::kBFloat16);
  AdamW opt_a(a, fixture_options(f, false));
  for (size_t step = 0; step < 2; ++step) {
    set_grads(a, f["grads"][step]);
    opt_a.step(f["lrs"][step].get<double>());
  }
  NamedTensors saved;
  for (const auto& [name, t] : opt_a.state()) saved.emplace_back(name, t.clone());

  const NamedTensors b = fixture_params(f, at::kBFloat16);  // fresh params: load sets them from masters
  AdamW opt_b(b, fixture_options(f, false));
  opt_b.load_state(saved);
  EXPECT_EQ(opt_b.steps(), 2);
  set_grads(a, f["grads"][2]);
  set_grads(b, f["grads"][2]);
  opt_a.step(f["lrs"][2].get<double>());
  opt_b.step(f["lrs"][2].get<double>());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(at::equal(a[i].second, b[i].second)) << a[i].first;
}

TEST(AdamW, LoadStateRejectsMismatchesAndChangesNothing) {
  const json f = loss_fixture("adamw.json");
  const NamedTensors params = fixture_params(f, at::kBFloat16);
  AdamW opt(params, fixture_options(f, false));
  auto with = [&](const std::string& name, const at::Tensor& t) {
    NamedTensors s;
    for (const auto& [n, v] : opt.state()) s.emplace_back(n, n == name ? t : v.clone());
    return s;
  };
  EXPECT_NE(error_of([&] {
              opt.load_state(with("exp_avg.w", at::zeros({3, 2})));
            }).find("'exp_avg.w' has shape"),
            std::string::npos);
  EXPECT_NE(error_of([&] { opt.load_state(with("master.b", at::zeros({3}, at::kDouble))); }).find("dtype"),
            std::string::npos);
  EXPECT_NE(error_of([&] { opt.load_state(with("step", at::ones({}, at::kLong) * 5.0)); }).find("'step'"),
            std::string::npos);
  NamedTensors missing = opt.state();
  missing.pop_back();
  EXPECT_NE(error_of([&] { opt.load_state(missing); }).find("missing"), std::string::npos);
  NamedTensors extra = opt.state();
  extra.emplace_back("exp_avg.lm_head.weight", at::zeros({1}));
  EXPECT_NE(error_of([&] { opt.load_state(extra); }).find("unexpected 'exp_avg.lm_head.weight'"), std::string::npos);
  NamedTensors bad_later = with("exp_avg_sq.b", at::zeros({4}));
  bad_later[1].second.fill_(7.0);  // exp_avg.w: valid, but must not be applied
  EXPECT_THROW(opt.load_state(bad_later), Error);
  EXPECT_EQ(state_map(opt).at("exp_avg.w").abs().sum().item<double>(), 0.0);
  EXPECT_EQ(opt.steps(), 0);
}

TEST(AdamW, ShardUpdatesOnlyItsParameters) {
  const json f = loss_fixture("adamw.json");
  const NamedTensors params = fixture_params(f, at::kFloat);
  const at::Tensor b_before = params[1].second.detach().clone();
  AdamW shard({params[0]}, fixture_options(f, false));  // ZeRO-1 style: this rank owns "w"
  set_grads(params, f["grads"][0]);
  shard.step(1e-2);
  EXPECT_TRUE(at::equal(params[1].second, b_before));
  EXPECT_FALSE(at::equal(params[0].second, tensor_of(f["params"]["w"], {2, 3})));
  EXPECT_EQ(shard.state().size(), 3u);  // step, exp_avg.w, exp_avg_sq.w
  EXPECT_THROW(shard.decays("b"), Error);
}

TEST(AdamW, RejectsBadParameters) {
  EXPECT_THROW(AdamW({{"x", at::zeros({2}, at::kDouble)}}, {}), Error);
  EXPECT_THROW(AdamW({{"x", at::zeros({2})}, {"x", at::zeros({2})}}, {}), Error);
}

// ---- gradient clipping ---------------------------------------------------------------------

NamedTensors clip_params(const json& f) {
  NamedTensors params;
  const std::map<std::string, std::vector<int64_t>> shapes{{"a", {3}}, {"b", {2, 2}}, {"c", {1}}};
  for (const auto& [name, shape] : shapes) {
    json flat = json::array();
    for (const json& x : f["grads"][name]) {
      if (x.is_array()) {
        for (const json& y : x) flat.push_back(y);
      } else {
        flat.push_back(x);
      }
    }
    at::Tensor p = at::zeros(shape).requires_grad_(true);
    p.mutable_grad() = tensor_of(flat, shape);
    params.emplace_back(name, p);
  }
  return params;
}

TEST(ClipGradNorm, MatchesReference) {
  const json f = loss_fixture("clip.json");
  for (const json& c : f["cases"]) {
    const NamedTensors params = clip_params(f);
    const GradNorm n = clip_grad_norm(params, c["max_norm"].get<double>());
    EXPECT_NEAR(n.norm, f["norm"].get<double>(), kTol * f["norm"].get<double>());
    EXPECT_TRUE(n.finite);
    EXPECT_NEAR(n.scale, c["scale"].get<double>(), kTol);
    for (const auto& [name, p] : params) expect_close(p.grad(), c["clipped"][name], "clipped grad " + name);
  }
}

TEST(ClipGradNorm, AllReduceReceivesTheSquaredNorm) {
  const json f = loss_fixture("clip.json");
  const NamedTensors params = clip_params(f);
  double seen = 0.0;
  // Two ranks holding equal shards: the global squared norm doubles.
  const GradNorm n = clip_grad_norm(params, 0.0, [&](at::Tensor& sq) {
    seen = sq.item<double>();
    sq.mul_(2.0);
  });
  const double norm = f["norm"].get<double>();
  EXPECT_NEAR(seen, norm * norm, kTol * norm * norm);
  EXPECT_NEAR(n.norm, std::sqrt(2.0) * norm, kTol * norm);
  EXPECT_EQ(n.scale, 1.0);  // max_norm 0: measure only
}

TEST(ClipGradNorm, NonFiniteNormIsReportedNotClipped) {
  const json f = loss_fixture("clip.json");
  for (double bad : {double(INFINITY), double(NAN)}) {
    const NamedTensors params = clip_params(f);
    params[0].second.mutable_grad().index_put_({1}, bad);
    const at::Tensor before = params[1].second.grad().clone();
    const GradNorm n = clip_grad_norm(params, 1.0);
    EXPECT_FALSE(n.finite);
    EXPECT_FALSE(std::isfinite(n.norm));
    EXPECT_EQ(n.scale, 1.0);
    EXPECT_TRUE(at::equal(params[1].second.grad(), before));
  }
}

TEST(ClipGradNorm, ZeroGradDropsGrads) {
  const NamedTensors params = clip_params(loss_fixture("clip.json"));
  zero_grad(params);
  for (const auto& [name, p] : params) EXPECT_FALSE(p.grad().defined()) << name;
  EXPECT_EQ(clip_grad_norm(params, 1.0).norm, 0.0);
}

// ---- LR schedule -----------------------------------------------------------------------------

TEST(LrSchedule, MatchesReference) {
  for (const json& c : loss_fixture("schedule.json")) {
    LrScheduleOptions o;
    o.lr = c["options"]["lr"].get<double>();
    o.warmup_steps = c["options"]["warmup_steps"].get<int64_t>();
    o.total_steps = c["options"]["total_steps"].get<int64_t>();
    o.schedule = c["options"]["schedule"].get<std::string>() == "cosine" ? LrSchedule::cosine : LrSchedule::constant;
    o.min_lr_ratio = c["options"]["min_lr_ratio"].get<double>();
    for (size_t i = 0; i < c["steps"].size(); ++i) {
      const int64_t step = c["steps"][i].get<int64_t>();
      EXPECT_NEAR(lr_at(o, step), c["lr"][i].get<double>(), 1e-15) << c["options"].dump() << " step " << step;
    }
  }
}

TEST(LrSchedule, FromConfigAndErrors) {
  TrainSection t;
  t.lr = 2e-5;
  t.warmup_steps = 4;
  t.steps = 20;
  t.lr_schedule = LrSchedule::cosine;
  const LrScheduleOptions o = lr_schedule_options(t, 0.1);
  EXPECT_DOUBLE_EQ(lr_at(o, 0), 0.5e-5);
  EXPECT_DOUBLE_EQ(lr_at(o, 4), 2e-5);
  EXPECT_DOUBLE_EQ(lr_at(o, 20), 2e-6);
  EXPECT_DOUBLE_EQ(lr_at(o, 1000), 2e-6);
  EXPECT_THROW(lr_at(o, -1), Error);
}

}  // namespace
}  // namespace spct
