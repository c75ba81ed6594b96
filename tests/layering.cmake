# The layers are enforced by the build (cmake/SpctLibrary.cmake, docs/architecture.md): each
# library sees only its own folder and those below it. Script mode (`cmake -P`) compiles a
# one-line file with a library's include roots: a header of a lower layer must be found, one of a
# higher layer must not.
if(CMAKE_SCRIPT_MODE_FILE)
  # ROOTS: include roots (,-separated); HEADER: the header; EXPECT: found | missing
  string(REPLACE "," ";" roots "${ROOTS}")
  set(flags)
  foreach(root ${roots})
    list(APPEND flags -I${root})
  endforeach()
  # __has_include searches as #include does, without compiling the header (no LibTorch needed).
  file(WRITE ${WORK}/layering_${NAME}.cpp "#if !__has_include(\"${HEADER}\")\n#error not visible\n#endif\n")
  execute_process(COMMAND ${CXX} -std=c++17 -E ${flags} ${WORK}/layering_${NAME}.cpp
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(EXPECT STREQUAL "found" AND NOT rc EQUAL 0)
    message(FATAL_ERROR "${HEADER} should be visible from these include roots: ${err}")
  elseif(EXPECT STREQUAL "missing" AND rc EQUAL 0)
    message(FATAL_ERROR "${HEADER} is visible from a lower layer: the layering is not enforced")
  endif()
  message("${HEADER}: ${EXPECT}, as it should be")
  return()
endif()

set(_roots ${PROJECT_BINARY_DIR}/include_roots)
# name | include roots of the including library (with what it links) | header | expectation
foreach(case
    "core_sees_core|spct_core|core/model.h|found"
    "core_not_rollout|spct_core|rollout/kv_cache.h|missing"
    "rollout_sees_core|spct_rollout,spct_core|core/model.h|found"
    "rules_not_judge|spct_rules,spct_core|rewards/judge/judge.h|missing"
    "judge_sees_rollout|spct_judge,spct_rollout,spct_rules,spct_core|rollout/engine.h|found"
    "loss_not_stages|spct_loss,spct_core|trainer/stages/trainer.h|missing"
    "data_not_trainer|spct_data,spct_rules,spct_core|trainer/loss/losses.h|missing")
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 name)
  list(GET parts 1 libs)
  list(GET parts 2 header)
  list(GET parts 3 expect)
  string(REPLACE "," ";" libs "${libs}")
  list(TRANSFORM libs PREPEND ${_roots}/)
  string(REPLACE ";" "," libs "${libs}")
  add_test(NAME layering_${name}
           COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER} "-DROOTS=${libs}" -DHEADER=${header}
                   -DEXPECT=${expect} -DNAME=${name} -DWORK=${CMAKE_CURRENT_BINARY_DIR} -P ${CMAKE_CURRENT_LIST_FILE})
  set_tests_properties(layering_${name} PROPERTIES LABELS unit)
endforeach()
