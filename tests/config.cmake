spct_add_test(test_config unit test_config.cpp)
