# Tests of data/: synthetic datasets, the synthetic teacher, `spct data`.
spct_add_test(test_data unit test_data_synth.cpp)

# The main job (issue 7): report.md and its PNG charts from known results (test_png: the PNG
# encoder), and a shortened run of the whole demo.
spct_add_test(test_report unit test_report.cpp test_png.cpp)
add_test(NAME demo_pipeline COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/demo_test.sh $<TARGET_FILE:spct>)
set_tests_properties(demo_pipeline PROPERTIES LABELS unit TIMEOUT 900)
