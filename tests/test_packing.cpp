// Sequence packing (trainer/stages/batch.h: make_packed_batch, split_by_tokens; ForwardOptions::cu_seqlens
// in core/model.h): a hand-worked packed layout, the token-budget split, and the proof that packing
// changes no result: per-token log-probs, the loss and every parameter's gradient of a packed batch
// equal those of the padded batch of the same examples (on the CPU, the block-diagonal mask path;
// every fixture family, activation checkpointing included), and one whole sft_step through
// StageTrainer leaves the same parameters.
#include <gtest/gtest.h>

#include <map>

#include "core/config.h"
#include "core/model.h"
#include "test_util.h"
#include "trainer/loss/activation_checkpoint.h"
#include "trainer/stages/batch.h"
#include "trainer/loss/losses.h"
#include "trainer/stages/sft.h"
#include "trainer/stages/trainer.h"

namespace spct::test {
namespace {

std::vector<int64_t> values(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kLong).reshape({-1}).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

// a = prompt [1 2], response [3 4]: inputs 1 2 3, targets 2 3 4, loss on targets 3 4.
// b = prompt [5], response [6]: input 5, target 6 (a response token). Padded T = 3.
TEST(PackedBatch, LayoutByHand) {
  const Example a{{1, 2}, {3, 4}}, b{{5}, {6}};
  const PackedBatch p = make_packed_batch({&a, &b}, 100, at::kCPU);
  EXPECT_EQ(values(p.ids), (std::vector<int64_t>{1, 2, 3, 5}));
  EXPECT_EQ(values(p.targets), (std::vector<int64_t>{2, 3, 4, 6}));
  EXPECT_EQ(values(p.positions), (std::vector<int64_t>{0, 1, 2, 0}));
  EXPECT_EQ(values(p.cu_seqlens), (std::vector<int64_t>{0, 3, 4}));
  EXPECT_EQ(p.cu_seqlens.scalar_type(), at::kInt);
  EXPECT_EQ(p.max_seqlen, 3);
  EXPECT_EQ(values(p.index), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(values(p.mask), (std::vector<int64_t>{0, 1, 1, 1, 0, 0}));
  EXPECT_EQ(values(p.unpack(at::tensor(std::vector<int64_t>{10, 11, 12, 13}).view({1, 4}))),
            (std::vector<int64_t>{10, 11, 12, 13, 0, 0}));
  EXPECT_FALSE(make_batch({&a, &a}, 100, at::kCPU).padded);
  EXPECT_TRUE(make_batch({&a, &b}, 100, at::kCPU).padded);
}

TEST(SplitByTokens, GroupsInOrderWithinTheBudget) {
  const auto groups = split_by_tokens({5, 3, 4, 10, 1}, 8);
  EXPECT_EQ(groups, (std::vector<std::vector<int64_t>>{{0, 1}, {2}, {3}, {4}}));  // 10 > 8 goes alone
  EXPECT_EQ(split_by_tokens({2, 2, 2}, 100), (std::vector<std::vector<int64_t>>{{0, 1, 2}}));
  EXPECT_NE(error_of([] { split_by_tokens({1}, 0); }).find("token budget must be > 0"), std::string::npos);
}

std::unique_ptr<Transformer> fixture_model(const std::string& family) {
  const ModelConfig c = ModelConfig::load(source_path("tests/fixtures/models/" + family + "/config.json"));
  auto m = std::make_unique<Transformer>(c, at::TensorOptions().dtype(at::kFloat));
  m->init_random(11, 0.2);
  for (const auto& [name, p] : m->parameters()) p.requires_grad_(true);
  return m;
}

// Three examples of different lengths (so the padded batch has padding in two rows).
std::vector<Example> examples(int64_t vocab) {
  std::vector<Example> out;
  int32_t next = 1;
  for (auto [prompt, response] : {std::pair{3, 5}, std::pair{2, 2}, std::pair{4, 7}}) {
    Example e;
    for (int i = 0; i < prompt; ++i) e.prompt.push_back(next++ % vocab);
    for (int i = 0; i < response; ++i) e.response.push_back((7 * next++) % vocab);
    out.push_back(e);
  }
  return out;
}

struct Result {
  at::Tensor logprobs;  // (B, T), zero where the mask is false
  at::Tensor loss;
  std::map<std::string, at::Tensor> grads;
};

Result run(const Transformer& m, const std::vector<const Example*>& batch, bool packed, bool checkpoint) {
  for (const auto& [name, p] : m.parameters()) p.mutable_grad().reset();
  at::Tensor lp, mask;
  if (packed) {
    const PackedBatch b = make_packed_batch(batch, 100, at::kCPU, false);
    ForwardOptions o = training_forward_options(at::Tensor(), checkpoint);
    o.positions = b.positions;
    o.cu_seqlens = b.cu_seqlens;
    o.max_seqlen = b.max_seqlen;
    lp = b.unpack(token_logprobs(m, m.hidden(b.ids, o), b.targets, 4));
    mask = b.mask;
  } else {
    const TokenBatch b = make_batch(batch, 100, at::kCPU, false);
    lp = token_logprobs(m, m.hidden(b.ids, training_forward_options(b.valid, checkpoint)), b.targets, 4);
    mask = b.mask;
  }
  Result r;
  r.loss = sft_token_loss_sum(lp, mask);
  r.loss.backward();
  r.logprobs = lp.detach().masked_fill(mask.logical_not(), 0.0);
  for (const auto& [name, p] : m.parameters()) r.grads[name] = p.grad().defined() ? p.grad().clone() : at::Tensor();
  return r;
}

class Packing : public ::testing::TestWithParam<std::string> {};

// float32 on the CPU: the same products summed in the same order, up to the matmul kernels'
// blocking over different row counts, so a relative 1e-5 (float32 rounding), not bit equality.
TEST_P(Packing, PackedEqualsPaddedLogprobsLossAndGradients) {
  auto m = fixture_model(GetParam());
  const auto ex = examples(m->config().vocab_size);
  const std::vector<const Example*> batch{&ex[0], &ex[1], &ex[2]};
  const Result padded = run(*m, batch, false, false);
  for (bool checkpoint : {false, true}) {
    const Result packed = run(*m, batch, true, checkpoint);
    EXPECT_TRUE(at::allclose(packed.logprobs, padded.logprobs, 1e-5, 1e-5)) << "checkpoint " << checkpoint;
    EXPECT_TRUE(at::allclose(packed.loss, padded.loss, 1e-5, 1e-5)) << packed.loss << " vs " << padded.loss;
    for (const auto& [name, g] : padded.grads) {
      const at::Tensor& h = packed.grads.at(name);
      ASSERT_EQ(g.defined(), h.defined()) << name;
      if (g.defined()) {
        EXPECT_TRUE(at::allclose(h, g, 1e-4, 1e-5)) << name << " max diff " << (h - g).abs().max();
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, Packing, ::testing::Values("qwen2", "llama", "qwen3", "gemma2"));

// A packed token attends to nothing outside its own sequence: changing another sequence's tokens
// leaves its log-probs bit-identical.
TEST(Packing, SequencesDoNotSeeEachOther) {
  auto m = fixture_model("qwen2");
  auto ex = examples(m->config().vocab_size);
  const std::vector<const Example*> batch{&ex[0], &ex[1], &ex[2]};
  const Result before = run(*m, batch, true, false);
  for (auto& t : ex[1].response) t = (t + 1) % m->config().vocab_size;
  ex[1].prompt[1] = (ex[1].prompt[1] + 3) % m->config().vocab_size;
  const Result after = run(*m, batch, true, false);
  EXPECT_TRUE(at::equal(after.logprobs[0], before.logprobs[0]));
  EXPECT_TRUE(at::equal(after.logprobs[2], before.logprobs[2]));
  EXPECT_FALSE(at::equal(after.logprobs[1], before.logprobs[1]));
}

// One sft_step (StageTrainer: backward, clip, AdamW) with sft.packing and a token budget gives
// the loss and gradient norm the padded step gives (the loss normalization does not depend on the
// cut) and the same parameters. Parameters within 1e-4 (a tenth of lr): Adam's first update is
// about lr * g / |g|, so gradients near zero turn float rounding of the summation order into
// visible update differences.
TEST(Packing, SftStepPackedEqualsPadded) {
  TempDir dir;
  std::map<bool, at::Tensor> after;
  std::map<bool, double> loss, norm;
  for (bool packed : {false, true}) {
    auto m = fixture_model("qwen2");
    const auto ex = examples(m->config().vocab_size);
    const RunConfig config = RunConfig::from_yaml_string(
        "model: {path: tiny}\nrun_dir: " + dir.path().string() + "\nlogging: {progress: false}\n" +
            "sft: {batch_size: 3, micro_batch_size: 3, lr: 1.0e-3, packing: " + (packed ? "true" : "false") +
            (packed ? ", micro_batch_tokens: 10" : "") + "}\n",
        "test");
    auto dist = make_dist(false);
    StageTrainer trainer(config, *dist, *m, Stage::sft, config.sft);
    const std::vector<std::vector<const Example*>> rows{{&ex[0], &ex[1], &ex[2]}};
    const auto micros = sft_micro_batches(rows, config.sft, 100);
    EXPECT_EQ(micros.size(), packed ? 2u : 1u);  // 7 + 3 input tokens, then 10
    int64_t tokens = 0;
    for (const Example& e : ex) tokens += loss_tokens(e, 100, true);
    const SftStep step = sft_step(trainer, *m, config.sft, micros, tokens, 100);
    loss[packed] = step.loss_sum.item<double>();
    norm[packed] = step.grad_norm;
    std::vector<at::Tensor> all;
    for (const auto& [name, p] : m->parameters()) all.push_back(p.detach().reshape({-1}).clone());
    after[packed] = at::cat(all);
  }
  EXPECT_NEAR(loss[true], loss[false], 1e-5 * std::abs(loss[false]));
  EXPECT_NEAR(norm[true], norm[false], 1e-5 * norm[false]);
  EXPECT_TRUE(at::allclose(after[true], after[false], 0.0, 1e-4)) << (after[true] - after[false]).abs().max();
}

}  // namespace
}  // namespace spct::test
