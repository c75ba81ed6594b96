# test_kernels: each CUDA kernel against a plain C++ reference. Needs nvcc to build (not
# LibTorch) and a GPU to run: without one every test skips (CI). Label `cuda`.
if(SPCT_BUILD_CUDA_KERNELS)
  add_executable(test_kernels test_kernels_attention.cpp test_kernels_layer.cpp)
  target_link_libraries(test_kernels PRIVATE spct_kernels CUDA::cudart GTest::gtest GTest::gtest_main)
  target_link_libraries(test_kernels PRIVATE test_headers)
  gtest_discover_tests(test_kernels PROPERTIES LABELS cuda DISCOVERY_TIMEOUT 120)
endif()

# The model's decode step through the kernels against its generic LibTorch path: CUDA builds
# only (skips without a GPU), so CI does not build it.
if(SPCT_USE_CUDA_KERNELS)
  spct_add_test(test_decode_kernels cuda test_decode_kernels.cpp)
endif()
