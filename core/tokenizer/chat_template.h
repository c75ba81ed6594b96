// Chat templates of the supported families, written as code instead of a Jinja engine. Each
// renders exactly what HF `apply_chat_template(messages, tokenize=False, add_generation_prompt=...)`
// renders with that family's template, for messages of plain string content.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spct {

class Tokenizer;

struct ChatMessage {
  std::string role;  // system, user, assistant (tool where the family has it)
  std::string content;
  std::optional<std::string> reasoning_content;  // Qwen3 only
};

enum class ChatFormat {
  llama3,  // Meta-Llama-3-*-Instruct
  qwen2,   // ChatML with "You are a helpful assistant." when no system message is given
  qwen25,  // ChatML with Qwen2.5's default system prompt
  qwen3,   // ChatML, no default system, <think> blocks after the last user turn
  chatml,  // ChatML with no default system prompt
  gemma,   // Gemma 3: the system message is folded into the first user turn
  gemma2,  // Gemma 2: a system message is an error
  byte,    // spct's built-in byte tokenizer: <|bos|>, then <|role|>content<|end|> per turn
};

// Names: llama3, qwen2, qwen2.5, qwen3, chatml, gemma, gemma2, byte. Throws spct::Error for others.
ChatFormat chat_format_from_name(const std::string& name);
// Recognises a family from its template text (tokenizer_config.json's chat_template); throws
// spct::Error naming `source` for a template it does not know.
ChatFormat detect_chat_format(const std::string& template_text, const std::string& source);

struct ChatOptions {
  bool add_generation_prompt = true;
  std::optional<bool> enable_thinking;  // Qwen3: false adds an empty <think></think> block
};

// bos_token is the text the template's `bos_token` holds (Llama-3, Gemma).
std::string render_chat(ChatFormat format, const std::vector<ChatMessage>& messages, const ChatOptions& options,
                        const std::string& bos_token);

// Renders with the tokenizer's own template, or with the named one when format_name is set. The
// byte tokenizer, which has no template text, renders the byte format.
std::string apply_chat_template(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                                const ChatOptions& options, const std::string& format_name = "");

// Token ids of a chat as HF's apply_chat_template(tokenize=True) gives them: the rendered text
// encoded without adding special tokens (the template writes its own BOS).
std::vector<int32_t> encode_chat(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                                 const ChatOptions& options, const std::string& format_name = "");

// Parses a JSON list of {"role": ..., "content": ...}; errors name `source`.
std::vector<ChatMessage> parse_chat_messages(const std::string& json_text, const std::string& source);

}  // namespace spct
