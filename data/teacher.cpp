#include "data/teacher.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "core/file_util.h"
#include "rewards/rules/correctness.h"
#include "rewards/rules/rm_dataset.h"
#include "rewards/rules/voting.h"

namespace spct::data {
namespace {

using Words = std::vector<std::string>;

struct Principle {
  std::string name;
  std::string text;
};

// Weighted principles; the weights sum to 100.
struct Principles {
  std::vector<Principle> ps;
  std::vector<int> weights;
};

// "1. Correct value (80%): the number must equal 17 + 25." one per line; brief: "1. Correct value (80%).".
std::string render_principles(const Principles& p, bool brief) {
  std::string out = "Principles:\n";
  for (size_t i = 0; i < p.ps.size(); ++i)
    out += std::to_string(i + 1) + ". " + p.ps[i].name + " (" + std::to_string(p.weights[i]) + "%)" +
           (brief ? "." : ": " + p.ps[i].text) + "\n";
  return out;
}

// The brief style's verdict for a score: the band score_for draws it from.
std::string verdict(int score) { return score >= 8 ? "right" : score >= 4 ? "close" : "wrong"; }

// Replaces every "{key}" in text by its value.
std::string fill(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [key, value] : values) {
    const std::string mark = "{" + key + "}";
    for (size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, at + value.size()))
      text.replace(at, mark.size(), value);
  }
  return text;
}

Principle draw(Rng& rng, const Words& names, const Words& texts,
               const std::vector<std::pair<std::string, std::string>>& values = {}) {
  return {rng.pick(names), fill(rng.pick(texts), values)};
}

// Two principles: a main one tied to the query, and a minor one; wording varies per sample.
Principles two_principles(Rng& rng, const Principle& main, const Principle& minor, const std::vector<int>& mains) {
  const int w = rng.pick(mains);
  return {{main, minor}, {w, 100 - w}};
}

Principles constraint_principles(const Json& task, Rng& rng) {
  const std::string casing = task.at("case").get<std::string>(), ending = task.at("ending").get<std::string>();
  std::vector<Principle> ps = {draw(rng, {"Word count", "Length"},
                                    {"exactly {k} words.", "{k} words, no more, no fewer."},
                                    {{"k", std::to_string(task.at("words").get<int>())}})};
  if (casing != "any")
    ps.push_back({rng.pick(Words{"Case", "Capitalization"}), casing == "upper" ? "all caps." : "all lowercase."});
  if (ending != "any")
    ps.push_back(
        {rng.pick(Words{"Ending", "Punctuation"}), ending == "period" ? "a final period." : "no punctuation."});
  if (ps.size() < 3)
    ps.push_back(draw(rng, {"Topic", "Relevance"}, {"about {t}.", "words that fit {t}."},
                      {{"t", task.at("topic").get<std::string>()}}));
  const std::vector<int> weights =
      ps.size() == 2 ? (rng.chance(0.5) ? std::vector<int>{70, 30} : std::vector<int>{60, 40})
                     : (rng.chance(0.5) ? std::vector<int>{40, 30, 30} : std::vector<int>{50, 25, 25});
  return {ps, weights};
}

// The principles the teacher writes for this query (mode `generate`).
Principles make_principles(const Json& task, Rng& rng) {
  const Words clarity_names = {"Clarity", "Directness", "Single answer"};
  const Words clarity_texts = {"one clear number.", "states the result plainly.", "a single final number."};
  switch (task_domain(task)) {
    case Domain::arithmetic: {
      const std::string expr = std::to_string(task.at("a").get<long>()) + " " + task.at("op").get<std::string>() + " " +
                               std::to_string(task.at("b").get<long>());
      return two_principles(
          rng,
          draw(rng, {"Correct value", "Exact result", "Accuracy"},
               {"the number must equal {e}.", "{e} computed exactly.", "the true value of {e}."}, {{"e", expr}}),
          draw(rng, clarity_names, clarity_texts), {70, 75, 80, 85, 90});
    }
    case Domain::sorting: {
      const std::vector<std::pair<std::string, std::string>> v = {{"d", task.at("order").get<std::string>()},
                                                                  {"k", std::to_string(task.at("numbers").size())}};
      return two_principles(rng,
                            draw(rng, {"Order", "Correct order", "Ordering"},
                                 {"{d} from first to last.", "each number in {d} order."}, v),
                            draw(rng, {"Completeness", "All numbers", "Coverage"},
                                 {"all {k} numbers, none added.", "each of the {k} numbers once."}, v),
                            {40, 50, 60});
    }
    case Domain::counting: {
      const bool words = task.at("what").get<std::string>() == "words";
      const std::vector<std::pair<std::string, std::string>> v = {
          {"c", words ? "" : task.at("letter").get<std::string>()}, {"t", task.at("text").get<std::string>()}};
      const Words texts = words ? Words{"the number of words in the text.", "the true word count."}
                                : Words{"how many '{c}' are in '{t}'.", "the true count of '{c}'."};
      return two_principles(rng, draw(rng, {"Exact count", "Accuracy", "Correct count"}, texts, v),
                            draw(rng, clarity_names, clarity_texts), {75, 80, 85, 90});
    }
    case Domain::transform: {
      const std::string op = task.at("op").get<std::string>();
      const std::vector<std::pair<std::string, std::string>> v = {{"t", task.at("text").get<std::string>()}};
      const Principle main = op == "reverse" ? draw(rng, {"Exact reversal", "Reversed text"},
                                                    {"every character in reverse order.", "'{t}' read backwards."}, v)
                             : op == "upper" ? draw(rng, {"Capitals", "Exact uppercase"},
                                                    {"every letter in upper case.", "'{t}' in capitals."}, v)
                                             : draw(rng, {"Lowercase", "Exact lowercase"},
                                                    {"every letter in lower case.", "'{t}' in small letters."}, v);
      return two_principles(rng, main,
                            draw(rng, {"Fidelity", "Nothing extra"},
                                 {"no character added or dropped.", "the same letters, nothing else."}),
                            {70, 80, 90});
    }
    case Domain::constraints: return constraint_principles(task, rng);
  }
  throw_error("unknown domain");
}

// A score for what the teacher believes of a response: 8..10 if it believes the response correct;
// else by how far off it is (a correct response misread as wrong counts as a near miss).
int score_for(bool believed_ok, int severity, Rng& rng) {
  if (believed_ok) return rng.uniform(8, 10);
  return severity == 2 ? rng.uniform(1, 3) : rng.uniform(4, 6);
}

std::string boxed(const std::vector<int>& scores) {
  std::string s = "Scores: \\boxed{";
  for (size_t i = 0; i < scores.size(); ++i) s += (i ? ", " : "") + std::to_string(scores[i]);
  return s + "}";
}

// Checks the item's labels against the program checker: the teacher only writes for items whose
// ground truth it can reproduce.
void check_truth(const rewards::RmItem& item, const std::vector<Check>& checks, const std::string& where) {
  const int n = static_cast<int>(checks.size());
  if (n == 1) {
    SPCT_CHECK(checks[0].ok == (item.label == 1), where, ": field 'label': ", item.label,
               " disagrees with the task checker");
    return;
  }
  SPCT_CHECK(checks[item.best].ok, where, ": field 'best': response ", item.best, " fails the task checker");
  for (int i = 0; i < n; ++i)
    SPCT_CHECK(i == item.best || !checks[i].ok, where, ": response ", i,
               " also passes the task checker, so 'best' is ambiguous");
}

// Runs f, which reads the item's 'task'; a task of the wrong shape (a number, a missing or
// mistyped key) becomes an error naming the file, line and field.
template <class F>
auto task_field(const std::string& where, F f) {
  try {
    return f();
  } catch (const Json::exception& e) {
    throw_error(where, ": field 'task': ", e.what());
  } catch (const Error& e) {
    throw_error(where, ": field 'task': ", e.what());
  }
}

}  // namespace

TeacherStyle parse_teacher_style(const std::string& name) {
  if (name == "full") return TeacherStyle::full;
  if (name == "brief") return TeacherStyle::brief;
  if (name == "quote") return TeacherStyle::quote;
  throw_error("teacher style must be full, brief or quote, got '", name, "'");
}

std::vector<Json> teach_item(const std::string& line, uint64_t index, const std::string& where,
                             const TeacherConfig& config) {
  SPCT_CHECK(config.correct_rate >= 0.0 && config.correct_rate <= 1.0,
             "teacher: --correct-rate must be in [0, 1], got ", config.correct_rate);
  SPCT_CHECK(config.samples >= 1, "teacher: --samples must be >= 1, got ", config.samples);
  const rewards::RmItem item = rewards::parse_rm_line(line, where);
  const Json raw = Json::parse(line);
  SPCT_CHECK(raw.contains("task"), where, ": field 'task': missing (the teacher reads items of `spct data synth`)");
  const Json& task = raw.at("task");
  const int n = static_cast<int>(item.responses.size());
  std::vector<Check> checks;
  for (const std::string& r : item.responses)
    checks.push_back(task_field(where, [&] { return check_response(task, r); }));
  check_truth(item, checks, where);

  std::vector<Json> out;
  for (int s = 0; s < config.samples; ++s) {
    Rng rng(mix_seed(config.seed, index, static_cast<uint64_t>(s)));
    const rewards::Permutation order = rewards::make_permutation(n, config.seed, index, static_cast<uint64_t>(s));
    const bool want_correct = rng.chance(config.correct_rate);
    std::vector<bool> believed(n);  // (n,) original order: what the teacher thinks is correct
    for (int i = 0; i < n; ++i) believed[i] = checks[i].ok;
    std::vector<int> scores(n);  // (n,) original order
    int tie_with = -1;
    if (!want_correct && n == 1) believed[0] = !believed[0];
    if (!want_correct && n >= 2) {
      std::vector<int> others;
      for (int i = 0; i < n; ++i)
        if (i != item.best) others.push_back(i);
      const int j = rng.pick(others);
      believed[j] = true;
      if (rng.chance(0.4))
        tie_with = j;  // both look right: equal scores
      else
        believed[item.best] = false;  // swapped preference
    }
    for (int i = 0; i < n; ++i) scores[i] = score_for(believed[i], checks[i].ok ? 1 : checks[i].severity, rng);
    if (n == 1) scores[0] = believed[0] ? 1 : 0;  // one response: the 0/1 verdict itself
    if (tie_with >= 0) scores[tie_with] = scores[item.best];

    const bool shortcut = config.hinted && want_correct && rng.chance(0.5);
    const bool brief = config.style != TeacherStyle::full;
    std::string text;
    if (config.prompt.mode == PrincipleMode::generate)
      text += render_principles(task_field(where, [&] { return make_principles(task, rng); }), brief);
    text += "Critique:\n";
    std::vector<int> shown(n);  // (n,) displayed order
    for (int p = 0; p < n; ++p) {
      const int i = order[p];
      shown[p] = scores[i];
      const std::string who = n == 1 ? "The response " : "Response " + std::to_string(p + 1) + " ";
      const bool is_truth = n == 1 || i == item.best;
      if (shortcut && is_truth)
        text += n == 1 ? std::string("The hint says it is ") + (item.label ? "correct" : "incorrect") + ".\n"
                       : who + "is the hinted best.\n";
      else if (brief)
        text += who.substr(0, who.size() - 1) + ": " +
                (config.style == TeacherStyle::quote ? "\"" + item.responses[i] + "\" " : "") +
                (n == 1 ? (believed[0] ? "right" : "wrong") : verdict(scores[i])) + ".\n";
      else
        text += who + (believed[i] == checks[i].ok ? checks[i].finding : checks[i].misread) + "\n";
    }
    text += boxed(shown);

    const int best_shown = n == 1 ? -1 : rewards::displayed_position(order, item.best);
    const rewards::Truth truth = n == 1 ? rewards::Truth::single(item.label) : rewards::Truth::best_of(n, best_shown);
    SPCT_CHECK(rewards::grade(text, truth).correct == want_correct, where,
               ": teacher: internal error: trajectory graded differently from intended");

    rewards::JudgeInput input{item.prompt, item.responses, order, item.principles, std::nullopt};
    if (config.hinted) input.hint = n == 1 ? item.label : item.best;
    Json j = {{"id", item.id},     {"subset", item.subset},
              {"sample", s},       {"prompt", rewards::build_judge_prompt(input, config.prompt)},
              {"order", order},    {"text", text},
              {"num_responses", n}};
    if (n == 1)
      j["label"] = item.label;
    else
      j["best"] = best_shown;
    j["hinted"] = config.hinted;
    out.push_back(std::move(j));
  }
  return out;
}

TeacherStats write_teacher(const std::string& data_path, const std::string& out_path, const TeacherConfig& config) {
  std::ifstream in(data_path, std::ios::binary);
  SPCT_CHECK(in, data_path, ": cannot open");
  TeacherStats stats;
  write_file_atomic(out_path, [&](std::ostream& out) {
    std::string line;
    uint64_t index = 0;
    for (long number = 1; std::getline(in, line); ++number) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      for (const Json& j : teach_item(line, index++, data_path + ":" + std::to_string(number), config)) {
        const std::string text = j.at("text").get<std::string>();
        const rewards::Truth truth =
            j.contains("label") ? rewards::Truth::single(j.at("label").get<int>())
                                : rewards::Truth::best_of(j.at("num_responses").get<int>(), j.at("best").get<int>());
        ++stats.trajectories;
        stats.correct += rewards::grade(text, truth).correct;
        stats.total_bytes += text.size();
        stats.max_bytes = std::max(stats.max_bytes, text.size());
        out << j.dump() << '\n';
      }
    }
    SPCT_CHECK(!in.bad(), data_path, ": read error");
  });
  return stats;
}

std::string format_stats(const TeacherStats& s) {
  char buf[200];
  const double pct =
      s.trajectories ? 100.0 * static_cast<double>(s.correct) / static_cast<double>(s.trajectories) : 0.0;
  const double mean = s.trajectories ? static_cast<double>(s.total_bytes) / static_cast<double>(s.trajectories) : 0.0;
  std::snprintf(buf, sizeof buf, "%ld trajectories, %ld correct (%.1f%%), %.0f bytes mean, %zu max", s.trajectories,
                s.correct, pct, mean, s.max_bytes);
  return buf;
}

}  // namespace spct::data
