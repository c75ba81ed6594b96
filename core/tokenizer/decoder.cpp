#include "core/tokenizer/decoder.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/tokenizer/bpe.h"
#include "core/tokenizer/unicode.h"

namespace spct::tok {
namespace {

std::string replace_all(const std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = text.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(text, pos, hit - pos);
    out += to;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

// A token's bytes under the ByteLevel decoder: mapped back through the GPT-2 alphabet, or its
// own UTF-8 when any character lies outside it (added tokens such as "<|im_start|>" map to themselves).
void append_byte_level(const std::string& token, std::string& out) {
  size_t start = out.size();
  for (size_t i = 0; i < token.size();) {
    int len;
    int b = unicode_to_byte(decode_utf8(token, i, &len));
    if (b < 0) {
      out.resize(start);
      out += token;
      return;
    }
    out += static_cast<char>(b);
    i += len;
  }
}

int byte_token_value(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  auto hex = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
  };
  int hi = hex(t[3]), lo = hex(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::vector<std::string> byte_fallback(std::vector<std::string> tokens) {
  std::vector<std::string> out;
  std::string bytes;
  auto flush = [&]() {
    if (bytes.empty()) return;
    if (is_valid_utf8(bytes))
      out.push_back(bytes);
    else
      for (size_t i = 0; i < bytes.size(); ++i) out.push_back("\xEF\xBF\xBD");  // one U+FFFD per byte, as HF
    bytes.clear();
  };
  for (auto& t : tokens) {
    int b = byte_token_value(t);
    if (b >= 0) {
      bytes += static_cast<char>(b);
      continue;
    }
    flush();
    out.push_back(std::move(t));
  }
  flush();
  return out;
}

std::string strip(const std::string& token, const std::string& content, int start, int stop) {
  std::vector<std::pair<size_t, int>> chars;  // (offset, length)
  for (size_t i = 0; i < token.size();) {
    int len;
    decode_utf8(token, i, &len);
    chars.push_back({i, len});
    i += len;
  }
  auto is_content = [&](size_t k) { return token.compare(chars[k].first, chars[k].second, content) == 0; };
  size_t begin = 0, end = chars.size();
  for (int k = 0; k < start && begin < end && is_content(begin); ++k) ++begin;
  for (int k = 0; k < stop && end > begin && is_content(end - 1); ++k) --end;
  if (begin == end) return "";
  size_t from = chars[begin].first;
  size_t to = end < chars.size() ? chars[end].first : token.size();
  return token.substr(from, to - from);
}

}  // namespace

Decoder::Decoder(const nlohmann::json& config, const std::string& source) {
  if (config.is_null()) return;
  joined_with_spaces_ = false;
  add_step(config, source);
}

void Decoder::add_step(const nlohmann::json& j, const std::string& source) {
  SPCT_CHECK(j.is_object() && j.contains("type"), source, ": decoder: expected an object with a \"type\"");
  std::string type = j["type"].get<std::string>();
  Step s{};
  if (type == "Sequence") {
    for (const auto& sub : j.at("decoders")) add_step(sub, source);
    return;
  } else if (type == "ByteLevel") {
    s.kind = Step::byte_level;
  } else if (type == "Replace") {
    const auto& pat = j.at("pattern");
    SPCT_CHECK(pat.contains("String"), source,
               ": decoder Replace: only literal {\"String\": ...} patterns are supported");
    s.kind = Step::replace;
    s.from = pat["String"].get<std::string>();
    s.to = j.at("content").get<std::string>();
  } else if (type == "ByteFallback") {
    s.kind = Step::byte_fallback;
  } else if (type == "Fuse") {
    s.kind = Step::fuse;
  } else if (type == "Strip") {
    s.kind = Step::strip;
    s.content = j.at("content").get<std::string>();
    s.start = j.value("start", 0);
    s.stop = j.value("stop", 0);
  } else if (type == "Metaspace") {
    s.kind = Step::metaspace;
    s.from = j.value("replacement", std::string("\xE2\x96\x81"));
    std::string scheme = j.value("prepend_scheme", std::string(j.value("add_prefix_space", true) ? "always" : "never"));
    s.prepend_first = scheme != "never";
  } else {
    throw_error(source, ": unsupported decoder type '", type,
                "' (supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence)");
  }
  steps_.push_back(std::move(s));
}

std::string Decoder::decode(std::vector<std::string> tokens) const {
  for (const Step& s : steps_) {
    switch (s.kind) {
      case Step::byte_level: {
        std::string bytes;
        for (const auto& t : tokens) append_byte_level(t, bytes);
        tokens.assign(1, utf8_lossy(bytes));
        break;
      }
      case Step::replace:
        for (auto& t : tokens) t = replace_all(t, s.from, s.to);
        break;
      case Step::byte_fallback: tokens = byte_fallback(std::move(tokens)); break;
      case Step::fuse: {
        std::string all;
        for (const auto& t : tokens) all += t;
        tokens.assign(1, std::move(all));
        break;
      }
      case Step::strip:
        for (auto& t : tokens) t = strip(t, s.content, s.start, s.stop);
        break;
      case Step::metaspace:
        // Every replacement character of the first token is dropped (HF's behaviour), the rest become spaces.
        for (size_t i = 0; i < tokens.size(); ++i)
          tokens[i] = replace_all(tokens[i], s.from, i == 0 && s.prepend_first ? "" : " ");
        break;
    }
  }
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (joined_with_spaces_ && i) out += ' ';
    out += tokens[i];
  }
  return out;
}

}  // namespace spct::tok
