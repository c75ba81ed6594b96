# The rewards component: SPCT's model-free judging rules (prompt, score parser, eq. 10/11,
# voting, RM datasets) and the `spct reward` command.
target_sources(spct_core PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/rewards/judge_prompt.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rewards/score_parser.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rewards/correctness.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rewards/voting.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rewards/rm_dataset.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rewards/reward_jsonl.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rewards/meta_rm.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rewards/judge.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rewards/evaluation.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rewards/benchmark.cpp
)
target_sources(spct PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cli/cmd_reward.cpp
                            ${CMAKE_CURRENT_SOURCE_DIR}/cli/cmd_judge.cpp
                            ${CMAKE_CURRENT_SOURCE_DIR}/cli/cmd_eval.cpp)
