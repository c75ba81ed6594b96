// spct generate: greedy or sampled decoding with the rollout engine, one prompt from the command
// line (printed) or many from JSONL (--input, one request a line; --output, one sample a line).
#include <cmath>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "cli/config_options.h"
#include "cli/options.h"
#include "core/byte_tokenizer.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/hf_io.h"
#include "core/jsonl.h"
#include "core/tokenizer/chat_template.h"
#include "rollout/engine.h"
#include "rollout/memory_budget.h"
#include "rollout/request_jsonl.h"

namespace spct::cli {
namespace {

std::vector<int32_t> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  for (int64_t id : parse_int_list(text, "spct generate: --prompt-ids")) {
    SPCT_CHECK(id >= INT32_MIN && id <= INT32_MAX, "spct generate: --prompt-ids: '", id, "' is not a token id");
    ids.push_back(static_cast<int32_t>(id));
  }
  return ids;
}

// Options whose values would only fail (or blow up) later, checked before the model loads.
void check_sampling_options(const SamplingParams& sp, int64_t n) {
  SPCT_CHECK(n >= 1 && n <= (int64_t{1} << 40), "spct generate: --n must be in [1, 2^40], got ", n);
  SPCT_CHECK(std::isfinite(sp.temperature) && sp.temperature >= 0,
             "spct generate: --temperature must be a finite number >= 0, got ", sp.temperature);
  SPCT_CHECK(sp.top_p > 0 && sp.top_p <= 1, "spct generate: --top-p must be in (0, 1], got ", sp.top_p);
  SPCT_CHECK(sp.max_new_tokens >= 1, "spct generate: --max-new-tokens must be >= 1, got ", sp.max_new_tokens);
}

// The prompt and every new token need a position the model was built for.
void check_positions(const Request& q, int64_t max_positions, const std::string& what) {
  const int64_t p = static_cast<int64_t>(q.prompt.size());
  SPCT_CHECK(q.params.max_new_tokens <= max_positions - p, what, ": a prompt of ", p, " tokens plus ",
             q.params.max_new_tokens, " new tokens exceeds the model's max_position_embeddings (", max_positions, ")");
}

int run_generate(const std::vector<std::string>& args) {
  po::options_description desc("generate options");
  std::string model_path, prompt, prompt_ids, dtype, device, tokenizer_dir, chat_format, input, output;
  std::vector<std::string> stops;
  SamplingParams sp;
  EngineOptions eo;
  int64_t n = 1;
  desc.add_options()("model", po::value(&model_path),
                     "HF model directory, or 'tiny' (built-in, random init); default: model.path of --config")(
      "prompt", po::value(&prompt), "prompt text, encoded with the model's tokenizer")(
      "chat", "wrap --prompt as a user message in the model's chat template")(
      "chat-template", po::value(&chat_format), "chat template by name instead of the tokenizer's own")(
      "tokenizer", po::value(&tokenizer_dir), "tokenizer directory (default: the model directory)")(
      "prompt-ids", po::value(&prompt_ids), "prompt as comma-separated token ids")(
      "input", po::value(&input), "JSONL of requests, one a line (see docs/rollout.md)")(
      "output", po::value(&output), "JSONL of results, one sample a line (default with --input: stdout)")(
      "max-new-tokens", po::value(&sp.max_new_tokens)->default_value(32), "tokens to generate")(
      "temperature", po::value(&sp.temperature)->default_value(0.0), "0 = greedy")(
      "top-p", po::value(&sp.top_p)->default_value(1.0), "nucleus sampling mass")(
      "top-k", po::value(&sp.top_k)->default_value(0), "keep the k most likely tokens (0 = all)")(
      "stop", po::value(&stops)->composing(), "stop string (repeatable)")(
      "seed", po::value(&sp.seed)->default_value(0),
      "sampling seed (sample i uses seed + i); also the tiny model's init seed")("n", po::value(&n)->default_value(1),
                                                                                 "samples per prompt")(
      "memory-budget-gb", po::value(&eo.memory_budget_gb)->default_value(eo.memory_budget_gb),
      "KV cache + workspace budget")("max-batch-size", po::value(&eo.max_batch_size)->default_value(eo.max_batch_size),
                                     "sequences decoded together at most")(
      "cuda-graphs", po::value(&eo.cuda_graphs)->default_value(eo.cuda_graphs),
      "capture decode steps as CUDA graphs (true|false)")("dtype", po::value(&dtype)->default_value("float32"),
                                                          "float32 | bfloat16")(
      "device", po::value(&device)->default_value("cpu"), "cpu | cuda");
  add_config_options(desc);
  auto vm = parse_options(
      "generate", "--model DIR|tiny (--prompt TEXT | --prompt-ids IDS | --input REQ.jsonl) [options]", desc, args);
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
    if (!given("memory-budget-gb")) eo.memory_budget_gb = cfg.rollout.memory_budget_gb;
    if (!given("max-batch-size")) eo.max_batch_size = cfg.rollout.max_batch_size;
    if (!given("cuda-graphs")) eo.cuda_graphs = cfg.rollout.cuda_graphs;
  }
  SPCT_CHECK(!model_path.empty(), "spct generate: no model: pass --model or --config with model.path");
  SPCT_CHECK(vm->count("prompt") + vm->count("prompt-ids") + vm->count("input") == 1,
             "spct generate: give exactly one of --prompt, --prompt-ids or --input");
  check_sampling_options(sp, n);
  sp.stop = stops;
  sp.validate();
  if (!vm->count("input"))
    require_results_fit(static_cast<double>(n), sp.max_new_tokens, "spct generate: --n " + std::to_string(n));
  auto model = load_model(model_path, {parse_dtype(dtype), at::Device(device), sp.seed});
  const int64_t max_pos = model->config().max_position_embeddings;
  // With ids in (--prompt-ids, or an --input without tokenizer) the tokenizer is optional: ids in, ids out.
  std::unique_ptr<Tokenizer> tokenizer;
  if (vm->count("prompt") || vm->count("input") || !tokenizer_dir.empty()) {
    try {
      tokenizer = tokenizer_for_model(model_path, tokenizer_dir);
    } catch (const Error&) {
      if (!vm->count("input") || !tokenizer_dir.empty()) throw;
    }
  }
  for (int64_t id : model->config().eos_token_ids) sp.stop_ids.push_back(id);
  if (tokenizer && tokenizer->eos_id() >= 0) sp.stop_ids.push_back(tokenizer->eos_id());
  auto encode = [&](const std::string& text, bool chat) {
    SPCT_CHECK(tokenizer, "spct generate: a text prompt needs a tokenizer (--tokenizer DIR)");
    if (chat) return encode_chat(*tokenizer, {{"user", text, std::nullopt}}, ChatOptions{}, chat_format);
    return tokenizer->encode(text, /*add_special=*/true);
  };
  Detokenizer detok;
  if (tokenizer) detok = [&](const std::vector<int32_t>& ids) { return tokenizer->decode(ids, /*skip_special=*/true); };

  std::vector<JsonlRequest> requests;
  double samples = 0;
  if (vm->count("input")) {
    for_each_jsonl(input, [&](const nlohmann::json& line, const std::string& where) {
      requests.push_back(parse_request(line, where, sp, n, requests.size(), encode));
      const Request& q = requests.back().request;
      samples += static_cast<double>(q.n);
      require_results_fit(samples, q.params.max_new_tokens,
                          where + (line.contains("n") ? ": field 'n'" : ": with --n " + std::to_string(n)));
      check_positions(q, max_pos,
                      where + (line.contains("max_new_tokens") ? ": field 'max_new_tokens'" : ": --max-new-tokens"));
      for (size_t t = 0; t < requests.back().request.prompt.size(); ++t) {
        const int32_t id = requests.back().request.prompt[t];
        SPCT_CHECK(id >= 0 && id < model->config().vocab_size, where, ": prompt token ", t, " = ", id,
                   " is outside the vocabulary (", model->config().vocab_size, ")");
      }
    });
  } else {
    JsonlRequest r;
    r.id = 0;
    r.request.params = sp;
    r.request.n = n;
    r.request.prompt = vm->count("prompt-ids") ? parse_ids(prompt_ids) : encode(prompt, vm->count("chat") > 0);
    check_positions(r.request, max_pos, "spct generate: --max-new-tokens");
    requests.push_back(r);
  }
  std::vector<Request> plain;
  for (const auto& r : requests) plain.push_back(r.request);
  RolloutEngine engine(*model, eo, detok);
  const auto results = engine.run(plain);
  if (vm->count("input") || !output.empty()) {
    auto write = [&](std::ostream& out) {
      for (size_t i = 0; i < results.size(); ++i)
        for (size_t j = 0; j < results[i].size(); ++j)
          out << result_json(requests[i], static_cast<int64_t>(j), results[i][j], tokenizer != nullptr)
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";  // text cut mid-character (a token limit) gets U+FFFD, not an error
    };
    if (output.empty())
      write(std::cout);
    else
      write_file_atomic(output, write);
    return 0;
  }
  for (size_t i = 0; i < results[0].size(); ++i) {
    const auto& r = results[0][i];
    double total = 0;
    for (float lp : r.logprobs) total += lp;
    std::cout << "[sample " << i << "] finish=" << r.finish_reason << " tokens=" << r.tokens.size()
              << " logprob=" << total << "\n";
    if (tokenizer) {
      std::cout << r.text << "\n";
    } else {
      for (size_t t = 0; t < r.tokens.size(); ++t) std::cout << (t ? "," : "") << r.tokens[t];
      std::cout << "\n";
    }
  }
  return 0;
}

}  // namespace
SPCT_COMMAND("generate", "decode from a model with the rollout engine (greedy or sampled; JSONL batches)",
             run_generate);
}  // namespace spct::cli
