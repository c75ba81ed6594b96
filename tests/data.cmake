# Tests of data/: synthetic datasets, the synthetic teacher, `spct data`.
spct_add_test(test_data unit test_data_synth.cpp)
