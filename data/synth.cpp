#include "data/synth.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "core/error.h"
#include "core/file_util.h"
#include "core/random.h"
#include "core/strings.h"

namespace spct::data {
namespace {

// ---- small helpers ------------------------------------------------------------------------
std::string str(long v) { return std::to_string(v); }

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string join(const std::vector<long>& values, const std::string& sep) {
  std::vector<std::string> parts;
  for (long v : values) parts.push_back(str(v));
  return join(parts, sep);
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}
std::string title(const std::string& s) {
  std::string out = s;
  for (size_t i = 0; i < out.size(); ++i)
    if (i == 0 || out[i - 1] == ' ') out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i])));
  return out;
}
bool is_letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Every integer in the text, in order; a '-' directly before digits makes it negative.
std::vector<long> integers(const std::string& s) {
  std::vector<long> out;
  for (size_t i = 0; i < s.size();) {
    if (!is_digit(s[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && is_digit(s[j]) && j - i < 12) ++j;
    long v = std::stol(s.substr(i, j - i));
    if (i > 0 && s[i - 1] == '-') v = -v;
    out.push_back(v);
    while (j < s.size() && is_digit(s[j])) ++j;
    i = j;
  }
  return out;
}

// The string with positions i and i+1 swapped, at the first i >= start where they differ.
std::string swap_adjacent(const std::string& s, size_t start) {
  for (size_t k = 0; k + 1 < s.size(); ++k) {
    const size_t i = (start + k) % (s.size() - 1);
    if (s[i] != s[i + 1]) {
      std::string out = s;
      std::swap(out[i], out[i + 1]);
      return out;
    }
  }
  return s;
}

// ---- word banks ---------------------------------------------------------------------------
const std::vector<std::string> kWords = {
    "apple",  "river",  "stone",  "cloud",  "green",  "table",  "happy",   "light",   "music",   "paper",
    "plant",  "smile",  "tiger",  "water",  "bread",  "chair",  "dream",   "earth",   "flame",   "grape",
    "house",  "juice",  "knife",  "lemon",  "mouse",  "night",  "ocean",   "piano",   "queen",   "robot",
    "sugar",  "train",  "uncle",  "voice",  "whale",  "zebra",  "banana",  "garden",  "pencil",  "rabbit",
    "silver", "window", "yellow", "cat",    "dog",    "sun",    "box",     "cup",     "hat",     "pen",
    "red",    "big",    "map",    "egg",    "owl",    "bee",    "fox",     "jam",     "kite",    "lamp",
    "moon",   "nest",   "road",   "sand",   "tree",   "wind",   "bell",    "book",    "cake",    "desk",
    "fish",   "gold",   "hill",   "king",   "leaf",   "milk",   "rain",    "ship",    "star",    "wolf",
    "bottle", "candle", "castle", "circle", "dinner", "letter", "little",  "mirror",  "summer",  "puzzle",
    "coffee", "butter", "kitten", "cherry", "tomato", "potato", "morning", "balloon", "pattern", "blanket"};

struct Topic {
  std::string name;
  std::vector<std::string> words;
};
const std::vector<Topic> kTopics = {
    {"the sea", {"blue", "deep", "salty", "cold", "wide", "calm", "vast", "wet"}},
    {"a cat", {"soft", "small", "quick", "furry", "sly", "calm", "warm", "lazy"}},
    {"winter", {"cold", "white", "icy", "dark", "long", "quiet", "snowy", "crisp"}},
    {"the sun", {"hot", "bright", "yellow", "warm", "huge", "round", "golden", "distant"}},
    {"a forest", {"green", "tall", "dense", "quiet", "old", "dark", "wild", "shady"}},
    {"a city", {"busy", "loud", "bright", "crowded", "tall", "noisy", "modern", "vast"}},
    {"coffee", {"hot", "bitter", "dark", "strong", "rich", "warm", "fresh", "black"}},
    {"a storm", {"loud", "wet", "dark", "wild", "windy", "fierce", "cold", "sudden"}},
    {"a desert", {"dry", "hot", "sandy", "vast", "empty", "quiet", "golden", "harsh"}},
    {"music", {"loud", "soft", "sweet", "lively", "calm", "happy", "rich", "bright"}},
    {"a dog", {"loyal", "happy", "furry", "playful", "fast", "friendly", "warm", "loud"}},
    {"the moon", {"pale", "round", "bright", "distant", "cold", "silver", "quiet", "calm"}},
    {"a garden", {"green", "fresh", "lush", "quiet", "sunny", "neat", "bright", "calm"}},
    {"spring", {"fresh", "green", "warm", "mild", "sunny", "bright", "new", "rainy"}},
    {"a mountain", {"tall", "rocky", "cold", "steep", "high", "vast", "snowy", "grand"}},
    {"bread", {"warm", "soft", "fresh", "crusty", "golden", "plain", "tasty", "brown"}},
    {"a river", {"long", "cold", "clear", "fast", "wide", "deep", "calm", "winding"}},
    {"night", {"dark", "quiet", "cool", "long", "starry", "still", "calm", "deep"}},
    {"a fire", {"hot", "bright", "red", "warm", "loud", "wild", "smoky", "orange"}},
    {"a horse", {"fast", "strong", "tall", "brown", "proud", "wild", "gentle", "swift"}},
    {"rain", {"wet", "cold", "gray", "soft", "steady", "heavy", "fresh", "light"}},
    {"a library", {"quiet", "calm", "old", "vast", "dusty", "warm", "still", "large"}},
    {"summer", {"hot", "long", "sunny", "bright", "lazy", "warm", "green", "dry"}},
    {"snow", {"white", "cold", "soft", "deep", "fresh", "quiet", "bright", "wet"}},
    {"a train", {"fast", "long", "loud", "heavy", "busy", "steel", "late", "smooth"}},
    {"honey", {"sweet", "sticky", "golden", "thick", "rich", "warm", "pure", "smooth"}},
    {"a clock", {"round", "loud", "old", "steady", "small", "exact", "brass", "quiet"}},
    {"the wind", {"cold", "strong", "wild", "fast", "loud", "gentle", "dry", "fresh"}},
    {"a lemon", {"sour", "yellow", "fresh", "sharp", "small", "round", "bright", "juicy"}},
    {"a castle", {"old", "tall", "stone", "grand", "cold", "vast", "dark", "strong"}},
    {"the sky", {"blue", "wide", "clear", "vast", "bright", "open", "pale", "high"}},
    {"a child", {"small", "happy", "curious", "loud", "quick", "young", "bright", "playful"}},
};

// ---- a drafted task: query, structured task, correct answers and wrong ones ----------------
struct Draft {
  std::string query;
  Json task;
  std::string correct;             // one correct response
  std::vector<std::string> wrong;  // distinct wrong responses, each verified wrong
};

// Formats an answer value in one of several surface forms, chosen independently per response so
// that the form never reveals which response is right.
std::string number_answer(long v, const std::string& restated, Rng& rng) {
  switch (rng.uniform(0, 3)) {
    case 0: return str(v);
    case 1: return restated + " = " + str(v);
    case 2: return "The answer is " + str(v) + ".";
    default: return "It is " + str(v) + ".";
  }
}

std::string count_answer(long v, Rng& rng) {
  switch (rng.uniform(0, 2)) {
    case 0: return str(v);
    case 1: return "There are " + str(v) + ".";
    default: return "The count is " + str(v) + ".";
  }
}

std::string list_answer(const std::vector<long>& v, Rng& rng) {
  switch (rng.uniform(0, 2)) {
    case 0: return join(v, " ");
    case 1: return join(v, ", ");
    default: return "[" + join(v, ", ") + "]";
  }
}

// Adds the distinct values of `candidates` that differ from `truth` to `out`, formatted by `fmt`.
template <class T, class Fmt>
void add_wrong(const std::vector<T>& candidates, const T& truth, Fmt fmt, std::vector<std::string>& out) {
  std::vector<T> seen{truth};
  for (const T& c : candidates) {
    if (std::find(seen.begin(), seen.end(), c) != seen.end()) continue;
    seen.push_back(c);
    out.push_back(fmt(c));
  }
}

// ---- arithmetic ---------------------------------------------------------------------------
long evaluate(const std::string& op, long a, long b) {
  if (op == "+") return a + b;
  if (op == "-") return a - b;
  if (op == "*") return a * b;
  throw_error("synthetic task: unknown arithmetic operator '", op, "'");
}

Draft draft_arithmetic(Rng& rng) {
  const double r = rng.unit();
  const std::string op = r < 0.4 ? "+" : r < 0.75 ? "-" : "*";
  long a, b;
  if (op == "+") {
    a = rng.uniform(2, 49);
    b = rng.uniform(2, 49);
  } else if (op == "-") {
    a = rng.uniform(6, 60);
    b = rng.uniform(2, static_cast<int>(a) - 1);
  } else {
    a = rng.uniform(2, 12);
    b = rng.uniform(2, 12);
  }
  const std::string expr = str(a) + " " + op + " " + str(b);
  const long v = evaluate(op, a, b);
  Draft d;
  const int form = rng.uniform(0, 2);
  d.query = form == 0 ? "What is " + expr + "?" : form == 1 ? "Compute " + expr + "." : expr + " = ?";
  d.task = {{"domain", "arithmetic"}, {"op", op}, {"a", a}, {"b", b}};
  d.correct = number_answer(v, expr, rng);
  std::vector<long> cands = {v + 1, v - 1, v + 10, op == "+" ? a - b : a + b, op == "*" ? a + b : a * b % 100};
  if (v >= 10 && v % 10 != v / 10 % 10 && v < 100) cands.push_back(v % 10 * 10 + v / 10);
  if (v >= 10) cands.push_back(v - 10);
  rng.shuffle(cands);
  std::vector<long> valid;
  for (long c : cands)
    if (c >= 0) valid.push_back(c);
  add_wrong(
      valid, v, [&](long c) { return number_answer(c, expr, rng); }, d.wrong);
  d.wrong.push_back(rng.chance(0.5) ? "I cannot work that out." : "It is a large number.");
  return d;
}

Check check_arithmetic(const Json& task, const std::string& response) {
  const std::string op = task.at("op").get<std::string>();
  const long a = task.at("a").get<long>(), b = task.at("b").get<long>();
  const long v = evaluate(op, a, b);
  const std::string fact = str(a) + " " + op + " " + str(b) + " = " + str(v);
  const std::vector<long> got = integers(response);
  Check c;
  if (got.empty()) {
    c.severity = 2;
    c.finding = "gives no number; " + fact + ".";
    c.misread = "gives the right number.";
    return c;
  }
  const long g = got.back();
  c.ok = g == v;
  const long diff = std::labs(g - v);
  c.severity = c.ok ? 0 : (diff == 1 || diff == 10) ? 1 : 2;
  c.finding = "gives " + str(g) + (c.ok ? ", and " : ", but ") + fact + ".";
  const std::string false_fact = str(a) + " " + op + " " + str(b) + " = " + str(c.ok ? v + 1 : g);
  c.misread = "gives " + str(g) + (c.ok ? ", but " : ", and ") + false_fact + ".";
  return c;
}

// ---- sorting ------------------------------------------------------------------------------
std::vector<long> sorted_as(std::vector<long> v, bool ascending) {
  std::sort(v.begin(), v.end());
  if (!ascending) std::reverse(v.begin(), v.end());
  return v;
}

Draft draft_sorting(Rng& rng) {
  const int k = rng.uniform(3, 6);
  const bool ascending = rng.chance(0.65);
  std::vector<long> nums;
  while (static_cast<int>(nums.size()) < k) {
    const long x = rng.uniform(0, 60);
    if (std::find(nums.begin(), nums.end(), x) == nums.end()) nums.push_back(x);
  }
  const std::vector<long> want = sorted_as(nums, ascending);
  const std::string dir = ascending ? "ascending" : "descending";
  const std::string listed = join(nums, rng.chance(0.5) ? " " : ", ");
  Draft d;
  d.query = rng.chance(0.5) ? "Sort " + dir + ": " + listed : "Put in " + dir + " order: " + listed;
  d.task = {{"domain", "sorting"}, {"numbers", nums}, {"order", dir}};
  d.correct = list_answer(want, rng);
  std::vector<std::vector<long>> cands;
  for (int t = 0; t < 2; ++t) {
    std::vector<long> dropped = want;
    dropped.erase(dropped.begin() + rng.uniform(0, k - 1));
    cands.push_back(dropped);
    std::vector<long> swapped = want;
    const int i = rng.uniform(0, k - 2);
    std::swap(swapped[i], swapped[i + 1]);
    cands.push_back(swapped);
  }
  cands.push_back(sorted_as(nums, !ascending));
  cands.push_back(nums);
  std::vector<long> dup = want;
  const int i = rng.uniform(0, k - 1);
  dup.insert(dup.begin() + i, want[i]);
  cands.push_back(dup);
  rng.shuffle(cands);
  add_wrong(
      cands, want, [&](const std::vector<long>& c) { return list_answer(c, rng); }, d.wrong);
  return d;
}

Check check_sorting(const Json& task, const std::string& response) {
  const auto nums = task.at("numbers").get<std::vector<long>>();
  const std::string dir = task.at("order").get<std::string>();
  const bool ascending = dir == "ascending";
  const std::vector<long> want = sorted_as(nums, ascending);
  const std::vector<long> got = integers(response);
  const std::string all = "keeps all " + str(static_cast<long>(nums.size())) + " numbers in " + dir + " order.";
  Check c;
  c.misread = all;
  if (got.empty()) {
    c.severity = 2;
    c.finding = "lists no numbers.";
    return c;
  }
  std::multiset<long> expected(nums.begin(), nums.end()), have(got.begin(), got.end());
  std::vector<long> missing, extra;
  std::set_difference(expected.begin(), expected.end(), have.begin(), have.end(), std::back_inserter(missing));
  std::set_difference(have.begin(), have.end(), expected.begin(), expected.end(), std::back_inserter(extra));
  std::vector<std::string> faults;
  if (!missing.empty()) faults.push_back("misses " + join(missing, ", "));
  if (!extra.empty()) faults.push_back("adds " + join(extra, ", "));
  int inversions = 0;
  std::string first_inversion;
  for (size_t i = 0; i + 1 < got.size(); ++i) {
    const bool bad = ascending ? got[i] > got[i + 1] : got[i] < got[i + 1];
    if (!bad) continue;
    if (++inversions == 1) first_inversion = "puts " + str(got[i]) + " before " + str(got[i + 1]);
  }
  if (got.size() > 1 && got == sorted_as(got, !ascending) && missing.empty() && extra.empty())
    faults.push_back("is in the wrong direction");
  else if (inversions > 0)
    faults.push_back(first_inversion);
  c.ok = faults.empty();
  const size_t errors = missing.size() + extra.size() + static_cast<size_t>(inversions);
  c.severity = c.ok ? 0 : errors == 1 ? 1 : 2;
  c.finding = c.ok ? all : join(faults, "; ") + ".";
  if (c.ok) c.misread = "misses " + str(want.back()) + ".";
  return c;
}

// ---- counting -----------------------------------------------------------------------------
long count_of(const Json& task) {
  const std::string text = task.at("text").get<std::string>();
  if (task.at("what").get<std::string>() == "words") {
    long n = 0;
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] != ' ' && (i == 0 || text[i - 1] == ' ')) ++n;
    return n;
  }
  const char letter = task.at("letter").get<std::string>().at(0);
  return static_cast<long>(std::count(text.begin(), text.end(), letter));
}

Draft draft_counting(Rng& rng) {
  Draft d;
  long v;
  long far;
  if (rng.chance(0.5)) {
    std::string word = rng.pick(kWords);
    if (word.size() < 5 && rng.chance(0.5)) word += " " + rng.pick(kWords);
    if (word.size() > 10) return Draft{};  // long texts make long critiques
    char letter = word[rng.uniform(0, static_cast<int>(word.size()) - 1)];
    if (letter == ' ' || rng.chance(0.1)) {
      do letter = static_cast<char>('a' + rng.uniform(0, 25));
      while (word.find(letter) != std::string::npos);
    }
    const std::string l(1, letter);
    d.query = rng.chance(0.5) ? "How many '" + l + "' are in '" + word + "'?"
                              : "Count the letter '" + l + "' in '" + word + "'.";
    d.task = {{"domain", "counting"}, {"what", "letter"}, {"letter", l}, {"text", word}};
    far = static_cast<long>(word.size());
  } else {
    const int n = rng.uniform(2, 7);
    std::vector<std::string> words;
    for (int i = 0; i < n; ++i) words.push_back(rng.pick(kWords));
    const std::string phrase = join(words, " ");
    d.query = rng.chance(0.5) ? "How many words are in '" + phrase + "'?" : "Count the words in '" + phrase + "'.";
    d.task = {{"domain", "counting"}, {"what", "words"}, {"text", phrase}};
    far = n + 3;
  }
  v = count_of(d.task);
  d.correct = count_answer(v, rng);
  std::vector<long> cands = {v + 1, v - 1, v + 2, v - 2, far};
  rng.shuffle(cands);
  std::vector<long> valid;
  for (long c : cands)
    if (c >= 0) valid.push_back(c);
  add_wrong(
      valid, v, [&](long c) { return count_answer(c, rng); }, d.wrong);
  return d;
}

Check check_counting(const Json& task, const std::string& response) {
  const long v = count_of(task);
  const bool words = task.at("what").get<std::string>() == "words";
  const std::string text = task.at("text").get<std::string>();
  auto fact = [&](long n) {
    return words ? "it has " + str(n) + " words"
                 : "'" + text + "' has " + str(n) + " '" + task.at("letter").get<std::string>() + "'";
  };
  const std::vector<long> got = integers(response);
  Check c;
  if (got.empty()) {
    c.severity = 2;
    c.finding = "gives no number; " + fact(v) + ".";
    c.misread = "gives the right count.";
    return c;
  }
  const long g = got.back();
  c.ok = g == v;
  c.severity = c.ok ? 0 : std::labs(g - v) == 1 ? 1 : 2;
  c.finding = "gives " + str(g) + (c.ok ? ", and " : ", but ") + fact(v) + ".";
  c.misread = "gives " + str(g) + (c.ok ? ", but " : ", and ") + fact(c.ok ? v + 1 : g) + ".";
  return c;
}

// ---- string transforms --------------------------------------------------------------------
std::string transform(const std::string& op, const std::string& text) {
  if (op == "reverse") return std::string(text.rbegin(), text.rend());
  if (op == "upper") return upper(text);
  if (op == "lower") return lower(text);
  throw_error("synthetic task: unknown transform '", op, "'");
}

Draft draft_transform(Rng& rng) {
  const int which = rng.uniform(0, 2);
  const std::string op = which == 0 ? "reverse" : which == 1 ? "upper" : "lower";
  std::string text = rng.pick(kWords);
  if (text.size() <= 5 && rng.chance(0.4)) text += " " + rng.pick(kWords);
  if (text.size() > 11) return Draft{};  // long texts make long critiques
  if (op == "lower") {
    const int style = rng.uniform(0, 2);
    if (style == 0) text = title(text);
    if (style == 1) text = upper(text);
    if (style == 2)
      for (char& ch : text)
        if (rng.chance(0.5)) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  } else if (rng.chance(0.3)) {
    text = title(text);
  }
  const std::string want = transform(op, text);
  Draft d;
  if (want == text) return d;  // a palindrome or an already-transformed text: no task
  const bool terse = rng.chance(0.5);
  if (op == "reverse") d.query = terse ? "Reverse: " + text : "Write '" + text + "' backwards.";
  if (op == "upper") d.query = terse ? "Uppercase: " + text : "Write '" + text + "' in capitals.";
  if (op == "lower") d.query = terse ? "Lowercase: " + text : "Write '" + text + "' in lowercase.";
  d.task = {{"domain", "transform"}, {"op", op}, {"text", text}};
  d.correct = want;
  std::vector<std::string> cands = {text, swap_adjacent(want, rng.uniform(0, 20))};
  std::string dropped = want;
  dropped.erase(static_cast<size_t>(rng.uniform(0, static_cast<int>(want.size()) - 1)), 1);
  cands.push_back(dropped);
  if (op == "reverse") {
    cands.push_back(upper(want));
    std::string doubled = want;
    const size_t i = static_cast<size_t>(rng.uniform(0, static_cast<int>(want.size()) - 1));
    doubled.insert(i, 1, want[i]);
    cands.push_back(doubled);
  } else {
    cands.push_back(op == "upper" ? title(lower(text)) : capitalized(want));
    cands.push_back(op == "upper" ? lower(text) : upper(text));
    cands.push_back(std::string(want.rbegin(), want.rend()));
  }
  rng.shuffle(cands);
  std::vector<std::string> valid;
  for (const auto& c : cands)
    if (!c.empty() && c.find_first_not_of(' ') != std::string::npos) valid.push_back(c);
  add_wrong(
      valid, want, [](const std::string& c) { return c; }, d.wrong);
  return d;
}

Check check_transform(const Json& task, const std::string& response) {
  const std::string want = transform(task.at("op").get<std::string>(), task.at("text").get<std::string>());
  Check c;
  c.ok = response == want;
  c.severity = c.ok ? 0 : edit_distance(response, want) <= 2 ? 1 : 2;
  c.finding = c.ok ? "matches '" + want + "'." : "gives '" + response + "', not '" + want + "'.";
  c.misread = c.ok ? "gives '" + response + "', not '" + swap_adjacent(want, 0) + "'." : "matches '" + response + "'.";
  return c;
}

// ---- instruction-following constraints ----------------------------------------------------
struct Shape {
  int words;
  std::string casing;  // "upper", "lower", "any" (as written)
  std::string ending;  // ".", "!", ""
};

std::string render_shape(const std::vector<std::string>& bank, const Shape& s, Rng& rng) {
  std::vector<std::string> pool = bank;
  rng.shuffle(pool);
  while (static_cast<int>(pool.size()) < s.words) pool.push_back(rng.pick(bank));
  std::string text = join(std::vector<std::string>(pool.begin(), pool.begin() + s.words), " ");
  if (s.casing == "upper") text = upper(text);
  if (s.casing == "sentence") text = capitalized(text);
  if (s.casing == "title") text = title(text);
  return text + s.ending;
}

Draft draft_constraints(Rng& rng) {
  const Topic& topic = rng.pick(kTopics);
  const int k = rng.uniform(2, 5);
  const double rc = rng.unit(), re = rng.unit();
  const std::string casing = rc < 0.35 ? "upper" : rc < 0.7 ? "lower" : "any";
  const std::string ending = re < 0.35 ? "period" : re < 0.7 ? "none" : "any";
  Draft d;
  const std::string t = topic.name, n = str(k);
  const int form = rng.uniform(0, 3);
  d.query = (form == 0   ? "Describe " + t + " in exactly " + n + " words"
             : form == 1 ? "Use exactly " + n + " words about " + t
             : form == 2 ? "Write exactly " + n + " words about " + t
                         : "In exactly " + n + " words, describe " + t) +
            (casing == "upper"   ? ", all caps"
             : casing == "lower" ? ", all lowercase"
                                 : "") +
            (ending == "period" ? ", ending with a period"
             : ending == "none" ? ", no punctuation"
                                : "") +
            ".";
  d.task = {{"domain", "constraints"}, {"topic", topic.name}, {"words", k}, {"case", casing}, {"ending", ending}};
  const std::vector<std::string> free_cases = {"lower", "sentence", "title"};
  const std::vector<std::string> free_ends = {"", ".", "!"};
  auto good_case = [&] { return casing == "upper" ? "upper" : casing == "lower" ? "lower" : rng.pick(free_cases); };
  auto good_end = [&] { return ending == "period" ? "." : ending == "none" ? "" : rng.pick(free_ends); };
  auto bad_case = [&] { return casing == "upper" ? rng.pick(free_cases) : rng.chance(0.5) ? "upper" : "sentence"; };
  auto bad_end = [&] { return ending == "period" ? (rng.chance(0.5) ? "" : "!") : std::string("."); };
  d.correct = render_shape(topic.words, {k, good_case(), good_end()}, rng);
  std::vector<Shape> shapes;
  for (int w : {k - 1, k + 1, k + 2, k - 2, k + 3})
    if (w >= 1) shapes.push_back({w, good_case(), good_end()});
  if (casing != "any") shapes.push_back({k, bad_case(), good_end()});
  if (ending != "any") shapes.push_back({k, good_case(), bad_end()});
  if (casing != "any" && ending != "any") shapes.push_back({k, bad_case(), bad_end()});
  rng.shuffle(shapes);
  std::vector<std::string> texts;
  for (const Shape& s : shapes) texts.push_back(render_shape(topic.words, s, rng));
  add_wrong(
      texts, d.correct, [](const std::string& c) { return c; }, d.wrong);
  return d;
}

// What holds of a response, as parts of a finding: "all caps" when met, "is not all caps" when not.
std::string case_phrase(const std::string& casing, bool ok) {
  if (casing == "upper") return ok ? "all caps" : "is not all caps";
  return ok ? "all lowercase" : "is not all lowercase";
}
std::string ending_phrase(const std::string& ending, bool ok) {
  if (ending == "period") return ok ? "ends with a period" : "has no final period";
  return ok ? "no punctuation" : "has punctuation";
}

Check check_constraints(const Json& task, const std::string& response) {
  const int k = task.at("words").get<int>();
  const std::string casing = task.at("case").get<std::string>(), ending = task.at("ending").get<std::string>();
  int words = 0;
  bool in_word = false, has_letter = false;
  for (char ch : response + " ") {
    if (ch == ' ') {
      words += in_word && has_letter;
      in_word = has_letter = false;
    } else {
      in_word = true;
      has_letter = has_letter || is_letter(ch);
    }
  }
  bool case_ok = true;
  for (char ch : response) {
    if (casing == "upper" && std::islower(static_cast<unsigned char>(ch))) case_ok = false;
    if (casing == "lower" && std::isupper(static_cast<unsigned char>(ch))) case_ok = false;
  }
  const bool punct = response.find_first_of(".,!?;:") != std::string::npos;
  const bool ending_ok = ending == "period" ? !response.empty() && response.back() == '.'
                         : ending == "none" ? !punct
                                            : true;
  std::vector<std::string> facts = {"has " + str(words) + " words"}, faults, claimed = {"has " + str(k) + " words"};
  if (words != k) faults.push_back("has " + str(words) + " words, not " + str(k));
  if (casing != "any") {
    facts.push_back(case_phrase(casing, case_ok));
    claimed.push_back(case_phrase(casing, true));
    if (!case_ok) faults.push_back(case_phrase(casing, false));
  }
  if (ending != "any") {
    facts.push_back(ending_phrase(ending, ending_ok));
    claimed.push_back(ending_phrase(ending, true));
    if (!ending_ok) faults.push_back(ending_phrase(ending, false));
  }
  Check c;
  c.ok = faults.empty();
  c.severity = c.ok ? 0 : faults.size() == 1 && std::abs(words - k) <= 1 ? 1 : 2;
  c.finding = join(c.ok ? facts : faults, c.ok ? ", " : "; ") + ".";
  c.misread = c.ok ? "has " + str(k + 1) + " words, not " + str(k) + "." : join(claimed, ", ") + ".";
  return c;
}

// ---- items --------------------------------------------------------------------------------
Draft draft(Domain domain, Rng& rng) {
  switch (domain) {
    case Domain::arithmetic: return draft_arithmetic(rng);
    case Domain::sorting: return draft_sorting(rng);
    case Domain::counting: return draft_counting(rng);
    case Domain::transform: return draft_transform(rng);
    case Domain::constraints: return draft_constraints(rng);
  }
  throw_error("unknown domain");
}

// A draft whose query is not used yet, with at least `wrong` wrong responses; marks it used.
Draft fresh_draft(Domain domain, size_t wrong, Rng& rng, std::set<std::string>& used) {
  for (int attempt = 0; attempt < 2000; ++attempt) {
    Draft d = draft(domain, rng);
    if (d.query.empty() || d.wrong.size() < wrong || used.count(d.query)) continue;
    SPCT_CHECK(check_response(d.task, d.correct).ok, "synth: internal error: correct answer fails: ", d.query);
    for (const auto& w : d.wrong)
      SPCT_CHECK(!check_response(d.task, w).ok, "synth: internal error: wrong answer passes: ", d.query, " -> ", w);
    used.insert(d.query);
    return d;
  }
  throw_error("synth: ran out of distinct ", to_string(domain),
              " queries; ask for fewer items (--train/--test/--general)");
}

Kind draw_kind(Rng& rng) {
  const double r = rng.unit();
  return r < 0.4 ? Kind::pairwise : r < 0.7 ? Kind::nway : Kind::single;
}

// Non-answers: wrong for every task of every domain the checker accepts them for (constraints
// tasks are checked one by one, a short non-answer can meet a word count).
const std::vector<std::string>& non_answers() {
  static const std::vector<std::string> all = {"I cannot work that out.",
                                               "I am not sure.",
                                               "No idea, sorry.",
                                               "That is too hard for me.",
                                               "Ask someone else.",
                                               "I would rather not say.",
                                               "It depends on many things.",
                                               "Let me think about it later."};
  return all;
}

// Replaces each of the first `count` wrong responses by a non-answer with probability p (distinct
// non-answers, each one the checker rejects). Draws nothing from rng when p is 0.
void add_surface_faults(Draft& d, size_t count, double p, Rng& rng) {
  if (p <= 0.0) return;
  std::vector<std::string> pool;
  for (const std::string& s : non_answers())
    if (!check_response(d.task, s).ok && std::find(d.wrong.begin(), d.wrong.end(), s) == d.wrong.end())
      pool.push_back(s);
  rng.shuffle(pool);
  for (size_t i = 0; i < count && i < d.wrong.size() && !pool.empty(); ++i) {
    if (!rng.chance(p)) continue;
    d.wrong[i] = pool.back();
    pool.pop_back();
  }
}

Json make_item(const std::string& id, Domain domain, Kind kind, Rng& rng, std::set<std::string>& used,
               double surface_faults) {
  const int n = kind == Kind::nway ? rng.uniform(3, 4) : kind == Kind::pairwise ? 2 : 1;
  Draft d = fresh_draft(domain, static_cast<size_t>(std::max(1, n - 1)), rng, used);
  rng.shuffle(d.wrong);
  add_surface_faults(d, static_cast<size_t>(std::max(1, n - 1)), surface_faults, rng);
  Json item = {{"id", id}, {"subset", to_string(domain)}, {"kind", to_string(kind)}, {"prompt", d.query}};
  if (kind == Kind::pairwise) {
    item["chosen"] = d.correct;
    item["rejected"] = d.wrong[0];
  } else if (kind == Kind::nway) {
    std::vector<std::string> responses(d.wrong.begin(), d.wrong.begin() + (n - 1));
    const int best = rng.uniform(0, n - 1);
    responses.insert(responses.begin() + best, d.correct);
    item["responses"] = responses;
    item["best"] = best;
  } else {
    const bool good = rng.chance(0.5);
    item["response"] = good ? d.correct : d.wrong[0];
    item["label"] = good ? 1 : 0;
  }
  item["principles"] = given_principles(domain);
  item["task"] = d.task;
  return item;
}

// {"mean", "max"} of size(line) over the lines, rounded to whole bytes.
template <class Size>
Json size_stats(const std::vector<Json>& lines, Size size) {
  size_t total = 0, max = 0;
  for (const Json& j : lines) {
    const size_t n = size(j);
    total += n;
    max = std::max(max, n);
  }
  const double mean = lines.empty() ? 0.0 : static_cast<double>(total) / static_cast<double>(lines.size());
  return {{"mean", static_cast<long>(mean + 0.5)}, {"max", static_cast<long>(max)}};
}
size_t line_bytes(const Json& j) { return j.dump().size(); }

// The bytes a judge reads of an item: the query and every response.
size_t text_bytes(const Json& item) {
  size_t n = item.at("prompt").get<std::string>().size();
  for (const char* key : {"chosen", "rejected", "response"})
    if (item.contains(key)) n += item.at(key).get<std::string>().size();
  if (item.contains("responses"))
    for (const Json& r : item.at("responses")) n += r.get<std::string>().size();
  return n;
}

Json split_meta(const std::vector<Json>& items) {
  Json domains = Json::object(), kinds = Json::object();
  for (Domain d : all_domains()) domains[to_string(d)] = 0;
  for (Kind k : {Kind::pairwise, Kind::nway, Kind::single}) kinds[to_string(k)] = 0;
  for (const Json& it : items) {
    domains[it.at("subset").get<std::string>()] = domains[it.at("subset").get<std::string>()].get<int>() + 1;
    kinds[it.at("kind").get<std::string>()] = kinds[it.at("kind").get<std::string>()].get<int>() + 1;
  }
  return {{"items", items.size()},
          {"domains", domains},
          {"kinds", kinds},
          {"bytes_per_line", size_stats(items, line_bytes)},
          {"query_and_response_bytes", size_stats(items, text_bytes)}};
}

}  // namespace

int Rng::uniform(int lo, int hi) {
  const uint64_t span = static_cast<uint64_t>(static_cast<int64_t>(hi) - lo) + 1;
  return lo + static_cast<int>(gen_() % span);
}

double Rng::unit() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }

uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b) { return splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b); }

const std::vector<Domain>& all_domains() {
  static const std::vector<Domain> domains = {Domain::arithmetic, Domain::sorting, Domain::counting, Domain::transform,
                                              Domain::constraints};
  return domains;
}

const char* to_string(Domain domain) {
  switch (domain) {
    case Domain::arithmetic: return "arithmetic";
    case Domain::sorting: return "sorting";
    case Domain::counting: return "counting";
    case Domain::transform: return "transform";
    case Domain::constraints: return "constraints";
  }
  return "unknown";
}

Domain parse_domain(const std::string& name) {
  for (Domain d : all_domains())
    if (name == to_string(d)) return d;
  throw_error("unknown synthetic domain '", name,
              "' (expected arithmetic, sorting, counting, transform or constraints)");
}

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::pairwise: return "pairwise";
    case Kind::nway: return "nway";
    case Kind::single: return "single";
  }
  return "unknown";
}

Domain task_domain(const Json& task) {
  SPCT_CHECK(task.is_object() && task.contains("domain") && task.at("domain").is_string(),
             "synthetic task: expected an object with a 'domain' string, got ", task.dump());
  return parse_domain(task.at("domain").get<std::string>());
}

Check check_response(const Json& task, const std::string& response) {
  const Domain domain = task_domain(task);
  try {
    switch (domain) {
      case Domain::arithmetic: return check_arithmetic(task, response);
      case Domain::sorting: return check_sorting(task, response);
      case Domain::counting: return check_counting(task, response);
      case Domain::transform: return check_transform(task, response);
      case Domain::constraints: return check_constraints(task, response);
    }
  } catch (const Json::exception& e) {
    throw_error("synthetic task ", task.dump(), ": ", e.what());
  }
  throw_error("unknown domain");
}

std::vector<std::string> given_principles(Domain domain) {
  switch (domain) {
    case Domain::arithmetic:
      return {"Correctness (80%): the final number equals the exact value of the expression.",
              "Clarity (20%): the answer states a single number."};
    case Domain::sorting:
      return {"Order (50%): every number follows the requested order.",
              "Completeness (50%): each input number appears exactly once, nothing added."};
    case Domain::counting:
      return {"Exactness (80%): the count is exactly right.", "Clarity (20%): the answer states a single number."};
    case Domain::transform:
      return {"Exact transform (80%): every character follows the requested transformation.",
              "Nothing extra (20%): no character is added or missing."};
    case Domain::constraints:
      return {"Constraints (80%): every stated rule (word count, case, ending) is met.",
              "Topic (20%): the words describe the requested topic."};
  }
  throw_error("unknown domain");
}

SynthData synthesize(const SynthConfig& config) {
  SPCT_CHECK(config.train >= 0 && config.test >= 0 && config.valid >= 0 && config.general >= 0,
             "synth: --train, --test, --valid and --general must be >= 0");
  SPCT_CHECK(config.surface_faults >= 0.0 && config.surface_faults <= 1.0,
             "synth: --surface-faults must be in [0, 1], got ", config.surface_faults);
  SPCT_CHECK(config.train + static_cast<long>(config.test) + config.valid + config.general <= 200000,
             "synth: at most 200000 items and examples in all");
  SynthData out;
  std::set<std::string> used;  // every query text, across splits: the splits stay disjoint
  const auto& domains = all_domains();
  // The test split is drawn first, so it does not change when --train, --valid or --general does;
  // the validation split comes next (its own stream).
  auto rm_split = [&](const std::string& name, int count, uint64_t stream) {
    Rng rng(mix_seed(config.seed, stream));
    std::vector<Json> items;
    for (int i = 0; i < count; ++i) {
      const Domain domain = domains[static_cast<size_t>(i) % domains.size()];
      items.push_back(
          make_item(name + "-" + std::to_string(i), domain, draw_kind(rng), rng, used, config.surface_faults));
    }
    return items;
  };
  out.test = rm_split("test", config.test, 1);
  out.valid = rm_split("valid", config.valid, 4);
  out.train = rm_split("train", config.train, 2);
  Rng rng(mix_seed(config.seed, 3));
  for (int i = 0; i < config.general; ++i) {
    const Draft d = fresh_draft(domains[static_cast<size_t>(i) % domains.size()], 0, rng, used);
    out.general.push_back({{"messages", Json::array({{{"role", "user"}, {"content", d.query}},
                                                     {{"role", "assistant"}, {"content", d.correct}}})}});
  }
  out.meta = {
      {"generator", "spct data synth"},
      {"version", kSynthVersion},
      {"seed", config.seed},
      {"splits",
       {{"train", split_meta(out.train)},
        {"test", split_meta(out.test)},
        {"general_sft", {{"examples", out.general.size()}, {"bytes_per_line", size_stats(out.general, line_bytes)}}}}}};
  if (config.valid > 0) out.meta["splits"]["valid"] = split_meta(out.valid);
  if (config.surface_faults > 0) out.meta["surface_faults"] = config.surface_faults;
  return out;
}

std::string to_jsonl(const std::vector<Json>& lines) {
  std::string out;
  for (const Json& j : lines) out += j.dump() + "\n";
  return out;
}

SynthData write_synth(const SynthConfig& config, const std::string& out_dir) {
  SynthData data = synthesize(config);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  SPCT_CHECK(!ec, out_dir, ": cannot create directory: ", ec.message());
  const std::filesystem::path dir(out_dir);
  auto write = [&](const std::string& name, const std::string& text) {
    write_file_atomic((dir / name).string(), [&](std::ostream& o) { o << text; });
  };
  write("train.jsonl", to_jsonl(data.train));
  write("test.jsonl", to_jsonl(data.test));
  if (config.valid > 0) write("valid.jsonl", to_jsonl(data.valid));
  write("general_sft.jsonl", to_jsonl(data.general));
  write("meta.json", data.meta.dump(2) + "\n");
  return data;
}

}  // namespace spct::data
