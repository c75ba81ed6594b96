// spct export: write a model as an HF directory (config.json + safetensors) that HF transformers
// loads, optionally converting its dtype.
#include <cmath>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/hf_io.h"
#include "core/log.h"
#include "trainer/checkpoint/checkpoint.h"

namespace spct::cli {
namespace {

int run_export(const std::vector<std::string>& args) {
  po::options_description desc("export options");
  std::string model_path, checkpoint, tokenizer_dir, out, dtype;
  uint64_t seed = 0;
  double shard_gb = 5.0;
  desc.add_options()("model", po::value(&model_path), "HF model directory, or 'tiny'")(
      "checkpoint", po::value(&checkpoint), "a training checkpoint (step_N.h5) or a checkpoint directory (its latest)")(
      "tokenizer", po::value(&tokenizer_dir),
      "copy tokenizer files from this directory (default: the model's); "
      "'tiny': mark the output as using the byte tokenizer")("out", po::value(&out)->required(),
                                                             "output directory (must be empty or absent)")(
      "dtype", po::value(&dtype)->default_value("float32"), "weights dtype: float32 | bfloat16")(
      "seed", po::value(&seed)->default_value(0), "init seed of the tiny model")(
      "max-shard-gb", po::value(&shard_gb)->default_value(5.0), "shard size limit")(
      "overwrite", "replace a non-empty output directory");
  auto vm = parse_options("export", "(--model DIR|tiny | --checkpoint CKPT) --out DIR [options]", desc, args);
  if (!vm) return 0;
  SPCT_CHECK(model_path.empty() != checkpoint.empty(), "spct export: give exactly one of --model and --checkpoint");
  // A shard must hold at least a byte and at most what uint64 bytes can say (the conversion below).
  SPCT_CHECK(std::isfinite(shard_gb) && shard_gb > 0 && shard_gb < 1e9,
             "spct export: --max-shard-gb must be a number in (0, 1e9), got ", shard_gb);
  std::unique_ptr<Transformer> model;
  if (!checkpoint.empty()) {
    const std::string path = resolve_resume(checkpoint, checkpoint);
    SPCT_CHECK(!path.empty(), checkpoint, ": no valid checkpoint");
    model = model_from_checkpoint(path, parse_dtype(dtype));
  } else {
    model = load_model(model_path, {parse_dtype(dtype), at::kCPU, seed});
  }
  ExportOptions opt;
  opt.max_shard_bytes = static_cast<uint64_t>(shard_gb * (1ull << 30));
  opt.overwrite = vm->count("overwrite") > 0;
  opt.tokenizer_dir = tokenizer_dir == "tiny"  ? ""
                      : !tokenizer_dir.empty() ? tokenizer_dir
                                               : (model_path == "tiny" ? "" : model_path);
  opt.byte_tokenizer = model_path == "tiny" || tokenizer_dir == "tiny";
  export_hf(*model, out, opt);
  log::info("exported ", family_name(model->config().family), " model (", model->config().num_parameters(),
            " parameters, ", dtype, ") to ", out);
  return 0;
}

}  // namespace
SPCT_COMMAND("export", "write a model as an HF directory (config.json + safetensors)", run_export);
}  // namespace spct::cli
