// Supervised fine-tuning, the training half of the `sft` warm-up and of RFT: token-level
// cross-entropy on response tokens only, over a global batch that does not depend on the number
// of ranks, with exact resume.
#pragma once
#include <string>
#include <vector>

#include "core/config.h"
#include "core/model.h"
#include "core/tokenizer/chat_template.h"
#include "trainer/stages/batch.h"
#include "trainer/dist/dist.h"

namespace spct {

// The last message (the assistant's) becomes the response, everything before it the prompt,
// both exactly as the chat template renders them.
Example chat_example(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                     const std::string& chat_format = "");

// Reads {"messages": [...]} lines (general instruction data); errors name file and line.
std::vector<Example> read_chat_examples(const std::string& path, const Tokenizer& tokenizer,
                                        const std::string& chat_format = "");

struct SftStats {
  double loss = 0;    // mean over the last step's response tokens
  int64_t steps = 0;  // steps run in this call (0 when a finished stage was resumed)
};

class StageTrainer;

// This rank's micro-batches of one step: the data shard's (micro_batch_size examples each), or,
// with train.packing and train.micro_batch_tokens, the same examples in order re-cut into
// micro-batches of at most micro_batch_tokens input tokens.
std::vector<std::vector<const Example*>> sft_micro_batches(const std::vector<std::vector<const Example*>>& by_rows,
                                                           const SftSection& train, int64_t max_len);

// One optimizer step of cross-entropy over this rank's micro-batches of a global batch whose
// loss tokens number global_tokens on all ranks together: each micro-batch backpropagates its
// token sum / global_tokens, so the step's gradient is that of the global mean however the
// batch is cut. Returns this rank's summed loss (a device tensor, read after the step) and the
// pre-clip gradient norm.
struct SftStep {
  at::Tensor loss_sum;
  double grad_norm = 0;
};
SftStep sft_step(StageTrainer& trainer, const Transformer& model, const SftSection& train,
                 const std::vector<std::vector<const Example*>>& micros, int64_t global_tokens, int64_t max_len);

// Trains `model` on `examples` until train.steps optimizer steps are done (continuing from the
// stage's checkpoint when checkpoint.resume allows). Examples longer than max_len are cut.
SftStats train_sft(const RunConfig& config, Dist& dist, Transformer& model, Stage stage, const SftSection& train,
                   const std::vector<Example>& examples, int64_t max_len);

}  // namespace spct
