#include "rewards/rules/score_parser.h"

#include <algorithm>

#include "core/error.h"

namespace spct::rewards {
namespace {

constexpr std::string_view kBox = "\\boxed{";
constexpr size_t kMaxQuoted = 24;  // longest entry quoted back in a reason

// Our own test, not std::isspace: that one is undefined for negative chars (arbitrary bytes).
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Quotes an entry back, shortened; the cut never splits a UTF-8 sequence.
std::string quoted(std::string_view s) {
  if (s.size() <= kMaxQuoted) return "'" + std::string(s) + "'";
  size_t cut = kMaxQuoted;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return "'" + std::string(s.substr(0, cut)) + "...'";
}

ScoreParse malformed(ScoreParse p, ParseError error, std::string reason) {
  p.scores.clear();
  p.error = error;
  p.reason = std::move(reason);
  return p;
}

// A heading is a line whose first word is `name` followed by ':', tolerating the markdown a model
// tends to add ("## Critique:", "**Critique:**"). Returns {line start, text start} or npos.
struct Heading {
  size_t line = std::string_view::npos;
  size_t body = std::string_view::npos;
};

Heading heading_at(std::string_view text, size_t line, std::string_view name) {
  size_t i = line;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '#' || text[i] == '*')) ++i;
  if (text.compare(i, name.size(), name) != 0) return {};
  i += name.size();
  while (i < text.size() && text[i] == '*') ++i;
  if (i >= text.size() || text[i] != ':') return {};
  ++i;
  while (i < text.size() && text[i] == '*') ++i;
  return {line, i};
}

Heading find_heading(std::string_view text, std::string_view name, size_t from) {
  for (size_t line = from; line < text.size();) {
    Heading h = heading_at(text, line, name);
    if (h.line != std::string_view::npos) return h;
    size_t nl = text.find('\n', line);
    if (nl == std::string_view::npos) break;
    line = nl + 1;
  }
  return {};
}

size_t line_start(std::string_view text, size_t pos) {
  size_t nl = pos == 0 ? std::string_view::npos : text.rfind('\n', pos - 1);
  return nl == std::string_view::npos ? 0 : nl + 1;
}

std::string section(std::string_view text, size_t begin, size_t end) {
  if (begin == std::string_view::npos || end <= begin) return {};
  return std::string(trim(text.substr(begin, end - begin)));
}

// Fills principles and critique. Sections end where the scores start: at the line of the final
// box when that line is a "Scores:" heading, else at the box itself.
void split_sections(std::string_view text, size_t box, ScoreParse& p) {
  size_t scores_end = text.size();
  if (box != std::string_view::npos) {
    size_t line = line_start(text, box);
    scores_end = heading_at(text, line, "Scores").line != std::string_view::npos ? line : box;
  }
  Heading principles = find_heading(text, "Principles", 0);
  size_t after = principles.body == std::string_view::npos ? 0 : principles.body;
  Heading critique = find_heading(text, "Critique", after);
  size_t principles_end = critique.line != std::string_view::npos ? critique.line : scores_end;
  p.principles = section(text, principles.body, principles_end);
  p.critique = section(text, critique.body, scores_end);
}

// Strict integer: optional sign, then decimal digits only. Returns false if not an integer;
// `big` marks a value too long to hold, which is out of range for any score.
bool parse_int(std::string_view s, long& value, bool& big) {
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  value = 0;
  big = false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (value > 100000000)
      big = true;
    else
      value = value * 10 + (c - '0');
  }
  if (negative) value = -value;
  return true;
}

ScoreParse parse_box(std::string_view content, int n, ScoreParse p) {
  if (trim(content).empty()) return malformed(std::move(p), ParseError::empty_box, "the last \\boxed{} is empty");
  std::vector<std::string_view> entries;
  for (size_t start = 0;;) {
    size_t comma = content.find(',', start);
    entries.push_back(trim(content.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (entries.size() != static_cast<size_t>(n))
    return malformed(
        std::move(p), ParseError::wrong_count,
        "expected " + std::to_string(n) + " score(s) in the last \\boxed{}, found " + std::to_string(entries.size()));
  const ScoreRange range = score_range(n);
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string where = "score " + std::to_string(i + 1);
    long value = 0;
    bool big = false;
    if (entries[i].empty()) return malformed(std::move(p), ParseError::not_integer, where + " is empty");
    if (!parse_int(entries[i], value, big))
      return malformed(std::move(p), ParseError::not_integer,
                       where + " (" + quoted(entries[i]) + ") is not an integer");
    if (big || value < range.min || value > range.max)
      return malformed(std::move(p), ParseError::out_of_range,
                       where + " (" + quoted(entries[i]) + ") is outside " + std::to_string(range.min) + ".." +
                           std::to_string(range.max));
    p.scores.push_back(static_cast<int>(value));
  }
  return p;
}

}  // namespace

ScoreRange score_range(int num_responses) {
  SPCT_CHECK(num_responses >= 1, "score_range: num_responses must be >= 1, got ", num_responses);
  return num_responses == 1 ? ScoreRange{0, 1} : ScoreRange{1, 10};
}

const char* to_string(ParseError error) {
  switch (error) {
    case ParseError::none: return "none";
    case ParseError::no_box: return "no_box";
    case ParseError::unclosed_box: return "unclosed_box";
    case ParseError::empty_box: return "empty_box";
    case ParseError::wrong_count: return "wrong_count";
    case ParseError::not_integer: return "not_integer";
    case ParseError::out_of_range: return "out_of_range";
  }
  return "unknown";
}

ScoreParse parse_scores(std::string_view text, int num_responses) {
  SPCT_CHECK(num_responses >= 1, "parse_scores: num_responses must be >= 1, got ", num_responses);
  ScoreParse p;
  const size_t box = text.rfind(kBox);
  split_sections(text, box, p);
  if (box == std::string_view::npos)
    return malformed(std::move(p), ParseError::no_box, "no \\boxed{...} in the output");
  // Match braces so that a nested `{` (e.g. \boxed{\text{7}, 3}) cannot end the box early.
  const size_t open = box + kBox.size();
  int depth = 1;
  for (size_t i = open; i < text.size(); ++i) {
    if (text[i] == '{')
      ++depth;
    else if (text[i] == '}' && --depth == 0)
      return parse_box(text.substr(open, i - open), num_responses, std::move(p));
  }
  return malformed(std::move(p), ParseError::unclosed_box, "the last \\boxed{ is never closed");
}

}  // namespace spct::rewards
