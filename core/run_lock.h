// One run, one directory. RunLock holds an exclusive flock(2) on <dir>/spct.lock for the life of
// the process: the kernel drops it when the process ends, however it ends (a SIGKILLed run leaves
// no stale lock to clean up). A second process is refused at once, with the holder's PID and host
// (written into the file by the holder). flock works on local file systems and on NFS (Linux
// emulates it with byte-range locks); Lustre needs the `flock` mount option.
#pragma once
#include <string>

namespace spct {

class RunLock {
 public:
  // Creates dir if needed; throws spct::Error naming the directory and the holder when locked,
  // or naming the directory and the system error when it cannot be created or written.
  explicit RunLock(const std::string& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// Creates dir (and parents) and writes, syncs and removes a probe file in it, so an unwritable
// directory is found before any work; `what` names it in the error (e.g. "checkpoint.dir").
void require_writable_dir(const std::string& dir, const std::string& what);

}  // namespace spct
