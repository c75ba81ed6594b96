// spct plan: the per-rank memory of a training run (trainer/stages/memory_plan.h) from a model's
// config.json alone, and whether it fits a GPU. Values come from --config (a run config) and
// are overridden by the flags; exit code 1 when --gpu-gb is given and the plan does not fit.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/byte_tokenizer.h"
#include "core/config.h"
#include "core/error.h"
#include "trainer/stages/memory_plan.h"

namespace spct::cli {
namespace {
namespace fs = std::filesystem;

ModelConfig model_shape(const std::string& path) {
  if (path == "tiny") return ModelConfig::tiny(ByteTokenizer::kVocabSize);
  const fs::path p = fs::is_directory(path) ? fs::path(path) / "config.json" : fs::path(path);
  SPCT_CHECK(fs::is_regular_file(p), "spct plan: model '", path, "': no such config.json or model directory");
  return ModelConfig::load(p.string());
}

bool has_stage(const RunConfig& c, Stage s) { return std::find(c.stages.begin(), c.stages.end(), s) != c.stages.end(); }

// The run's defaults: the largest micro-batch of its training stages, the longest sequence it
// trains on, whether it samples (rft without an external file, grpo, metarm) and keeps a reference.
MemoryPlanInput input_from(const RunConfig& c) {
  MemoryPlanInput in;
  in.zero_stage = c.optim.zero_stage;
  in.param_bytes = c.model.dtype == Dtype::bfloat16 ? 2 : 4;
  in.activation_checkpointing = c.model.activation_checkpointing;
  in.overlap_allreduce = c.optim.overlap_allreduce;
  in.micro_batch = 1;
  const std::pair<Stage, const TrainSection*> stages[] = {
      {Stage::sft, &c.sft}, {Stage::rft, &c.rft}, {Stage::grpo, &c.grpo}, {Stage::metarm, &c.metarm}};
  for (const auto& [stage, t] : stages)
    if (has_stage(c, stage)) in.micro_batch = std::max<int64_t>(in.micro_batch, t->micro_batch_size);
  in.seq_len = c.data.max_prompt_tokens + std::max(c.data.max_response_tokens, c.rollout.max_new_tokens);
  in.rollout = (has_stage(c, Stage::rft) && c.rft.trajectories.empty()) || has_stage(c, Stage::grpo) ||
               has_stage(c, Stage::metarm);
  in.reference_model = has_stage(c, Stage::grpo) && c.grpo.beta > 0;
  in.kv_budget_gb = c.rollout.memory_budget_gb;
  in.rollout_batch = c.rollout.max_batch_size;
  in.rollout_capacity = c.data.max_prompt_tokens + c.rollout.max_new_tokens;
  return in;
}

int cmd_plan(const std::vector<std::string>& args) {
  po::options_description desc("spct plan options");
  desc.add_options()("config", po::value<std::string>()->value_name("FILE"), "run config (defaults without it)")(
      "model", po::value<std::string>()->value_name("PATH"),
      "model directory or config.json (default: the config's model.path)")(
      "world", po::value<int>()->default_value(1), "ranks (GPUs) in the job")("zero-stage", po::value<int>(),
                                                                              "0-3 (default: optim.zero_stage)")(
      "micro-batch", po::value<int64_t>(), "sequences per forward/backward (default: largest micro_batch_size)")(
      "seq-len", po::value<int64_t>(), "tokens per training sequence (default: max prompt + max response)")(
      "dtype", po::value<std::string>(), "bfloat16 | float32 (default: model.dtype)")(
      "activation-checkpointing", po::value<bool>(), "true | false (default: model.activation_checkpointing)")(
      "attention", po::value<std::string>()->default_value("auto"),
      "eager | fused | auto (eager for soft-capped attention, as Gemma-2's)")(
      "rollout", po::value<bool>(), "the run samples (default: from the stages)")(
      "reference", po::value<bool>(), "a frozen reference model is kept (default: grpo with beta > 0)")(
      "rollout-batch", po::value<int64_t>(), "sequences generated together at most (rollout.max_batch_size)")(
      "kv-budget-gb", po::value<double>(), "KV cache budget (rollout.memory_budget_gb)")(
      "logits-chunk", po::value<int64_t>()->default_value(2048), "tokens per chunk of the loss's logits")(
      "workspace-gb", po::value<double>()->default_value(1.5), "CUDA context, library buffers, allocator slack")(
      "gpu-gb", po::value<double>()->default_value(0), "GPU memory in GB (1e9 bytes); 0: do not check");
  const auto vm = parse_options("plan", "[--config FILE] [--model PATH] [--world N] ... [--gpu-gb GB]", desc, args);
  if (!vm) return 0;
  const RunConfig config = vm->count("config") ? RunConfig::from_file((*vm)["config"].as<std::string>())
                                               : RunConfig::from_yaml_string("model: {path: tiny}", "(no --config)");
  MemoryPlanInput in = input_from(config);
  in.model = model_shape(vm->count("model") ? (*vm)["model"].as<std::string>() : config.model.path);
  in.world = (*vm)["world"].as<int>();
  if (vm->count("zero-stage")) in.zero_stage = (*vm)["zero-stage"].as<int>();
  if (vm->count("micro-batch")) in.micro_batch = (*vm)["micro-batch"].as<int64_t>();
  if (vm->count("seq-len")) in.seq_len = (*vm)["seq-len"].as<int64_t>();
  if (vm->count("dtype")) {
    const std::string d = (*vm)["dtype"].as<std::string>();
    SPCT_CHECK(d == "bfloat16" || d == "float32", "spct plan: --dtype must be bfloat16 or float32, got '", d, "'");
    in.param_bytes = d == "bfloat16" ? 2 : 4;
  }
  if (vm->count("activation-checkpointing")) in.activation_checkpointing = (*vm)["activation-checkpointing"].as<bool>();
  const std::string attention = (*vm)["attention"].as<std::string>();
  SPCT_CHECK(attention == "auto" || attention == "eager" || attention == "fused",
             "spct plan: --attention must be eager, fused or auto, got '", attention, "'");
  in.eager_attention = attention == "eager" || (attention == "auto" && in.model.attn_logit_softcapping > 0);
  if (vm->count("rollout")) in.rollout = (*vm)["rollout"].as<bool>();
  if (vm->count("reference")) in.reference_model = (*vm)["reference"].as<bool>();
  if (vm->count("rollout-batch")) in.rollout_batch = (*vm)["rollout-batch"].as<int64_t>();
  if (vm->count("kv-budget-gb")) in.kv_budget_gb = (*vm)["kv-budget-gb"].as<double>();
  in.logits_chunk = (*vm)["logits-chunk"].as<int64_t>();
  in.workspace_gb = (*vm)["workspace-gb"].as<double>();
  const double gpu_gb = (*vm)["gpu-gb"].as<double>();
  const MemoryPlan plan = plan_memory(in);
  std::cout << format_plan(in, plan, gpu_gb) << std::flush;
  return gpu_gb > 0 && plan.peak() > gpu_gb * 1e9 ? 1 : 0;
}

}  // namespace

SPCT_COMMAND("plan", "per-rank GPU memory of a training run (weights, grads, optimizer, activations, KV)", cmd_plan);

}  // namespace spct::cli
