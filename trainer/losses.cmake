# Training math: losses (SFT, GRPO, BCE), AdamW with fp32 masters, grad clipping, LR schedule.
target_sources(spct_core PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/losses.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/chunked_logprobs.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/activation_checkpoint.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/optimizer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/zero.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/lr_schedule.cpp
)
