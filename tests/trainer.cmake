# The trainer's guarantees (issue 6) through the spct binary: exact resume per stage, SIGKILL and
# unusable checkpoints (label checkpoint), `spct run` of every stage (unit), and one rank against
# two under mpirun (dist). One executable; the labels split its test cases.
# spct_add_binary_test(NAME src...): a test executable that drives the spct binary (and mpirun);
# its test cases are registered below, by label.
function(spct_add_binary_test name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE spct_stack test_headers GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE SPCT_SOURCE_DIR="${PROJECT_SOURCE_DIR}" SPCT_BINARY="$<TARGET_FILE:spct>"
                                             SPCT_MPIEXEC="${MPIEXEC_EXECUTABLE}")
  spct_use_pch(${name})
  add_dependencies(${name} spct)
  set_target_properties(${name} PROPERTIES ENABLE_EXPORTS ON)  # symbol names in crash backtraces
endfunction()

spct_add_binary_test(test_trainer test_trainer.cpp)
gtest_discover_tests(test_trainer TEST_FILTER "*TrainerResume*:TrainerKill.*"
                     PROPERTIES LABELS checkpoint TIMEOUT 300 DISCOVERY_TIMEOUT 120)
gtest_discover_tests(test_trainer TEST_FILTER "TrainerPipeline.*:TrainerMetaRm.*:TrainerNonFinite.StopsByDefaultSkipsWhenConfigured:Stages/TrainerPacking.*"
                     PROPERTIES LABELS unit TIMEOUT 300 DISCOVERY_TIMEOUT 120)

# mpirun from the test: CI runs as root on a small machine without a network (see dist.cmake).
if(MPIEXEC_EXECUTABLE)
  foreach(stage sft grpo)
    add_test(NAME trainer_dist_${stage}
             COMMAND test_trainer --gtest_filter=Stages/TrainerDist.OneRankEqualsTwo/${stage})
    set_tests_properties(trainer_dist_${stage} PROPERTIES
      LABELS dist TIMEOUT 300
      ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_btl=self,vader")
  endforeach()
  # ZeRO-1 and non-finite skipping under mpirun -np 2 (label dist; checkpoint too for the resume).
  foreach(case TrainerZero.ShardedEqualsReplicated TrainerZero.ResumeEqualsUninterruptedAndReshards
          TrainerNonFinite.SkipOnTwoRanks)
    add_test(NAME ${case} COMMAND test_trainer --gtest_filter=${case})
    set_tests_properties(${case} PROPERTIES
      LABELS dist TIMEOUT 400
      ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_btl=self,vader")
  endforeach()
endif()

# In process: activation checkpointing, the chunked log-prob backward, ZeRO-1 re-sharding and
# non-finite steps (tests/test_trainer_step.cpp).
spct_add_test(test_trainer_step unit test_trainer_step.cpp)
# Sequence packing: packed == padded log-probs, losses, gradients and SFT steps (tests/test_packing.cpp).
spct_add_test(test_packing unit test_packing.cpp)
# CUDA-only training paths (fused AdamW, packed flash attention, mask-free causal attention)
# against their references; label cuda, every test skips without a GPU (tests/test_train_cuda.cpp).
spct_add_test(test_train_cuda cuda test_train_cuda.cpp)

# Preemption signals, the run-directory lock and fresh-rerun metrics (issue 17), through the spct
# binary: label checkpoint; the signal to one rank of two under mpirun: label dist.
spct_add_binary_test(test_preemption test_preemption.cpp)
gtest_discover_tests(test_preemption TEST_FILTER "-PreemptionMpi.*"
                     PROPERTIES LABELS checkpoint TIMEOUT 300 DISCOVERY_TIMEOUT 120)
if(MPIEXEC_EXECUTABLE)
  add_test(NAME PreemptionMpi.SignalToOneRankStopsBoth
           COMMAND test_preemption --gtest_filter=PreemptionMpi.SignalToOneRankStopsBoth)
  set_tests_properties(PreemptionMpi.SignalToOneRankStopsBoth PROPERTIES
    LABELS dist TIMEOUT 400
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_btl=self,vader")
endif()
