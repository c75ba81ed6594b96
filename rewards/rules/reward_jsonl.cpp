#include "rewards/rules/reward_jsonl.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "rewards/rules/correctness.h"

namespace spct::rewards {
namespace {

using nlohmann::ordered_json;  // keeps the input's field order in the output

int int_field(const ordered_json& obj, const char* key, const std::string& where) {
  const ordered_json& v = obj.at(key);
  if (!v.is_number_integer()) throw_error(where, ": field '", key, "': expected an integer, got ", v.dump());
  const auto value = v.get<long long>();
  if (value < -1000000 || value > 1000000) throw_error(where, ": field '", key, "': ", value, " is out of range");
  return static_cast<int>(value);
}

Truth read_truth(const ordered_json& obj, const std::string& where) {
  if (obj.contains("label")) {
    if (obj.contains("best")) throw_error(where, ": field 'best': give either 'label' (one response) or 'best'");
    if (obj.contains("num_responses") && int_field(obj, "num_responses", where) != 1)
      throw_error(where, ": field 'num_responses': 'label' is for a single response, so it must be 1");
    return Truth::single(int_field(obj, "label", where));
  }
  if (!obj.contains("num_responses"))
    throw_error(where, ": field 'num_responses': missing (or give 'label' for a single response)");
  const int n = int_field(obj, "num_responses", where);
  if (n == 1) throw_error(where, ": field 'label': missing (a single response is judged by its 0/1 label)");
  if (!obj.contains("best")) throw_error(where, ": field 'best': missing");
  return Truth::best_of(n, int_field(obj, "best", where));
}

ordered_json grade_line(const std::string& line, const std::string& where) {
  ordered_json obj;
  try {
    obj = ordered_json::parse(line);
  } catch (const ordered_json::parse_error& e) {
    throw_error(where, ": invalid JSON: ", e.what());
  }
  if (!obj.is_object()) throw_error(where, ": expected a JSON object");
  if (!obj.contains("text") || !obj.at("text").is_string())
    throw_error(where, ": field 'text': missing or not a string");
  const Truth truth = read_truth(obj, where);
  try {
    validate(truth);
  } catch (const Error& e) {
    throw_error(where, ": ", e.what());
  }
  const Grade g = grade(obj.at("text").get<std::string>(), truth);
  obj["scores"] = g.parse.ok() ? ordered_json(g.parse.scores) : ordered_json(nullptr);
  obj["correct"] = g.correct;
  obj["reward"] = g.reward;
  if (g.parse.ok())
    obj.erase("error");
  else
    obj["error"] = std::string(to_string(g.parse.error)) + ": " + g.parse.reason;
  return obj;
}

}  // namespace

RewardSummary score_jsonl(std::istream& in, std::ostream& out, const std::string& name) {
  RewardSummary s;
  long reward_sum = 0;
  std::string line;
  for (long number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const ordered_json graded = grade_line(line, name + ":" + std::to_string(number));
    out << graded.dump(-1, ' ', false, ordered_json::error_handler_t::replace) << '\n';
    ++s.count;
    s.correct += graded.at("correct").get<bool>();
    s.malformed += graded.contains("error");
    reward_sum += graded.at("reward").get<int>();
  }
  SPCT_CHECK(!in.bad(), name, ": read error");
  if (s.count > 0) s.mean_reward = static_cast<double>(reward_sum) / s.count;
  return s;
}

std::string format_summary(const RewardSummary& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%ld outputs, %ld correct, %ld malformed, mean reward %.3f", s.count, s.correct,
                s.malformed, s.mean_reward);
  return buf;
}

}  // namespace spct::rewards
