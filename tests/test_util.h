// Helpers shared by the tests: fixture paths and scratch directories.
#pragma once
#include <execinfo.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/wait.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <functional>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "core/error.h"

namespace spct::test {

// A crash in a test prints a backtrace before dying, so a failure on a machine without a
// debugger still says where it happened.
inline void crash_handler(int sig) {
  void* frames[64];
  const int n = backtrace(frames, 64);
  const char msg[] = "fatal signal in test; backtrace:\n";
  (void)!write(2, msg, sizeof msg - 1);
  backtrace_symbols_fd(frames, n, 2);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}
inline const bool crash_handler_installed =
    (std::signal(SIGSEGV, crash_handler), std::signal(SIGABRT, crash_handler), true);

// Runs the built `spct` binary with args (a shell fragment): exit code and stdout+stderr together.
struct CommandResult {
  int code;
  std::string out;
};
inline CommandResult run_spct(const std::string& args) {
  FILE* pipe = popen((std::string(SPCT_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

// The message of the spct::Error that f throws, or "" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Lowercase hex of every byte: "\x01\xab" -> "01ab".
inline std::string to_hex(const std::string& bytes) {
  std::string out;
  char buf[3];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

inline std::string source_path(const std::string& rel) { return std::string(SPCT_SOURCE_DIR) + "/" + rel; }
inline std::string fixture_model(const std::string& family) { return source_path("tests/fixtures/models/" + family); }

// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/spct-test-XXXXXX";
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed for " + templ);
    path_ = templ;
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
