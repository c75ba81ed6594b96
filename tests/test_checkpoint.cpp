// Checkpoints: bit-identical round trips, RNG continuation, atomic writes and pruning, detection
// of truncated and corrupt files, resume checks, export from a checkpoint, and `spct inspect`.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/config.h"
#include "core/error.h"
#include "core/hf_io.h"
#include "core/torch_compat.h"
#include "core/file_util.h"
#include "tests/test_util.h"
#include "trainer/checkpoint/checkpoint.h"

namespace spct {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

RunConfig run_config(const std::string& extra = "") {
  return RunConfig::from_yaml_string("model:\n  path: tiny\n" + extra, "test config");
}

// A state as the trainer would write it: the model, Adam moments and a step counter, a generator.
CheckpointState make_state(const Transformer& model, int64_t step) {
  CheckpointState s;
  s.step = step;
  s.stage = "grpo";
  s.data_cursor = 64 * step;
  s.params = model.parameters();
  auto gen = compat::cpu_generator(99);
  for (const auto& [name, p] : model.parameters()) {
    s.optimizer.emplace_back("exp_avg." + name, at::randn(p.sizes(), gen, at::kFloat));
    s.optimizer.emplace_back("exp_avg_sq." + name, at::rand(p.sizes(), gen, at::kFloat));
  }
  s.optimizer.emplace_back("step", at::full({}, step, at::kLong));
  s.rng["cpu"] = gen.get_state();
  s.config_yaml = to_yaml(run_config());
  s.model_config_json = model.config().to_hf_json(dtype_name(model.options().dtype().toScalarType())).dump();
  s.metrics_json = R"({"loss": 0.25, "reward": 0.5})";
  return s;
}

void expect_same(const NamedTensors& a, const NamedTensors& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(a[i].second.scalar_type(), b[i].second.scalar_type()) << a[i].first;
    EXPECT_EQ(a[i].second.sizes(), b[i].second.sizes()) << a[i].first;
    EXPECT_TRUE(at::equal(a[i].second, b[i].second)) << a[i].first;
  }
}

void expect_same(const CheckpointState& a, const CheckpointState& b) {
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.stage, b.stage);
  EXPECT_EQ(a.data_cursor, b.data_cursor);
  expect_same(a.params, b.params);
  expect_same(a.optimizer, b.optimizer);
  ASSERT_EQ(a.rng.size(), b.rng.size());
  for (const auto& [name, t] : a.rng) EXPECT_TRUE(at::equal(t, b.rng.at(name))) << name;
  EXPECT_EQ(a.config_yaml, b.config_yaml);
  EXPECT_EQ(a.model_config_json, b.model_config_json);
  EXPECT_EQ(a.metrics_json, b.metrics_json);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Flips one byte in the middle of a dataset's stored data.
void corrupt_dataset(const std::string& path, const std::string& dataset) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  hid_t ds = H5Dopen2(file, dataset.c_str(), H5P_DEFAULT);
  ASSERT_GE(ds, 0);
  const haddr_t offset = H5Dget_offset(ds);
  const hsize_t size = H5Dget_storage_size(ds);
  H5Dclose(ds);
  H5Fclose(file);
  ASSERT_NE(offset, HADDR_UNDEF);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset + size / 2);
  char c = 0;
  f.read(&c, 1);
  c ^= 0x5a;
  f.seekp(offset + size / 2);
  f.write(&c, 1);
}

// The tensor checksums' CRC-32 (zlib's): its published check value, and a running CRC over two
// pieces equals the CRC of the whole.
TEST(Checkpoint, Crc32IsTheStandardOne) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32(""), 0u);
  EXPECT_EQ(crc32("56789", crc32("1234")), 0xCBF43926u);
}

TEST(Checkpoint, RoundTripIsBitIdenticalFp32) {
  TempDir tmp;
  auto model = load_model("tiny", {at::kFloat, at::kCPU, 3});
  const CheckpointState s = make_state(*model, 7);
  save_checkpoint(tmp.path().string(), s, 0);
  expect_same(s, load_checkpoint(checkpoint_path(tmp.path().string(), 7)));
}

TEST(Checkpoint, RoundTripIsBitIdenticalBf16AndFp16) {
  TempDir tmp;
  for (auto dtype : {at::kBFloat16, at::kHalf}) {
    auto model = load_model("tiny", {dtype, at::kCPU, 4});
    CheckpointState s = make_state(*model, dtype == at::kHalf ? 2 : 1);
    s.optimizer.emplace_back("mask", at::rand({3, 5}) > 0.5);
    s.optimizer.emplace_back("empty", at::zeros({0, 4}, at::kDouble));
    save_checkpoint(tmp.path().string(), s, 0);
    const CheckpointState back = load_checkpoint(checkpoint_path(tmp.path().string(), s.step));
    EXPECT_EQ(back.params[0].second.scalar_type(), dtype);
    expect_same(s, back);
  }
}

TEST(Checkpoint, RngStateContinuesTheSameStream) {
  TempDir tmp;
  auto model = load_model("tiny");
  auto gen = compat::cpu_generator(5);
  at::randn({17}, gen);
  CheckpointState s = make_state(*model, 3);
  s.rng["cpu"] = gen.get_state();
  save_checkpoint(tmp.path().string(), s, 0);
  const at::Tensor after_save = at::randn({100}, gen);

  const CheckpointState back = load_checkpoint(checkpoint_path(tmp.path().string(), 3));
  auto restored = compat::cpu_generator(0);
  restored.set_state(back.rng.at("cpu"));
  EXPECT_TRUE(at::equal(at::randn({100}, restored), after_save));
}

TEST(Checkpoint, KeepLastPrunesOlderFilesAndLeavesNoTemporaries) {
  TempDir tmp;
  const std::string dir = tmp.path().string();
  auto model = load_model("tiny");
  { std::ofstream(dir + "/step_1.h5.tmp") << "stale"; }
  for (int64_t step : {1, 2, 10, 3, 20}) save_checkpoint(dir, make_state(*model, step), 2);
  EXPECT_EQ(list_checkpoints(dir), (std::vector<std::string>{checkpoint_path(dir, 10), checkpoint_path(dir, 20)}));
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().extension(), ".h5") << e.path();
}

TEST(Checkpoint, InterruptedWriteFallsBackToThePreviousGoodOne) {
  TempDir tmp;
  const std::string dir = tmp.path().string();
  auto model = load_model("tiny");
  save_checkpoint(dir, make_state(*model, 10), 0);
  save_checkpoint(dir, make_state(*model, 20), 0);
  save_checkpoint(dir, make_state(*model, 30), 0);
  // step 20 truncated (a copy cut short), step 30 only a half-written temporary.
  fs::resize_file(checkpoint_path(dir, 20), fs::file_size(checkpoint_path(dir, 20)) / 2);
  fs::rename(checkpoint_path(dir, 30), checkpoint_path(dir, 30) + ".tmp");
  fs::resize_file(checkpoint_path(dir, 30) + ".tmp", 1000);

  EXPECT_EQ(list_checkpoints(dir).size(), 2u);
  EXPECT_NE(error_of([&] { load_checkpoint(checkpoint_path(dir, 20)); }).find(checkpoint_path(dir, 20)),
            std::string::npos);
  EXPECT_EQ(latest_valid_checkpoint(dir), checkpoint_path(dir, 10));
  EXPECT_EQ(resolve_resume("auto", dir), checkpoint_path(dir, 10));

  fs::resize_file(checkpoint_path(dir, 10), 0);
  EXPECT_EQ(latest_valid_checkpoint(dir), std::nullopt);
}

TEST(Checkpoint, CorruptDatasetIsNamedByTheCrcCheck) {
  TempDir tmp;
  const std::string dir = tmp.path().string();
  auto model = load_model("tiny");
  save_checkpoint(dir, make_state(*model, 5), 0);
  save_checkpoint(dir, make_state(*model, 6), 0);
  const std::string name = "model.layers.1.mlp.up_proj.weight";
  corrupt_dataset(checkpoint_path(dir, 6), "/params/" + name);
  const std::string msg = error_of([&] { load_checkpoint(checkpoint_path(dir, 6)); });
  EXPECT_NE(msg.find(checkpoint_path(dir, 6)), std::string::npos) << msg;
  EXPECT_NE(msg.find("/params/" + name), std::string::npos) << msg;
  EXPECT_NE(msg.find("CRC32 mismatch"), std::string::npos) << msg;
  EXPECT_EQ(latest_valid_checkpoint(dir), checkpoint_path(dir, 5));

  corrupt_dataset(checkpoint_path(dir, 5), "/config_yaml");
  EXPECT_NE(error_of([&] { load_checkpoint(checkpoint_path(dir, 5)); }).find("dataset /config_yaml: CRC32"),
            std::string::npos);
}

TEST(Checkpoint, OtherFormatVersionIsRefused) {
  TempDir tmp;
  auto model = load_model("tiny");
  save_checkpoint(tmp.path().string(), make_state(*model, 1), 0);
  const std::string path = checkpoint_path(tmp.path().string(), 1);
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t attr = H5Aopen(file, "format_version", H5P_DEFAULT);
  const int64_t v = 2;
  ASSERT_GE(H5Awrite(attr, H5T_NATIVE_INT64, &v), 0);
  H5Aclose(attr);
  H5Fclose(file);
  const std::string msg = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(msg.find("format_version 2 is not supported"), std::string::npos) << msg;
}

TEST(Checkpoint, NotACheckpointOrMissingIsAClearError) {
  TempDir tmp;
  { std::ofstream(tmp.file("junk.h5")) << "not hdf5 at all"; }
  EXPECT_NE(error_of([&] { load_checkpoint(tmp.file("junk.h5")); }).find("not an HDF5 file"), std::string::npos);
  EXPECT_NE(error_of([&] { load_checkpoint(tmp.file("none.h5")); }).find("no such checkpoint"), std::string::npos);
}

TEST(Checkpoint, OptimizerShardsRoundTripAndAreRequired) {
  TempDir tmp;
  const std::string dir = tmp.path().string();
  auto model = load_model("tiny");
  CheckpointState s = make_state(*model, 4);
  const NamedTensors all = s.optimizer;
  const NamedTensors part0(all.begin(), all.begin() + 5), part1(all.begin() + 5, all.end());
  s.optimizer.clear();
  s.optimizer_shards = 2;
  EXPECT_NE(error_of([&] { save_checkpoint(dir, s, 0); }).find("must be written before"), std::string::npos);
  save_optimizer_shard(dir, 4, 0, part0);
  save_optimizer_shard(dir, 4, 1, part1);
  save_checkpoint(dir, s, 0);
  const std::string path = checkpoint_path(dir, 4);
  EXPECT_EQ(load_checkpoint(path).optimizer_shards, 2);
  expect_same(load_optimizer_shard(path, 0), part0);
  expect_same(load_optimizer_shard(path, 1), part1);
  EXPECT_NE(error_of([&] { load_optimizer_shard(path, 2); }).find("rank 2 has none"), std::string::npos);
  EXPECT_EQ(latest_valid_checkpoint(dir), path);
  fs::remove(checkpoint_shard_path(dir, 4, 1));
  EXPECT_EQ(latest_valid_checkpoint(dir), std::nullopt);
}

TEST(Checkpoint, ResolveResume) {
  TempDir tmp;
  const std::string dir = tmp.file("ckpt");
  EXPECT_EQ(resolve_resume("none", dir), "");
  EXPECT_EQ(resolve_resume("auto", dir), "");
  auto model = load_model("tiny");
  save_checkpoint(dir, make_state(*model, 8), 0);
  EXPECT_EQ(resolve_resume("auto", dir), checkpoint_path(dir, 8));
  EXPECT_EQ(resolve_resume("none", dir), "");
  EXPECT_EQ(resolve_resume(dir, "elsewhere"), checkpoint_path(dir, 8));
  EXPECT_EQ(resolve_resume(checkpoint_path(dir, 8), "elsewhere"), checkpoint_path(dir, 8));
  EXPECT_NE(error_of([&] { resolve_resume(tmp.file("nope.h5"), dir); }).find("nope.h5"), std::string::npos);
}

TEST(Checkpoint, CheckResumableGivesReasons) {
  auto model = load_model("tiny");
  const CheckpointState s = make_state(*model, 8);
  EXPECT_NO_THROW(check_resumable(s, run_config()));
  EXPECT_NO_THROW(check_resumable(s, run_config("grpo:\n  lr: 1.0e-6\n  steps: 2000\n")));

  RunConfig other_model = run_config();
  other_model.model.path = test::fixture_model("llama");
  std::string msg = error_of([&] { check_resumable(s, other_model); });
  EXPECT_NE(msg.find("hidden_size was 128, now 48"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tie_word_embeddings was true, now false"), std::string::npos) << msg;

  msg = error_of([&] { check_resumable(s, run_config("grpo:\n  batch_size: 32\n")); });
  EXPECT_NE(msg.find("grpo.batch_size was 64, now 32"), std::string::npos) << msg;
  msg = error_of([&] { check_resumable(s, run_config("stages: [sft, rft, grpo]\n")); });
  EXPECT_NE(msg.find("stage order was [rft, grpo], now [sft, rft, grpo]"), std::string::npos) << msg;
  msg = error_of([&] { check_resumable(s, run_config("stages: [rft, metarm]\n")); });
  EXPECT_NE(msg.find("stage grpo was in stages [rft, grpo, metarm, eval] and is not in [rft, metarm]"),
            std::string::npos)
      << msg;
  msg = error_of([&] { check_resumable(s, run_config("seed: 1\n")); });
  EXPECT_NE(msg.find("seed was 1234, now 1"), std::string::npos) << msg;
}

TEST(Checkpoint, ModelFromCheckpointExportsTheSameModel) {
  TempDir tmp;
  const auto ids = at::arange(1, 13, at::kLong).reshape({2, 6});
  for (const std::string& source : {std::string("tiny"), test::fixture_model("llama")}) {
    auto model = load_model(source, {at::kFloat, at::kCPU, 11});
    const std::string dir = tmp.file("ckpt-" + fs::path(source).filename().string());
    save_checkpoint(dir, make_state(*model, 1), 0);
    auto restored = model_from_checkpoint(checkpoint_path(dir, 1), at::kFloat);
    const std::string hf = dir + "-hf";
    export_hf(*restored, hf);
    auto reloaded = load_model(hf);
    EXPECT_TRUE(at::equal(model->forward(ids), reloaded->forward(ids))) << source;
  }
}

using test::run_spct;
using Result = test::CommandResult;

TEST(Checkpoint, InspectSummarizesAndRejectsCorruptFiles) {
  TempDir tmp;
  const std::string dir = tmp.path().string();
  auto model = load_model("tiny");
  save_checkpoint(dir, make_state(*model, 12), 0);
  const std::string count = std::to_string(model->config().num_parameters());

  Result r = run_spct("inspect " + checkpoint_path(dir, 12));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("step          12"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(count + " parameters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stage         grpo"), std::string::npos) << r.out;

  r = run_spct("inspect " + dir + " --tensors");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("/params/model.embed_tokens.weight"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/rng/cpu"), std::string::npos) << r.out;

  r = run_spct("inspect " + test::fixture_model("qwen2"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("qwen2"), std::string::npos) << r.out;

  corrupt_dataset(checkpoint_path(dir, 12), "/params/model.norm.weight");
  r = run_spct("inspect " + checkpoint_path(dir, 12));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("/params/model.norm.weight: CRC32 mismatch"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace spct
