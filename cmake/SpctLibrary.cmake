# spct_library(NAME DIR dir SOURCES src... [DEPS lib...])
#
# One static library per folder, linked one way only (docs/architecture.md). The layering is
# enforced by what each library can include, not by convention: a library sees its own folder and
# the folders of the libraries it links (PUBLIC, so transitively), each through an include root
# of its own in the build tree that holds one link to the folder. `#include "rollout/engine.h"`
# from core/ finds no such file and the build fails, as libllama's private headers do.
function(spct_library name)
  cmake_parse_arguments(arg "" "DIR" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${arg_SOURCES})
  spct_expose(${name} PUBLIC ${arg_DIR})
  target_link_libraries(${name} PUBLIC ${arg_DEPS})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(SPCT_USE_PCH AND NOT name STREQUAL "spct_core")
    target_precompile_headers(${name} REUSE_FROM spct_core)
  endif()
endfunction()

# spct_use_pch(TARGET): executables and tests reuse spct_core's precompiled LibTorch header.
function(spct_use_pch target)
  if(SPCT_USE_PCH)
    target_precompile_headers(${target} REUSE_FROM spct_core)
  endif()
endfunction()

# spct_expose(TARGET PUBLIC|PRIVATE DIR): TARGET includes DIR's headers as "DIR/x.h" through an
# include root that holds a link to DIR alone.
function(spct_expose target scope dir)
  set(include_root ${PROJECT_BINARY_DIR}/include_roots/${target})
  get_filename_component(link_parent ${include_root}/${dir} DIRECTORY)
  file(MAKE_DIRECTORY ${link_parent})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${dir} ${include_root}/${dir} SYMBOLIC)
  target_include_directories(${target} ${scope} ${include_root})
endfunction()
