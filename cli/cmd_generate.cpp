// spct generate: greedy or sampled decoding with the KV cache, for a quick look at a model.
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "cli/config_options.h"
#include "cli/options.h"
#include "core/byte_tokenizer.h"
#include "core/error.h"
#include "core/hf_io.h"
#include "core/tokenizer/chat_template.h"
#include "rollout/generate.h"

namespace spct::cli {
namespace {

std::vector<int32_t> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      const long v = std::stol(item, &used);
      SPCT_CHECK(used == item.size() || item.find_first_not_of(" ", used) == std::string::npos, "");
      ids.push_back(static_cast<int32_t>(v));
    } catch (const std::exception&) {
      throw_error("spct generate: --prompt-ids: '", item, "' is not an integer");
    }
  }
  return ids;
}

int run_generate(const std::vector<std::string>& args) {
  po::options_description desc("generate options");
  std::string model_path, prompt, prompt_ids, dtype, device, tokenizer_dir, chat_format;
  SamplingParams sp;
  int64_t n = 1;
  desc.add_options()
      ("model", po::value(&model_path), "HF model directory, or 'tiny' (built-in, random init); default: model.path of --config")
      ("prompt", po::value(&prompt), "prompt text, encoded with the model's tokenizer")
      ("chat", "wrap --prompt as a user message in the model's chat template")
      ("chat-template", po::value(&chat_format), "chat template by name instead of the tokenizer's own")
      ("tokenizer", po::value(&tokenizer_dir), "tokenizer directory (default: the model directory)")
      ("prompt-ids", po::value(&prompt_ids), "prompt as comma-separated token ids")
      ("max-new-tokens", po::value(&sp.max_new_tokens)->default_value(32), "tokens to generate")
      ("temperature", po::value(&sp.temperature)->default_value(0.0), "0 = greedy")
      ("top-p", po::value(&sp.top_p)->default_value(1.0), "nucleus sampling mass")
      ("top-k", po::value(&sp.top_k)->default_value(0), "keep the k most likely tokens (0 = all)")
      ("seed", po::value(&sp.seed)->default_value(0), "sampling seed (sample i uses seed + i); also the tiny model's init seed")
      ("n", po::value(&n)->default_value(1), "samples per prompt")
      ("dtype", po::value(&dtype)->default_value("float32"), "float32 | bfloat16")
      ("device", po::value(&device)->default_value("cpu"), "cpu | cuda");
  add_config_options(desc);
  auto vm = parse_options("generate", "--model DIR|tiny (--prompt TEXT | --prompt-ids IDS) [options]", desc, args);
  if (!vm) return 0;
  if (vm->count("config") || vm->count("set") || vm->count("print-config")) {
    // The config gives the model and rollout settings; options typed on the command line win.
    const RunConfig cfg = resolve_config(*vm);
    if (vm->count("print-config")) return 0;
    log_config(cfg);
    auto given = [&](const char* key) { return vm->count(key) && !(*vm)[key].defaulted(); };
    if (!given("model")) model_path = cfg.model.path;
    if (!given("dtype")) dtype = name_of(cfg.model.dtype);
    if (!given("device")) device = name_of(cfg.model.device);
    if (!given("temperature")) sp.temperature = cfg.rollout.temperature;
    if (!given("top-p")) sp.top_p = cfg.rollout.top_p;
    if (!given("top-k")) sp.top_k = cfg.rollout.top_k;
    if (!given("max-new-tokens")) sp.max_new_tokens = cfg.rollout.max_new_tokens;
    if (!given("seed")) sp.seed = static_cast<uint64_t>(cfg.rollout.seed);
  }
  SPCT_CHECK(!model_path.empty(), "spct generate: no model: pass --model or --config with model.path");
  SPCT_CHECK(vm->count("prompt") + vm->count("prompt-ids") == 1, "spct generate: give exactly one of --prompt or --prompt-ids");
  SPCT_CHECK(n >= 1, "spct generate: --n must be >= 1");
  auto model = load_model(model_path, {parse_dtype(dtype), at::Device(device), sp.seed});
  // With --prompt-ids the tokenizer is optional: ids in, ids out.
  std::unique_ptr<Tokenizer> tokenizer;
  if (vm->count("prompt") || !tokenizer_dir.empty()) tokenizer = tokenizer_for_model(model_path, tokenizer_dir);
  std::vector<int32_t> ids;
  if (vm->count("prompt-ids")) {
    ids = parse_ids(prompt_ids);
  } else if (vm->count("chat")) {
    ids = encode_chat(*tokenizer, {{"user", prompt, std::nullopt}}, ChatOptions{}, chat_format);
  } else {
    ids = tokenizer->encode(prompt, /*add_special=*/true);
  }
  for (int64_t id : model->config().eos_token_ids) sp.stop_ids.push_back(id);
  if (tokenizer && tokenizer->eos_id() >= 0) sp.stop_ids.push_back(tokenizer->eos_id());
  const auto results = generate(*model, std::vector<std::vector<int32_t>>(n, ids), sp);
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    double total = 0;
    for (float lp : r.logprobs) total += lp;
    std::cout << "[sample " << i << "] finish=" << r.finish_reason << " tokens=" << r.tokens.size()
              << " logprob=" << total << "\n";
    if (tokenizer) {
      std::cout << tokenizer->decode(r.tokens, /*skip_special=*/true) << "\n";
    } else {
      for (size_t t = 0; t < r.tokens.size(); ++t) std::cout << (t ? "," : "") << r.tokens[t];
      std::cout << "\n";
    }
  }
  return 0;
}

}  // namespace
SPCT_COMMAND("generate", "decode from a model with the KV cache (greedy or sampled)", run_generate);
}  // namespace spct::cli
