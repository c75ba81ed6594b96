#include "core/hf_io.h"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/byte_tokenizer.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/host_memory.h"
#include "core/log.h"
#include "core/safetensors.h"

namespace spct {
namespace fs = std::filesystem;
using json = nlohmann::json;

at::ScalarType parse_dtype(const std::string& name) {
  if (name == "float32" || name == "fp32") return at::kFloat;
  if (name == "bfloat16" || name == "bf16") return at::kBFloat16;
  if (name == "float16" || name == "fp16") return at::kHalf;
  throw_error("unknown dtype '", name, "' (expected float32, bfloat16 or float16)");
}

std::string dtype_name(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return "float32";
    case at::kBFloat16: return "bfloat16";
    case at::kHalf: return "float16";
    default: throw_error("unsupported model dtype ", c10::toString(dtype));
  }
}

namespace {

// name -> safetensors file holding it, from the index or the single file.
std::map<std::string, std::string> weight_files(const fs::path& dir) {
  const fs::path single = dir / "model.safetensors";
  const fs::path index = dir / "model.safetensors.index.json";
  std::map<std::string, std::string> where;
  if (fs::exists(index)) {
    json j = read_json_file(index.string());
    SPCT_CHECK(j.is_object() && j.contains("weight_map") && j["weight_map"].is_object(), index.string(),
               ": missing object field 'weight_map'");
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      SPCT_CHECK(it.value().is_string(), index.string(), ": weight_map.", it.key(), " must be a file name");
      const std::string file = it.value().get<std::string>();
      SPCT_CHECK(file.find('/') == std::string::npos && file.find("..") == std::string::npos, index.string(),
                 ": weight_map.", it.key(), ": file name '", file, "' leaves the model directory");
      where[it.key()] = (dir / file).string();
    }
    return where;
  }
  SPCT_CHECK(fs::exists(single), dir.string(), ": no model weights (neither model.safetensors nor ",
             "model.safetensors.index.json)");
  const auto file = safetensors::File::open(single.string());
  for (const auto& t : file.tensors()) where[t.name] = single.string();
  return where;
}

void load_weights(Transformer& model, const fs::path& dir) {
  const auto where = weight_files(dir);
  std::map<std::string, safetensors::File> files;
  std::set<std::string> expected;
  for (const auto& spec : parameter_specs(model.config())) expected.insert(spec.name);
  std::vector<std::string> missing;
  for (const auto& name : expected)
    if (!where.count(name)) missing.push_back(name);
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 5) list += ", ...";
    throw_error(dir.string(), ": ", missing.size(), " weight(s) missing: ", list);
  }
  for (const auto& [name, file] : where) {
    if (!expected.count(name)) {
      // A tied lm_head saved anyway is harmless; anything else means the config is not this model's.
      SPCT_CHECK(name == "lm_head.weight" && (model.config().tie_word_embeddings || model.config().num_labels > 0),
                 file, ": unexpected tensor '", name, "' (not part of a ", family_name(model.config().family),
                 " model with this config)");
      log::warn(file, ": ignoring lm_head.weight (config ties it to the embeddings)");
      continue;
    }
    auto it = files.find(file);
    if (it == files.end()) it = files.emplace(file, safetensors::File::open(file)).first;
    SPCT_CHECK(it->second.contains(name), file, ": index lists '", name, "' here but the file lacks it");
    at::Tensor& p = model.param(name);
    const auto& info = it->second.info(name);
    SPCT_CHECK(info.shape == p.sizes().vec(), file, ": tensor '", name, "' has shape ", at::IntArrayRef(info.shape),
               " but the config implies ", p.sizes());
    c10::NoGradGuard no_grad;
    p.copy_(it->second.load(name));
  }
}

// HF generate() stops at generation_config.json's eos_token_id (one id or a list), which chat models
// use for their end-of-turn token (<|im_end|>, <|eot_id|>); config.json may name only one.
void add_generation_eos(ModelConfig& config, const fs::path& path) {
  if (!fs::exists(path)) return;
  const nlohmann::json j = read_json_file(path.string());
  if (!j.is_object() || !j.contains("eos_token_id") || j["eos_token_id"].is_null()) return;
  const nlohmann::json ids =
      j["eos_token_id"].is_array() ? j["eos_token_id"] : nlohmann::json::array({j["eos_token_id"]});
  for (const auto& id : ids) {
    SPCT_CHECK(id.is_number_integer(), path.string(),
               ": field 'eos_token_id' must be an integer or a list of integers");
    const int64_t v = id.get<int64_t>();
    SPCT_CHECK(v >= 0 && v < config.vocab_size, path.string(), ": field 'eos_token_id': ", v,
               " is outside the vocabulary (", config.vocab_size, ")");
    if (std::find(config.eos_token_ids.begin(), config.eos_token_ids.end(), v) == config.eos_token_ids.end())
      config.eos_token_ids.push_back(v);
  }
}

// Before any allocation: a config.json whose sizes the weight files or memory cannot back (e.g.
// num_hidden_layers: 1000000000) is refused naming the file and field.
void check_config_backed(const ModelConfig& c, const fs::path& dir, const LoadOptions& opt) {
  const std::string origin = (dir / "config.json").string();
  if (!opt.from_scratch) {
    int64_t layers = 0;
    for (const auto& [name, file] : weight_files(dir)) {
      const std::string prefix = "model.layers.";
      if (name.rfind(prefix, 0) != 0) continue;
      const size_t end = name.find('.', prefix.size());
      const std::string digits = name.substr(prefix.size(), end - prefix.size());
      if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
      layers = std::max<int64_t>(layers, std::stoll(digits) + 1);
    }
    SPCT_CHECK(c.num_layers <= layers, origin, ": field 'num_hidden_layers' is ", c.num_layers,
               " but the weight files hold ", layers, " layer(s)");
  }
  const double bytes = c.parameter_estimate() * static_cast<double>(c10::elementSize(opt.dtype));
  const double have = host_memory_available();
  SPCT_CHECK(bytes <= have, origin, ": the sizes in the config (num_hidden_layers ", c.num_layers, ", hidden_size ",
             c.hidden_size, ", intermediate_size ", c.intermediate_size, ", vocab_size ", c.vocab_size, ") imply ",
             c.parameter_estimate(), " parameters, ", bytes / 1e9, " GB in ", dtype_name(opt.dtype), ", more than the ",
             have / 1e9, " GB of memory available");
}

}  // namespace

std::unique_ptr<Transformer> load_model(const std::string& path, const LoadOptions& opt) {
  const auto options = at::TensorOptions().dtype(opt.dtype).device(opt.device);
  if (path == "tiny") {
    ModelConfig config = ModelConfig::tiny(ByteTokenizer::kVocabSize);
    config.bos_token_id = ByteTokenizer::kBos;
    // <|end|> closes a chat turn (what a trained judge writes last), like Llama-3's <|eot_id|>.
    config.eos_token_ids = {ByteTokenizer::kEos, ByteTokenizer::kEnd};
    config.pad_token_id = ByteTokenizer::kPad;
    config.num_labels = opt.num_labels;
    auto model = std::make_unique<Transformer>(std::move(config), at::TensorOptions());
    model->init_random(opt.seed);
    model->to(options);
    return model;
  }
  const fs::path dir(path);
  SPCT_CHECK(fs::is_directory(dir), path, ": not a model directory (or 'tiny')");
  ModelConfig config = ModelConfig::load((dir / "config.json").string());
  add_generation_eos(config, dir / "generation_config.json");
  check_config_backed(config, dir, opt);
  // Weights are read on the CPU in float32-or-stored dtype, then moved once.
  auto model = std::make_unique<Transformer>(std::move(config), at::TensorOptions().dtype(opt.dtype));
  if (opt.from_scratch)
    model->init_random(opt.seed);
  else
    load_weights(*model, dir);
  if (opt.device != at::kCPU) model->to(options);
  return model;
}

void export_hf(const Transformer& model, const std::string& dir_str, const ExportOptions& opt) {
  const fs::path dir = fs::absolute(dir_str).lexically_normal();
  if (fs::exists(dir)) {
    SPCT_CHECK(fs::is_directory(dir), dir.string(), ": exists and is not a directory");
    SPCT_CHECK(fs::is_empty(dir) || opt.overwrite, dir.string(),
               ": directory exists and is not empty (pass --overwrite to replace it)");
  }
  const fs::path tmp = dir.string() + ".tmp-export";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const ModelConfig& c = model.config();
  const std::string dtype = dtype_name(model.options().dtype().toScalarType());
  write_file_atomic((tmp / "config.json").string(),
                    [&](std::ostream& out) { out << c.to_hf_json(dtype).dump(2) << "\n"; });
  json gen = {{"_from_model_config", true}};
  if (c.bos_token_id >= 0) gen["bos_token_id"] = c.bos_token_id;
  if (c.eos_token_ids.size() == 1)
    gen["eos_token_id"] = c.eos_token_ids[0];
  else if (!c.eos_token_ids.empty())
    gen["eos_token_id"] = c.eos_token_ids;
  if (c.pad_token_id >= 0) gen["pad_token_id"] = c.pad_token_id;
  write_file_atomic((tmp / "generation_config.json").string(), [&](std::ostream& out) { out << gen.dump(2) << "\n"; });

  // Group tensors into shards of at most max_shard_bytes (one shard: model.safetensors).
  std::vector<std::vector<std::pair<std::string, at::Tensor>>> shards(1);
  uint64_t shard_bytes = 0, total = 0;
  for (const auto& [name, p] : model.parameters()) {
    const uint64_t bytes = p.numel() * p.element_size();
    if (!shards.back().empty() && shard_bytes + bytes > opt.max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().emplace_back(name, p);
    shard_bytes += bytes;
    total += bytes;
  }
  const std::map<std::string, std::string> meta = {{"format", "pt"}};
  if (shards.size() == 1) {
    safetensors::save((tmp / "model.safetensors").string(), shards[0], meta);
  } else {
    json index = {{"metadata", {{"total_size", total}}}, {"weight_map", json::object()}};
    for (size_t i = 0; i < shards.size(); ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
      safetensors::save((tmp / name).string(), shards[i], meta);
      for (const auto& [tname, t] : shards[i]) index["weight_map"][tname] = name;
    }
    write_file_atomic((tmp / "model.safetensors.index.json").string(),
                      [&](std::ostream& out) { out << index.dump(2) << "\n"; });
  }
  if (!opt.tokenizer_dir.empty()) {
    for (const char* f : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
                          "chat_template.jinja"}) {
      const fs::path src = fs::path(opt.tokenizer_dir) / f;
      if (fs::exists(src)) fs::copy_file(src, tmp / f, fs::copy_options::overwrite_existing);
    }
  }
  if (opt.byte_tokenizer)  // read by tokenizer_for_model: no tokenizer.json, the byte vocabulary
    write_file_atomic((tmp / "tokenizer_config.json").string(), [&](std::ostream& out) {
      out << json{{"spct_tokenizer", "byte"}}.dump(2) << "\n";
    });
  if (fs::exists(dir)) fs::remove_all(dir);
  fs::rename(tmp, dir);
}

}  // namespace spct
