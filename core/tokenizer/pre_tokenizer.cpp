#include "core/tokenizer/pre_tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/tokenizer/unicode.h"

namespace spct::tok {
namespace {

const char* const kGpt2Regex = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

enum : uint8_t { kL = 1, kN = 2, kS = 4 };

struct CodePoints {
  std::vector<uint32_t> offset;  // byte offset of each code point, plus the end
  std::vector<char32_t> cp;
  std::vector<uint8_t> cls;

  void load(std::string_view text) {
    offset.clear();
    cp.clear();
    cls.clear();
    for (size_t i = 0; i < text.size();) {
      int len;
      char32_t c = decode_utf8(text, i, &len);
      offset.push_back(static_cast<uint32_t>(i));
      cp.push_back(c);
      uint8_t k = 0;
      if (c < 0x80) {
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
          k = kL;
        else if (c >= '0' && c <= '9')
          k = kN;
        else if (c == ' ' || (c >= 0x09 && c <= 0x0D))
          k = kS;
      } else {
        k = is_letter(c) ? kL : is_number(c) ? kN : is_regex_space(c) ? kS : 0;
      }
      cls.push_back(k);
      i += len;
    }
    offset.push_back(static_cast<uint32_t>(text.size()));
  }
};

// Scans the alternatives of one pattern at code point i, in the pattern's order, with the
// backtracking outcome Oniguruma reaches. Returns the end of the match (i when none matches).
class Scanner {
 public:
  Scanner(const CodePoints& c, SplitPattern p) : c_(c), p_(p), n_(c.cp.size()) {}

  size_t match(size_t i) const {
    if (size_t j = contraction(i)) return j;
    return p_ == SplitPattern::gpt2 ? gpt2_rest(i) : llama_rest(i);
  }

 private:
  bool has(size_t k, uint8_t cls) const { return k < n_ && (c_.cls[k] & cls); }
  bool other(size_t k) const { return k < n_ && c_.cls[k] == 0; }
  bool newline(size_t k) const { return k < n_ && (c_.cp[k] == '\r' || c_.cp[k] == '\n'); }
  size_t run(size_t k, uint8_t cls) const {
    while (has(k, cls)) ++k;
    return k;
  }
  size_t run_other(size_t k) const {
    while (other(k)) ++k;
    return k;
  }
  char32_t fold(size_t k) const {
    if (k >= n_) return 0;
    char32_t c = c_.cp[k];
    if (p_ == SplitPattern::gpt2) return c;  // GPT-2's contractions are case-sensitive
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c == 0x17F) return 's';  // LATIN SMALL LETTER LONG S case-folds to 's'
    return c;
  }
  // 's|'t|'re|'ve|'m|'ll|'d
  size_t contraction(size_t i) const {
    if (c_.cp[i] != '\'') return 0;
    char32_t a = fold(i + 1), b = fold(i + 2);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    return 0;
  }
  // \s+(?!\S)|\s+ over the whitespace run [i, end).
  size_t trailing_space(size_t i, size_t end) const {
    if (end == n_ || end - i < 2) return end;
    return end - 1;
  }
  // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
  size_t gpt2_rest(size_t i) const {
    const bool space = c_.cp[i] == ' ';
    if (has(i, kL)) return run(i, kL);
    if (space && has(i + 1, kL)) return run(i + 1, kL);
    if (has(i, kN)) return run(i, kN);
    if (space && has(i + 1, kN)) return run(i + 1, kN);
    if (other(i)) return run_other(i);
    if (space && other(i + 1)) return run_other(i + 1);
    if (has(i, kS)) return trailing_space(i, run(i, kS));
    return i;
  }
  // `[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
  // (Qwen2: \p{N} instead of \p{N}{1,3}).
  size_t llama_rest(size_t i) const {
    if (has(i, kL)) return run(i, kL);
    if (!newline(i) && !has(i, kN) && has(i + 1, kL)) return run(i + 1, kL);
    if (has(i, kN)) {
      size_t max_digits = p_ == SplitPattern::llama3 ? 3 : 1;
      size_t end = run(i, kN);
      return std::min(end, i + max_digits);
    }
    size_t k = (c_.cp[i] == ' ' && other(i + 1)) ? i + 1 : i;
    if (other(k)) {
      size_t j = run_other(k);
      while (newline(j)) ++j;
      return j;
    }
    if (has(i, kS)) {
      size_t end = run(i, kS);
      for (size_t p = end; p > i; --p)
        if (newline(p - 1)) return p;  // \s*[\r\n]+ ends after the run's last newline
      return trailing_space(i, end);
    }
    return i;
  }

  const CodePoints& c_;
  SplitPattern p_;
  size_t n_;
};

struct Piece {
  Span span;
  bool is_match;
};

// HF's SplitDelimiterBehavior applied to matches and gaps in order.
void apply_behavior(std::vector<Piece>& parts, SplitBehavior behavior, std::vector<Span>& out) {
  switch (behavior) {
    case SplitBehavior::isolated:
      for (const Piece& p : parts) out.push_back(p.span);
      return;
    case SplitBehavior::removed:
      for (const Piece& p : parts)
        if (!p.is_match) out.push_back(p.span);
      return;
    case SplitBehavior::merged_with_previous: {
      size_t first = out.size();
      bool previous_match = false;
      for (const Piece& p : parts) {
        if (p.is_match && !previous_match && out.size() > first)
          out.back().end = p.span.end;
        else
          out.push_back(p.span);
        previous_match = p.is_match;
      }
      return;
    }
    case SplitBehavior::merged_with_next: {
      std::vector<Span> rev;
      bool previous_match = false;
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->is_match && !previous_match && !rev.empty())
          rev.back().begin = it->span.begin;
        else
          rev.push_back(it->span);
        previous_match = it->is_match;
      }
      out.insert(out.end(), rev.rbegin(), rev.rend());
      return;
    }
    case SplitBehavior::contiguous: {
      size_t first = out.size();
      bool previous_match = false;
      for (const Piece& p : parts) {
        if (p.is_match && previous_match && out.size() > first)
          out.back().end = p.span.end;
        else
          out.push_back(p.span);
        previous_match = p.is_match;
      }
      return;
    }
  }
}

void split_literal(std::string_view text, Span span, const std::string& delim, bool invert, SplitBehavior behavior,
                   std::vector<Span>& out) {
  std::vector<Piece> parts;
  uint32_t pos = span.begin;
  std::string_view body = text.substr(0, span.end);
  while (!delim.empty()) {
    size_t hit = body.find(delim, pos);
    if (hit == std::string_view::npos) break;
    if (hit > pos) parts.push_back({{pos, static_cast<uint32_t>(hit)}, invert});
    parts.push_back({{static_cast<uint32_t>(hit), static_cast<uint32_t>(hit + delim.size())}, !invert});
    pos = static_cast<uint32_t>(hit + delim.size());
  }
  if (pos < span.end) parts.push_back({{pos, span.end}, invert});
  apply_behavior(parts, behavior, out);
}

SplitBehavior parse_behavior(const nlohmann::json& j, const std::string& source) {
  std::string b = j.value("behavior", "Isolated");
  if (b == "Isolated") return SplitBehavior::isolated;
  if (b == "Removed") return SplitBehavior::removed;
  if (b == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
  if (b == "MergedWithNext") return SplitBehavior::merged_with_next;
  if (b == "Contiguous") return SplitBehavior::contiguous;
  throw_error(source, ": pre_tokenizer Split: unknown behavior '", b, "'");
}

}  // namespace

SplitPattern parse_split_pattern(const std::string& regex, const std::string& source) {
  if (regex == kGpt2Regex) return SplitPattern::gpt2;
  if (regex == kLlama3Regex) return SplitPattern::llama3;
  if (regex == kQwen2Regex) return SplitPattern::qwen2;
  throw_error(source, ": unsupported pre-tokenizer Split pattern '", regex,
              "' (known: the GPT-2, Llama-3 and Qwen2 patterns)");
}

void split_by_pattern(SplitPattern pattern, std::string_view text, uint32_t offset, std::vector<Span>& out) {
  thread_local CodePoints cps;
  cps.load(text);
  Scanner scanner(cps, pattern);
  const size_t n = cps.cp.size();
  size_t gap = 0;  // start of code points no alternative matched (never happens for these patterns)
  for (size_t i = 0; i < n;) {
    size_t j = scanner.match(i);
    if (j == i) {
      ++i;
      continue;
    }
    if (gap < i) out.push_back({offset + cps.offset[gap], offset + cps.offset[i]});
    out.push_back({offset + cps.offset[i], offset + cps.offset[j]});
    i = gap = j;
  }
  if (gap < n) out.push_back({offset + cps.offset[gap], offset + cps.offset[n]});
}

PreTokenizer::PreTokenizer(const nlohmann::json& config, const std::string& source) {
  if (!config.is_null()) add_step(config, source);
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& s = steps_[i];
    SPCT_CHECK(s.kind != Step::byte_level || i + 1 == steps_.size(), source,
               ": pre_tokenizer: ByteLevel must be the last step of the Sequence");
    SPCT_CHECK(s.kind != Step::metaspace || i == 0, source, ": pre_tokenizer: Metaspace must be the first step");
    SPCT_CHECK(!(s.kind == Step::byte_level && s.add_prefix_space) || i == 0, source,
               ": pre_tokenizer: ByteLevel with add_prefix_space after another step is not supported");
  }
}

void PreTokenizer::add_step(const nlohmann::json& j, const std::string& source) {
  SPCT_CHECK(j.is_object() && j.contains("type"), source, ": pre_tokenizer: expected an object with a \"type\"");
  std::string type = j["type"].get<std::string>();
  Step s{};
  if (type == "Sequence") {
    for (const auto& sub : j.at("pretokenizers")) add_step(sub, source);
    return;
  } else if (type == "Split") {
    const auto& pat = j.at("pattern");
    s.behavior = parse_behavior(j, source);
    s.invert = j.value("invert", false);
    if (pat.contains("Regex")) {
      s.kind = Step::regex;
      s.pattern = parse_split_pattern(pat["Regex"].get<std::string>(), source);
      SPCT_CHECK(!s.invert && s.behavior == SplitBehavior::isolated, source,
                 ": pre_tokenizer Split: a regex is supported only with behavior Isolated and invert false");
    } else if (pat.contains("String")) {
      s.kind = Step::literal_split;
      s.literal = pat["String"].get<std::string>();
    } else {
      throw_error(source, ": pre_tokenizer Split: pattern must be {\"Regex\": ...} or {\"String\": ...}");
    }
  } else if (type == "ByteLevel") {
    s.kind = Step::byte_level;
    s.add_prefix_space = j.value("add_prefix_space", false);
    s.pattern = SplitPattern::gpt2;
    s.use_regex = j.value("use_regex", true);
    byte_level_ = true;
  } else if (type == "Metaspace") {
    s.kind = Step::metaspace;
    s.replacement = j.value("replacement", std::string("\xE2\x96\x81"));
    s.prepend_scheme = j.value("prepend_scheme", std::string(j.value("add_prefix_space", true) ? "always" : "never"));
    s.split = j.value("split", true);
  } else {
    throw_error(source, ": unsupported pre_tokenizer type '", type,
                "' (supported: Split, ByteLevel, Metaspace, Sequence)");
  }
  steps_.push_back(std::move(s));
}

void PreTokenizer::split(std::string& text, bool at_text_start, std::vector<Span>& pieces) const {
  pieces.clear();
  if (!steps_.empty()) {
    const Step& first = steps_.front();
    if (first.kind == Step::metaspace) {
      std::string out;
      out.reserve(text.size() + 3);
      for (char ch : text) {
        if (ch == ' ')
          out += first.replacement;
        else
          out += ch;
      }
      bool prepend = first.prepend_scheme == "always" || (first.prepend_scheme == "first" && at_text_start);
      if (prepend && out.compare(0, first.replacement.size(), first.replacement) != 0) out.insert(0, first.replacement);
      text.swap(out);
    } else if (first.kind == Step::byte_level && first.add_prefix_space && (text.empty() || text[0] != ' ')) {
      text.insert(text.begin(), ' ');
    }
  }
  pieces.push_back({0, static_cast<uint32_t>(text.size())});
  thread_local std::vector<Span> next;
  for (const Step& s : steps_) {
    next.clear();
    for (const Span& p : pieces) {
      std::string_view body(text.data() + p.begin, p.end - p.begin);
      switch (s.kind) {
        case Step::regex: split_by_pattern(s.pattern, body, p.begin, next); break;
        case Step::literal_split: split_literal(text, p, s.literal, s.invert, s.behavior, next); break;
        case Step::byte_level:
          if (s.use_regex)
            split_by_pattern(SplitPattern::gpt2, body, p.begin, next);
          else
            next.push_back(p);
          break;
        case Step::metaspace:
          if (s.split)
            split_literal(text, p, s.replacement, false, SplitBehavior::merged_with_next, next);
          else
            next.push_back(p);
          break;
      }
    }
    pieces.swap(next);
  }
  size_t kept = 0;
  for (const Span& p : pieces)
    if (p.end > p.begin) pieces[kept++] = p;
  pieces.resize(kept);
}

}  // namespace spct::tok
