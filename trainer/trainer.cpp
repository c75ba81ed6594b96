#include "trainer/trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/hf_io.h"
#include "core/log.h"
#include "trainer/checkpoint.h"
#include "trainer/lr_schedule.h"

namespace spct {
namespace {

NamedTensors trainable(Transformer& model) {
  NamedTensors out;
  for (const auto& [name, p] : model.parameters()) {
    p.requires_grad_(true);
    out.emplace_back(name, p);
  }
  return out;
}

AdamWOptions adamw_options(const TrainSection& t) {
  AdamWOptions o;
  o.weight_decay = t.weight_decay;
  return o;
}

// A run killed after logging steps past its last checkpoint logs them again when it resumes:
// drop the stage's lines after the checkpoint's step first, so every step appears once.
void drop_metrics_after(const std::string& path, const std::string& stage, int64_t step) {
  if (path.empty() || !std::filesystem::exists(path)) return;
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const bool later = j.is_object() && j.value("stage", "") == stage && j.value("step", int64_t{0}) > step;
    if (!later) kept += line + "\n";
  }
  write_file_atomic(path, [&](std::ostream& out) { out << kept; });
}

}  // namespace

void append_metrics(const std::string& path, const nlohmann::json& line) {
  if (path.empty()) return;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::ofstream out(path, std::ios::app);
  SPCT_CHECK(out.good(), path, ": cannot append metrics");
  out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

StageTrainer::StageTrainer(const RunConfig& config, Dist& dist, Transformer& model, Stage stage,
                           const TrainSection& train)
    : config_(config),
      dist_(dist),
      model_(model),
      stage_(stage),
      train_(train),
      params_(trainable(model)),
      optimizer_(params_, adamw_options(train)),
      start_(std::chrono::steady_clock::now()) {}

std::string StageTrainer::checkpoint_dir() const { return config_.checkpoint.dir + "/" + name_of(stage_); }

double StageTrainer::lr() const { return lr_at(lr_schedule_options(train_), step_); }

bool StageTrainer::resume() {
  const std::string path = resolve_resume(config_.checkpoint.resume, checkpoint_dir());
  if (path.empty()) {
    std::vector<at::Tensor> tensors;
    for (auto& [name, p] : params_) tensors.push_back(p.detach());
    dist_.broadcast(tensors, 0);
    return false;
  }
  CheckpointState state = load_checkpoint(path);
  SPCT_CHECK(state.stage == name_of(stage_), path, ": a checkpoint of stage '", state.stage, "', not '",
             name_of(stage_), "'");
  check_resumable(state, config_);
  {
    c10::NoGradGuard no_grad;
    for (const auto& [name, t] : state.params) model_.param(name).copy_(t);
  }
  optimizer_.load_state(state.optimizer);
  if (state.rng.count("cpu")) {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    gen.set_state(state.rng.at("cpu"));
  }
  step_ = start_step_ = state.step;
  data_cursor = state.data_cursor;
  if (dist_.is_root()) drop_metrics_after(config_.logging.metrics_file, name_of(stage_), step_);
  log::info(name_of(stage_), ": resumed from ", path, " at step ", step_, " (", data_cursor, " items consumed)");
  return true;
}

double StageTrainer::apply_gradients(bool advance) {
  if (dist_.world_size() > 1) {
    std::vector<at::Tensor> grads;
    for (auto& [name, p] : params_) {
      if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
      grads.push_back(p.grad());
    }
    dist_.all_reduce_sum(grads);
  }
  const GradNorm norm = clip_grad_norm(params_, train_.grad_clip);
  SPCT_CHECK(norm.finite, name_of(stage_), " step ", step_ + 1, ": gradient norm is not finite (", norm.norm,
             "); stopping before the update");
  optimizer_.step(lr());
  zero_grad(params_);
  if (advance) ++step_;
  return norm.norm;
}

void StageTrainer::save_checkpoint(const nlohmann::json& metrics) {
  if (!dist_.is_root()) {
    dist_.barrier();
    return;
  }
  CheckpointState state;
  state.step = step_;
  state.stage = name_of(stage_);
  state.data_cursor = data_cursor;
  for (const auto& [name, p] : params_) state.params.emplace_back(name, p.detach().clone());
  for (const auto& [name, t] : optimizer_.state()) state.optimizer.emplace_back(name, t.detach().clone());
  state.rng["cpu"] = at::detail::getDefaultCPUGenerator().get_state();
  state.config_yaml = to_yaml(config_);
  state.model_config_json = model_.config().to_hf_json(dtype_name(model_.options().dtype().toScalarType())).dump(2);
  state.metrics_json = metrics.dump();
  spct::save_checkpoint(checkpoint_dir(), state, config_.checkpoint.keep_last);
  dist_.barrier();
}

void StageTrainer::end_step(nlohmann::json metrics) {
  metrics["stage"] = name_of(stage_);
  metrics["step"] = step_;
  metrics["lr"] = lr_at(lr_schedule_options(train_), step_ - 1);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  metrics["elapsed_s"] = elapsed;
  if (dist_.is_root()) {
    append_metrics(config_.logging.metrics_file, metrics);
    if (config_.logging.progress) {
      const double rate = (step_ - start_step_) / std::max(elapsed, 1e-9);
      const double eta = rate > 0 ? (train_.steps - step_) / rate : 0;
      std::string summary;
      for (const char* key : {"loss", "reward_mean", "accuracy", "kl", "grad_norm"})
        if (metrics.contains(key) && metrics[key].is_number()) {
          char buf[64];
          std::snprintf(buf, sizeof buf, " %s %.4g", key, metrics[key].get<double>());
          summary += buf;
        }
      log::info(name_of(stage_), " [", step_, "/", train_.steps, "]", summary, " | ", rate, " steps/s, ETA ",
                static_cast<int64_t>(eta), " s");
    }
  }
  const int every = config_.checkpoint.every_steps;
  if (done() || (every > 0 && step_ % every == 0)) save_checkpoint(metrics);
}

}  // namespace spct
