# Tests of rewards/: score parser and eq. 10/11, fuzzing, prompts, voting, datasets, `spct reward`.
spct_add_test(test_rewards unit
  test_rewards_parser.cpp
  test_rewards_fuzz.cpp
  test_rewards_prompt.cpp
  test_rewards_voting.cpp
  test_rewards_dataset.cpp
  test_rewards_jsonl.cpp)
