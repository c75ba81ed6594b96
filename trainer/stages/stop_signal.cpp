#include "trainer/stages/stop_signal.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

#include "trainer/dist/dist.h"

namespace spct::stop {
namespace {

std::atomic<int> first_signal{0};

// Async-signal-safe: an atomic store, write(2) and _exit(2) only.
void on_signal(int sig) {
  int expected = 0;
  if (first_signal.compare_exchange_strong(expected, sig)) {
    const char msg[] =
        "spct: stop requested; finishing the current step and saving a checkpoint "
        "(signal again to exit at once)\n";
    (void)!write(2, msg, sizeof msg - 1);
    return;
  }
  const char msg[] = "spct: second signal, exiting now without saving\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(128 + sig);
}

}  // namespace

void install_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // a blocking read or collective resumes instead of failing with EINTR
  for (int sig : {SIGTERM, SIGINT, SIGUSR1}) sigaction(sig, &sa, nullptr);
}

int local_signal() { return first_signal.load(); }

int agreed_signal(Dist& dist) {
  if (dist.world_size() == 1) return local_signal();
  at::Tensor flag =
      at::full({}, static_cast<float>(local_signal()), at::TensorOptions().dtype(at::kFloat).device(dist.device()));
  dist.all_reduce_max(flag);
  return static_cast<int>(flag.item<float>());
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default: return "signal " + std::to_string(sig);
  }
}

}  // namespace spct::stop
