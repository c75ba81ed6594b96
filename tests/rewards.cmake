# Tests of rewards/: score parser and eq. 10/11, fuzzing, prompts, voting, datasets, `spct reward`.
spct_add_test(test_rewards unit
  test_rewards_parser.cpp
  test_rewards_fuzz.cpp
  test_rewards_prompt.cpp
  test_rewards_voting.cpp
  test_rewards_dataset.cpp
  test_rewards_jsonl.cpp
  test_rewards_stats.cpp)
spct_add_test(test_judge unit test_judge.cpp)
# The plotting script on a committed eval result (Debian's python3 with python3-matplotlib).
find_program(SPCT_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(SPCT_SYSTEM_PYTHON)
  add_test(NAME plot_scaling_script
           COMMAND ${SPCT_SYSTEM_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/plot_scaling.py
                   ${PROJECT_SOURCE_DIR}/tests/fixtures/eval/results_example.json --out ${CMAKE_BINARY_DIR}/scaling.png)
  set_tests_properties(plot_scaling_script PROPERTIES LABELS unit)
endif()
# scripts/compare_runs.py on hand-made runs (the standard library only).
if(SPCT_SYSTEM_PYTHON)
  add_test(NAME compare_runs_script COMMAND ${SPCT_SYSTEM_PYTHON} ${PROJECT_SOURCE_DIR}/tests/compare_runs_test.py)
  set_tests_properties(compare_runs_script PROPERTIES LABELS unit)
endif()
