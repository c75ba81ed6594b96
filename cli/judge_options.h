// Options shared by `spct judge` and `spct eval`: the GRM, its tokenizer, the optional meta RM and
// the sampling and prompt settings, read from flags on top of an optional --config.
#pragma once
#include <memory>
#include <string>

#include "cli/options.h"
#include "core/hf_io.h"
#include "core/tokenizer/tokenizer.h"
#include "rewards/judge/judge.h"

namespace spct::cli {

struct JudgeSetup {
  std::string model_path, tokenizer_dir, metarm_path, dtype = "float32", device = "cpu", principle_mode = "generate";
  std::string principles;  // for --principle-mode given, when items carry none
  std::string templates_file;
  int k_meta = 0;
  rewards::JudgeOptions judge;

  std::unique_ptr<Transformer> grm;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<rewards::MetaRM> meta_rm;
};

void add_judge_options(po::options_description& desc, JudgeSetup& setup);
// Applies --config defaults (model, rollout and eval sections) to options not given on the
// command line, validates, and loads the models.
void load_judge_setup(const po::variables_map& vm, JudgeSetup& setup);

}  // namespace spct::cli
