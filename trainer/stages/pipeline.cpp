#include "trainer/stages/pipeline.h"

#include <c10/core/GradMode.h>

#include <filesystem>
#include <fstream>

#include "core/byte_tokenizer.h"
#include "core/error.h"
#include "core/hf_io.h"
#include "core/log.h"
#include "rewards/judge/benchmark.h"
#include "trainer/stages/grpo.h"
#include "trainer/stages/metarm.h"
#include "trainer/report/report.h"
#include "trainer/stages/rft.h"
#include "trainer/stages/sft.h"
#include "trainer/stages/stop_signal.h"

namespace spct {
namespace fs = std::filesystem;

std::string stage_dir(const RunConfig& config, Stage stage) { return config.run_dir + "/" + name_of(stage); }
std::string stage_model_dir(const RunConfig& config, Stage stage) { return stage_dir(config, stage) + "/model"; }

bool stage_done(const RunConfig& config, Stage stage) {
  if (stage == Stage::eval) return fs::exists(stage_dir(config, stage) + "/done");
  return fs::exists(stage_model_dir(config, stage) + "/config.json");
}

std::string stage_input_model(const RunConfig& config, Stage stage) {
  std::string path = config.model.path;
  for (Stage s : {Stage::sft, Stage::rft, Stage::grpo})
    if (s < stage && stage_done(config, s)) path = stage_model_dir(config, s);
  return path;
}

namespace {

LoadOptions load_options(const RunConfig& c) {
  return {parse_dtype(name_of(c.model.dtype)), at::Device(name_of(c.model.device)), static_cast<uint64_t>(c.seed)};
}

std::unique_ptr<Tokenizer> run_tokenizer(const RunConfig& c) {
  return tokenizer_for_model(c.model.path, c.model.tokenizer == c.model.path ? "" : c.model.tokenizer);
}

// Rank 0 writes the stage's model (tokenizer files copied from the original model directory).
void save_stage_model(const RunConfig& c, Dist& dist, const Transformer& model, Stage stage) {
  if (dist.is_root()) {
    ExportOptions opt;
    opt.overwrite = true;
    if (c.model.path != "tiny") opt.tokenizer_dir = c.model.tokenizer.empty() ? c.model.path : c.model.tokenizer;
    opt.byte_tokenizer = dynamic_cast<const ByteTokenizer*>(run_tokenizer(c).get()) != nullptr;
    export_hf(model, stage_model_dir(c, stage), opt);
    log::info(name_of(stage), ": wrote ", stage_model_dir(c, stage));
  }
  dist.barrier();
}

std::vector<Example> general_examples(const RunConfig& c, const Tokenizer& tok) {
  if (c.data.general_sft.empty()) return {};
  const std::string chat = name_of(c.model.chat_template);
  return read_chat_examples(c.data.general_sft, tok, chat == "auto" || chat == "none" ? "" : chat);
}

// The eval stage's judging: eval.temperature and eval.seed on top of the rollout settings.
rewards::BenchmarkOptions eval_options(const RunConfig& c, PrincipleMode mode, std::vector<int> ks) {
  rewards::BenchmarkOptions b;
  b.ks = std::move(ks);
  b.k_meta = c.eval.k_meta;
  b.judge = stage_judge_options(c, mode);
  b.judge.temperature = c.eval.temperature;
  b.judge.seed = static_cast<uint64_t>(c.eval.seed);
  return b;
}

// Greedy only (plus one sample per item), principles generated: the by-stage comparison.
void eval_stage_models(const RunConfig& c, const Tokenizer& tok, const std::vector<rewards::RmItem>& items) {
  for (Stage s : {Stage::sft, Stage::rft, Stage::grpo}) {
    if (!stage_done(c, s)) continue;
    auto model = load_model(stage_model_dir(c, s), load_options(c));
    const auto results =
        rewards::run_benchmark(*model, tok, nullptr, items, eval_options(c, PrincipleMode::generate, {1}));
    rewards::write_results(results, stage_dir(c, Stage::eval) + "/stages/" + name_of(s),
                           {{"model", stage_model_dir(c, s)},
                            {"principle_mode", "generate"},
                            {"data", c.data.test},
                            {"items", items.size()}});
    log::info("eval: ", name_of(s), " model, greedy accuracy ", results[0].overall.accuracy());
  }
}

void run_eval_stage(const RunConfig& c, Dist& dist) {
  if (dist.is_root()) {
    auto tok = run_tokenizer(c);
    const std::string grm_path = stage_input_model(c, Stage::eval);
    auto grm = load_model(grm_path, load_options(c));
    std::unique_ptr<rewards::MetaRM> meta;
    if (stage_done(c, Stage::metarm)) meta = rewards::MetaRM::load(stage_model_dir(c, Stage::metarm), load_options(c));
    const auto items = rewards::read_rm_dataset(c.data.test);
    if (c.eval.by_stage) eval_stage_models(c, *tok, items);
    for (PrincipleMode mode : c.eval.principle_modes) {
      const auto results = rewards::run_benchmark(*grm, *tok, meta.get(), items, eval_options(c, mode, c.eval.k));
      const std::string out = stage_dir(c, Stage::eval) + "/" + name_of(mode);
      rewards::write_results(
          results, out,
          {{"model", grm_path}, {"principle_mode", name_of(mode)}, {"data", c.data.test}, {"items", items.size()}});
      log::info("eval (principles: ", name_of(mode), ") on ", items.size(), " items:\n",
                rewards::results_table(results));
    }
    log::info("wrote ", c.run_dir, "/report.md:\n", write_report(c.run_dir));
    std::ofstream(stage_dir(c, Stage::eval) + "/done") << "ok\n";
  }
  dist.barrier();
}

}  // namespace

void run_stage(const RunConfig& c, Dist& dist, Stage stage) {
  require_stage_inputs(c, stage);
  if (stage_done(c, stage)) {
    log::info(name_of(stage), ": already done (", stage_dir(c, stage), "); skipping");
    return;
  }
  if (stage == Stage::eval) return run_eval_stage(c, dist);
  auto tok = run_tokenizer(c);
  const std::string input = stage_input_model(c, stage);
  LoadOptions load = load_options(c);
  load.from_scratch = c.model.from_scratch && input == c.model.path;
  log::info(name_of(stage), ": starting from ", input,
            load.from_scratch ? " (random weights, model.from_scratch)" : "");
  auto model = load_model(input, load);
  switch (stage) {
    case Stage::sft: {
      std::vector<Example> examples = general_examples(c, *tok);
      if (!c.data.teacher.empty()) {
        RftCounts counts;
        const auto teacher = trajectory_file_examples(c.data.teacher, *tok, "", /*drop_too_easy=*/false,
                                                      /*hinted=*/true, counts);
        log::info("sft: ", teacher.size(), " correct teacher trajectories (", counts.rejected, " incorrect skipped), ",
                  examples.size(), " general examples");
        examples.insert(examples.end(), teacher.begin(), teacher.end());
      }
      train_sft(c, dist, *model, Stage::sft, c.sft, examples, c.data.max_prompt_tokens + c.data.max_response_tokens);
      break;
    }
    case Stage::rft: {
      const auto items = rewards::read_rm_dataset(c.data.train);
      run_rft(c, dist, *model, *tok, items, general_examples(c, *tok));
      break;
    }
    case Stage::grpo: {
      const auto items = rewards::read_rm_dataset(c.data.train);
      auto reference = load_model(input, load);
      train_grpo(c, dist, *model, *reference, *tok, items);
      break;
    }
    case Stage::metarm: {
      const auto items = rewards::read_rm_dataset(c.data.train);
      auto meta = meta_rm_from_grm(*model);
      train_metarm(c, dist, *model, *meta, *tok, items);
      save_stage_model(c, dist, meta->backbone(), stage);
      return;
    }
    case Stage::eval: break;
  }
  save_stage_model(c, dist, *model, stage);
}

void run_pipeline(const RunConfig& c, Dist& dist) {
  for (Stage s : c.stages) require_stage_inputs(c, s);
  for (Stage s : c.stages) {
    // A stop signal during a stage without steps (eval) or as a stage ended takes effect here.
    if (const int sig = stop::agreed_signal(dist)) {
      const std::string msg = "stopped by " + stop::signal_name(sig) + " before stage " + name_of(s) +
                              "; run the same command again to continue";
      if (dist.is_root()) log::info(msg);
      throw stop::Stopped(msg);
    }
    run_stage(c, dist, s);
  }
}

}  // namespace spct
