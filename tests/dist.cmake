# Tests of the distributed layer. Script mode (`cmake -P dist.cmake`) runs a failure drill of
# test_dist (DRILL: abort-on-last-rank or skip-collective-on-last-rank): the job must end by
# itself, non-zero, and say why (EXPECT).
if(CMAKE_SCRIPT_MODE_FILE)
  set(cmd ${EXE} --${DRILL} ${GPU})
  if(NOT NP EQUAL 0)
    set(cmd ${MPIEXEC} ${NPFLAG} ${NP} --oversubscribe ${cmd})
  endif()
  execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 90)
  message("${out}")
  if(NOT rc MATCHES "^[0-9]+$")
    message(FATAL_ERROR "the job did not end by itself: ${rc}")
  elseif(rc EQUAL 0)
    message(FATAL_ERROR "the job exited 0")
  elseif(NOT out MATCHES "${EXPECT}")
    message(FATAL_ERROR "the output does not say '${EXPECT}'")
  endif()
  message("the job exited ${rc}, as it should")
  return()
endif()

spct_add_test(test_data_shard unit test_data_shard.cpp)

# Collectives run as plain CTest tests: one process alone (LocalDist), then under mpirun with 1 and
# 2 ranks (MpiDist). The binary has its own main (MPI lifetime, a failure on any rank ends the job).
add_executable(test_dist test_dist.cpp)
target_link_libraries(test_dist PRIVATE spct_stack test_headers GTest::gtest)
spct_use_pch(test_dist)
set(_spct_mpirun ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG})
set(_spct_drill ${CMAKE_COMMAND} -DMPIEXEC=${MPIEXEC_EXECUTABLE} -DNPFLAG=${MPIEXEC_NUMPROC_FLAG}
                -DEXE=$<TARGET_FILE:test_dist>)
add_test(NAME dist_local COMMAND test_dist)
add_test(NAME dist_np1 COMMAND ${_spct_mpirun} 1 --oversubscribe $<TARGET_FILE:test_dist>)
add_test(NAME dist_np2 COMMAND ${_spct_mpirun} 2 --oversubscribe $<TARGET_FILE:test_dist>)
set(_spct_dist_tests dist_local dist_np1 dist_np2)
foreach(np 0 1 2)
  add_test(NAME dist_abort_np${np} COMMAND ${_spct_drill} -DNP=${np} -DDRILL=abort-on-last-rank
           "-DEXPECT=deliberate abort from test_dist" -P ${CMAKE_CURRENT_LIST_FILE})
  list(APPEND _spct_dist_tests dist_abort_np${np})
endforeach()
# NcclDist on one GPU; the two-GPU runs (tests and the watchdog drill) are in docs/distributed.md.
if(SPCT_WITH_NCCL)
  add_test(NAME dist_nccl_np1 COMMAND ${_spct_mpirun} 1 $<TARGET_FILE:test_dist> --gpu)
  add_test(NAME dist_nccl_abort_np1 COMMAND ${_spct_drill} -DNP=1 -DDRILL=abort-on-last-rank -DGPU=--gpu
           "-DEXPECT=deliberate abort from test_dist" -P ${CMAKE_CURRENT_LIST_FILE})
  list(APPEND _spct_dist_tests dist_nccl_np1 dist_nccl_abort_np1)
endif()
# CI runs as root on a small machine without a network: shared memory only.
set_tests_properties(${_spct_dist_tests} PROPERTIES
  LABELS dist TIMEOUT 180
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_btl=self,vader")

# The memory planner: hand-worked numbers, and every ready config in configs/ planned from the
# config.json shapes in bench/shapes/ (no weights needed); exit code 1 if a plan does not fit.
spct_add_test(test_memory_plan unit test_memory_plan.cpp)
foreach(plan
    "judge-1.5b-1gpu|qwen2.5-1.5b|1|80"
    "grm-7b-8gpu|qwen2.5-7b|8|80"
    "grm-27b-8gpu|gemma-2-27b|8|141")
  string(REPLACE "|" ";" plan "${plan}")
  list(GET plan 0 name)
  list(GET plan 1 shape)
  list(GET plan 2 world)
  list(GET plan 3 gb)
  add_test(NAME plan_${name}
           COMMAND spct plan --config ${PROJECT_SOURCE_DIR}/configs/${name}.yaml
                   --model ${PROJECT_SOURCE_DIR}/bench/shapes/${shape}.json --world ${world} --gpu-gb ${gb})
  set_tests_properties(plan_${name} PROPERTIES LABELS unit)
endforeach()
