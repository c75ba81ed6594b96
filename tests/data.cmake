# Tests of data/: synthetic datasets, the synthetic teacher, `spct data`.
spct_add_test(test_data unit test_data_synth.cpp)

# The main job (issue 7): report.md from known results, the charts scripts/plot_report.py draws
# (Debian's python3 with python3-matplotlib), and a shortened run of the whole demo.
spct_add_test(test_report unit test_report.cpp)
find_program(SPCT_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(SPCT_SYSTEM_PYTHON)
  add_test(NAME plot_report_script COMMAND ${SPCT_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_plot_report.py)
  set_tests_properties(plot_report_script PROPERTIES LABELS unit)
endif()
add_test(NAME demo_pipeline COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/demo_test.sh $<TARGET_FILE:spct>)
set_tests_properties(demo_pipeline PROPERTIES LABELS unit TIMEOUT 900)
