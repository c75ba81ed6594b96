#include "core/cpu_runtime.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace spct {

int tune_cpu_runtime() {
#ifdef __GLIBC__
  // Blocks below 1 GiB come from the heap, and the heap is trimmed only above 2 GiB of free top.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
  mallopt(M_TOP_PAD, 256 << 20);
#endif
  if (!std::getenv("OPENBLAS_NUM_THREADS")) {
    // Looked up at run time: LibTorch may use another BLAS (MKL, or cuBLAS on the GPU build).
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
  }
  if (!std::getenv("OMP_NUM_THREADS")) {
    int local_ranks = 1;
    if (const char* s = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) local_ranks = std::max(1, std::atoi(s));
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(std::max(1, cores / local_ranks));
  }
  return at::get_num_threads();
}

}  // namespace spct
