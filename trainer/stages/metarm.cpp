#include "trainer/stages/metarm.h"

#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "rewards/judge/judge.h"
#include "trainer/stages/batch.h"
#include "trainer/dist/data_shard.h"
#include "trainer/stages/grpo.h"
#include "trainer/loss/losses.h"
#include "trainer/stages/rft.h"
#include "trainer/stages/trainer.h"

namespace spct {
namespace {
namespace fs = std::filesystem;

struct Labelled {
  std::vector<int32_t> tokens;  // prompt + trajectory
  int label;
};

std::vector<Labelled> gather(Dist& dist, const std::vector<Labelled>& local) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& l : local) j.push_back({l.tokens, l.label});
  std::vector<Labelled> all;
  for (const std::string& part : dist.all_gather_strings(j.dump()))
    for (const auto& e : nlohmann::json::parse(part))
      all.push_back({e[0].get<std::vector<int32_t>>(), e[1].get<int>()});
  return all;
}

// The non-hinted trajectories of the rft.trajectories file whose item is not held out (items from
// first_held on), each cut after its stop token as the GRM's samples are.
void add_rft_file(const RunConfig& config, const Transformer& grm, const Tokenizer& tokenizer,
                  const std::vector<rewards::RmItem>& items, size_t first_held, std::vector<Example>& train,
                  std::vector<int>& labels) {
  std::set<std::string> held_out;
  for (size_t i = first_held; i < items.size(); ++i) held_out.insert(items[i].id);
  const std::string chat = stage_judge_options(config, config.rft.principle_mode).chat_template;
  const std::vector<int64_t> stops = rewards::judge_stop_ids(grm, tokenizer);
  for (FileTrajectory& t : read_trajectory_file(config.rft.trajectories, tokenizer, chat)) {
    if (t.hinted || held_out.count(t.id)) continue;
    std::vector<int32_t> seq = std::move(t.example.prompt);
    auto end = std::find_if(t.example.response.begin(), t.example.response.end(),
                            [&](int32_t id) { return std::find(stops.begin(), stops.end(), id) != stops.end(); });
    if (end != t.example.response.end()) ++end;  // keep the stop token
    seq.insert(seq.end(), t.example.response.begin(), end);
    train.push_back({std::move(seq), {}});
    labels.push_back(t.correct ? 1 : 0);
  }
}

}  // namespace

std::unique_ptr<rewards::MetaRM> meta_rm_from_grm(const Transformer& grm) {
  ModelConfig c = grm.config();
  c.num_labels = 1;
  c.source = nlohmann::json();  // a new architecture entry: written from the fields
  auto model = std::make_unique<Transformer>(c, grm.options());
  std::map<std::string, at::Tensor> source(grm.parameters().begin(), grm.parameters().end());
  c10::NoGradGuard no_grad;
  for (const auto& [name, p] : model->parameters()) {
    at::Tensor t = p;  // shares storage with the model's parameter
    if (name == "score.weight")
      t.zero_();
    else
      t.copy_(source.at(name));
  }
  return std::make_unique<rewards::MetaRM>(std::move(model));
}

MetaRmStats train_metarm(const RunConfig& config, Dist& dist, const Transformer& grm, rewards::MetaRM& meta_rm,
                         const Tokenizer& tokenizer, const std::vector<rewards::RmItem>& items) {
  const MetaRmSection& m = config.metarm;
  SPCT_CHECK(!items.empty(), "metarm: no training items");
  // 1. Trajectories from the GRM, labelled by eq. 10; each rank samples a contiguous block.
  rewards::JudgeOptions judge = stage_judge_options(config, PrincipleMode::generate);
  judge.seed ^= 0x6d657461ull;        // not the orders GRPO or RFT drew
  judge.temperature = m.temperature;  // eval.temperature by default: the trajectories it will rank
  const size_t w = dist.world_size(), r = dist.rank();
  const size_t begin = items.size() * r / w, end = items.size() * (r + 1) / w;
  std::vector<rewards::RmItem> mine(items.begin() + begin, items.begin() + end);
  std::vector<uint64_t> ids;
  for (size_t i = begin; i < end; ++i) ids.push_back(i);
  std::vector<Labelled> local;
  if (!mine.empty()) {
    c10::NoGradGuard no_grad;
    const auto trajectories = rewards::sample_trajectories(grm, tokenizer, mine, m.samples_per_item, judge, ids);
    for (size_t i = 0; i < mine.size(); ++i)
      for (const auto& t : trajectories[i]) {
        std::vector<int32_t> seq = t.prompt_ids;
        seq.insert(seq.end(), t.tokens.begin(), t.tokens.end());
        local.push_back({std::move(seq), trajectory_reward(mine[i], t) > 0 ? 1 : 0});
      }
  }
  const std::vector<Labelled> all = gather(dist, local);
  // 2. Hold out the trajectories of the last holdout_fraction of the items (whole items).
  const size_t holdout_items = static_cast<size_t>(std::floor(items.size() * m.holdout_fraction));
  const size_t split = (items.size() - holdout_items) * static_cast<size_t>(m.samples_per_item);
  std::vector<Example> train;
  std::vector<int> labels;
  for (size_t i = 0; i < split; ++i) {
    train.push_back({all[i].tokens, {}});
    labels.push_back(all[i].label);
  }
  // 2b. The non-hinted RFT trajectories of training items (never held-out ones), correct or not.
  if (m.rft_trajectories) {
    const size_t first_held = items.size() - holdout_items;
    const size_t before = train.size();
    std::string source;
    if (!config.rft.trajectories.empty()) {
      source = config.rft.trajectories;
      add_rft_file(config, grm, tokenizer, items, first_held, train, labels);
    } else if (fs::exists(rft_samples_path(config))) {
      source = rft_samples_path(config);
      for (LabelledSample& s : read_rft_samples(source)) {
        if (s.item >= first_held) continue;
        train.push_back({std::move(s.tokens), {}});
        labels.push_back(s.correct ? 1 : 0);
      }
    }
    if (!source.empty())
      log::info("metarm: ", train.size() - before, " non-hinted RFT trajectories of ", source,
                " added to the training set");
    else
      log::info("metarm: no RFT trajectories to add (rft.trajectories is unset and the rft stage wrote no ",
                rft_samples_path(config), ")");
  }
  MetaRmStats stats;
  stats.train = static_cast<int64_t>(train.size());
  stats.holdout = static_cast<int64_t>(all.size() - split);
  int64_t positives = 0;
  for (int l : labels) positives += l;
  stats.positive_rate = train.empty() ? 0.0 : double(positives) / static_cast<double>(train.size());
  log::info("metarm: ", stats.train, " labelled training trajectories (", stats.positive_rate * 100, "% correct), ",
            stats.holdout, " held out");
  SPCT_CHECK(!train.empty(), "metarm: no training trajectories (holdout_fraction leaves none)");

  // 3. BCE on the score at the last token.
  Transformer& model = meta_rm.backbone();
  StageTrainer trainer(config, dist, model, Stage::metarm, m);
  trainer.resume();
  DataShard shard({static_cast<int64_t>(train.size()), m.batch_size, m.micro_batch_size,
                   static_cast<uint64_t>(config.seed), config.data.shuffle},
                  dist.world_size(), dist.rank());
  shard.set_cursor(trainer.data_cursor);
  const int64_t max_len = config.data.max_prompt_tokens + config.rollout.max_new_tokens + 1;
  while (!trainer.done()) {
    at::Tensor loss_sum = at::zeros({}, at::TensorOptions().dtype(at::kFloat).device(dist.device()));
    const auto micros = shard.next_step();
    for (size_t mb = 0; mb < micros.size(); ++mb) {
      const auto& micro = micros[mb];
      std::vector<int64_t> flat, lens, labs;
      int64_t T = 1;
      for (int64_t i : micro) T = std::max<int64_t>(T, std::min<int64_t>(train[i].prompt.size(), max_len));
      for (int64_t i : micro) {
        const auto& seq = train[i].prompt;
        const int64_t len = std::min<int64_t>(seq.size(), max_len);
        std::vector<int64_t> row(T, 0);
        std::copy(seq.begin(), seq.begin() + len, row.begin());
        flat.insert(flat.end(), row.begin(), row.end());
        lens.push_back(len);
        labs.push_back(labels[i]);
      }
      const int64_t B = static_cast<int64_t>(micro.size());
      at::Tensor logits = meta_rm.logits(at::tensor(flat, at::kLong).view({B, T}), at::tensor(lens, at::kLong));
      const LossSum s = bce_loss_sum(logits, at::tensor(labs, at::kLong).to(logits.device()));
      trainer.backward(s.sum / static_cast<double>(m.batch_size), mb + 1 == micros.size());
      loss_sum += s.sum.detach().to(dist.device());
    }
    dist.all_reduce_sum(loss_sum);
    trainer.data_cursor = shard.cursor();
    const double grad_norm = trainer.apply_gradients();
    trainer.end_step({{"loss", loss_sum.item<double>() / m.batch_size}, {"grad_norm", grad_norm}});
  }
  // 4. Held-out accuracy and ROC-AUC.
  std::vector<std::vector<int32_t>> held;
  std::vector<int> held_labels;
  for (size_t i = split; i < all.size(); ++i) {
    held.push_back(all[i].tokens);
    held_labels.push_back(all[i].label);
  }
  if (!held.empty()) {
    const auto probs = meta_rm.probabilities(held);
    int64_t right = 0;
    for (size_t i = 0; i < probs.size(); ++i) right += (probs[i] >= 0.5) == (held_labels[i] == 1);
    stats.holdout_accuracy = double(right) / probs.size();
    stats.holdout_auc = rewards::roc_auc(probs, held_labels);
  }
  log::info("metarm: held-out accuracy ", stats.holdout_accuracy, ", ROC-AUC ", stats.holdout_auc);
  return stats;
}

}  // namespace spct
