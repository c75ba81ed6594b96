# Checkpoints (trainer/checkpoint.cpp) and the `spct inspect` command.
target_sources(spct_core PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/trainer/checkpoint.cpp)
target_sources(spct PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cli/cmd_inspect.cpp)
