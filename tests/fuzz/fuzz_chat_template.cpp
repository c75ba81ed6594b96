// The chat-template renderer on arbitrary messages: the input is a JSON list of messages (parsed
// or refused with spct::Error), rendered in every format with and without the generation prompt;
// a format may refuse a conversation (spct::Error), never crash. First byte: the options. The
// renderings' text is compared with HF's templates by tests/test_tokenizer.cpp, not here.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/tokenizer/chat_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  spct::ChatOptions options;
  options.add_generation_prompt = data[0] & 1;
  if (data[0] & 2) options.enable_thinking = (data[0] & 4) != 0;
  try {
    (void)spct::detect_chat_format(text, "fuzz");
  } catch (const spct::Error&) {
  }
  std::vector<spct::ChatMessage> messages;
  try {
    messages = spct::parse_chat_messages(text, "fuzz");
  } catch (const spct::Error&) {
    return 0;
  }
  for (const char* name : {"llama3", "qwen2", "qwen2.5", "qwen3", "chatml", "gemma", "gemma2", "byte"}) {
    try {
      (void)spct::render_chat(spct::chat_format_from_name(name), messages, options, "<bos>");
    } catch (const spct::Error&) {
    }
  }
  return 0;
}
