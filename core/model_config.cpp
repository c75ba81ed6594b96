#include "core/model_config.h"

#include <cmath>

#include "core/error.h"
#include "core/file_util.h"

namespace spct {
namespace {

using json = nlohmann::json;

// Field readers whose errors name the file and the key.
struct Reader {
  const json& j;
  const std::string& origin;

  bool has(const char* key) const { return j.contains(key) && !j[key].is_null(); }
  int64_t integer(const char* key) const {
    if (!has(key)) throw_error(origin, ": missing required field '", key, "'");
    if (!j[key].is_number_integer()) throw_error(origin, ": field '", key, "' must be an integer");
    return j[key].get<int64_t>();
  }
  int64_t integer(const char* key, int64_t def) const { return has(key) ? integer(key) : def; }
  double number(const char* key, double def) const {
    if (!has(key)) return def;
    if (!j[key].is_number()) throw_error(origin, ": field '", key, "' must be a number");
    return j[key].get<double>();
  }
  bool boolean(const char* key, bool def) const {
    if (!has(key)) return def;
    if (!j[key].is_boolean()) throw_error(origin, ": field '", key, "' must be true or false");
    return j[key].get<bool>();
  }
  std::string string(const char* key, const std::string& def) const {
    if (!has(key)) return def;
    if (!j[key].is_string()) throw_error(origin, ": field '", key, "' must be a string");
    return j[key].get<std::string>();
  }
};

Family parse_family(const std::string& model_type, const std::string& origin) {
  if (model_type == "llama") return Family::llama;
  if (model_type == "qwen2") return Family::qwen2;
  if (model_type == "qwen3") return Family::qwen3;
  if (model_type == "gemma2") return Family::gemma2;
  throw_error(origin, ": field 'model_type': unsupported model type '", model_type,
              "' (supported: llama, qwen2, qwen3, gemma2)");
}

// transformers >= 5 writes rope_parameters {rope_type, rope_theta, ...}; older versions write
// rope_theta plus an optional rope_scaling {rope_type|type, factor, ...}. Accept both.
RopeConfig parse_rope(const json& j, const std::string& origin, double default_theta) {
  RopeConfig rope;
  Reader top{j, origin};
  rope.theta = top.number("rope_theta", default_theta);
  const json* params = nullptr;
  std::string where;
  if (top.has("rope_parameters")) {
    params = &j["rope_parameters"];
    where = "rope_parameters";
  } else if (top.has("rope_scaling")) {
    params = &j["rope_scaling"];
    where = "rope_scaling";
  }
  if (!params) return rope;
  SPCT_CHECK(params->is_object(), origin, ": field '", where, "' must be an object");
  const std::string sub = origin + ": " + where;
  Reader r{*params, sub};
  rope.theta = r.number("rope_theta", rope.theta);
  rope.type = r.string("rope_type", r.string("type", "default"));
  if (rope.type == "default") return rope;
  if (rope.type == "linear") {
    rope.factor = r.number("factor", 1.0);
  } else if (rope.type == "llama3") {
    rope.factor = r.number("factor", 8.0);
    rope.low_freq_factor = r.number("low_freq_factor", 1.0);
    rope.high_freq_factor = r.number("high_freq_factor", 4.0);
    rope.original_max_position = r.integer("original_max_position_embeddings");
  } else {
    throw_error(origin, ": field '", where, ".rope_type': unsupported rope type '", rope.type,
                "' (supported: default, linear, llama3)");
  }
  return rope;
}

std::vector<bool> parse_sliding_layers(const json& j, const ModelConfig& c, const std::string& origin) {
  Reader r{j, origin};
  std::vector<bool> sliding(c.num_layers, false);
  if (r.has("layer_types")) {
    const json& types = j["layer_types"];
    SPCT_CHECK(types.is_array() && static_cast<int64_t>(types.size()) == c.num_layers, origin,
               ": field 'layer_types' must list one type per layer (", c.num_layers, ")");
    for (int64_t i = 0; i < c.num_layers; ++i) {
      const std::string t = types[i].is_string() ? types[i].get<std::string>() : "";
      SPCT_CHECK(t == "sliding_attention" || t == "full_attention", origin, ": field 'layer_types[", i,
                 "]': expected 'sliding_attention' or 'full_attention'");
      sliding[i] = t == "sliding_attention";
    }
  } else if (c.family == Family::gemma2) {
    for (int64_t i = 0; i < c.num_layers; ++i) sliding[i] = i % 2 == 0;  // even layers slide
  } else if (r.boolean("use_sliding_window", false)) {
    const int64_t first = r.integer("max_window_layers", c.num_layers);
    for (int64_t i = first; i < c.num_layers; ++i) sliding[i] = true;
  }
  return sliding;
}

}  // namespace

std::string family_name(Family f) {
  switch (f) {
    case Family::llama: return "llama";
    case Family::qwen2: return "qwen2";
    case Family::qwen3: return "qwen3";
    case Family::gemma2: return "gemma2";
  }
  return "?";
}

double ModelConfig::attn_scale() const {
  return 1.0 / std::sqrt(query_pre_attn_scalar > 0 ? query_pre_attn_scalar : static_cast<double>(head_dim));
}

// In double: a hostile config.json (num_hidden_layers: 1e9, ...) must not overflow the count
// that is checked before anything is allocated; exact below 2^53, far above any real model.
double ModelConfig::parameter_estimate() const {
  const double h = static_cast<double>(hidden_size), inter = static_cast<double>(intermediate_size);
  const double vocab = static_cast<double>(vocab_size), hd = static_cast<double>(head_dim);
  const double q = static_cast<double>(num_heads) * hd, kv = static_cast<double>(num_kv_heads) * hd;
  double attn = h * (q + 2 * kv) + q * h;
  if (qkv_bias) attn += q + 2 * kv;
  if (o_bias) attn += h;
  if (qk_norm) attn += 2 * hd;
  double mlp = 3 * h * inter;
  if (mlp_bias) mlp += 2 * inter + h;
  const double norms = (gemma_style() ? 4 : 2) * h;
  const double head = num_labels > 0 ? static_cast<double>(num_labels) * h : (tie_word_embeddings ? 0 : vocab * h);
  const double embed = vocab * h + head;
  return static_cast<double>(num_layers) * (attn + mlp + norms) + embed + h;
}

int64_t ModelConfig::num_parameters() const { return static_cast<int64_t>(parameter_estimate()); }

ModelConfig ModelConfig::from_hf_json(const json& j, const std::string& origin) {
  SPCT_CHECK(j.is_object(), origin, ": config is not a JSON object");
  Reader r{j, origin};
  ModelConfig c;
  SPCT_CHECK(r.has("model_type"), origin, ": missing required field 'model_type'");
  c.family = parse_family(r.string("model_type", ""), origin);
  c.vocab_size = r.integer("vocab_size");
  c.hidden_size = r.integer("hidden_size");
  c.intermediate_size = r.integer("intermediate_size");
  c.num_layers = r.integer("num_hidden_layers");
  // Per-layer tables are built below; the weights and memory are checked before the model is (hf_io).
  SPCT_CHECK(c.num_layers >= 1 && c.num_layers <= INT32_MAX, origin, ": field 'num_hidden_layers' must be in [1, ",
             INT32_MAX, "], got ", c.num_layers);
  c.num_heads = r.integer("num_attention_heads");
  c.num_kv_heads = r.integer("num_key_value_heads", c.num_heads);
  SPCT_CHECK(c.num_heads > 0, origin, ": field 'num_attention_heads' must be positive");
  c.head_dim = r.integer("head_dim", c.hidden_size / c.num_heads);
  c.max_position_embeddings = r.integer("max_position_embeddings", 4096);
  c.rms_norm_eps = r.number("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", c.family == Family::gemma2);
  switch (c.family) {
    case Family::llama:
      c.rope = parse_rope(j, origin, 10000.0);
      c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
      c.mlp_bias = r.boolean("mlp_bias", false);
      c.hidden_act = r.string("hidden_act", "silu");
      break;
    case Family::qwen2:
      c.rope = parse_rope(j, origin, 1000000.0);
      c.qkv_bias = true;
      c.hidden_act = r.string("hidden_act", "silu");
      break;
    case Family::qwen3:
      c.rope = parse_rope(j, origin, 1000000.0);
      c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
      c.qk_norm = true;
      c.hidden_act = r.string("hidden_act", "silu");
      break;
    case Family::gemma2:
      c.rope = parse_rope(j, origin, 10000.0);
      c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
      c.hidden_act = r.string("hidden_activation", r.string("hidden_act", "gelu_pytorch_tanh"));
      c.attn_logit_softcapping = r.number("attn_logit_softcapping", 0.0);
      c.final_logit_softcapping = r.number("final_logit_softcapping", 0.0);
      c.query_pre_attn_scalar = r.number("query_pre_attn_scalar", static_cast<double>(c.head_dim));
      break;
  }
  c.sliding_window = r.integer("sliding_window", 0);
  c.sliding_layers = parse_sliding_layers(j, c, origin);
  c.bos_token_id = r.integer("bos_token_id", -1);
  c.pad_token_id = r.integer("pad_token_id", -1);
  if (r.has("eos_token_id")) {
    const json& e = j["eos_token_id"];
    if (e.is_array()) {
      for (const auto& id : e) {
        SPCT_CHECK(id.is_number_integer(), origin, ": field 'eos_token_id' must hold integers");
        c.eos_token_ids.push_back(id.get<int64_t>());
      }
    } else {
      c.eos_token_ids.push_back(r.integer("eos_token_id"));
    }
  }
  if (r.has("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string()) {
    const std::string arch = j["architectures"][0].get<std::string>();
    if (arch.size() > 25 && arch.compare(arch.size() - 25, 25, "ForSequenceClassification") == 0) {
      c.num_labels = r.integer("num_labels", 0);
      if (c.num_labels == 0 && r.has("id2label") && j["id2label"].is_object())
        c.num_labels = static_cast<int64_t>(j["id2label"].size());
      if (c.num_labels == 0) c.num_labels = 2;  // HF's default
    }
  }
  c.source = j;
  c.validate(origin);
  return c;
}

ModelConfig ModelConfig::load(const std::string& path) { return from_hf_json(read_json_file(path), path); }

void ModelConfig::validate(const std::string& origin) const {
  auto positive = [&](int64_t v, const char* key) {
    SPCT_CHECK(v > 0, origin, ": field '", key, "' must be positive (got ", v, ")");
  };
  positive(vocab_size, "vocab_size");
  positive(hidden_size, "hidden_size");
  positive(intermediate_size, "intermediate_size");
  positive(num_layers, "num_hidden_layers");
  positive(num_heads, "num_attention_heads");
  positive(num_kv_heads, "num_key_value_heads");
  positive(head_dim, "head_dim");
  SPCT_CHECK(num_heads % num_kv_heads == 0, origin, ": field 'num_key_value_heads' (", num_kv_heads,
             ") must divide num_attention_heads (", num_heads, ")");
  SPCT_CHECK(head_dim % 2 == 0, origin, ": field 'head_dim' must be even for rotary embeddings");
  SPCT_CHECK(hidden_act == "silu" || hidden_act == "gelu_pytorch_tanh" || hidden_act == "gelu_tanh", origin,
             ": field 'hidden_act': unsupported activation '", hidden_act, "'");
  SPCT_CHECK(rms_norm_eps > 0, origin, ": field 'rms_norm_eps' must be positive");
  SPCT_CHECK(num_labels >= 0, origin, ": field 'num_labels' must be >= 0");
  for (bool s : sliding_layers)
    SPCT_CHECK(!s || sliding_window > 0, origin, ": sliding-window layers need a positive 'sliding_window'");
}

ModelConfig ModelConfig::tiny(int64_t vocab_size) {
  ModelConfig c;
  c.family = Family::llama;
  c.vocab_size = vocab_size;
  c.hidden_size = 128;
  c.intermediate_size = 384;
  c.num_layers = 4;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 32;
  c.max_position_embeddings = 2048;
  c.rms_norm_eps = 1e-5;
  c.tie_word_embeddings = true;
  c.sliding_layers.assign(c.num_layers, false);
  c.validate("tiny model");
  return c;
}

json ModelConfig::to_hf_json(const std::string& dtype_name) const {
  json j = source.is_object() ? source : json::object();
  static const char* arch[] = {"Llama", "Qwen2", "Qwen3", "Gemma2"};
  const std::string head = num_labels > 0 ? "ForSequenceClassification" : "ForCausalLM";
  j["architectures"] = {std::string(arch[static_cast<int>(family)]) + head};
  if (num_labels > 0) {
    j["num_labels"] = num_labels;
    json id2label = json::object(), label2id = json::object();
    for (int64_t i = 0; i < num_labels; ++i) {
      id2label[std::to_string(i)] = "LABEL_" + std::to_string(i);
      label2id["LABEL_" + std::to_string(i)] = i;
    }
    j["id2label"] = id2label;
    j["label2id"] = label2id;
  }
  j["model_type"] = family_name(family);
  j["dtype"] = dtype_name;
  if (source.is_object()) return j;  // imported: everything else is as the user's file said
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["intermediate_size"] = intermediate_size;
  j["num_hidden_layers"] = num_layers;
  j["num_attention_heads"] = num_heads;
  j["num_key_value_heads"] = num_kv_heads;
  j["head_dim"] = head_dim;
  j["max_position_embeddings"] = max_position_embeddings;
  j["rms_norm_eps"] = rms_norm_eps;
  j["hidden_act"] = hidden_act;
  j["attention_bias"] = qkv_bias;
  j["mlp_bias"] = mlp_bias;
  j["tie_word_embeddings"] = tie_word_embeddings;
  j["rope_theta"] = rope.theta;  // read by transformers 4.x
  json params = {{"rope_type", rope.type}, {"rope_theta", rope.theta}};
  if (rope.type != "default") params["factor"] = rope.factor;
  if (rope.type == "llama3") {
    params["low_freq_factor"] = rope.low_freq_factor;
    params["high_freq_factor"] = rope.high_freq_factor;
    params["original_max_position_embeddings"] = rope.original_max_position;
  }
  j["rope_parameters"] = params;  // read by transformers >= 5
  if (bos_token_id >= 0) j["bos_token_id"] = bos_token_id;
  if (pad_token_id >= 0) j["pad_token_id"] = pad_token_id;
  if (eos_token_ids.size() == 1)
    j["eos_token_id"] = eos_token_ids[0];
  else if (!eos_token_ids.empty())
    j["eos_token_id"] = eos_token_ids;
  return j;
}

}  // namespace spct
