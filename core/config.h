// The run configuration: one typed struct per component, parsed once from YAML (plus `--set`
// overrides) and validated at load. Each struct lists its fields once, in `visit`; generic
// visitors in config.cpp parse, reject unknown keys, check required keys and print.
// Every key is documented in docs/config.md; configs/default.yaml shows the defaults.
#pragma once
#include <string>
#include <vector>

#include "core/log.h"

namespace spct {

// Enums are written in YAML by name. enum_names(E{}) lists the names in enumerator order.
#define SPCT_CONFIG_ENUM(Enum, ...)                           \
  inline const std::vector<std::string>& enum_names(Enum) {   \
    static const std::vector<std::string> names{__VA_ARGS__}; \
    return names;                                             \
  }

enum class Dtype { float32, bfloat16 };
enum class Device { cpu, cuda };
enum class ChatTemplate { automatic, llama3, chatml, gemma, none };
enum class LrSchedule { constant, cosine };
// Principles written by the GRM for each query, fixed ones given in the prompt, or none.
enum class PrincipleMode { generate, given, none };
enum class KlEstimator { k1, k2, k3 };
enum class LossAgg { token_mean, seq_mean };
enum class Stage { sft, rft, grpo, metarm, eval };  // in pipeline order

SPCT_CONFIG_ENUM(Dtype, "float32", "bfloat16")
SPCT_CONFIG_ENUM(Device, "cpu", "cuda")
SPCT_CONFIG_ENUM(ChatTemplate, "auto", "llama3", "chatml", "gemma", "none")
SPCT_CONFIG_ENUM(LrSchedule, "constant", "cosine")
SPCT_CONFIG_ENUM(PrincipleMode, "generate", "given", "none")
SPCT_CONFIG_ENUM(KlEstimator, "k1", "k2", "k3")
SPCT_CONFIG_ENUM(LossAgg, "token_mean", "seq_mean")
SPCT_CONFIG_ENUM(Stage, "sft", "rft", "grpo", "metarm", "eval")
SPCT_CONFIG_ENUM(log::Level, "debug", "info", "warn", "error")

template <class E>
const std::string& name_of(E e) {
  return enum_names(e).at(static_cast<size_t>(e));
}

// Passed as the third argument of a visitor call for keys that have no default.
enum class Need { optional, required };

struct ModelSection {
  std::string path;  // HF directory, or "tiny" for the built-in tiny model
  Dtype dtype = Dtype::float32;
  Device device = Device::cpu;
  std::string tokenizer;  // empty in YAML: resolved to `path` at load
  ChatTemplate chat_template = ChatTemplate::automatic;
  bool activation_checkpointing = false;
  // true: `path` holds config.json (+ tokenizer files) and the first stage starts from random
  // weights drawn from `seed` (HF's from_config); weights in the directory are not read.
  bool from_scratch = false;

  template <class V>
  void visit(V& v) {
    v("path", path, Need::required);
    v("dtype", dtype);
    v("device", device);
    v("tokenizer", tokenizer);
    v("chat_template", chat_template);
    v("activation_checkpointing", activation_checkpointing);
    v("from_scratch", from_scratch);
  }
};

// The default data.general_ratio when data.general_sft is set. The paper's 1,070K general chats
// against 186K RFT trajectories (about 0.85) keep a pretrained 27B model's general abilities; a
// fifth keeps the format and the chat skills of the demo's models (docs/config.md), and a run from
// a pretrained base should set its own.
constexpr double kDefaultGeneralRatio = 0.2;

struct DataSection {
  std::string train;        // JSONL of RM items (RFT, GRPO, meta RM)
  std::string test;         // JSONL of RM items (eval)
  std::string general_sft;  // JSONL of chat SFT examples mixed into SFT/RFT
  std::string teacher;      // JSONL of teacher trajectories (`spct data teacher`) for the sft stage
  // Share of general_sft examples in the RFT mix. -1 in YAML (the default): kDefaultGeneralRatio
  // when general_sft is set, else 0 (the paper always mixes general data into RFT).
  double general_ratio = -1;
  int max_prompt_tokens = 2048;
  int max_response_tokens = 1024;
  bool shuffle = true;

  template <class V>
  void visit(V& v) {
    v("train", train);
    v("test", test);
    v("general_sft", general_sft);
    v("teacher", teacher);
    v("general_ratio", general_ratio);
    v("max_prompt_tokens", max_prompt_tokens);
    v("max_response_tokens", max_response_tokens);
    v("shuffle", shuffle);
  }
};

struct RolloutSection {
  double temperature = 1.0;
  double top_p = 1.0;
  int top_k = 0;  // 0: off
  int max_new_tokens = 1024;
  double memory_budget_gb = 8.0;
  int max_batch_size = 64;
  int seed = -1;            // -1 in YAML: resolved to the top-level seed at load
  std::string templates;    // YAML file replacing judge prompt templates; empty = built-in
  bool cuda_graphs = true;  // decode steps replayed as CUDA graphs (CUDA builds, device cuda)

  template <class V>
  void visit(V& v) {
    v("temperature", temperature);
    v("top_p", top_p);
    v("top_k", top_k);
    v("max_new_tokens", max_new_tokens);
    v("memory_budget_gb", memory_budget_gb);
    v("max_batch_size", max_batch_size);
    v("seed", seed);
    v("templates", templates);
    v("cuda_graphs", cuda_graphs);
  }
};

// Optimizer and schedule keys shared by the three training stages; they appear directly in each
// stage's section (`rft.lr`, `grpo.lr`, `metarm.lr`). Batch sizes count sequences.
struct TrainSection {
  double lr = 1e-5;
  int batch_size = 64;
  int micro_batch_size = 4;
  int steps = 900;
  int warmup_steps = 0;
  LrSchedule lr_schedule = LrSchedule::constant;
  double weight_decay = 0.0;
  double grad_clip = 1.0;  // 0: off
  // Micro-batches without padding: each one's sequences back to back in one row, attention kept
  // within each sequence (trainer/stages/batch.h). Same losses and gradients as padded, up to rounding.
  bool packing = false;
  // With packing: micro-batches cut by input tokens, at most this many each (a longer sequence
  // goes alone); 0: micro_batch_size sequences each, as without packing.
  int micro_batch_tokens = 0;

  template <class V>
  void visit(V& v) {
    v("lr", lr);
    v("batch_size", batch_size);
    v("micro_batch_size", micro_batch_size);
    v("packing", packing);
    v("micro_batch_tokens", micro_batch_tokens);
    v("steps", steps);
    v("warmup_steps", warmup_steps);
    v("lr_schedule", lr_schedule);
    v("weight_decay", weight_decay);
    v("grad_clip", grad_clip);
  }
};

// The supervised stages (sft, rft): cross-entropy on trajectories.
struct SftSection : TrainSection {
  // true: loss on the response tokens only; false: on the prompt's too, as in pretraining (TRL's
  // SFTConfig.completion_only_loss).
  bool completion_only_loss = true;

  template <class V>
  void visit(V& v) {
    v("completion_only_loss", completion_only_loss);
    TrainSection::visit(v);
  }
};

struct RftSection : SftSection {
  int num_samples = 3;  // N_RFT
  bool hinted = true;
  int hinted_samples = 1;
  bool drop_too_easy = true;
  std::string trajectories;  // JSONL of externally sampled trajectories; empty: sample the policy
  PrincipleMode principle_mode = PrincipleMode::generate;

  RftSection() { lr = 5e-6; }
  template <class V>
  void visit(V& v) {
    v("num_samples", num_samples);
    v("hinted", hinted);
    v("hinted_samples", hinted_samples);
    v("drop_too_easy", drop_too_easy);
    v("trajectories", trajectories);
    v("principle_mode", principle_mode);
    SftSection::visit(v);
  }
};

struct GrpoSection : TrainSection {
  int group_size = 4;  // G
  double beta = 0.08;  // KL coefficient
  KlEstimator kl_estimator = KlEstimator::k3;
  double clip_eps = 0.2;
  double clip_eps_high = 0.0;  // 0 in YAML: resolved to clip_eps at load
  LossAgg loss_agg = LossAgg::token_mean;
  bool scale_by_std = true;  // false: Dr.GRPO
  bool drop_zero_variance = false;
  int updates_per_batch = 1;
  PrincipleMode principle_mode = PrincipleMode::generate;

  GrpoSection() { lr = 4e-7; }
  template <class V>
  void visit(V& v) {
    v("group_size", group_size);
    v("beta", beta);
    v("kl_estimator", kl_estimator);
    v("clip_eps", clip_eps);
    v("clip_eps_high", clip_eps_high);
    v("loss_agg", loss_agg);
    v("scale_by_std", scale_by_std);
    v("drop_zero_variance", drop_zero_variance);
    v("updates_per_batch", updates_per_batch);
    v("principle_mode", principle_mode);
    TrainSection::visit(v);
  }
};

struct MetaRmSection : TrainSection {
  int samples_per_item = 8;  // GRM trajectories sampled per item for meta-RM training data
  // Their sampling temperature: -1 in YAML (the default) is resolved to eval.temperature, the one
  // at which the meta RM guides voting, so it learns on trajectories like those it will rank.
  double temperature = -1;
  double holdout_fraction = 0.05;
  // Also train on the non-hinted RFT trajectories, correct or not: those of rft.trajectories when
  // set, else the samples the rft stage drew from the policy (run_dir/rft/samples.jsonl). The
  // paper's meta-RM data is the non-hinted RFT trajectories plus the GRM's own samples.
  bool rft_trajectories = true;

  MetaRmSection() { steps = 300; }
  template <class V>
  void visit(V& v) {
    v("samples_per_item", samples_per_item);
    v("temperature", temperature);
    v("holdout_fraction", holdout_fraction);
    v("rft_trajectories", rft_trajectories);
    TrainSection::visit(v);
  }
};

// How every training stage runs its optimizer step (stage-independent; lr etc. are per stage).
struct OptimSection {
  int zero_stage = 0;             // 0: replicated; 1: AdamW state sharded (ZeRO-1); 2: gradients too (ZeRO-2)
  bool skip_nonfinite = false;    // a non-finite gradient norm skips the update instead of stopping
  bool overlap_allreduce = true;  // start the gradient all-reduce during the last micro-batch's backward

  template <class V>
  void visit(V& v) {
    v("zero_stage", zero_stage);
    v("skip_nonfinite", skip_nonfinite);
    v("overlap_allreduce", overlap_allreduce);
  }
};

struct EvalSection {
  std::vector<int> k{1, 2, 4, 8};
  int k_meta = 0;  // 0: k/2 for each k
  double temperature = 0.5;
  std::vector<PrincipleMode> principle_modes{PrincipleMode::generate};
  int seed = -1;          // -1 in YAML: resolved to the top-level seed at load
  bool by_stage = false;  // also judge greedily with each finished GRM stage's model (sft, rft, grpo)

  template <class V>
  void visit(V& v) {
    v("k", k);
    v("k_meta", k_meta);
    v("temperature", temperature);
    v("principle_modes", principle_modes);
    v("seed", seed);
    v("by_stage", by_stage);
  }
};

struct CheckpointSection {
  std::string dir;              // empty in YAML: resolved to <run_dir>/checkpoints at load
  int every_steps = 100;        // 0: only at the end of a stage
  int keep_last = 3;            // 0: keep all
  std::string resume = "auto";  // none | auto | <checkpoint path>

  template <class V>
  void visit(V& v) {
    v("dir", dir);
    v("every_steps", every_steps);
    v("keep_last", keep_last);
    v("resume", resume);
  }
};

struct LoggingSection {
  log::Level level = log::Level::info;
  bool all_ranks = false;
  std::string metrics_file;  // empty in YAML: resolved to <run_dir>/metrics.jsonl at load
  bool progress = true;

  template <class V>
  void visit(V& v) {
    v("level", level);
    v("all_ranks", all_ranks);
    v("metrics_file", metrics_file);
    v("progress", progress);
  }
};

struct RunConfig {
  std::string run_dir = "runs/spct";
  int seed = 1234;
  std::vector<Stage> stages{Stage::rft, Stage::grpo, Stage::metarm, Stage::eval};  // for `spct run`
  ModelSection model;
  DataSection data;
  RolloutSection rollout;
  SftSection sft;  // warm-up SFT on general and teacher data (the `sft` stage)
  RftSection rft;
  GrpoSection grpo;
  MetaRmSection metarm;
  OptimSection optim;
  EvalSection eval;
  CheckpointSection checkpoint;
  LoggingSection logging;

  std::string origin;  // the file (or other source) it was loaded from, for messages; not in YAML

  template <class V>
  void visit(V& v) {
    v("run_dir", run_dir);
    v("seed", seed);
    v("stages", stages);
    v("model", model);
    v("data", data);
    v("rollout", rollout);
    v("sft", sft);
    v("rft", rft);
    v("grpo", grpo);
    v("metarm", metarm);
    v("optim", optim);
    v("eval", eval);
    v("checkpoint", checkpoint);
    v("logging", logging);
  }

  // Parses YAML text (origin_name names it in messages), applies each "section.key=value"
  // override in order, resolves the derived defaults and validates. Throws spct::Error.
  static RunConfig from_yaml_string(const std::string& text, const std::string& origin_name,
                                    const std::vector<std::string>& overrides = {});
  // The same, reading the file at path.
  static RunConfig from_file(const std::string& path, const std::vector<std::string>& overrides = {});
};

// The whole resolved config as YAML; from_yaml_string of it gives back an equal config.
std::string to_yaml(const RunConfig& config);

// Equal when every field is equal (origin is ignored).
bool operator==(const RunConfig& a, const RunConfig& b);
inline bool operator!=(const RunConfig& a, const RunConfig& b) { return !(a == b); }

// Throws spct::Error naming the key and the config's origin if an input that `stage` needs is
// missing (e.g. data.test for eval). `spct run` calls it for every listed stage before starting.
void require_stage_inputs(const RunConfig& config, Stage stage);

}  // namespace spct
