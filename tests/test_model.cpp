// Model behaviour beyond parity: the KV cache reproduces the full forward, and bad model
// directories give clear errors (generation is tested in test_rollout.cpp).
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/byte_tokenizer.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/hf_io.h"
#include "core/safetensors.h"
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
  EXPECT_NE(error_of([&] {
              model->forward(at::ones({1, 6}, at::kLong), {{}, {}, &cache});
            }).find("KV cache full"),
            std::string::npos);
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

// model.from_scratch: config.json alone gives the architecture; the weights are the seed's draw
// (the same numbers as init_random on a model of that config), and no weight file is read.
TEST(ModelDir, FromScratchNeedsOnlyTheConfigAndIsSeeded) {
  BrokenModel m;
  fs::remove(m.dir + "/model.safetensors");
  LoadOptions opt;
  opt.from_scratch = true;
  opt.seed = 5;
  const auto a = load_model(m.dir, opt), b = load_model(m.dir, opt);
  Transformer reference(ModelConfig::load(m.dir + "/config.json"), at::TensorOptions().dtype(at::kFloat));
  reference.init_random(5);
  opt.seed = 6;
  const auto c = load_model(m.dir, opt);
  bool any_differs = false;
  ASSERT_EQ(a->parameters().size(), reference.parameters().size());
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    const auto& [name, p] = a->parameters()[i];
    EXPECT_TRUE(at::equal(p, b->parameters()[i].second)) << name;
    EXPECT_TRUE(at::equal(p, reference.parameters()[i].second)) << name;
    any_differs = any_differs || !at::equal(p, c->parameters()[i].second);
  }
  EXPECT_TRUE(any_differs);
  EXPECT_EQ(a->config().num_layers, reference.config().num_layers);
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

// A judge's trajectory ends its chat turn: generation must stop at the end-of-turn token too, as HF
// generate() does with generation_config.json's eos_token_id list.
TEST(ModelDir, GenerationConfigEosIdsAreStopIds) {
  auto tiny = load_model("tiny");
  EXPECT_EQ(tiny->config().eos_token_ids, (std::vector<int64_t>{ByteTokenizer::kEos, ByteTokenizer::kEnd}));
  test::TempDir tmp;
  const std::string dir = tmp.file("m");
  fs::copy(test::fixture_model("qwen2"), dir);
  const auto before = load_model(dir)->config().eos_token_ids;
  std::ofstream(dir + "/generation_config.json") << "{\"eos_token_id\": [5, 7]}";
  std::vector<int64_t> want = before;
  for (int64_t id : {5, 7})
    if (std::find(want.begin(), want.end(), id) == want.end()) want.push_back(id);
  EXPECT_EQ(load_model(dir)->config().eos_token_ids, want);
  std::ofstream(dir + "/generation_config.json") << "{\"eos_token_id\": \"x\"}";
  std::string msg = error_of([&] { load_model(dir); });
  EXPECT_NE(msg.find("generation_config.json: field 'eos_token_id'"), std::string::npos) << msg;
  std::ofstream(dir + "/generation_config.json") << "{\"eos_token_id\": [5,";
  msg = error_of([&] { load_model(dir); });
  EXPECT_NE(msg.find("generation_config.json: not valid JSON"), std::string::npos) << msg;
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
