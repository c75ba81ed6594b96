#include "rollout/request_jsonl.h"

#include <set>

#include "core/error.h"
#include "core/random.h"

namespace spct {
namespace {

using nlohmann::json;

template <class T>
T field(const json& line, const std::string& where, const char* key, const char* expected, T fallback) {
  if (!line.contains(key)) return fallback;
  const json& v = line.at(key);
  const bool ok = std::is_same<T, bool>::value       ? v.is_boolean()
                  : std::is_floating_point<T>::value ? v.is_number()
                  : std::is_unsigned<T>::value       ? v.is_number_unsigned()
                                                     : v.is_number_integer();
  SPCT_CHECK(ok, where, ": field '", key, "': expected ", expected, ", got ", v.dump());
  return v.get<T>();
}

std::vector<int64_t> int_list(const json& line, const std::string& where, const char* key) {
  std::vector<int64_t> out;
  if (!line.contains(key)) return out;
  const json& v = line.at(key);
  SPCT_CHECK(v.is_array(), where, ": field '", key, "': expected an array of integers, got ", v.dump());
  for (size_t i = 0; i < v.size(); ++i) {
    SPCT_CHECK(v[i].is_number_integer(), where, ": field '", key, "'[", i, "]: expected an integer, got ", v[i].dump());
    out.push_back(v[i].get<int64_t>());
  }
  return out;
}

}  // namespace

JsonlRequest parse_request(const json& line, const std::string& where, const SamplingParams& defaults,
                           int64_t default_n, size_t index,
                           const std::function<std::vector<int32_t>(const std::string&, bool)>& encode) {
  static const std::set<std::string> known = {"id",          "prompt", "prompt_ids",     "n",
                                              "temperature", "top_p",  "top_k",          "max_new_tokens",
                                              "seed",        "stop",   "stop_token_ids", "chat"};
  for (const auto& item : line.items())
    SPCT_CHECK(known.count(item.key()), where, ": unknown field '", item.key(), "'");
  SPCT_CHECK(line.contains("prompt") + line.contains("prompt_ids") == 1, where,
             ": give exactly one of the fields 'prompt' and 'prompt_ids'");
  JsonlRequest r;
  r.id = line.contains("id") ? line.at("id") : json(index);
  SamplingParams& p = r.request.params;
  p = defaults;
  p.temperature = field<double>(line, where, "temperature", "a number", defaults.temperature);
  p.top_p = field<double>(line, where, "top_p", "a number", defaults.top_p);
  p.top_k = field<int64_t>(line, where, "top_k", "an integer", defaults.top_k);
  p.max_new_tokens = field<int64_t>(line, where, "max_new_tokens", "an integer", defaults.max_new_tokens);
  p.seed = field<uint64_t>(line, where, "seed", "a non-negative integer", splitmix64(defaults.seed + index));
  r.request.n = field<int64_t>(line, where, "n", "an integer", default_n);
  SPCT_CHECK(r.request.n >= 1, where, ": field 'n': must be >= 1, got ", r.request.n);
  r.chat = field<bool>(line, where, "chat", "true or false", false);
  for (int64_t id : int_list(line, where, "stop_token_ids")) p.stop_ids.push_back(id);
  if (line.contains("stop")) {
    const json& s = line.at("stop");
    SPCT_CHECK(s.is_string() || s.is_array(), where, ": field 'stop': expected a string or an array of strings");
    for (const json& item : s.is_string() ? json::array({s}) : s) {
      SPCT_CHECK(item.is_string() && !item.get<std::string>().empty(), where,
                 ": field 'stop': expected non-empty strings, got ", item.dump());
      p.stop.push_back(item.get<std::string>());
    }
  }
  try {
    p.validate();
  } catch (const Error& e) {
    throw_error(where, ": ", e.what());
  }
  if (line.contains("prompt")) {
    SPCT_CHECK(line.at("prompt").is_string(), where, ": field 'prompt': expected a string");
    r.text = line.at("prompt").get<std::string>();
    r.request.prompt = encode(r.text, r.chat);
  } else {
    for (int64_t id : int_list(line, where, "prompt_ids")) r.request.prompt.push_back(static_cast<int32_t>(id));
  }
  SPCT_CHECK(!r.request.prompt.empty(), where, ": the prompt is empty");
  return r;
}

json result_json(const JsonlRequest& r, int64_t sample, const Generation& g, bool with_text) {
  json j = {{"id", r.id},         {"sample", sample},       {"prompt_tokens", r.request.prompt.size()},
            {"tokens", g.tokens}, {"logprobs", g.logprobs}, {"finish_reason", g.finish_reason}};
  if (with_text) j["text"] = g.text;
  return j;
}

}  // namespace spct
