// Model behaviour beyond parity: the KV cache reproduces the full forward, left-padded batches
// match each prompt alone, sampling is reproducible per request, and bad model directories give
// clear errors.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/hf_io.h"
#include "core/safetensors.h"
#include "rollout/generate.h"
#include "rollout/kv_cache.h"
#include "tests/test_util.h"

namespace spct {
namespace {
namespace fs = std::filesystem;

using test::error_of;

at::Tensor random_ids(int64_t n, int64_t vocab, uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  return at::randint(3, vocab, {1, n}, g, at::kLong);
}

// Prefill 5 tokens, then feed the rest one by one: logits equal the single full forward.
void check_cache(const std::string& family) {
  auto model = load_model(test::fixture_model(family));
  c10::NoGradGuard no_grad;
  at::Tensor ids = random_ids(12, model->config().vocab_size, 1);
  at::Tensor full = model->forward(ids);
  KVCache cache = KVCache::allocate(model->config(), 1, 16, model->options());
  std::vector<at::Tensor> parts = {model->forward(ids.narrow(1, 0, 5), {{}, {}, &cache})};
  for (int64_t t = 5; t < 12; ++t) parts.push_back(model->forward(ids.narrow(1, t, 1), {{}, {}, &cache}));
  EXPECT_LE((at::cat(parts, 1) - full).abs().max().item<double>(), 1e-5) << family;
  EXPECT_EQ(cache.length, 12);
}

TEST(KVCache, IncrementalDecodingMatchesFullForwardLlama) { check_cache("llama"); }
TEST(KVCache, IncrementalDecodingMatchesFullForwardGemma2SlidingWindow) { check_cache("gemma2"); }

TEST(KVCache, CapacityOverflowIsAnError) {
  auto model = load_model("tiny");
  KVCache cache = KVCache::allocate(model->config(), 1, 4, model->options());
  c10::NoGradGuard no_grad;
  EXPECT_NE(error_of([&] { model->forward(at::ones({1, 6}, at::kLong), {{}, {}, &cache}); }).find("KV cache full"),
            std::string::npos);
}

TEST(Generate, MixedLengthBatchMatchesEachPromptAlone) {
  for (const std::string family : {"qwen2", "gemma2"}) {
    auto model = load_model(test::fixture_model(family));
    std::vector<std::vector<int32_t>> prompts;
    for (int64_t n : {3, 9, 6}) {
      at::Tensor ids = random_ids(n, model->config().vocab_size, n);
      prompts.emplace_back(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + n);
    }
    SamplingParams greedy;
    greedy.temperature = 0;
    greedy.max_new_tokens = 6;
    auto batch = generate(*model, prompts, greedy);
    for (size_t i = 0; i < prompts.size(); ++i) {
      auto alone = generate(*model, {prompts[i]}, greedy);
      EXPECT_EQ(batch[i].tokens, alone[0].tokens) << family << " prompt " << i;
      for (size_t t = 0; t < alone[0].logprobs.size(); ++t)
        EXPECT_NEAR(batch[i].logprobs[t], alone[0].logprobs[t], 1e-4) << family << " prompt " << i;
    }
  }
}

TEST(Generate, SampledTokensDependOnTheRequestSeedOnly) {
  auto model = load_model(test::fixture_model("llama"));
  std::vector<int32_t> a = {5, 17, 33, 8}, b = {9, 9, 100, 42, 7, 3};
  SamplingParams sp;
  sp.temperature = 1.0;
  sp.top_p = 0.9;
  sp.max_new_tokens = 10;
  sp.seed = 40;
  auto batch = generate(*model, {b, a}, sp);  // a is row 1: seed 41
  sp.seed = 41;
  auto alone = generate(*model, {a}, sp);
  EXPECT_EQ(batch[1].tokens, alone[0].tokens);
  auto again = generate(*model, {a}, sp);
  EXPECT_EQ(again[0].tokens, alone[0].tokens);
  sp.seed = 42;
  EXPECT_NE(generate(*model, {a}, sp)[0].tokens, alone[0].tokens);
}

TEST(Generate, LogprobsEqualTheTrainingForward) {
  // The logprob the sampler reports for each token equals log_softmax of a plain forward over
  // prompt + generated tokens (temperature 1), the quantity GRPO uses as the old policy.
  auto model = load_model(test::fixture_model("qwen3"));
  std::vector<int32_t> prompt = {11, 22, 33, 44, 55};
  SamplingParams sp;
  sp.temperature = 1.0;
  sp.max_new_tokens = 7;
  sp.seed = 3;
  auto g = generate(*model, {prompt}, sp)[0];
  std::vector<int64_t> all(prompt.begin(), prompt.end());
  all.insert(all.end(), g.tokens.begin(), g.tokens.end());
  c10::NoGradGuard no_grad;
  at::Tensor logp = at::log_softmax(model->forward(at::tensor(all).unsqueeze(0))[0], -1);
  for (size_t t = 0; t < g.tokens.size(); ++t)
    EXPECT_NEAR(g.logprobs[t], logp[prompt.size() - 1 + t][g.tokens[t]].item<float>(), 1e-4) << "token " << t;
}

TEST(Generate, StopTokenEndsTheRowAndMaxTokensIsExact) {
  auto model = load_model(test::fixture_model("llama"));
  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_new_tokens = 5;
  auto g = generate(*model, {{4, 5, 6}}, greedy)[0];
  ASSERT_EQ(g.tokens.size(), 5u);
  EXPECT_EQ(g.finish_reason, "length");
  greedy.stop_ids = {g.tokens[2]};
  auto s = generate(*model, {{4, 5, 6}}, greedy)[0];
  EXPECT_EQ(s.finish_reason, "stop");
  EXPECT_EQ(s.tokens.back(), g.tokens[2]);
  EXPECT_LE(s.tokens.size(), 3u);
}

TEST(Sampler, TopKOneAndTinyTopPAreGreedy) {
  at::Tensor logits = at::randn({4, 50}, at::detail::createCPUGenerator(9));
  std::vector<at::Generator> gens;
  for (int i = 0; i < 4; ++i) gens.push_back(at::detail::createCPUGenerator(i));
  SamplingParams sp;
  sp.top_k = 1;
  EXPECT_TRUE(at::equal(sample_next(logits, sp, gens).tokens, logits.argmax(-1)));
  sp.top_k = 0;
  sp.top_p = 1e-6;
  EXPECT_TRUE(at::equal(sample_next(logits, sp, gens).tokens, logits.argmax(-1)));
}

TEST(TinyModel, SameSeedSameWeightsAndShapes) {
  auto a = load_model("tiny", {at::kFloat, at::kCPU, 5});
  auto b = load_model("tiny", {at::kFloat, at::kCPU, 5});
  auto c = load_model("tiny", {at::kFloat, at::kCPU, 6});
  const auto& name = a->parameters()[2].first;
  EXPECT_TRUE(at::equal(a->parameters()[2].second, b->parameters()[2].second)) << name;
  EXPECT_FALSE(at::equal(a->parameters()[2].second, c->parameters()[2].second)) << name;
  c10::NoGradGuard no_grad;
  EXPECT_EQ(a->forward(at::ones({2, 7}, at::kLong)).sizes(), (std::vector<int64_t>{2, 7, a->config().vocab_size}));
  int64_t count = 0;
  for (const auto& [n, p] : a->parameters()) count += p.numel();
  EXPECT_EQ(count, a->config().num_parameters());
}

// ---- bad model directories --------------------------------------------------------------

struct BrokenModel {
  test::TempDir tmp;
  std::string dir = tmp.file("m");
  BrokenModel() { fs::copy(test::fixture_model("llama"), dir); }
  nlohmann::json config() { return nlohmann::json::parse(read_text_file(dir + "/config.json")); }
  void write_config(const nlohmann::json& j) { std::ofstream(dir + "/config.json") << j.dump(); }
};

TEST(ModelDir, MissingConfigFieldNamesFieldAndFile) {
  BrokenModel m;
  auto j = m.config();
  j.erase("hidden_size");
  m.write_config(j);
  const std::string msg = error_of([&] { load_model(m.dir); });
  EXPECT_NE(msg.find("'hidden_size'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("config.json"), std::string::npos) << msg;
}

TEST(ModelDir, WrongFieldTypeAndUnsupportedTypeAreErrors) {
  BrokenModel m;
  auto j = m.config();
  j["num_hidden_layers"] = "three";
  m.write_config(j);
  EXPECT_NE(error_of([&] { load_model(m.dir); }).find("'num_hidden_layers' must be an integer"), std::string::npos);
  j = m.config();
  j["num_hidden_layers"] = 3;
  j["model_type"] = "mamba";
  m.write_config(j);
  EXPECT_NE(error_of([&] { load_model(m.dir); }).find("unsupported model type 'mamba'"), std::string::npos);
}

TEST(ModelDir, MissingWeightsAreListed) {
  BrokenModel m;
  auto f = safetensors::File::open(m.dir + "/model.safetensors");
  std::vector<std::pair<std::string, at::Tensor>> keep;
  for (const auto& t : f.tensors())
    if (t.name != "model.layers.1.mlp.up_proj.weight") keep.emplace_back(t.name, f.load(t.name));
  safetensors::save(m.dir + "/model.safetensors", keep);
  const std::string msg = error_of([&] { load_model(m.dir); });
  EXPECT_NE(msg.find("1 weight(s) missing: model.layers.1.mlp.up_proj.weight"), std::string::npos) << msg;
  fs::remove(m.dir + "/model.safetensors");
  EXPECT_NE(error_of([&] { load_model(m.dir); }).find("no model weights"), std::string::npos);
}

TEST(ModelDir, ShapeMismatchNamesTheTensor) {
  BrokenModel m;
  auto j = m.config();
  j["intermediate_size"] = 64;
  m.write_config(j);
  const std::string msg = error_of([&] { load_model(m.dir); });
  EXPECT_NE(msg.find("mlp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("but the config implies"), std::string::npos) << msg;
}

TEST(ModelDir, ShardIndexPointingOutsideTheDirectoryIsRefused) {
  test::TempDir tmp;
  const std::string dir = tmp.file("m");
  fs::copy(test::fixture_model("qwen2"), dir);
  auto idx = nlohmann::json::parse(read_text_file(dir + "/model.safetensors.index.json"));
  idx["weight_map"]["model.norm.weight"] = "../evil.safetensors";
  std::ofstream(dir + "/model.safetensors.index.json") << idx.dump();
  EXPECT_NE(error_of([&] { load_model(dir); }).find("leaves the model directory"), std::string::npos);
}

TEST(Export, RefusesToOverwriteANonEmptyDirectory) {
  test::TempDir tmp;
  auto model = load_model("tiny");
  fs::create_directories(tmp.file("out"));
  std::ofstream(tmp.file("out/keep.txt")) << "precious";
  EXPECT_NE(error_of([&] { export_hf(*model, tmp.file("out")); }).find("not empty"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp.file("out/keep.txt")));
  ExportOptions opt;
  opt.max_shard_bytes = 100000;  // forces shards + index
  export_hf(*model, tmp.file("sharded"), opt);
  EXPECT_TRUE(fs::exists(tmp.file("sharded/model.safetensors.index.json")));
  auto back = load_model(tmp.file("sharded"));
  c10::NoGradGuard no_grad;
  at::Tensor ids = at::arange(10, at::kLong).unsqueeze(0);
  EXPECT_TRUE(at::equal(back->forward(ids), model->forward(ids)));
}

}  // namespace
}  // namespace spct
