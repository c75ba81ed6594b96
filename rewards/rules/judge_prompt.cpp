#include "rewards/rules/judge_prompt.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "core/error.h"
#include "rewards/rules/score_parser.h"

namespace spct::rewards {
namespace {

// ---- default template text ----------------------------------------------------------------
const std::string kMultiIntro =
    "You are an impartial judge. Below are a query and {num_responses} candidate responses to it. "
    "Evaluate how well each response serves the query, then give each one an integer score from "
    "{score_min} to {score_max}, where a higher score means a better response.\n\n";
const std::string kSingleIntro =
    "You are an impartial judge. Below are a query and one response to it. Decide whether the "
    "response is correct: it scores 1 if it is correct and 0 if it is not.\n\n";
const std::string kBody = "[Query]\n{query}\n[End of Query]\n\n{responses}\n\n{hint}";
const std::string kGivenPrinciples = "Judge by these principles:\n{principles}\n\n";
const std::string kThreeSections =
    "Answer in three sections, in this order, each starting on its own line with its heading.\n";
const std::string kTwoSections =
    "Answer in two sections, in this order, each starting on its own line with its heading.\n";
const std::string kMultiPrinciples =
    "Principles: decide what matters most for this particular query. List a few principles, each "
    "with a weight in percent so that the weights add up to 100%, e.g. \"1. Accuracy (40%): ...\".\n";
const std::string kSinglePrinciples =
    "Principles: list the criteria a correct response to this query must meet, each with a weight "
    "in percent so that the weights add up to 100%.\n";
const std::string kMultiCritique =
    "Critique: go through the responses one by one and judge each against the principles, citing "
    "concrete strengths and faults.\n";
const std::string kSingleCritique =
    "Critique: check the response against the principles, citing concrete strengths and faults.\n";
const std::string kMultiScores =
    "Scores: one integer from {score_min} to {score_max} per response, in the numbered order, "
    "comma separated inside a single box: \"Scores: {score_format}\". Write nothing after it.\n";
const std::string kSingleScores =
    "Scores: \"Scores: \\boxed{1}\" if the response is correct, \"Scores: \\boxed{0}\" if it is "
    "not. Write nothing after it.\n";

// ---- placeholder names each kind of template may use --------------------------------------
const std::set<std::string> kMainNames = {"query",       "responses", "num_responses", "principles",  "hint",
                                          "score_range", "score_min", "score_max",     "score_format"};

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::map<std::string, std::string> blank_values(const std::set<std::string>& names) {
  std::map<std::string, std::string> values;
  for (const auto& n : names) values[n] = "";
  return values;
}

std::string capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// "\boxed{s1, s2, s3}" for three responses: shows the model exactly how many numbers to write.
std::string score_format(int n) {
  if (n == 1) return "\\boxed{s}";
  std::string s = "\\boxed{";
  for (int i = 1; i <= n; ++i) s += (i > 1 ? ", s" : "s") + std::to_string(i);
  return s + "}";
}

const std::string& pick_template(const JudgeTemplates& t, PrincipleMode mode, bool single) {
  switch (mode) {
    case PrincipleMode::generate: return single ? t.single_generate : t.generate;
    case PrincipleMode::given: return single ? t.single_given : t.given;
    case PrincipleMode::none: return single ? t.single_none : t.none;
  }
  throw_error("unknown principle mode");
}

std::string render_hint(const JudgeInput& in, const Permutation& order, const JudgeTemplates& t) {
  if (!in.hint) return "";
  const int n = static_cast<int>(in.responses.size());
  if (n == 1) {
    SPCT_CHECK(*in.hint == 0 || *in.hint == 1, "judge prompt: a single-response hint must be a label 0 or 1, got ",
               *in.hint);
    return render_template(t.single_hint, {{"verdict", *in.hint ? "correct" : "incorrect"}}, "single_hint");
  }
  SPCT_CHECK(*in.hint >= 0 && *in.hint < n, "judge prompt: hint ", *in.hint, " is out of range for ", n, " responses");
  const int shown = displayed_position(order, *in.hint) + 1;
  return render_template(t.hint, {{"best", std::to_string(shown)}}, "hint");
}

}  // namespace

std::string render_query(const Query& query) {
  if (query.messages.empty()) return query.text;
  std::string out;
  for (const ChatMessage& m : query.messages) {
    if (!out.empty()) out += "\n\n";
    out += capitalized(m.role) + ": " + m.content;
  }
  return out;
}

PrincipleMode parse_principle_mode(const std::string& name) {
  const auto& names = enum_names(PrincipleMode{});
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) throw_error("unknown principle mode '", name, "' (expected generate, given or none)");
  return static_cast<PrincipleMode>(it - names.begin());
}

JudgeTemplates default_templates() {
  JudgeTemplates t;
  t.generate = kMultiIntro + kBody + kThreeSections + kMultiPrinciples + kMultiCritique + kMultiScores;
  t.given = kMultiIntro + kBody + kGivenPrinciples + kTwoSections + kMultiCritique + kMultiScores;
  t.none = kMultiIntro + kBody + kTwoSections + kMultiCritique + kMultiScores;
  t.single_generate = kSingleIntro + kBody + kThreeSections + kSinglePrinciples + kSingleCritique + kSingleScores;
  t.single_given = kSingleIntro + kBody + kGivenPrinciples + kTwoSections + kSingleCritique + kSingleScores;
  t.single_none = kSingleIntro + kBody + kTwoSections + kSingleCritique + kSingleScores;
  t.hint =
      "Hint: a reference judgement found Response {best} to be the best one. Still critique every "
      "response on its own merits.\n\n";
  t.single_hint =
      "Hint: a reference judgement found this response {verdict}. Still check it on its own "
      "merits.\n\n";
  return t;
}

JudgeTemplates load_templates(const std::string& path) {
  JudgeTemplates t = default_templates();
  const std::vector<std::pair<const char*, std::string*>> fields = {{"generate", &t.generate},
                                                                    {"given", &t.given},
                                                                    {"none", &t.none},
                                                                    {"single_generate", &t.single_generate},
                                                                    {"single_given", &t.single_given},
                                                                    {"single_none", &t.single_none},
                                                                    {"hint", &t.hint},
                                                                    {"single_hint", &t.single_hint},
                                                                    {"response", &t.response},
                                                                    {"response_separator", &t.response_separator}};
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw_error(path, ": cannot open");
  } catch (const YAML::Exception& e) {
    throw_error(path, ":", e.mark.line + 1, ": not valid YAML: ", e.msg);
  }
  SPCT_CHECK(root.IsMap(), path, ": expected a mapping of template names to texts");
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const int line = kv.first.Mark().line + 1;
    auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return key == f.first; });
    SPCT_CHECK(it != fields.end(), path, ":", line, ": unknown template '", key,
               "' (known: generate, given, none, single_generate, single_given, single_none, hint, single_hint, ",
               "response, response_separator)");
    SPCT_CHECK(kv.second.IsScalar(), path, ":", line, ": template '", key, "' must be a string");
    *it->second = kv.second.as<std::string>();
  }
  try {
    validate_templates(t);
  } catch (const Error& e) {
    throw_error(path, ": ", e.what());
  }
  return t;
}

void validate_templates(const JudgeTemplates& t) {
  const auto main = blank_values(kMainNames);
  render_template(t.generate, main, "generate");
  render_template(t.given, main, "given");
  render_template(t.none, main, "none");
  render_template(t.single_generate, main, "single_generate");
  render_template(t.single_given, main, "single_given");
  render_template(t.single_none, main, "single_none");
  render_template(t.hint, blank_values({"best"}), "hint");
  render_template(t.single_hint, blank_values({"verdict"}), "single_hint");
  render_template(t.response, blank_values({"number", "response"}), "response");
}

std::string render_template(const std::string& text, const std::map<std::string, std::string>& values,
                            const std::string& what) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c != '{' || i + 1 >= text.size() || !is_name_start(text[i + 1])) {
      out += c;
      continue;
    }
    size_t end = i + 1;
    while (end < text.size() && is_name_char(text[end])) ++end;
    if (end >= text.size() || text[end] != '}') {
      out += c;
      continue;
    }
    const std::string name = text.substr(i + 1, end - i - 1);
    auto it = values.find(name);
    if (it == values.end()) {
      std::string known;
      for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
      throw_error("template '", what, "': unknown placeholder {", name, "} (known: ", known, ")");
    }
    out += it->second;
    i = end;
  }
  return out;
}

std::string render_responses(const std::vector<std::string>& responses, const Permutation& order,
                             const JudgeTemplates& templates) {
  check_permutation(order, static_cast<int>(responses.size()));
  std::string out;
  for (size_t p = 0; p < order.size(); ++p) {
    if (p > 0) out += templates.response_separator;
    out += render_template(templates.response, {{"number", std::to_string(p + 1)}, {"response", responses[order[p]]}},
                           "response");
  }
  return out;
}

std::string build_judge_prompt(const JudgeInput& in, const JudgePromptConfig& config) {
  const int n = static_cast<int>(in.responses.size());
  SPCT_CHECK(n >= 1, "judge prompt: needs at least one response");
  Permutation order = in.order;
  if (order.empty()) {
    order.resize(n);
    for (int i = 0; i < n; ++i) order[i] = i;
  }
  const std::string& principles = in.principles.empty() ? config.principles : in.principles;
  SPCT_CHECK(config.mode != PrincipleMode::given || !principles.empty(),
             "judge prompt: principle mode 'given' needs principles (from the item or the config)");
  const ScoreRange range = score_range(n);
  const std::map<std::string, std::string> values = {
      {"query", render_query(in.query)},
      {"responses", render_responses(in.responses, order, config.templates)},
      {"num_responses", std::to_string(n)},
      {"principles", config.mode == PrincipleMode::given ? principles : ""},
      {"hint", render_hint(in, order, config.templates)},
      {"score_range", n == 1 ? "0 or 1" : std::to_string(range.min) + " to " + std::to_string(range.max)},
      {"score_min", std::to_string(range.min)},
      {"score_max", std::to_string(range.max)},
      {"score_format", score_format(n)},
  };
  const bool single = n == 1;
  const char* name = single ? "single_" : "";
  return render_template(pick_template(config.templates, config.mode, single), values,
                         std::string(name) + name_of(config.mode));
}

}  // namespace spct::rewards
