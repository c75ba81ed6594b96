# The distributed layer (MPI everywhere, NCCL in CUDA builds) and data sharding.
target_sources(spct_core PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/dist.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/dist_mpi.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/data_shard.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/grad_reducer.cpp
)
if(SPCT_WITH_NCCL)
  # dist_nccl.cpp talks to the CUDA runtime directly (devices, events), not only through LibTorch.
  find_package(CUDAToolkit REQUIRED)
  target_sources(spct_core PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/trainer/dist_nccl.cpp)
  target_link_libraries(spct_core PUBLIC CUDA::cudart)
endif()
# The ZeRO memory planner and `spct plan`.
target_sources(spct_core PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/trainer/optim/memory_plan.cpp)
target_sources(spct PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cli/cmd_plan.cpp)
