// Rejective fine-tuning (SPCT stage 1): sample N_RFT judgments per item (from the policy, or read
// from an external trajectory file), keep the correct ones, drop items whose samples were all
// correct ("too easy"), add hinted samples kept when correct, mix in general instruction data and
// fine-tune on the kept trajectories (loss on trajectory tokens only).
#pragma once
#include <string>
#include <vector>

#include "core/config.h"
#include "core/model.h"
#include "core/tokenizer/tokenizer.h"
#include "rewards/rules/rm_dataset.h"
#include "trainer/dist/dist.h"
#include "trainer/stages/sft.h"

namespace spct {

struct RftCounts {
  int64_t items = 0;        // items looked at
  int64_t too_easy = 0;     // dropped: every non-hinted sample was correct
  int64_t sampled = 0;      // non-hinted trajectories
  int64_t kept = 0;         // correct non-hinted trajectories kept
  int64_t hinted_kept = 0;  // correct hinted trajectories kept
  int64_t rejected = 0;     // incorrect or malformed trajectories (hinted ones included)
  int64_t general = 0;      // general instruction examples mixed in
};

// The rejection rules over one item's samples (correct flags by eq. 10): keep the correct ones;
// with drop_too_easy, an item whose non-hinted samples are all correct is dropped whole, its
// hinted samples included (the paper drops the item: it teaches nothing the model cannot do).
struct RftKeep {
  std::vector<bool> plain, hinted;  // which non-hinted and hinted samples become examples
  bool too_easy = false;
};
RftKeep rft_keep(const std::vector<bool>& plain_correct, const std::vector<bool>& hinted_correct, bool drop_too_easy);

// Adds one item's outcome to the counts (a too-easy item's correct samples are neither kept nor
// rejected).
void count_item(RftCounts& counts, const std::vector<bool>& plain_correct, const std::vector<bool>& hinted_correct,
                const RftKeep& keep);

// One line of a trajectory file, graded by eq. 10: the chat example (prompt ids; the trajectory with
// the chat's end-of-turn tokens as the response), whether it is correct, whether it was hinted.
struct FileTrajectory {
  std::string id;  // the item's id ("id" field, else the 1-based line number)
  Example example;
  bool correct, hinted;
};

// Every line of a trajectory file (format below), in file order; errors name file, line and field.
std::vector<FileTrajectory> read_trajectory_file(const std::string& path, const Tokenizer& tokenizer,
                                                 const std::string& chat_format);

// Examples from a trajectory file (e.g. `spct data teacher`), one JSON object a line: {"id",
// "prompt" (the judge prompt text), "text" (the trajectory), "num_responses", "best" (displayed
// order) | "label", "hinted"}. The RFT rules apply per id; errors name file, line and field.
std::vector<Example> trajectory_file_examples(const std::string& path, const Tokenizer& tokenizer,
                                              const std::string& chat_format, bool drop_too_easy, bool hinted,
                                              RftCounts& counts);

// Kept trajectories as training examples: trajectories sampled from `policy` (rft.trajectories
// empty) or read from that file. Hinted samples train on the prompt without the hint. Samples
// drawn from the policy are also written (rank 0) to rft_samples_path, every non-hinted one with its
// eq. 10 label: the meta RM trains on them (the paper's meta-RM data).
std::vector<Example> rft_examples(const RunConfig& config, Dist& dist, const Transformer& policy,
                                  const Tokenizer& tokenizer, const std::vector<rewards::RmItem>& items,
                                  RftCounts& counts);

// run_dir/rft/samples.jsonl: one JSON object a line, {"item" (0-based index in data.train), "id"
// (the item's id), "prompt_ids", "tokens" (the trajectory, stop token included), "correct"}.
std::string rft_samples_path(const RunConfig& config);

struct LabelledSample {
  uint64_t item;                // index in data.train
  std::vector<int32_t> tokens;  // prompt + trajectory
  bool correct;
};
// Reads rft_samples_path's format; errors name file, line and field.
std::vector<LabelledSample> read_rft_samples(const std::string& path);

// Rejective sampling, then SFT on the kept examples plus general data (data.general_ratio of the
// mix). Returns the counts; the model is trained in place.
RftCounts run_rft(const RunConfig& config, Dist& dist, Transformer& policy, const Tokenizer& tokenizer,
                  const std::vector<rewards::RmItem>& items, const std::vector<Example>& general);

}  // namespace spct
