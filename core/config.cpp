#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <type_traits>

#include "core/error.h"
#include "core/strings.h"

namespace spct {
namespace {

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
constexpr bool is_section = std::is_class_v<T> && !is_vector<T>::value && !std::is_same_v<T, std::string>;

// Where each dotted key was last set ("file:line" or "--set key"), for later messages.
using Locations = std::map<std::string, std::string>;

// Where YAML nodes come from: a file (whose marks give lines) or one `--set` override.
struct Source {
  std::string name;
  bool has_lines;
  std::string at(const YAML::Node& node) const {
    if (!has_lines || node.Mark().is_null()) return name;
    return name + ":" + std::to_string(node.Mark().line + 1);  // yaml-cpp lines are 0-based
  }
};

std::string did_you_mean(const std::string& prefix, const std::string& name, const std::vector<std::string>& known) {
  std::string best;
  size_t best_distance = std::max<size_t>(1, name.size() / 3) + 1;  // suggest only near misses
  for (const auto& k : known) {
    const size_t d = edit_distance(name, k);
    if (d < best_distance) best_distance = d, best = k;
  }
  return best.empty() ? "" : " (did you mean '" + prefix + best + "'?)";
}

std::string describe(const YAML::Node& node) {
  if (node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return std::string(node.Tag() == "!" ? "the string '" : "'") + node.Scalar() + "'";
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : "|") + n;
  return out;
}

// Reads the keys present in a YAML tree into a config struct; absent keys keep their values, so a
// file and then each override can be read into the same struct in turn.
class Reader {
 public:
  Reader(Source source, Locations& seen) : src_(std::move(source)), seen_(seen) {}

  // `anchor` is the node whose line errors cite: the key of a map entry, or the list item itself.
  template <class T>
  void read(const YAML::Node& node, const YAML::Node& anchor, const std::string& key, T& out) {
    if constexpr (is_section<T>) {
      read_section(node, key, out);
    } else if constexpr (is_vector<T>::value) {
      if (!node.IsSequence()) fail(node, anchor, key, "a list, e.g. [1, 2]");
      T items(node.size());
      for (size_t i = 0; i < node.size(); ++i) read(node[i], node[i], key + "[" + std::to_string(i) + "]", items[i]);
      out = std::move(items);
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!node.IsScalar() && !node.IsNull()) fail(node, anchor, key, "a string");
      out = node.IsNull() ? "" : node.Scalar();
    } else {
      out = scalar<T>(node, anchor, key);
    }
  }

  template <class S>
  void read_section(const YAML::Node& node, const std::string& key, S& section) {
    if (node.IsNull()) return;
    if (!node.IsMap() && key.empty()) throw_error(src_.at(node), ": expected a map of sections, got ", describe(node));
    if (!node.IsMap()) fail(node, node, key, "a map");
    const std::string prefix = key.empty() ? "" : key + ".";
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> entries;  // name -> (key, value)
    for (const auto& entry : node) {
      const std::string name = entry.first.Scalar();
      if (!entries.emplace(name, std::make_pair(entry.first, entry.second)).second)
        throw_error(src_.at(entry.first), ": duplicate key '", prefix, name, "'");
    }
    std::vector<std::string> known;
    auto field = [&](const char* name, auto& value, Need = Need::optional) {
      known.push_back(name);
      auto it = entries.find(name);
      if (it == entries.end()) return;
      seen_[prefix + name] = src_.at(it->second.first);
      read(it->second.second, it->second.first, prefix + name, value);
      entries.erase(it);
    };
    section.visit(field);
    if (entries.empty()) return;
    const auto& [name, entry] = *std::min_element(  // report the first unknown key in the file
        entries.begin(), entries.end(),
        [](const auto& a, const auto& b) { return a.second.first.Mark().pos < b.second.first.Mark().pos; });
    throw_error(src_.at(entry.first), ": unknown key '", prefix, name, "'", did_you_mean(prefix, name, known));
  }

 private:
  [[noreturn]] void fail(const YAML::Node& node, const YAML::Node& anchor, const std::string& key,
                         const std::string& expected) const {
    throw_error(src_.at(anchor), ": '", key, "' expects ", expected, ", got ", describe(node));
  }

  template <class T>
  T scalar(const YAML::Node& node, const YAML::Node& anchor, const std::string& key) const {
    const bool quoted = node.Tag() == "!";  // a quoted scalar is a string, never a number or bool
    const std::string text = node.IsScalar() ? node.Scalar() : "";
    if constexpr (std::is_enum_v<T>) {
      const auto& names = enum_names(T{});
      const auto it = std::find(names.begin(), names.end(), text);
      if (!node.IsScalar() || it == names.end()) fail(node, anchor, key, "one of " + join_names(names));
      return static_cast<T>(it - names.begin());
    } else if constexpr (std::is_same_v<T, bool>) {
      bool value = false;
      if (!node.IsScalar() || quoted || !YAML::convert<bool>::decode(node, value))
        fail(node, anchor, key, "true or false");
      return value;
    } else if constexpr (std::is_integral_v<T>) {
      char* end = nullptr;
      errno = 0;
      const long long value = std::strtoll(text.c_str(), &end, 10);
      if (!node.IsScalar() || quoted || text.empty() || *end != '\0' || errno == ERANGE ||
          value < std::numeric_limits<T>::min() || value > std::numeric_limits<T>::max())
        fail(node, anchor, key, "an integer");
      return static_cast<T>(value);
    } else {
      static_assert(std::is_floating_point_v<T>, "unsupported config field type");
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (!node.IsScalar() || quoted || text.empty() || *end != '\0' || !std::isfinite(value))
        fail(node, anchor, key, "a number");
      // Training math runs in float32: a larger value (sft.lr: 1e300) would become inf there.
      if (std::abs(value) > std::numeric_limits<float>::max())
        fail(node, anchor, key, "a number within float32's range (|x| <= 3.4e38)");
      return static_cast<T>(value);
    }
  }

  Source src_;
  Locations& seen_;
};

// Shortest decimal form that reads back as the same double, so printed configs round-trip.
std::string format_double(double x) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  // Keep floats visibly floats, in a form YAML 1.1 readers (PyYAML) also take: 1.0, 5.0e-06.
  std::string s = buf;
  if (s.find('.') == std::string::npos) s.insert(std::min(s.find('e'), s.size()), ".0");
  return s;
}

struct Writer {
  YAML::Emitter& out;

  template <class T>
  void operator()(const char* key, T& value, Need = Need::optional) {
    out << YAML::Key << key << YAML::Value;
    write(value);
  }

  template <class T>
  void write(T& value) {
    if constexpr (is_section<T>) {
      out << YAML::BeginMap;
      value.visit(*this);
      out << YAML::EndMap;
    } else if constexpr (is_vector<T>::value) {
      out << YAML::Flow << YAML::BeginSeq;
      for (auto& item : value) write(item);
      out << YAML::EndSeq;
    } else if constexpr (std::is_enum_v<T>) {
      out << name_of(value);
    } else if constexpr (std::is_floating_point_v<T>) {
      out << format_double(value);
    } else {
      out << value;
    }
  }
};

// Fails for any key marked Need::required that neither the file nor an override set.
struct RequiredCheck {
  const Locations& seen;
  const std::string& origin;
  std::string prefix;

  template <class T>
  void operator()(const char* name, T& value, Need need = Need::optional) {
    const std::string key = prefix + name;
    if constexpr (is_section<T>) {
      RequiredCheck inner{seen, origin, key + "."};
      value.visit(inner);
    } else if (need == Need::required && !seen.count(key)) {
      throw_error(origin, ": missing required key '", key, "'");
    }
  }
};

// An invariant check whose message starts where the key was set (or the config's origin).
struct Check {
  const Locations& seen;
  const std::string& origin;

  template <class... Parts>
  void operator()(bool ok, const std::string& key, const Parts&... parts) const {
    related(ok, key, key, parts...);
  }
  // For an invariant between two keys: located where `other` was set if `key` was not.
  template <class... Parts>
  void related(bool ok, const std::string& key, const std::string& other, const Parts&... parts) const {
    if (ok) return;
    auto it = seen.find(key);
    if (it == seen.end()) it = seen.find(other);
    throw_error(it == seen.end() ? origin : it->second, ": ", key, " ", parts...);
  }
};

void validate_train(const Check& check, const std::string& s, const TrainSection& t) {
  check(t.lr > 0, s + ".lr", "must be > 0, got ", t.lr);
  check(t.batch_size >= 1, s + ".batch_size", "must be >= 1, got ", t.batch_size);
  check(t.micro_batch_size >= 1, s + ".micro_batch_size", "must be >= 1, got ", t.micro_batch_size);
  check.related(t.batch_size % t.micro_batch_size == 0, s + ".micro_batch_size", s + ".batch_size", "(",
                t.micro_batch_size, ") must divide ", s, ".batch_size (", t.batch_size, ")");
  check(t.micro_batch_tokens >= 0, s + ".micro_batch_tokens", "must be >= 0 (0 = by micro_batch_size), got ",
        t.micro_batch_tokens);
  check.related(t.micro_batch_tokens == 0 || t.packing, s + ".micro_batch_tokens", s + ".packing", "needs ", s,
                ".packing: true");
  check(t.steps >= 0, s + ".steps", "must be >= 0, got ", t.steps);
  check.related(t.warmup_steps >= 0 && t.warmup_steps <= t.steps, s + ".warmup_steps", s + ".steps", "must be in [0, ",
                s, ".steps], got ", t.warmup_steps);
  check(t.weight_decay >= 0, s + ".weight_decay", "must be >= 0, got ", t.weight_decay);
  check(t.grad_clip >= 0, s + ".grad_clip", "must be >= 0 (0 = off), got ", t.grad_clip);
}

void validate(const RunConfig& c, const Check& check) {
  check(!c.run_dir.empty(), "run_dir", "must not be empty");
  check(c.seed >= 0, "seed", "must be >= 0, got ", c.seed);
  for (size_t i = 1; i < c.stages.size(); ++i)
    check(c.stages[i - 1] < c.stages[i], "stages", "must list each stage once, in the order ",
          join_names(enum_names(Stage{})), "; got '", name_of(c.stages[i]), "' after '", name_of(c.stages[i - 1]), "'");
  check(!c.model.path.empty(), "model.path", "must not be empty");

  const DataSection& d = c.data;
  check(d.general_ratio >= 0 && d.general_ratio < 1, "data.general_ratio", "must be in [0, 1) (-1 = the default), got ",
        d.general_ratio);
  check.related(d.general_ratio == 0 || !d.general_sft.empty(), "data.general_ratio", "data.general_sft",
                "is > 0 but data.general_sft is not set");
  check(d.max_prompt_tokens >= 1, "data.max_prompt_tokens", "must be >= 1, got ", d.max_prompt_tokens);
  check(d.max_response_tokens >= 1, "data.max_response_tokens", "must be >= 1, got ", d.max_response_tokens);

  const RolloutSection& r = c.rollout;
  check(r.temperature >= 0, "rollout.temperature", "must be >= 0, got ", r.temperature);
  check(r.top_p > 0 && r.top_p <= 1, "rollout.top_p", "must be in (0, 1], got ", r.top_p);
  check(r.top_k >= 0, "rollout.top_k", "must be >= 0 (0 = off), got ", r.top_k);
  check(r.max_new_tokens >= 1, "rollout.max_new_tokens", "must be >= 1, got ", r.max_new_tokens);
  check(r.memory_budget_gb > 0, "rollout.memory_budget_gb", "must be > 0, got ", r.memory_budget_gb);
  check(r.max_batch_size >= 1, "rollout.max_batch_size", "must be >= 1, got ", r.max_batch_size);
  check(r.seed >= 0, "rollout.seed", "must be >= 0 (-1 = the top-level seed), got ", r.seed);

  check(c.optim.zero_stage >= 0 && c.optim.zero_stage <= 2, "optim.zero_stage",
        "must be 0, 1 or 2 (3, parameters sharded, is not implemented), got ", c.optim.zero_stage);

  validate_train(check, "sft", c.sft);
  validate_train(check, "rft", c.rft);
  check(c.rft.num_samples >= 1, "rft.num_samples", "must be >= 1, got ", c.rft.num_samples);
  check(c.rft.hinted_samples >= 0, "rft.hinted_samples", "must be >= 0, got ", c.rft.hinted_samples);

  const GrpoSection& g = c.grpo;
  validate_train(check, "grpo", g);
  check(g.group_size >= 2, "grpo.group_size", "must be >= 2 (advantages compare within a group), got ", g.group_size);
  check.related(g.batch_size % g.group_size == 0, "grpo.batch_size", "grpo.group_size", "(", g.batch_size,
                ") must be a multiple of grpo.group_size (", g.group_size, ")");
  check(g.beta >= 0, "grpo.beta", "must be >= 0, got ", g.beta);
  check(g.clip_eps > 0 && g.clip_eps < 1, "grpo.clip_eps", "must be in (0, 1), got ", g.clip_eps);
  check.related(g.clip_eps_high >= g.clip_eps, "grpo.clip_eps_high", "grpo.clip_eps", "(", g.clip_eps_high,
                ") must be >= grpo.clip_eps (", g.clip_eps, ")");
  check(g.updates_per_batch >= 1, "grpo.updates_per_batch", "must be >= 1, got ", g.updates_per_batch);

  validate_train(check, "metarm", c.metarm);
  check(!c.metarm.packing, "metarm.packing", "is not supported (the meta RM scores whole sequences)");
  check(c.metarm.samples_per_item >= 1, "metarm.samples_per_item", "must be >= 1, got ", c.metarm.samples_per_item);
  check(c.metarm.temperature >= 0, "metarm.temperature", "must be >= 0 (-1 = eval.temperature), got ",
        c.metarm.temperature);
  check(c.metarm.holdout_fraction >= 0 && c.metarm.holdout_fraction < 1, "metarm.holdout_fraction",
        "must be in [0, 1), got ", c.metarm.holdout_fraction);

  const EvalSection& e = c.eval;
  check(!e.k.empty(), "eval.k", "must list at least one k");
  for (int k : e.k) check(k >= 1, "eval.k", "values must be >= 1, got ", k);
  check(e.k_meta >= 0, "eval.k_meta", "must be >= 0 (0 = k/2), got ", e.k_meta);
  check(e.temperature >= 0, "eval.temperature", "must be >= 0, got ", e.temperature);
  check(!e.principle_modes.empty(), "eval.principle_modes", "must list at least one mode");
  check(e.seed >= 0, "eval.seed", "must be >= 0 (-1 = the top-level seed), got ", e.seed);

  check(c.checkpoint.every_steps >= 0, "checkpoint.every_steps", "must be >= 0, got ", c.checkpoint.every_steps);
  check(c.checkpoint.keep_last >= 0, "checkpoint.keep_last", "must be >= 0, got ", c.checkpoint.keep_last);
  check(!c.checkpoint.resume.empty(), "checkpoint.resume", "must be none, auto or a checkpoint path");
}

// Fills the defaults that are defined in terms of other keys (after all overrides).
void resolve_derived(RunConfig& c) {
  if (c.model.tokenizer.empty()) c.model.tokenizer = c.model.path;
  if (c.rollout.seed == -1) c.rollout.seed = c.seed;
  if (c.eval.seed == -1) c.eval.seed = c.seed;
  if (c.metarm.temperature == -1) c.metarm.temperature = c.eval.temperature;
  if (c.data.general_ratio == -1) c.data.general_ratio = c.data.general_sft.empty() ? 0.0 : kDefaultGeneralRatio;
  if (c.grpo.clip_eps_high == 0) c.grpo.clip_eps_high = c.grpo.clip_eps;
  if (c.checkpoint.dir.empty()) c.checkpoint.dir = c.run_dir + "/checkpoints";
  if (c.logging.metrics_file.empty()) c.logging.metrics_file = c.run_dir + "/metrics.jsonl";
}

YAML::Node nest(const std::vector<std::string>& parts, size_t i, const YAML::Node& leaf) {
  if (i == parts.size()) return leaf;
  YAML::Node map(YAML::NodeType::Map);
  map[parts[i]] = nest(parts, i + 1, leaf);
  return map;
}

// Reads one "section.key=value" override; the value is YAML (a scalar or a flow list or map).
void apply_override(RunConfig& config, const std::string& text, Locations& seen) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw_error("--set ", text, ": expected section.key=value");
  const std::string key = text.substr(0, eq);
  const Source src{"--set " + key, false};
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw_error(src.name, ": cannot parse value '", text.substr(eq + 1), "': ", e.msg);
  }
  std::vector<std::string> parts;
  std::stringstream stream(key);
  for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
  Reader(src, seen).read_section(nest(parts, 0, value), "", config);
}

}  // namespace

RunConfig RunConfig::from_yaml_string(const std::string& text, const std::string& origin_name,
                                      const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw_error(origin_name, ":", e.mark.line + 1, ": invalid YAML: ", e.msg);
  }
  RunConfig config;
  config.origin = origin_name;
  Locations seen;
  Reader({origin_name, true}, seen).read_section(root, "", config);
  for (const auto& o : overrides) apply_override(config, o, seen);
  RequiredCheck required{seen, origin_name, ""};
  config.visit(required);
  resolve_derived(config);
  validate(config, Check{seen, origin_name});
  return config;
}

RunConfig RunConfig::from_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  SPCT_CHECK(!std::filesystem::is_directory(path, ec), "config file '", path, "' is a directory, not a YAML file");
  std::ifstream in(path);
  SPCT_CHECK(in, "cannot read config file '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  return from_yaml_string(text.str(), path, overrides);
}

std::string to_yaml(const RunConfig& config) {
  RunConfig copy = config;  // visit() is non-const: one function serves reading and writing
  YAML::Emitter out;
  Writer writer{out};
  writer.write(copy);
  return std::string(out.c_str()) + "\n";
}

// Doubles print exactly (format_double), so equal YAML means equal fields.
bool operator==(const RunConfig& a, const RunConfig& b) { return to_yaml(a) == to_yaml(b); }

void require_stage_inputs(const RunConfig& c, Stage stage) {
  const auto need = [&](const std::string& value, const char* key) {
    SPCT_CHECK(!value.empty(), c.origin, ": ", key, " is required by stage '", name_of(stage), "'");
  };
  switch (stage) {
    case Stage::sft: need(c.data.general_sft, "data.general_sft"); break;
    case Stage::rft:
    case Stage::grpo:
    case Stage::metarm: need(c.data.train, "data.train"); break;
    case Stage::eval: need(c.data.test, "data.test"); break;
  }
}

}  // namespace spct
