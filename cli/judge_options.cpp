#include "cli/judge_options.h"

#include <cmath>

#include "cli/config_options.h"
#include "core/byte_tokenizer.h"
#include "core/error.h"
#include "core/log.h"

namespace spct::cli {

void add_judge_options(po::options_description& desc, JudgeSetup& s) {
  desc.add_options()("model", po::value(&s.model_path),
                     "GRM: HF model directory or 'tiny' (default: model.path of --config)")(
      "tokenizer", po::value(&s.tokenizer_dir), "tokenizer directory (default: the model's)")(
      "chat-template", po::value(&s.judge.chat_template), "chat template by name (default: the tokenizer's own)")(
      "metarm", po::value(&s.metarm_path), "meta RM: HF sequence-classification directory (num_labels 1) or 'tiny'")(
      "k-meta", po::value(&s.k_meta)->default_value(0), "meta-RM voting keeps the top k_meta of k (0 = k/2)")(
      "temperature", po::value(&s.judge.temperature)->default_value(0.5), "sampling temperature (0 = greedy)")(
      "top-p", po::value(&s.judge.top_p)->default_value(1.0), "nucleus sampling mass")(
      "max-new-tokens", po::value(&s.judge.max_new_tokens)->default_value(512), "trajectory length limit")(
      "principle-mode", po::value(&s.principle_mode)->default_value("generate"), "generate | given | none")(
      "principles", po::value(&s.principles), "principles text for --principle-mode given (items' own win)")(
      "templates", po::value(&s.templates_file), "YAML file replacing judge templates (docs/rewards.md)")(
      "batch-size", po::value(&s.judge.batch_size)->default_value(16), "sequences per generation batch")(
      "seed", po::value(&s.judge.seed)->default_value(0), "seed of the response orders, sampling and tie breaks")(
      "dtype", po::value(&s.dtype)->default_value("float32"), "float32 | bfloat16")(
      "device", po::value(&s.device)->default_value("cpu"), "cpu | cuda");
  add_config_options(desc);
}

void load_judge_setup(const po::variables_map& vm, JudgeSetup& s) {
  if (vm.count("config") || vm.count("set")) {
    const RunConfig cfg = resolve_config(vm);
    log_config(cfg);
    auto given = [&](const char* key) { return vm.count(key) && !vm[key].defaulted(); };
    if (!given("model")) s.model_path = cfg.model.path;
    if (!given("tokenizer") && cfg.model.tokenizer != cfg.model.path) s.tokenizer_dir = cfg.model.tokenizer;
    if (!given("dtype")) s.dtype = name_of(cfg.model.dtype);
    if (!given("device")) s.device = name_of(cfg.model.device);
    if (!given("temperature")) s.judge.temperature = cfg.eval.temperature;
    if (!given("top-p")) s.judge.top_p = cfg.rollout.top_p;
    if (!given("max-new-tokens")) s.judge.max_new_tokens = cfg.rollout.max_new_tokens;
    if (!given("k-meta")) s.k_meta = cfg.eval.k_meta;
    if (!given("seed")) s.judge.seed = static_cast<uint64_t>(cfg.eval.seed);
  }
  SPCT_CHECK(!s.model_path.empty(), "no GRM: pass --model or --config with model.path");
  SPCT_CHECK(s.k_meta >= 0, "--k-meta must be >= 0 (got ", s.k_meta, ")");
  SPCT_CHECK(s.judge.batch_size >= 1, "--batch-size must be >= 1 (got ", s.judge.batch_size, ")");
  SPCT_CHECK(std::isfinite(s.judge.temperature) && s.judge.temperature >= 0,
             "--temperature must be a finite number >= 0 (got ", s.judge.temperature, ")");
  SPCT_CHECK(s.judge.top_p > 0 && s.judge.top_p <= 1, "--top-p must be in (0, 1] (got ", s.judge.top_p, ")");
  SPCT_CHECK(s.judge.max_new_tokens >= 1, "--max-new-tokens must be >= 1 (got ", s.judge.max_new_tokens, ")");
  s.judge.prompt.mode = rewards::parse_principle_mode(s.principle_mode);
  s.judge.prompt.principles = s.principles;
  if (!s.templates_file.empty()) s.judge.prompt.templates = rewards::load_templates(s.templates_file);
  LoadOptions load{parse_dtype(s.dtype), at::Device(s.device), s.judge.seed};
  s.grm = load_model(s.model_path, load);
  SPCT_CHECK(s.judge.max_new_tokens < s.grm->config().max_position_embeddings, "--max-new-tokens (",
             s.judge.max_new_tokens, ") must be below the model's max_position_embeddings (",
             s.grm->config().max_position_embeddings, "): the prompt needs positions too");
  s.tokenizer = tokenizer_for_model(s.model_path, s.tokenizer_dir);
  SPCT_CHECK(s.tokenizer->vocab_size() <= s.grm->config().vocab_size, "the tokenizer's vocabulary (",
             s.tokenizer->vocab_size(), ") is larger than the model's (", s.grm->config().vocab_size, ")");
  if (!s.metarm_path.empty()) s.meta_rm = rewards::MetaRM::load(s.metarm_path, load);
  log::info("GRM ", s.model_path, " (", s.grm->config().num_parameters(), " parameters), temperature ",
            s.judge.temperature, ", principles ", s.principle_mode,
            s.meta_rm ? ", meta RM " + s.metarm_path : std::string());
}

}  // namespace spct::cli
