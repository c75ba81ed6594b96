// CPU runtime settings made once at program start (spct's main). On the development machine
// (Debian's LibTorch 1.13 with OpenBLAS, 2 cores) three defaults cost more than a third of a
// training step (measured with configs/demo.yaml's SFT stage: 2.25 s -> 1.41 s per step):
//  - LibTorch's intra-op pool starts with one thread there, leaving cores idle;
//  - OpenBLAS runs its own thread pool beside LibTorch's, and the two spin against each other;
//  - glibc returns large freed blocks to the kernel, so every step pays page faults to zero the
//    activations again.
#pragma once

namespace spct {

// Uses every core (divided among the MPI ranks of this node, OMPI_COMM_WORLD_LOCAL_SIZE) unless
// OMP_NUM_THREADS is set; single-threaded OpenBLAS GEMMs unless OPENBLAS_NUM_THREADS is set;
// keeps freed memory in the process. Returns the intra-op thread count in use.
int tune_cpu_runtime();

}  // namespace spct
