# The rollout engine (rollout/engine.h): KV cache, sampler, decode step, CUDA graphs, scheduling.
target_sources(spct_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/kv_cache.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sampler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stop.cpp
  ${CMAKE_CURRENT_LIST_DIR}/memory_budget.cpp
  ${CMAKE_CURRENT_LIST_DIR}/decode_step.cpp
  ${CMAKE_CURRENT_LIST_DIR}/step_graphs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/engine.cpp
  ${CMAKE_CURRENT_LIST_DIR}/generate.cpp
  ${CMAKE_CURRENT_LIST_DIR}/request_jsonl.cpp)
