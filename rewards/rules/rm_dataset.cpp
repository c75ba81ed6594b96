#include "rewards/rules/rm_dataset.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace spct::rewards {
namespace {

using nlohmann::json;

// Errors: "<where>: field '<field>': <what>".
template <class... Parts>
[[noreturn]] void field_error(const std::string& where, const std::string& field, const Parts&... parts) {
  throw_error(where, ": field '", field, "': ", parts...);
}

std::string type_name(const json& j) { return j.type_name(); }

// `field` names the value in messages when it is nested ("prompt[1].content"); default: key.
std::string get_string(const json& obj, const std::string& key, const std::string& where,
                       const std::string& field = "") {
  const json& v = obj.at(key);
  if (!v.is_string()) field_error(where, field.empty() ? key : field, "expected a string, got ", type_name(v));
  return v.get<std::string>();
}

int get_int(const json& obj, const std::string& key, const std::string& where) {
  const json& v = obj.at(key);
  if (!v.is_number_integer()) field_error(where, key, "expected an integer, got ", type_name(v), " ", v.dump());
  const auto value = v.get<long long>();
  if (value < -1000000 || value > 1000000) field_error(where, key, value, " is out of range");
  return static_cast<int>(value);
}

Query parse_prompt(const json& obj, const std::string& where) {
  if (!obj.contains("prompt")) field_error(where, "prompt", "missing");
  const json& p = obj.at("prompt");
  Query q;
  if (p.is_string()) {
    q.text = p.get<std::string>();
    return q;
  }
  if (!p.is_array() || p.empty()) field_error(where, "prompt", "expected a string or a non-empty list of messages");
  for (size_t i = 0; i < p.size(); ++i) {
    const std::string field = "prompt[" + std::to_string(i) + "]";
    if (!p[i].is_object()) field_error(where, field, "expected a {role, content} object, got ", type_name(p[i]));
    for (const char* key : {"role", "content"})
      if (!p[i].contains(key)) field_error(where, field + "." + key, "missing");
    q.messages.push_back(
        {get_string(p[i], "role", where, field + ".role"), get_string(p[i], "content", where, field + ".content")});
  }
  return q;
}

std::string parse_principles(const json& obj, const std::string& where) {
  if (!obj.contains("principles")) return "";
  const json& p = obj.at("principles");
  if (p.is_string()) return p.get<std::string>();
  if (!p.is_array()) field_error(where, "principles", "expected a string or a list of strings, got ", type_name(p));
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!p[i].is_string()) field_error(where, "principles[" + std::to_string(i) + "]", "expected a string");
    out += (i ? "\n" : "") + std::to_string(i + 1) + ". " + p[i].get<std::string>();
  }
  return out;
}

std::string optional_label(const json& obj, const std::string& key, const std::string& where) {
  if (!obj.contains(key)) return "";
  const json& v = obj.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return v.dump();
  field_error(where, key, "expected a string or an integer, got ", type_name(v));
}

void require(const json& obj, const char* key, const std::string& where, const char* why) {
  if (!obj.contains(key)) field_error(where, key, "missing (", why, ")");
}

void parse_responses(const json& obj, const std::string& where, RmItem& item) {
  const json& r = obj.at("responses");
  if (!r.is_array() || r.empty()) field_error(where, "responses", "expected a non-empty list of strings");
  for (size_t i = 0; i < r.size(); ++i) {
    if (!r[i].is_string())
      field_error(where, "responses[" + std::to_string(i) + "]", "expected a string, got ", type_name(r[i]));
    item.responses.push_back(r[i].get<std::string>());
  }
  const int n = static_cast<int>(item.responses.size());
  if (n == 1) {
    require(obj, "label", where, "a single response is judged by its label");
    item.label = get_int(obj, "label", where);
    if (item.label != 0 && item.label != 1) field_error(where, "label", item.label, " is not 0 or 1");
    return;
  }
  require(obj, "best", where, "'responses' needs the 0-based index of the best one");
  if (obj.contains("label")) field_error(where, "label", "only a single response takes a label");
  item.best = get_int(obj, "best", where);
  if (item.best < 0 || item.best >= n) field_error(where, "best", item.best, " is out of range for ", n, " responses");
}

}  // namespace

RmItem parse_rm_line(const std::string& line, const std::string& where) {
  json obj;
  try {
    obj = json::parse(line);
  } catch (const json::parse_error& e) {
    throw_error(where, ": invalid JSON: ", e.what());
  }
  if (!obj.is_object()) throw_error(where, ": expected a JSON object, got ", type_name(obj));
  RmItem item;
  item.id = optional_label(obj, "id", where);
  item.subset = optional_label(obj, "subset", where);
  item.prompt = parse_prompt(obj, where);
  item.principles = parse_principles(obj, where);
  const int formats = obj.contains("responses") + obj.contains("chosen") + obj.contains("response");
  if (formats == 0)
    throw_error(where, ": no responses: expected 'responses' + 'best', 'chosen' + 'rejected', or 'response' + 'label'");
  if (formats > 1) throw_error(where, ": ambiguous: use only one of 'responses', 'chosen'/'rejected' and 'response'");
  if (obj.contains("responses")) {
    parse_responses(obj, where, item);
  } else if (obj.contains("chosen")) {
    require(obj, "rejected", where, "'chosen' needs 'rejected'");
    item.responses = {get_string(obj, "chosen", where), get_string(obj, "rejected", where)};
    item.best = 0;
  } else {
    require(obj, "label", where, "'response' needs a 0/1 label");
    item.responses = {get_string(obj, "response", where)};
    item.label = get_int(obj, "label", where);
    if (item.label != 0 && item.label != 1) field_error(where, "label", item.label, " is not 0 or 1");
  }
  return item;
}

std::vector<RmItem> read_rm_dataset(std::istream& in, const std::string& name) {
  std::vector<RmItem> items;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    items.push_back(parse_rm_line(line, name + ":" + std::to_string(number)));
    items.back().line = number;
  }
  return items;
}

std::vector<RmItem> read_rm_dataset(const std::string& path) {
  std::ifstream in(path);
  SPCT_CHECK(in, path, ": cannot open");
  return read_rm_dataset(in, path);
}

}  // namespace spct::rewards
