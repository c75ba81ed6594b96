# HF tokenizers (tokenizer.json) and chat templates: library sources and the `spct tokenize` command.
target_sources(spct_core PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/added_vocab.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/bpe.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/chat_template.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/decoder.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/hf_tokenizer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/normalizer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/pre_tokenizer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/tokenizer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/unicode.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/unicode_tables.cpp
)
# The generated table is large data; the precompiled LibTorch header is of no use to it.
set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/core/tokenizer/unicode_tables.cpp
  PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
target_sources(spct PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cli/cmd_tokenize.cpp)
