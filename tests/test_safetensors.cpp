// The safetensors reader and writer: round trip, and every kind of malformed file is an error
// that names the file (never a crash or an out-of-bounds read).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <random>

#include "core/error.h"
#include "core/safetensors.h"
#include "tests/test_util.h"

namespace spct {
namespace {

using test::TempDir;

void write_raw(const std::string& path, const std::string& header, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  uint64_t n = header.size();
  out.write(reinterpret_cast<const char*>(&n), 8);  // little-endian host
  out << header << data;
}

using test::error_of;

TEST(Safetensors, RoundTripKeepsDtypesShapesValuesAndMetadata) {
  TempDir dir;
  at::Tensor a = at::randn({3, 5});
  at::Tensor b = at::randn({7}).to(at::kBFloat16);
  at::Tensor c = at::arange(12, at::kLong).view({2, 2, 3});
  safetensors::save(dir.file("x.safetensors"), {{"a", a}, {"b", b}, {"c", c}}, {{"format", "pt"}});
  auto f = safetensors::File::open(dir.file("x.safetensors"));
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.info("b").dtype, "BF16");
  EXPECT_TRUE(at::equal(f.load("a"), a));
  EXPECT_TRUE(at::equal(f.load("b"), b));
  EXPECT_TRUE(at::equal(f.load("c"), c));
  EXPECT_EQ(f.load("c").sizes(), c.sizes());
}

TEST(Safetensors, ReadsHfWrittenFile) {
  // Written by HF (scripts/make_fixtures.py): the reader must agree with the reference format.
  auto f = safetensors::File::open(test::fixture_model("llama") + "/model.safetensors");
  EXPECT_EQ(f.info("model.embed_tokens.weight").shape, (std::vector<int64_t>{320, 48}));
  EXPECT_EQ(f.info("model.embed_tokens.weight").dtype, "F32");
  EXPECT_TRUE(f.load("model.norm.weight").isfinite().all().item<bool>());
}

TEST(Safetensors, TruncatedFileIsAnError) {
  TempDir dir;
  safetensors::save(dir.file("x.safetensors"), {{"a", at::randn({64})}});
  std::string bytes;
  {
    std::ifstream in(dir.file("x.safetensors"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (size_t cut : {size_t(0), size_t(5), size_t(20), bytes.size() - 1}) {
    std::ofstream(dir.file("t.safetensors"), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(cut));
    const std::string msg = error_of([&] { safetensors::File::open(dir.file("t.safetensors")); });
    EXPECT_NE(msg.find("t.safetensors"), std::string::npos) << "cut at " << cut << ": " << msg;
    EXPECT_NE(msg.find("truncated"), std::string::npos) << "cut at " << cut << ": " << msg;
  }
}

TEST(Safetensors, OffsetsOutOfRangeAreAnError) {
  TempDir dir;
  write_raw(dir.file("x.safetensors"), R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,1600]}})",
            std::string(16, '\0'));
  const std::string msg = error_of([&] { safetensors::File::open(dir.file("x.safetensors")); });
  EXPECT_NE(msg.find("'w'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("past the end"), std::string::npos) << msg;
}

TEST(Safetensors, HeaderLengthBeyondFileIsAnError) {
  TempDir dir;
  std::ofstream out(dir.file("x.safetensors"), std::ios::binary);
  uint64_t n = 1ull << 40;
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << "{}";
  out.close();
  EXPECT_NE(error_of([&] { safetensors::File::open(dir.file("x.safetensors")); }).find("100 MB"), std::string::npos);
}

TEST(Safetensors, SizeNotMatchingShapeIsAnError) {
  TempDir dir;
  write_raw(dir.file("x.safetensors"), R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}})",
            std::string(16, '\0'));
  const std::string err = error_of([&] { safetensors::File::open(dir.file("x.safetensors")); });
  EXPECT_NE(err.find("tensor 'w': shape needs more bytes than the file holds (16 bytes of data)"), std::string::npos)
      << err;
}

// 2^62 float32 elements are 2^64 bytes, which wrapped to 0 in uint64 and matched an empty range:
// the shape must be refused before its byte count is formed.
TEST(Safetensors, ShapeWhoseByteCountWrapsIsAnError) {
  TempDir dir;
  write_raw(dir.file("x.safetensors"), R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})",
            "");
  const std::string err = error_of([&] { safetensors::File::open(dir.file("x.safetensors")); });
  EXPECT_NE(err.find("tensor 'w': shape needs more bytes than the file holds"), std::string::npos) << err;
}

TEST(Safetensors, OverlapUnknownDtypeBadJsonAndNegativeShapeAreErrors) {
  TempDir dir;
  const std::string p = dir.file("x.safetensors");
  write_raw(
      p,
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
      std::string(12, '\0'));
  EXPECT_NE(error_of([&] { safetensors::File::open(p); }).find("overlap"), std::string::npos);
  write_raw(p, R"({"a":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0'));
  EXPECT_NE(error_of([&] { safetensors::File::open(p); }).find("unsupported safetensors dtype"), std::string::npos);
  write_raw(p, R"({"a":{"dtype":"F32","shape":[2],"data_offs)", std::string(8, '\0'));
  EXPECT_NE(error_of([&] { safetensors::File::open(p); }).find("not valid JSON"), std::string::npos);
  write_raw(p, R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", std::string(8, '\0'));
  EXPECT_NE(error_of([&] { safetensors::File::open(p); }).find("non-negative"), std::string::npos);
}

TEST(Safetensors, RandomHeaderBytesNeverCrash) {
  TempDir dir;
  std::mt19937 rng(7);
  const std::string valid = R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  for (int i = 0; i < 300; ++i) {
    std::string h = valid;
    for (int m = 0; m < 3; ++m) h[rng() % h.size()] = static_cast<char>(rng() % 256);
    write_raw(dir.file("f.safetensors"), h, std::string(16, '\1'));
    try {
      auto f = safetensors::File::open(dir.file("f.safetensors"));
      for (const auto& t : f.tensors()) f.load(t.name);
    } catch (const Error&) {
    }
  }
}

TEST(Safetensors, SaveIsAtomicAndLeavesNoTemporary) {
  TempDir dir;
  safetensors::save(dir.file("x.safetensors"), {{"a", at::ones({2})}});
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) (void)e, ++files;
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace spct
