# Tests of rollout/: engine, sampler, stop strings, memory budget, `spct generate` JSONL.
spct_add_test(test_rollout rollout test_rollout.cpp test_rollout_cli.cpp)
