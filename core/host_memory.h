// How much memory this machine can give the process now: sizes that come from input (a config's
// layer count, a request's sample count) are checked against it before anything is allocated.
#pragma once

namespace spct {

// Bytes: MemAvailable of /proc/meminfo (free plus reclaimable), else the physical memory.
double host_memory_available();

}  // namespace spct
