// Graceful stop on SIGTERM, SIGINT and SIGUSR1 (what Slurm sends before preempting a job, what
// Ctrl-C sends, and what Open MPI's mpirun forwards to every rank). The first signal only sets a
// flag: the training loop finishes its optimizer step, all ranks agree on the stop (an all-reduce
// MAX of the flag every step), every rank writes the checkpoint, and the command exits with
// kStoppedExitCode. A second signal exits at once with 128 + its number, as if unhandled.
#pragma once
#include <string>

#include "core/error.h"

namespace spct {

class Dist;

namespace stop {

// 75 is EX_TEMPFAIL (sysexits.h): stopped cleanly, resumable; run the same command again.
constexpr int kStoppedExitCode = 75;

// Installs the handlers (the training commands call it once, after MPI start-up).
void install_handlers();
// The first signal this process received, 0 when none.
int local_signal();
// The signal any rank received (0 when none): a collective, every rank calls it at the same point.
int agreed_signal(Dist& dist);
std::string signal_name(int sig);  // "SIGTERM", ...

// Thrown once every rank has stopped and saved; the command exits with kStoppedExitCode.
class Stopped : public Error {
 public:
  explicit Stopped(const std::string& msg) : Error(msg) {}
};

}  // namespace stop
}  // namespace spct
