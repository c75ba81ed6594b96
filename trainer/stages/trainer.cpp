#include "trainer/stages/trainer.h"

#include <c10/core/GradMode.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "core/error.h"
#include "core/file_util.h"
#include "core/hf_io.h"
#include "core/log.h"
#include "core/torch_compat.h"
#include "trainer/loss/activation_checkpoint.h"
#include "trainer/checkpoint/checkpoint.h"
#include "trainer/optim/lr_schedule.h"
#include "trainer/optim/zero.h"
#include "trainer/stages/stop_signal.h"

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

// A run killed after logging steps past its last checkpoint logs them again when it resumes (or,
// with no checkpoint, starts the stage afresh): drop the stage's lines after the step it starts
// from first, so the file equals an uninterrupted run's.
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

// Each rank's CUDA generator state, gathered to every rank in rank order (a collective: all ranks
// call it). Empty when the model is not on CUDA.
std::vector<at::Tensor> cuda_rng_states(Dist& dist, at::Device model_device) {
  if (!model_device.is_cuda()) return {};
  at::Generator gen = compat::cuda_generator(model_device.index() < 0 ? 0 : model_device.index());
  at::Tensor mine;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    mine = gen.get_state();
  }
  const at::Tensor all = dist.all_gather(mine.reshape({1, -1}).to(dist.device())).cpu();  // (world, bytes)
  std::vector<at::Tensor> out;
  for (int r = 0; r < dist.world_size(); ++r) out.push_back(all[r].clone());
  return out;
}

// The optimizer entries this rank's AdamW needs from a checkpoint written with any world size and
// zero_stage: its own shard when the sharding is unchanged, else picked from all of them.
NamedTensors optimizer_state_for(const std::string& path, const CheckpointState& state, const Dist& dist,
                                 const NamedTensors& owned, int zero_stage) {
  const bool sharded_now = zero_stage >= 1;
  if (state.optimizer_shards == 0) {
    if (!sharded_now) return state.optimizer;
    return select_optimizer_state({state.optimizer}, owned, path);
  }
  if (sharded_now && state.optimizer_shards == dist.world_size()) return load_optimizer_shard(path, dist.rank());
  log::info(path, ": re-sharding optimizer state from ", state.optimizer_shards, " shard(s) to ",
            sharded_now ? dist.world_size() : 1, " (", dist.world_size(), " rank(s), zero_stage ", zero_stage, ")");
  std::vector<NamedTensors> shards;
  for (int r = 0; r < state.optimizer_shards; ++r) shards.push_back(load_optimizer_shard(path, r));
  return select_optimizer_state(shards, owned, path);
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
      owners_(config.optim.zero_stage >= 1 ? zero_owners(params_, dist.world_size()) : std::vector<int>{}),
      optimizer_(owners_.empty() ? params_ : owned_params(params_, owners_, dist.rank()), adamw_options(train)),
      reducer_(dist.world_size() > 1
                   ? std::make_unique<GradReducer>(dist, params_, config.optim.overlap_allreduce,
                                                   config.optim.zero_stage >= 2 ? owners_ : std::vector<int>{})
                   : nullptr),
      start_(std::chrono::steady_clock::now()) {}

ForwardOptions StageTrainer::forward_options(const at::Tensor& valid) const {
  return training_forward_options(valid, config_.model.activation_checkpointing);
}

MicroBatch StageTrainer::micro_batch(const std::vector<const Example*>& examples, int64_t max_len,
                                     bool completion_only) const {
  MicroBatch b;
  b.packed = train_.packing;
  const at::Device device = model_.options().device();
  if (b.packed)
    b.tokens = make_packed_batch(examples, max_len, device, completion_only);
  else
    b.rows = make_batch(examples, max_len, device, completion_only);
  return b;
}

TokenLogprobs StageTrainer::logprobs(const Transformer& model, const MicroBatch& b, double temperature,
                                     bool with_entropy, bool training) const {
  constexpr int64_t kLogprobChunk = 2048;  // tokens per chunk of logits
  ForwardOptions o = training ? forward_options(at::Tensor()) : ForwardOptions{};
  if (b.packed) {
    o.positions = b.tokens.positions;
    o.cu_seqlens = b.tokens.cu_seqlens;
    o.max_seqlen = b.tokens.max_seqlen;
  } else if (b.rows.padded) {
    o.valid = b.rows.valid;
  }
  const at::Tensor& ids = b.packed ? b.tokens.ids : b.rows.ids;
  const at::Tensor& targets = b.packed ? b.tokens.targets : b.rows.targets;
  const at::Tensor hidden = model.hidden(ids, o);
  TokenLogprobs out = with_entropy
                          ? token_logprobs_and_entropy(model, hidden, targets, kLogprobChunk, temperature)
                          : TokenLogprobs{token_logprobs(model, hidden, targets, kLogprobChunk, temperature), {}};
  if (b.packed) {
    out.logprobs = b.tokens.unpack(out.logprobs);
    if (with_entropy) out.entropy = b.tokens.unpack(out.entropy);
  }
  return out;
}

std::string StageTrainer::checkpoint_dir() const { return config_.checkpoint.dir + "/" + name_of(stage_); }

double StageTrainer::lr() const { return lr_at(lr_schedule_options(train_), step_); }

bool StageTrainer::resume() {
  const std::string path = resolve_resume(config_.checkpoint.resume, checkpoint_dir());
  if (path.empty()) {
    if (dist_.is_root()) drop_metrics_after(config_.logging.metrics_file, name_of(stage_), 0);
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
  const bool sharded = !owners_.empty();
  optimizer_.load_state(optimizer_state_for(
      path, state, dist_, sharded ? owned_params(params_, owners_, dist_.rank()) : params_, config_.optim.zero_stage));
  if (state.rng.count("cpu")) {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    gen.set_state(state.rng.at("cpu"));
  }
  const at::Device device = model_.options().device();
  if (device.is_cuda()) {
    const std::string key = "cuda" + std::to_string(dist_.rank());
    if (state.rng.count(key)) {
      at::Generator gen = compat::cuda_generator(device.index() < 0 ? 0 : device.index());
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(state.rng.at(key));
    } else {
      log::warn(path, ": no /rng/", key,
                " (written by fewer ranks or on the CPU): this rank's CUDA generator keeps its seed");
    }
  }
  if (!state.metrics_json.empty()) {
    const auto m = nlohmann::json::parse(state.metrics_json, nullptr, false);
    if (m.is_object() && m.contains("skipped_steps")) skipped_ = m["skipped_steps"].get<int64_t>();
  }
  step_ = start_step_ = state.step;
  data_cursor = state.data_cursor;
  if (dist_.is_root()) drop_metrics_after(config_.logging.metrics_file, name_of(stage_), step_);
  log::info(name_of(stage_), ": resumed from ", path, " at step ", step_, " (", data_cursor, " items consumed)");
  return true;
}

void StageTrainer::backward(const at::Tensor& loss, bool last_micro_batch) {
  // Sharded gradients (ZeRO-2) are reduced after every micro-batch, so none is held whole.
  const bool sharded = reducer_ && reducer_->sharded();
  const bool reduce = sharded || (reducer_ && last_micro_batch);
  if (reduce) reducer_->arm(loss);
  loss.backward();
  if (reduce) reducer_->start_remaining();
  if (sharded) reducer_->finish();
}

// The global norm over the whole summed gradient, however it is spread over the ranks, clipped.
GradNorm StageTrainer::clip_gradients() {
  if (!reducer_) return clip_grad_norm(params_, train_.grad_clip);
  if (!reducer_->sharded()) {
    reducer_->finish();  // every parameter then has the gradient summed over ranks
    return clip_grad_norm(params_, train_.grad_clip);
  }
  reducer_->install_shards();  // backward() reduced every micro-batch already
  std::vector<char> mine(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) mine[i] = owners_[i] == dist_.rank();
  return clip_sharded_grad_norm(params_, mine, train_.grad_clip, [this](at::Tensor& t) { dist_.all_reduce_sum(t); });
}

double StageTrainer::apply_gradients(bool advance) {
  const GradNorm norm = clip_gradients();
  bool finite = norm.finite;
  if (dist_.world_size() > 1) {  // one decision for all ranks, whatever their arithmetic
    at::Tensor bad = at::full({}, finite ? 0.0 : 1.0, at::TensorOptions().dtype(at::kFloat).device(dist_.device()));
    dist_.all_reduce_max(bad);
    finite = bad.item<float>() == 0.0f;
  }
  if (!finite) {
    SPCT_CHECK(config_.optim.skip_nonfinite, name_of(stage_), " step ", step_ + 1, ": gradient norm is not finite (",
               norm.norm, "); stopping before the update (optim.skip_nonfinite: true skips such steps)");
    ++skipped_;
    log::warn(name_of(stage_), " step ", step_ + 1, ": gradient norm is not finite (", norm.norm, "); update skipped (",
              skipped_, " so far)");
  } else {
    optimizer_.step(lr());
    if (!owners_.empty() && dist_.world_size() > 1) broadcast_from_owners(dist_, params_, owners_);
  }
  zero_grad(params_);
  if (advance) ++step_;
  return norm.norm;
}

void StageTrainer::save_checkpoint(const nlohmann::json& metrics) {
  const std::vector<at::Tensor> cuda_rng = cuda_rng_states(dist_, model_.options().device());
  const bool sharded = !owners_.empty();
  if (sharded) {  // every shard before the main file: a complete main file implies complete shards
    NamedTensors shard;
    for (const auto& [name, t] : optimizer_.state()) shard.emplace_back(name, t.detach().clone());
    save_optimizer_shard(checkpoint_dir(), step_, dist_.rank(), shard);
    dist_.barrier();
  }
  if (!dist_.is_root()) {
    dist_.barrier();
    return;
  }
  CheckpointState state;
  state.step = step_;
  state.stage = name_of(stage_);
  state.data_cursor = data_cursor;
  for (const auto& [name, p] : params_) state.params.emplace_back(name, p.detach().clone());
  if (sharded)
    state.optimizer_shards = dist_.world_size();
  else
    for (const auto& [name, t] : optimizer_.state()) state.optimizer.emplace_back(name, t.detach().clone());
  state.rng["cpu"] = at::detail::getDefaultCPUGenerator().get_state();
  for (size_t r = 0; r < cuda_rng.size(); ++r) state.rng["cuda" + std::to_string(r)] = cuda_rng[r];
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
  if (config_.optim.skip_nonfinite) metrics["skipped_steps"] = skipped_;
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
  const bool saved = done() || (every > 0 && step_ % every == 0);
  if (saved) save_checkpoint(metrics);
  stop_if_signalled(metrics, saved);
}

void StageTrainer::stop_if_signalled(const nlohmann::json& metrics, bool saved) {
  const int sig = stop::agreed_signal(dist_);
  if (sig == 0 || done()) return;  // a finished stage ends normally; the pipeline stops after it
  if (!saved) save_checkpoint(metrics);
  const std::string msg = name_of(stage_) + ": stopped by " + stop::signal_name(sig) + " after step " +
                          std::to_string(step_) + " of " + std::to_string(train_.steps) + "; checkpoint " +
                          checkpoint_path(checkpoint_dir(), step_) + "; run the same command again to resume";
  if (dist_.is_root()) log::info(msg);
  throw stop::Stopped(msg);
}

}  // namespace spct
