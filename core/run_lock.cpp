#include "core/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace spct {
namespace {

void create_dir(const std::string& dir, const std::string& what) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  SPCT_CHECK(!ec, what, " '", dir, "': cannot create the directory: ", ec.message());
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown host";
  return buf;
}

// The holder's "pid <P> host <H>" line, or what is known when it is unreadable.
std::string holder(int fd) {
  char buf[512] = {0};
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s.empty() ? "a process that has not written its PID yet" : s;
}

}  // namespace

RunLock::RunLock(const std::string& dir) : path_(dir + "/spct.lock") {
  create_dir(dir, "run_dir");
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  SPCT_CHECK(fd_ >= 0, "run_dir '", dir, "': cannot create the lock file ", path_, ": ", std::strerror(errno));
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string who = holder(fd_);
    ::close(fd_);
    fd_ = -1;
    SPCT_CHECK(err != EWOULDBLOCK, "run_dir '", dir, "' is in use by another spct run (", who, "; lock ", path_,
               "): wait for it to end, stop it, or choose another run_dir");
    throw_error("run_dir '", dir, "': cannot lock ", path_, ": ", std::strerror(err));
  }
  const std::string me = "pid " + std::to_string(::getpid()) + " on host " + host_name() + "\n";
  SPCT_CHECK(ftruncate(fd_, 0) == 0 && pwrite(fd_, me.data(), me.size(), 0) == static_cast<ssize_t>(me.size()),
             "run_dir '", dir, "': cannot write the lock file ", path_, ": ", std::strerror(errno));
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
}

void require_writable_dir(const std::string& dir, const std::string& what) {
  create_dir(dir, what);
  const std::string probe = dir + "/.spct-write-probe." + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  SPCT_CHECK(fd >= 0, what, " '", dir, "' is not writable: ", std::strerror(errno));
  const bool ok = ::write(fd, "ok\n", 3) == 3 && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  SPCT_CHECK(ok, what, " '", dir, "' is not writable: ", std::strerror(err));
}

}  // namespace spct
