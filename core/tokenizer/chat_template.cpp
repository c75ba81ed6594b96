#include "core/tokenizer/chat_template.h"

#include "core/byte_tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"

namespace spct {
namespace {

// Python str.strip() (Jinja's `trim` filter).
std::string py_strip(const std::string& s) {
  size_t begin = 0, end = s.size();
  while (begin < end) {
    int len;
    if (!tok::is_python_space(tok::decode_utf8(s, begin, &len))) break;
    begin += len;
  }
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    int len;
    if (!tok::is_python_space(tok::decode_utf8(s, start, &len))) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

std::string lstrip_newlines(const std::string& s) {
  size_t b = s.find_first_not_of('\n');
  return b == std::string::npos ? "" : s.substr(b);
}
std::string rstrip_newlines(const std::string& s) {
  size_t e = s.find_last_not_of('\n');
  return e == std::string::npos ? "" : s.substr(0, e + 1);
}
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

std::string llama3(const std::vector<ChatMessage>& m, const ChatOptions& o, const std::string& bos) {
  std::string out;
  for (size_t i = 0; i < m.size(); ++i) {
    if (i == 0) out += bos;
    out += "<|start_header_id|>" + m[i].role + "<|end_header_id|>\n\n" + py_strip(m[i].content) + "<|eot_id|>";
  }
  if (o.add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

std::string im(const std::string& role, const std::string& content) {
  return "<|im_start|>" + role + "\n" + content + "<|im_end|>\n";
}

// Qwen2.5 and Qwen3 render tool results as one user turn of <tool_response> blocks.
std::string tool_turn(const std::vector<ChatMessage>& m, size_t i) {
  std::string out;
  if (i == 0 || m[i - 1].role != "tool") out += "<|im_start|>user";
  out += "\n<tool_response>\n" + m[i].content + "\n</tool_response>";
  if (i + 1 == m.size() || m[i + 1].role != "tool") out += "<|im_end|>\n";
  return out;
}

std::string chatml(const std::vector<ChatMessage>& m, const ChatOptions& o, const char* default_system) {
  std::string out;
  for (size_t i = 0; i < m.size(); ++i) {
    if (i == 0 && default_system && m[0].role != "system") out += im("system", default_system);
    out += im(m[i].role, m[i].content);
  }
  if (o.add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

std::string qwen25(const std::vector<ChatMessage>& m, const ChatOptions& o) {
  std::string out = m[0].role == "system"
                        ? im("system", m[0].content)
                        : im("system", "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
  for (size_t i = 0; i < m.size(); ++i) {
    const std::string& role = m[i].role;
    if (role == "user" || (role == "system" && i != 0) || role == "assistant")
      out += im(role, m[i].content);
    else if (role == "tool")
      out += tool_turn(m, i);
  }
  if (o.add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

std::string qwen3(const std::vector<ChatMessage>& m, const ChatOptions& o) {
  std::string out;
  if (m[0].role == "system") out += im("system", m[0].content);
  // The last user turn that is not a tool response: assistant turns after it show their thinking.
  size_t last_query = m.size() - 1;
  for (size_t k = m.size(); k-- > 0;) {
    const std::string& c = m[k].content;
    if (m[k].role == "user" && !(starts_with(c, "<tool_response>") && ends_with(c, "</tool_response>"))) {
      last_query = k;
      break;
    }
  }
  for (size_t i = 0; i < m.size(); ++i) {
    const std::string& role = m[i].role;
    std::string content = m[i].content;
    if (role == "user" || (role == "system" && i != 0)) {
      out += im(role, content);
    } else if (role == "assistant") {
      std::string reasoning;
      if (m[i].reasoning_content) {
        reasoning = *m[i].reasoning_content;
      } else if (content.find("</think>") != std::string::npos) {
        std::string before = rstrip_newlines(content.substr(0, content.find("</think>")));
        size_t open = before.rfind("<think>");
        reasoning = lstrip_newlines(open == std::string::npos ? before : before.substr(open + 7));
        content = lstrip_newlines(content.substr(content.rfind("</think>") + 8));
      }
      std::string think_trimmed = lstrip_newlines(rstrip_newlines(reasoning));
      if (i > last_query && (i + 1 == m.size() || !reasoning.empty()))
        out += "<|im_start|>assistant\n<think>\n" + think_trimmed + "\n</think>\n\n" + lstrip_newlines(content);
      else
        out += "<|im_start|>assistant\n" + content;
      out += "<|im_end|>\n";
    } else if (role == "tool") {
      out += tool_turn(m, i);
    }
  }
  if (o.add_generation_prompt) {
    out += "<|im_start|>assistant\n";
    if (o.enable_thinking && !*o.enable_thinking) out += "<think>\n\n</think>\n\n";
  }
  return out;
}

std::string gemma(const std::vector<ChatMessage>& m, const ChatOptions& o, const std::string& bos, bool fold_system) {
  std::string out = bos, prefix;
  size_t first = 0;
  if (m[0].role == "system") {
    SPCT_CHECK(fold_system, "chat template gemma2: System role not supported");
    prefix = m[0].content + "\n\n";
    first = 1;
  }
  for (size_t i = first; i < m.size(); ++i) {
    SPCT_CHECK((m[i].role == "user") == ((i - first) % 2 == 0),
               "chat template gemma: Conversation roles must alternate user/assistant/user/assistant/...");
    const std::string role = m[i].role == "assistant" ? "model" : m[i].role;
    out += "<start_of_turn>" + role + "\n" + (i == first ? prefix : "") + py_strip(m[i].content) + "<end_of_turn>\n";
  }
  if (o.add_generation_prompt) out += "<start_of_turn>model\n";
  return out;
}

}  // namespace

ChatFormat chat_format_from_name(const std::string& name) {
  if (name == "llama3") return ChatFormat::llama3;
  if (name == "qwen2") return ChatFormat::qwen2;
  if (name == "qwen2.5" || name == "qwen25") return ChatFormat::qwen25;
  if (name == "qwen3") return ChatFormat::qwen3;
  if (name == "chatml") return ChatFormat::chatml;
  if (name == "gemma" || name == "gemma3") return ChatFormat::gemma;
  if (name == "gemma2") return ChatFormat::gemma2;
  if (name == "byte") return ChatFormat::byte;
  throw_error("unknown chat template '", name, "' (known: llama3, qwen2, qwen2.5, qwen3, chatml, gemma, gemma2, byte)");
}

ChatFormat detect_chat_format(const std::string& t, const std::string& source) {
  auto has = [&](const char* s) { return t.find(s) != std::string::npos; };
  SPCT_CHECK(!t.empty(), source,
             ": no chat_template (choose one by name: llama3, qwen2, qwen2.5, qwen3, chatml, gemma)");
  if (has("<|start_header_id|>")) {
    SPCT_CHECK(!has("Cutting Knowledge Date"), source,
               ": the Llama-3.1+ chat template (tools, dated system prompt) is not supported; choose one by name");
    return ChatFormat::llama3;
  }
  if (has("<|im_start|>")) {
    if (has("last_query_index") || has("<think>")) return ChatFormat::qwen3;
    if (has("You are Qwen, created by Alibaba Cloud")) return ChatFormat::qwen25;
    if (has("You are a helpful assistant.")) return ChatFormat::qwen2;
    return ChatFormat::chatml;
  }
  if (has("<start_of_turn>")) return has("first_user_prefix") ? ChatFormat::gemma : ChatFormat::gemma2;
  throw_error(source, ": unrecognised chat_template (known families: Llama-3, ChatML/Qwen2/Qwen2.5/Qwen3, Gemma); ",
              "choose one by name");
}

std::string render_chat(ChatFormat format, const std::vector<ChatMessage>& messages, const ChatOptions& options,
                        const std::string& bos_token) {
  SPCT_CHECK(!messages.empty(), "chat template: no messages");
  switch (format) {
    case ChatFormat::llama3: return llama3(messages, options, bos_token);
    case ChatFormat::qwen2: return chatml(messages, options, "You are a helpful assistant.");
    case ChatFormat::qwen25: return qwen25(messages, options);
    case ChatFormat::qwen3: return qwen3(messages, options);
    case ChatFormat::chatml: return chatml(messages, options, nullptr);
    case ChatFormat::gemma: return gemma(messages, options, bos_token, true);
    case ChatFormat::gemma2: return gemma(messages, options, bos_token, false);
    case ChatFormat::byte: {
      std::string out = "<|bos|>";
      for (const auto& m : messages) {
        SPCT_CHECK(m.role == "system" || m.role == "user" || m.role == "assistant",
                   "chat template byte: unknown role '", m.role, "'");
        out += "<|" + m.role + "|>" + m.content + "<|end|>";
      }
      if (options.add_generation_prompt) out += "<|assistant|>";
      return out;
    }
  }
  throw_error("chat template: unknown format");
}

std::string apply_chat_template(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                                const ChatOptions& options, const std::string& format_name) {
  ChatFormat format;
  if (!format_name.empty())
    format = chat_format_from_name(format_name);
  else if (dynamic_cast<const ByteTokenizer*>(&tokenizer))
    format = ChatFormat::byte;
  else
    format = detect_chat_format(tokenizer.chat_template(), "tokenizer chat_template");
  return render_chat(format, messages, options, tokenizer.bos_token());
}

std::vector<int32_t> encode_chat(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                                 const ChatOptions& options, const std::string& format_name) {
  return tokenizer.encode(apply_chat_template(tokenizer, messages, options, format_name), /*add_special=*/false);
}

std::vector<ChatMessage> parse_chat_messages(const std::string& json_text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw_error(source, ": not valid JSON: ", e.what());
  }
  SPCT_CHECK(j.is_array(), source, ": expected a JSON list of {\"role\", \"content\"} messages");
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& m = j[i];
    SPCT_CHECK(m.is_object() && m.contains("role") && m["role"].is_string() && m.contains("content") &&
                   m["content"].is_string(),
               source, ": message ", i, " needs string \"role\" and \"content\"");
    ChatMessage msg{m["role"].get<std::string>(), m["content"].get<std::string>(), std::nullopt};
    if (m.contains("reasoning_content") && m["reasoning_content"].is_string())
      msg.reasoning_content = m["reasoning_content"].get<std::string>();
    out.push_back(std::move(msg));
  }
  return out;
}

}  // namespace spct
