# libFuzzer targets of the parsers (docs/fuzzing.md): scripts/fuzz.sh builds them with clang, ASan
# and UBSan in <build>/fuzz (no LibTorch), then each runs 5 seconds on its committed corpus
# (tests/fuzz/corpus/, crash reproducers included). Label fuzz.
find_program(SPCT_CLANGXX NAMES clang++-14 clang++)
if(SPCT_CLANGXX)
  set(_spct_fuzz_env "SPCT_FUZZ_BUILD_DIR=${CMAKE_BINARY_DIR}/fuzz")
  add_test(NAME fuzz_build COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/fuzz.sh build)
  set_tests_properties(fuzz_build PROPERTIES LABELS fuzz FIXTURES_SETUP spct_fuzz TIMEOUT 1800
                       ENVIRONMENT ${_spct_fuzz_env})
  foreach(target safetensors_header tokenizer chat_template config jsonl_items score_parser)
    add_test(NAME fuzz_${target} COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/fuzz.sh run ${target} -max_total_time=5)
    set_tests_properties(fuzz_${target} PROPERTIES LABELS fuzz FIXTURES_REQUIRED spct_fuzz TIMEOUT 120
                         ENVIRONMENT ${_spct_fuzz_env})
  endforeach()
endif()
