// Helpers shared by the tests: fixture paths and scratch directories.
#pragma once
#include <filesystem>
#include <random>
#include <string>

namespace spct::test {

inline std::string source_path(const std::string& rel) { return std::string(SPCT_SOURCE_DIR) + "/" + rel; }
inline std::string fixture_model(const std::string& family) { return source_path("tests/fixtures/models/" + family); }

// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("spct-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace spct::test
