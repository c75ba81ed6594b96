# The training stages (SFT, RFT, GRPO, meta RM), their shared loop and the pipeline; the CLI commands.
target_sources(spct_core PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/batch.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/trainer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/sft.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/rft.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/grpo.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/metarm.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/pipeline.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/report.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/trainer/report_plots.cpp
)
target_sources(spct PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cli/cmd_train.cpp)
