# The data component: synthetic multi-domain RM data and the synthetic teacher (no downloads),
# and the `spct data` command.
target_sources(spct_core PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/data/synth.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/teacher.cpp
)
target_sources(spct PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cli/cmd_data.cpp)
