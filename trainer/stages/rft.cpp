#include "trainer/stages/rft.h"

#include <c10/core/GradMode.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "core/error.h"
#include "core/file_util.h"
#include "core/jsonl.h"
#include "core/log.h"
#include "rewards/rules/correctness.h"
#include "rewards/judge/judge.h"
#include "trainer/stages/grpo.h"

namespace spct {
namespace {

// This rank's contiguous block of [0, n).
std::pair<size_t, size_t> rank_block(size_t n, const Dist& dist) {
  const size_t w = dist.world_size(), r = dist.rank();
  return {n * r / w, n * (r + 1) / w};
}

// Examples from every rank, in rank order (so in item order for contiguous blocks).
std::vector<Example> gather_examples(Dist& dist, const std::vector<Example>& local) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : local) j.push_back({e.prompt, e.response});
  std::vector<Example> all;
  for (const std::string& part : dist.all_gather_strings(j.dump()))
    for (const auto& e : nlohmann::json::parse(part))
      all.push_back({e[0].get<std::vector<int32_t>>(), e[1].get<std::vector<int32_t>>()});
  return all;
}

void sum_counts(Dist& dist, RftCounts& c) {
  at::Tensor t =
      at::tensor(std::vector<int64_t>{c.items, c.too_easy, c.sampled, c.kept, c.hinted_kept, c.rejected}, at::kLong)
          .to(dist.device());
  dist.all_reduce_sum(t);
  t = t.cpu();
  const int64_t* v = t.data_ptr<int64_t>();
  c = {v[0], v[1], v[2], v[3], v[4], v[5], c.general};
}

// Rank 0 writes every rank's labelled samples, in rank (so item) order, one line each.
void write_samples(const RunConfig& config, Dist& dist, const nlohmann::json& local) {
  const std::vector<std::string> parts = dist.all_gather_strings(local.dump());
  if (!dist.is_root()) return;
  std::filesystem::create_directories(std::filesystem::path(rft_samples_path(config)).parent_path());
  write_file_atomic(rft_samples_path(config), [&](std::ostream& o) {
    for (const std::string& part : parts)
      for (const auto& line : nlohmann::json::parse(part)) o << line.dump() << "\n";
  });
}

}  // namespace

std::vector<FileTrajectory> read_trajectory_file(const std::string& path, const Tokenizer& tokenizer,
                                                 const std::string& chat) {
  std::vector<FileTrajectory> rows;
  int n = 0;
  for_each_jsonl(path, [&](const nlohmann::json& j, const std::string& where) {
    ++n;
    for (const char* key : {"prompt", "text"})
      SPCT_CHECK(j.contains(key) && j[key].is_string(), where, ": field '", key, "' must be a string");
    SPCT_CHECK(j.contains("num_responses") && j["num_responses"].is_number_integer(), where,
               ": field 'num_responses' must be an integer");
    const int nr = j["num_responses"].get<int>();
    const char* truth_key = nr == 1 ? "label" : "best";
    SPCT_CHECK(j.contains(truth_key) && j[truth_key].is_number_integer(), where, ": field '", truth_key,
               "' must be an integer");
    rewards::Truth truth =
        nr == 1 ? rewards::Truth::single(j["label"].get<int>()) : rewards::Truth::best_of(nr, j["best"].get<int>());
    try {
      rewards::validate(truth);
    } catch (const Error& e) {
      throw_error(where, ": ", e.what());
    }
    const std::string id = !j.contains("id")     ? std::to_string(n)
                           : j["id"].is_string() ? j["id"].get<std::string>()
                                                 : j["id"].dump();
    SPCT_CHECK(!j.contains("hinted") || j["hinted"].is_boolean(), where, ": field 'hinted' must be true or false");
    rows.push_back({id,
                    chat_example(tokenizer,
                                 {{"user", j["prompt"].get<std::string>(), std::nullopt},
                                  {"assistant", j["text"].get<std::string>(), std::nullopt}},
                                 chat),
                    rewards::grade(j["text"].get<std::string>(), truth).correct, j.value("hinted", false)});
  });
  return rows;
}

std::vector<Example> trajectory_file_examples(const std::string& path, const Tokenizer& tokenizer,
                                              const std::string& chat, bool drop_too_easy, bool hinted,
                                              RftCounts& counts) {
  std::map<std::string, std::vector<FileTrajectory>> by_id;
  std::vector<std::string> order;
  for (FileTrajectory& row : read_trajectory_file(path, tokenizer, chat)) {
    if (!by_id.count(row.id)) order.push_back(row.id);
    by_id[row.id].push_back(std::move(row));
  }
  std::vector<Example> out;
  for (const auto& id : order) {
    std::vector<const FileTrajectory*> plain, hints;
    std::vector<bool> plain_correct, hinted_correct;
    for (const auto& r : by_id[id]) {
      if (r.hinted && !hinted) continue;
      (r.hinted ? hints : plain).push_back(&r);
      (r.hinted ? hinted_correct : plain_correct).push_back(r.correct);
    }
    const RftKeep keep = rft_keep(plain_correct, hinted_correct, drop_too_easy);
    count_item(counts, plain_correct, hinted_correct, keep);
    for (size_t s = 0; s < hints.size(); ++s)  // hinted first: the order this function always had
      if (keep.hinted[s]) out.push_back(hints[s]->example);
    for (size_t s = 0; s < plain.size(); ++s)
      if (keep.plain[s]) out.push_back(plain[s]->example);
  }
  return out;
}

RftKeep rft_keep(const std::vector<bool>& plain_correct, const std::vector<bool>& hinted_correct, bool drop_too_easy) {
  auto all = [](const std::vector<bool>& v) { return std::all_of(v.begin(), v.end(), [](bool c) { return c; }); };
  RftKeep k{plain_correct, hinted_correct, drop_too_easy && !plain_correct.empty() && all(plain_correct)};
  if (k.too_easy) {
    k.plain.assign(plain_correct.size(), false);
    k.hinted.assign(hinted_correct.size(), false);
  }
  return k;
}

void count_item(RftCounts& c, const std::vector<bool>& plain_correct, const std::vector<bool>& hinted_correct,
                const RftKeep& keep) {
  ++c.items;
  c.too_easy += keep.too_easy;
  c.sampled += static_cast<int64_t>(plain_correct.size());
  c.kept += std::count(keep.plain.begin(), keep.plain.end(), true);
  c.hinted_kept += std::count(keep.hinted.begin(), keep.hinted.end(), true);
  c.rejected += std::count(plain_correct.begin(), plain_correct.end(), false) +
                std::count(hinted_correct.begin(), hinted_correct.end(), false);
}

std::string rft_samples_path(const RunConfig& config) { return config.run_dir + "/rft/samples.jsonl"; }

std::vector<LabelledSample> read_rft_samples(const std::string& path) {
  std::vector<LabelledSample> out;
  for_each_jsonl(path, [&](const nlohmann::json& j, const std::string& where) {
    SPCT_CHECK(j.contains("item") && j["item"].is_number_unsigned(), where,
               ": field 'item' must be the item's 0-based index in data.train");
    SPCT_CHECK(j.contains("correct") && j["correct"].is_boolean(), where, ": field 'correct' must be true or false");
    for (const char* key : {"prompt_ids", "tokens"})
      SPCT_CHECK(j.contains(key) && j[key].is_array(), where, ": field '", key, "' must be an array of token ids");
    try {
      LabelledSample s{j["item"].get<uint64_t>(), j["prompt_ids"].get<std::vector<int32_t>>(),
                       j["correct"].get<bool>()};
      const auto tokens = j["tokens"].get<std::vector<int32_t>>();
      s.tokens.insert(s.tokens.end(), tokens.begin(), tokens.end());
      out.push_back(std::move(s));
    } catch (const nlohmann::json::exception& e) {
      throw_error(where, ": fields 'prompt_ids' and 'tokens' must hold integer token ids (", e.what(), ")");
    }
  });
  return out;
}

std::vector<Example> rft_examples(const RunConfig& config, Dist& dist, const Transformer& policy,
                                  const Tokenizer& tokenizer, const std::vector<rewards::RmItem>& items,
                                  RftCounts& counts) {
  if (!config.rft.trajectories.empty())
    return trajectory_file_examples(config.rft.trajectories, tokenizer,
                                    stage_judge_options(config, config.rft.principle_mode).chat_template,
                                    config.rft.drop_too_easy, config.rft.hinted, counts);
  const RftSection& r = config.rft;
  rewards::JudgeOptions judge = stage_judge_options(config, r.principle_mode);
  const auto [begin, end] = rank_block(items.size(), dist);
  std::vector<rewards::RmItem> mine(items.begin() + begin, items.begin() + end);
  std::vector<uint64_t> ids;
  for (size_t i = begin; i < end; ++i) ids.push_back(i);
  std::vector<Example> local;
  nlohmann::json samples = nlohmann::json::array();  // this rank's non-hinted samples, labelled
  c10::NoGradGuard no_grad;
  if (!mine.empty()) {
    const auto plain = rewards::sample_trajectories(policy, tokenizer, mine, r.num_samples, judge, ids);
    std::vector<std::vector<rewards::Trajectory>> hinted;
    if (r.hinted && r.hinted_samples > 0) {
      std::vector<std::optional<int>> hints;
      for (const auto& it : mine) hints.push_back(it.responses.size() == 1 ? it.label : it.best);
      rewards::JudgeOptions h = judge;
      h.seed = judge.seed + 0x5bd1e995ull;  // hinted samples draw their own orders and streams
      hinted = rewards::sample_trajectories(policy, tokenizer, mine, r.hinted_samples, h, ids, hints);
    }
    for (size_t i = 0; i < mine.size(); ++i) {
      std::vector<bool> plain_correct, hinted_correct;
      for (const auto& t : plain[i]) plain_correct.push_back(trajectory_reward(mine[i], t) > 0);
      if (!hinted.empty())
        for (const auto& t : hinted[i]) hinted_correct.push_back(trajectory_reward(mine[i], t) > 0);
      const RftKeep keep = rft_keep(plain_correct, hinted_correct, r.drop_too_easy);
      count_item(counts, plain_correct, hinted_correct, keep);
      for (size_t s = 0; s < plain[i].size(); ++s) {
        const rewards::Trajectory& t = plain[i][s];
        if (keep.plain[s]) local.push_back({t.prompt_ids, t.tokens});
        samples.push_back({{"item", ids[i]},
                           {"id", mine[i].id},
                           {"prompt_ids", t.prompt_ids},
                           {"tokens", t.tokens},
                           {"correct", bool(plain_correct[s])}});
      }
      for (size_t s = 0; s < hinted_correct.size(); ++s)
        if (keep.hinted[s])
          local.push_back(
              {rewards::judge_prompt_ids(tokenizer, mine[i], hinted[i][s].order, judge), hinted[i][s].tokens});
    }
  }
  write_samples(config, dist, samples);
  sum_counts(dist, counts);
  return gather_examples(dist, local);
}

RftCounts run_rft(const RunConfig& config, Dist& dist, Transformer& policy, const Tokenizer& tokenizer,
                  const std::vector<rewards::RmItem>& items, const std::vector<Example>& general) {
  RftCounts counts;
  std::vector<Example> examples = rft_examples(config, dist, policy, tokenizer, items, counts);
  log::info("rft: ", counts.items, " items, ", counts.too_easy, " too easy, ", counts.kept, " of ", counts.sampled,
            " samples kept, ", counts.hinted_kept, " hinted kept, ", counts.rejected, " rejected");
  SPCT_CHECK(!examples.empty(),
             "rft: no trajectory was kept (all incorrect, or all items too easy); nothing to train on");
  const double ratio = config.data.general_ratio;
  if (ratio > 0 && !general.empty()) {
    const auto want = static_cast<int64_t>(std::llround(examples.size() * ratio / (1 - ratio)));
    std::vector<size_t> order(general.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::mt19937_64 rng(static_cast<uint64_t>(config.seed));
    std::shuffle(order.begin(), order.end(), rng);
    for (int64_t i = 0; i < want; ++i) examples.push_back(general[order[i % order.size()]]);
    counts.general = want;
  }
  const int64_t max_len = config.data.max_prompt_tokens + config.data.max_response_tokens;
  train_sft(config, dist, policy, Stage::rft, config.rft, examples, max_len);
  return counts;
}

}  // namespace spct
