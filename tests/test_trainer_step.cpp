// The trainer's memory and robustness mechanisms, in process on small models:
// - activation checkpointing (trainer/loss/activation_checkpoint.h): the same gradients as the plain
//   backward, and a central finite difference of the loss along a random direction agrees;
// - the chunked log-prob backward (trainer/loss/chunked_logprobs.h): log-probs, entropy and gradients
//   equal the unchunked log_softmax over whole logits, for any chunk size, soft-capping included;
// - ZeRO-1 bookkeeping (trainer/optim/zero.h): owners, and re-sharding optimizer state;
// - optim.skip_nonfinite in StageTrainer: a NaN gradient stops with the step named, or is skipped;
// - make_batch (trainer/stages/batch.h): ids, targets and loss masks of a hand-worked batch, with the loss on
//   the response only and on the prompt too (sft.completion_only_loss), truncation included;
// - RFT's rules (trainer/stages/rft.h): a too-easy item is dropped with its hinted samples, and the
//   samples drawn from the policy are written, labelled, for the meta RM.
#include <gtest/gtest.h>

#include <torch/csrc/autograd/function.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/byte_tokenizer.h"
#include "core/config.h"
#include "core/hf_io.h"
#include "core/model.h"
#include "core/torch_compat.h"
#include "test_util.h"
#include "trainer/loss/activation_checkpoint.h"
#include "trainer/stages/batch.h"
#include "trainer/loss/chunked_logprobs.h"
#include "trainer/loss/losses.h"
#include "trainer/stages/rft.h"
#include "trainer/stages/trainer.h"
#include "trainer/optim/zero.h"

namespace spct::test {
namespace {

std::unique_ptr<Transformer> fixture_model(const std::string& family) {
  const ModelConfig c = ModelConfig::load(source_path("tests/fixtures/models/" + family + "/config.json"));
  auto m = std::make_unique<Transformer>(c, at::TensorOptions().dtype(at::kFloat));
  m->init_random(11, 0.2);  // large weights: activations far from linear, so a wrong recompute shows
  for (const auto& [name, p] : m->parameters()) p.requires_grad_(true);
  return m;
}

std::unique_ptr<Transformer> tiny_model() {
  auto m = std::make_unique<Transformer>(ModelConfig::tiny(300), at::TensorOptions().dtype(at::kFloat));
  m->init_random(5, 0.1);
  for (const auto& [name, p] : m->parameters()) p.requires_grad_(true);
  return m;
}

// ids (2, 7) with padding at the end of row 1, and a fixed weighting of the hidden states.
struct Inputs {
  at::Tensor ids, valid, weight;
};
Inputs inputs_for(const Transformer& m) {
  at::Generator gen = compat::cpu_generator(3);
  Inputs in;
  in.ids = at::randint(m.config().vocab_size, {2, 7}, gen, at::TensorOptions().dtype(at::kLong));
  in.valid = at::ones({2, 7}, at::kBool);
  in.valid[1].narrow(0, 5, 2).fill_(false);
  in.weight = at::randn({2, 7, m.config().hidden_size}, gen);
  return in;
}

at::Tensor hidden_loss(const Transformer& m, const Inputs& in, bool checkpoint) {
  return (m.hidden(in.ids, training_forward_options(in.valid, checkpoint)) * in.weight).sum();
}

std::map<std::string, at::Tensor> grads_of(const Transformer& m, const Inputs& in, bool checkpoint) {
  for (const auto& [name, p] : m.parameters()) p.mutable_grad().reset();
  hidden_loss(m, in, checkpoint).backward();
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, p] : m.parameters()) out[name] = p.grad().defined() ? p.grad().clone() : at::Tensor();
  return out;
}

class ActivationCheckpoint : public ::testing::TestWithParam<std::string> {};

TEST_P(ActivationCheckpoint, GradientsEqualPlainBackward) {
  auto m = fixture_model(GetParam());
  const Inputs in = inputs_for(*m);
  const auto plain = grads_of(*m, in, false), ckpt = grads_of(*m, in, true);
  for (const auto& [name, g] : plain) {
    if (name == "lm_head.weight") {  // an untied head takes no part in the hidden states
      EXPECT_FALSE(g.defined() || ckpt.at(name).defined());
      continue;
    }
    ASSERT_TRUE(g.defined()) << name;
    ASSERT_TRUE(ckpt.at(name).defined()) << name << ": no gradient through the checkpointed blocks";
    const double scale = std::max(1.0, g.abs().max().item<double>());
    EXPECT_LE((g - ckpt.at(name)).abs().max().item<double>(), 1e-6 * scale) << GetParam() << " " << name;
  }
  // The loss itself is unchanged, and the forward without grad is not checkpointed (no graph).
  EXPECT_TRUE(at::allclose(hidden_loss(*m, in, false), hidden_loss(*m, in, true), 1e-6, 1e-6));
}

// d/de loss(theta + e d) at e = 0 by central differences equals <grad, d> (float32 arithmetic:
// a loose tolerance, but a gradient missing from the checkpointed path changes it by far more).
TEST_P(ActivationCheckpoint, DirectionalDerivativeMatchesFiniteDifference) {
  auto m = fixture_model(GetParam());
  const Inputs in = inputs_for(*m);
  const auto grads = grads_of(*m, in, true);
  at::Generator gen = compat::cpu_generator(9);
  std::map<std::string, at::Tensor> dir;
  double analytic = 0;
  for (const auto& [name, p] : m->parameters()) {
    dir[name] = at::randn(p.sizes(), gen);
    if (!grads.at(name).defined())
      dir[name].zero_();  // an untied lm_head: no part in the loss
    else
      analytic += (grads.at(name).to(at::kDouble) * dir[name].to(at::kDouble)).sum().item<double>();
  }
  auto loss_at = [&](double e) {
    at::NoGradGuard no_grad;
    for (auto& [name, p] : m->parameters()) p.add_(dir[name], e);
    const double l = hidden_loss(*m, in, false).item<double>();
    for (auto& [name, p] : m->parameters()) p.sub_(dir[name], e);
    return l;
  };
  const double eps = 1e-3;
  const double numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps);
  EXPECT_NEAR(numeric, analytic, 2e-2 * std::max(1.0, std::abs(analytic))) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Families, ActivationCheckpoint, ::testing::Values("llama", "qwen2", "qwen3", "gemma2"),
                         [](const auto& info) { return info.param; });

// ---- chunked log-probs -------------------------------------------------------------------------

struct LogprobCase {
  std::string family;
  int64_t chunk;
};

class ChunkedLogprobGrad : public ::testing::TestWithParam<LogprobCase> {};

TEST_P(ChunkedLogprobGrad, ValuesAndGradientsEqualUnchunked) {
  const auto [family, chunk] = GetParam();
  auto m = fixture_model(family);  // gemma2 has final-logit soft-capping: recomputed in backward too
  const Inputs in = inputs_for(*m);
  at::Generator gen = compat::cpu_generator(4);
  const at::Tensor targets = at::randint(m->config().vocab_size, {2, 7}, gen, at::TensorOptions().dtype(at::kLong));
  const at::Tensor upstream = at::randn({2, 7}, gen);  // d loss / d logprob: any weighting
  const double tau = 0.7;
  const at::Tensor hidden0 = m->hidden(in.ids, {at::Tensor(), in.valid}).detach();

  auto run = [&](bool chunked) {
    for (const auto& [name, p] : m->parameters()) p.mutable_grad().reset();
    at::Tensor hidden = hidden0.clone().requires_grad_(true);
    TokenLogprobs out;
    if (chunked) {
      out = token_logprobs_and_entropy(*m, hidden, targets, chunk, tau);
    } else {  // the reference: whole (B, T, V) logits, plain autograd
      const at::Tensor logits = m->logits(hidden);
      out.logprobs = logprobs_from_logits(logits, targets, tau);
      out.entropy = entropy_from_logits(logits, tau);
    }
    (out.logprobs * upstream).sum().backward();
    std::map<std::string, at::Tensor> r{
        {"logprobs", out.logprobs.detach()}, {"entropy", out.entropy}, {"grad hidden", hidden.grad()}};
    for (const auto& [name, p] : m->parameters())
      if (p.grad().defined()) r["grad " + name] = p.grad().clone();
    return r;
  };
  const auto ref = run(false), got = run(true);
  ASSERT_EQ(ref.size(), got.size());
  EXPECT_EQ(ref.size(), 4u) << "only hidden and the head weight get gradients here";
  for (const auto& [key, r] : ref) {
    ASSERT_TRUE(got.count(key)) << key;
    const double scale = std::max(1.0, r.abs().max().item<double>());
    EXPECT_LE((r - got.at(key)).abs().max().item<double>(), 1e-6 * scale) << family << " chunk " << chunk << " " << key;
  }
  EXPECT_FALSE(got.at("entropy").requires_grad());
}

INSTANTIATE_TEST_SUITE_P(Chunks, ChunkedLogprobGrad,
                         ::testing::Values(LogprobCase{"llama", 1}, LogprobCase{"llama", 3}, LogprobCase{"llama", 14},
                                           LogprobCase{"qwen2", 5}, LogprobCase{"gemma2", 4},
                                           LogprobCase{"gemma2", 100}),
                         [](const auto& info) { return info.param.family + "_" + std::to_string(info.param.chunk); });

// With grad, the result hangs off the recomputing node (not a chain of per-chunk log_softmax
// nodes, each keeping its (chunk, V) float32 output until backward).
TEST(ChunkedLogprobsMemory, GradientFlowsThroughTheRecomputingNode) {
  auto m = tiny_model();
  at::Tensor hidden = at::randn({64, m->config().hidden_size}).requires_grad_(true);
  const at::Tensor targets = at::randint(300, {64}, at::TensorOptions().dtype(at::kLong));
  const LogprobRows rows = [&](const at::Tensor& h) { return at::log_softmax(m->logits(h).to(at::kFloat), -1); };
  const at::Tensor head = m->param("model.embed_tokens.weight");
  const ChunkedLogprobs out = recomputed_logprobs(rows, hidden, head, targets, 8, false);
  ASSERT_TRUE(out.logprobs.grad_fn());
  EXPECT_NE(out.logprobs.grad_fn()->name().find("ChunkedGather"), std::string::npos) << out.logprobs.grad_fn()->name();
  at::NoGradGuard no_grad;  // and without grad there is no graph at all
  EXPECT_FALSE(recomputed_logprobs(rows, hidden, head, targets, 8, false).logprobs.requires_grad());
}

// linear_logprobs (token_logprobs' path for a plain linear head on the GPU) against autograd
// through the whole log_softmax, in float64: values, entropy and both gradients, for chunks that
// split the tokens unevenly and with a sampling temperature.
TEST(LinearLogprobs, ValuesAndGradientsEqualAutogradInFloat64) {
  at::Generator gen = compat::cpu_generator(9);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor hidden0 = at::randn({13, 8}, gen, f64), weight0 = at::randn({37, 8}, gen, f64);
  const at::Tensor targets = at::randint(37, {13}, gen, at::TensorOptions().dtype(at::kLong));
  const at::Tensor upstream = at::randn({13}, gen, f64);
  for (double tau : {1.0, 0.7}) {
    for (int64_t chunk : {1, 4, 13, 100}) {
      at::Tensor h_ref = hidden0.clone().requires_grad_(true), w_ref = weight0.clone().requires_grad_(true);
      const at::Tensor logp = at::log_softmax(at::linear(h_ref, w_ref) / tau, -1);
      const at::Tensor lp_ref = logp.gather(1, targets.unsqueeze(1)).squeeze(1);
      const at::Tensor ent_ref = -(logp.exp() * logp).sum(1).detach();
      (lp_ref * upstream).sum().backward();
      at::Tensor h = hidden0.clone().requires_grad_(true), w = weight0.clone().requires_grad_(true);
      const ChunkedLogprobs got = linear_logprobs(h, w, targets, chunk, tau, true);
      (got.logprobs * upstream).sum().backward();
      const std::string where = "tau " + std::to_string(tau) + " chunk " + std::to_string(chunk);
      EXPECT_TRUE(at::allclose(got.logprobs, lp_ref, 1e-12, 1e-12)) << where;
      EXPECT_TRUE(at::allclose(got.entropy, ent_ref, 1e-12, 1e-12)) << where;
      EXPECT_FALSE(got.entropy.requires_grad());
      EXPECT_TRUE(at::allclose(h.grad(), h_ref.grad(), 1e-12, 1e-12)) << where << (h.grad() - h_ref.grad()).abs().max();
      EXPECT_TRUE(at::allclose(w.grad(), w_ref.grad(), 1e-12, 1e-12)) << where << (w.grad() - w_ref.grad()).abs().max();
    }
  }
  at::NoGradGuard no_grad;  // without grad: the same values, no graph
  EXPECT_FALSE(linear_logprobs(hidden0, weight0, targets, 4, 1.0, false).logprobs.requires_grad());
}

// ---- ZeRO-1 bookkeeping ----------------------------------------------------------------------

TEST(Zero, OwnersBalanceWholeParameters) {
  NamedTensors params;
  for (int64_t n : {100, 10, 10, 60, 30, 5}) params.emplace_back("p" + std::to_string(n), at::zeros({n}));
  // Greedy to the least loaded rank: loads (100, 0) (100, 10) (100, 20) (100, 80) (100, 110) (105, 110).
  EXPECT_EQ(zero_owners(params, 2), (std::vector<int>{0, 1, 1, 1, 1, 0}));
  EXPECT_EQ(zero_owners(params, 1), std::vector<int>(6, 0));
  EXPECT_EQ(zero_owners(params, 8), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(owned_params(params, zero_owners(params, 2), 0).size(), 2u);
}

// Sharded states written by two ranks, re-sharded for one and for three ranks, restore exactly
// what a replicated AdamW holds.
TEST(Zero, ReshardOptimizerState) {
  auto m = tiny_model();
  NamedTensors params(m->parameters().begin(), m->parameters().end());
  for (auto& [name, p] : params) p.mutable_grad() = at::randn(p.sizes());
  AdamW full(params, {});
  full.step(1e-2);
  const auto owners2 = zero_owners(params, 2);
  std::vector<NamedTensors> shards(2);
  for (int r = 0; r < 2; ++r) {
    AdamW part(owned_params(params, owners2, r), {});
    part.load_state(select_optimizer_state({full.state()}, owned_params(params, owners2, r), "test"));
    shards[r] = part.state();
  }
  for (int world : {1, 3}) {
    const auto owners = zero_owners(params, world);
    for (int r = 0; r < world; ++r) {
      const NamedTensors mine = owned_params(params, owners, r);
      AdamW opt(mine, {});
      opt.load_state(select_optimizer_state(shards, mine, "test"));
      const NamedTensors full_state = full.state();
      const std::map<std::string, at::Tensor> want(full_state.begin(), full_state.end());
      for (const auto& [name, t] : opt.state()) EXPECT_TRUE(at::equal(t, want.at(name))) << name;
    }
  }
  shards[1][0].second = at::full({}, int64_t{7});
  EXPECT_NE(error_of([&] {
              select_optimizer_state(shards, params, "ckpt.h5");
            }).find("ckpt.h5: optimizer shard 1 has step 7"),
            std::string::npos);
}

// ---- non-finite gradients ----------------------------------------------------------------------

struct StepFixture {
  TempDir dir;
  RunConfig config;
  std::unique_ptr<Dist> dist = make_dist(false);
  std::unique_ptr<Transformer> model = tiny_model();
  explicit StepFixture(bool skip) {
    config = RunConfig::from_yaml_string(
        "model: {path: tiny}\nrun_dir: " + dir.path().string() +
            "\nlogging: {progress: false}\noptim: {skip_nonfinite: " + (skip ? "true" : "false") + "}\n",
        "test");
  }
  // One micro-batch backward of a loss scaled by `factor` (NaN poisons every gradient).
  void backward(double factor) {
    const Inputs in = inputs_for(*model);
    (hidden_loss(*model, in, false) * factor).backward();
  }
  at::Tensor snapshot() {
    std::vector<at::Tensor> all;
    for (const auto& [name, p] : model->parameters()) all.push_back(p.detach().reshape({-1}).clone());
    return at::cat(all);
  }
};

TEST(NonFinite, StopsNamingTheStepByDefault) {
  StepFixture f(false);
  StageTrainer trainer(f.config, *f.dist, *f.model, Stage::sft, f.config.sft);
  f.backward(1.0);
  trainer.apply_gradients();
  f.backward(std::nan(""));
  const std::string err = error_of([&] { trainer.apply_gradients(); });
  EXPECT_NE(err.find("sft step 2: gradient norm is not finite"), std::string::npos) << err;
}

TEST(NonFinite, SkipLeavesParametersAndCountsTheStep) {
  StepFixture f(true);
  StageTrainer trainer(f.config, *f.dist, *f.model, Stage::sft, f.config.sft);
  const at::Tensor before = f.snapshot();
  f.backward(std::numeric_limits<double>::infinity());
  EXPECT_FALSE(std::isfinite(trainer.apply_gradients()));
  EXPECT_TRUE(at::equal(before, f.snapshot())) << "a skipped step changed the parameters";
  EXPECT_EQ(trainer.skipped_steps(), 1);
  EXPECT_EQ(trainer.step(), 1);
  for (const auto& [name, p] : f.model->parameters()) EXPECT_FALSE(p.grad().defined()) << name;
  f.backward(1.0);  // the run goes on: the next finite step updates
  EXPECT_TRUE(std::isfinite(trainer.apply_gradients()));
  EXPECT_FALSE(at::equal(before, f.snapshot()));
  trainer.end_step({});
  std::ifstream in(f.config.logging.metrics_file);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_NE(line.find("\"skipped_steps\":1"), std::string::npos) << line;
}

// Two examples, worked by hand: a = prompt [1 2 3], response [4 5]; b = prompt [6], response [7 8 9].
// Inputs are tokens [0, L-1), targets [1, L), right-padded to T = 4.
TEST(Batch, MasksHoldResponseTokensOrEveryTokenByHand) {
  const Example a{{1, 2, 3}, {4, 5}}, b{{6}, {7, 8, 9}};
  auto rows = [](const at::Tensor& t) {
    std::vector<std::vector<int64_t>> out;
    const at::Tensor l = t.to(at::kLong);
    for (int64_t i = 0; i < l.size(0); ++i) {
      out.emplace_back();
      for (int64_t j = 0; j < l.size(1); ++j) out.back().push_back(l[i][j].item<int64_t>());
    }
    return out;
  };
  using Rows = std::vector<std::vector<int64_t>>;
  for (bool completion_only : {true, false}) {
    SCOPED_TRACE(completion_only ? "completion only" : "prompt too");
    const TokenBatch t = make_batch({&a, &b}, 100, at::kCPU, completion_only);
    EXPECT_EQ(rows(t.ids), (Rows{{1, 2, 3, 4}, {6, 7, 8, 0}}));
    EXPECT_EQ(rows(t.targets), (Rows{{2, 3, 4, 5}, {7, 8, 9, 0}}));
    EXPECT_EQ(rows(t.valid), (Rows{{1, 1, 1, 1}, {1, 1, 1, 0}}));
    EXPECT_EQ(rows(t.mask), completion_only ? (Rows{{0, 0, 1, 1}, {1, 1, 1, 0}}) : (Rows{{1, 1, 1, 1}, {1, 1, 1, 0}}));
    EXPECT_EQ(loss_tokens(a, 100, completion_only), completion_only ? 2 : 4);
    EXPECT_EQ(loss_tokens(b, 100, completion_only), 3);
    // Truncated to 3 tokens: a keeps [1 2 3] (no response token left), b keeps [6 7 8].
    const TokenBatch c = make_batch({&a, &b}, 3, at::kCPU, completion_only);
    EXPECT_EQ(rows(c.targets), (Rows{{2, 3}, {7, 8}}));
    EXPECT_EQ(rows(c.mask), completion_only ? (Rows{{0, 0}, {1, 1}}) : (Rows{{1, 1}, {1, 1}}));
    EXPECT_EQ(loss_tokens(a, 3, completion_only), completion_only ? 0 : 2);
    EXPECT_EQ(loss_tokens(b, 3, completion_only), 2);
  }
}

// ---- RFT: the rejection rules and the samples kept for the meta RM ----------------------------

TEST(RftKeep, TooEasyItemIsDroppedWithItsHintedSamples) {
  // All three non-hinted samples correct, drop_too_easy: the item goes, the correct hinted one too.
  RftKeep k = rft_keep({true, true, true}, {true}, true);
  EXPECT_TRUE(k.too_easy);
  EXPECT_EQ(k.plain, (std::vector<bool>{false, false, false}));
  EXPECT_EQ(k.hinted, std::vector<bool>{false});
  RftCounts c;
  count_item(c, {true, true, true}, {true}, k);
  EXPECT_EQ(c.items, 1);
  EXPECT_EQ(c.too_easy, 1);
  EXPECT_EQ(c.sampled, 3);
  EXPECT_EQ(c.kept + c.hinted_kept + c.rejected, 0);
  // Without drop_too_easy every correct sample stays.
  k = rft_keep({true, true, true}, {true}, false);
  EXPECT_FALSE(k.too_easy);
  EXPECT_EQ(k.plain, (std::vector<bool>{true, true, true}));
  EXPECT_EQ(k.hinted, std::vector<bool>{true});
  // One wrong: the correct ones stay, the wrong hinted one is rejected.
  k = rft_keep({true, false, true}, {false}, true);
  EXPECT_EQ(k.plain, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(k.hinted, std::vector<bool>{false});
  count_item(c, {true, false, true}, {false}, k);
  EXPECT_EQ(c.kept, 2);
  EXPECT_EQ(c.rejected, 2);
  // No non-hinted sample: nothing says the item is easy.
  k = rft_keep({}, {true}, true);
  EXPECT_FALSE(k.too_easy);
  EXPECT_EQ(k.hinted, std::vector<bool>{true});
}

TEST(RftKeep, TrajectoryFileDropsTooEasyHintedLines) {
  TempDir tmp;
  const std::string path = tmp.file("traj.jsonl");
  auto line = [](const std::string& id, int best, bool hinted) {
    return nlohmann::json{{"id", id},           {"prompt", "judge"}, {"text", "Scores: \\boxed{9, 2}"},
                          {"num_responses", 2}, {"best", best},      {"hinted", hinted}}
               .dump() +
           "\n";
  };
  // "easy": 3 correct + a correct hinted one. "mixed": 1 correct, 1 wrong (best 1), a correct hinted one.
  std::ofstream(path) << line("easy", 0, false) << line("easy", 0, false) << line("easy", 0, false)
                      << line("easy", 0, true) << line("mixed", 0, false) << line("mixed", 1, false)
                      << line("mixed", 0, true);
  const auto tok = tokenizer_for_model("tiny");
  RftCounts c;
  EXPECT_EQ(trajectory_file_examples(path, *tok, "", true, true, c).size(), 2u);  // mixed: hinted + 1
  EXPECT_EQ(c.items, 2);
  EXPECT_EQ(c.too_easy, 1);
  EXPECT_EQ(c.sampled, 5);
  EXPECT_EQ(c.kept, 1);
  EXPECT_EQ(c.hinted_kept, 1);
  EXPECT_EQ(c.rejected, 1);
  RftCounts all;
  EXPECT_EQ(trajectory_file_examples(path, *tok, "", false, true, all).size(), 6u);
}

TEST(RftSamples, PolicySamplesAreWrittenLabelledForTheMetaRm) {
  TempDir tmp;
  const RunConfig config = RunConfig::from_yaml_string(
      "model: {path: tiny}\nrun_dir: " + tmp.path().string() +
          "\nrollout: {max_new_tokens: 6}\nrft: {num_samples: 2, hinted_samples: 1}\nlogging: {progress: false}\n",
      "test");
  std::unique_ptr<Dist> dist = make_dist(false);
  const auto model = load_model("tiny", {at::kFloat, at::kCPU, 3});
  const auto tok = tokenizer_for_model("tiny");
  std::vector<rewards::RmItem> items(3);
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].id = "q" + std::to_string(i);
    items[i].prompt.text = "2+2?";
    items[i].responses = {"4", "5"};
    items[i].best = 0;
  }
  RftCounts c;
  rft_examples(config, *dist, *model, *tok, items, c);
  // Six-token trajectories from random weights never hold a score box: all wrong, none kept.
  EXPECT_EQ(c.sampled, 6);
  EXPECT_EQ(c.rejected, 9);  // 6 non-hinted + 3 hinted
  const auto samples = read_rft_samples(rft_samples_path(config));
  ASSERT_EQ(samples.size(), 6u);  // the non-hinted ones only
  for (size_t s = 0; s < samples.size(); ++s) {
    EXPECT_EQ(samples[s].item, s / 2);
    EXPECT_FALSE(samples[s].correct);
    EXPECT_GT(samples[s].tokens.size(), 6u);  // prompt + trajectory
  }
  std::ofstream(tmp.file("bad.jsonl"))
      << "{\"item\": 0, \"prompt_ids\": [1], \"tokens\": [\"x\"], \"correct\": true}\n";
  EXPECT_NE(
      error_of([&] { read_rft_samples(tmp.file("bad.jsonl")); }).find("bad.jsonl:1: fields 'prompt_ids' and 'tokens'"),
      std::string::npos);
}

}  // namespace
}  // namespace spct::test
