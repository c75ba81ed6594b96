#include "trainer/stages/sft.h"

#include <algorithm>
#include <fstream>

#include "core/error.h"
#include "core/jsonl.h"
#include "core/log.h"
#include "trainer/dist/data_shard.h"
#include "trainer/loss/losses.h"
#include "trainer/stages/trainer.h"

namespace spct {

Example chat_example(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                     const std::string& chat_format) {
  SPCT_CHECK(messages.size() >= 2 && messages.back().role == "assistant",
             "chat example: needs at least one turn before a final assistant message");
  const std::vector<ChatMessage> context(messages.begin(), messages.end() - 1);
  ChatOptions with_prompt, closed;
  closed.add_generation_prompt = false;
  Example e;
  e.prompt = encode_chat(tokenizer, context, with_prompt, chat_format);
  const std::vector<int32_t> full = encode_chat(tokenizer, messages, closed, chat_format);
  SPCT_CHECK(full.size() > e.prompt.size() && std::equal(e.prompt.begin(), e.prompt.end(), full.begin()),
             "chat example: the chat template does not render the conversation as prompt + answer");
  e.response.assign(full.begin() + e.prompt.size(), full.end());
  return e;
}

std::vector<Example> read_chat_examples(const std::string& path, const Tokenizer& tokenizer,
                                        const std::string& chat_format) {
  std::vector<Example> out;
  for_each_jsonl(path, [&](const nlohmann::json& j, const std::string& where) {
    SPCT_CHECK(j.contains("messages"), where, ": field 'messages' is missing");
    const auto messages = parse_chat_messages(j["messages"].dump(), where + ": field 'messages'");
    try {
      out.push_back(chat_example(tokenizer, messages, chat_format));
    } catch (const Error& e) {
      throw_error(where, ": ", e.what());
    }
  });
  return out;
}

std::vector<std::vector<const Example*>> sft_micro_batches(const std::vector<std::vector<const Example*>>& by_rows,
                                                           const SftSection& train, int64_t max_len) {
  if (!train.packing || train.micro_batch_tokens == 0) return by_rows;
  std::vector<const Example*> all;
  std::vector<int64_t> tokens;
  for (const auto& micro : by_rows)
    for (const Example* e : micro) {
      all.push_back(e);
      tokens.push_back(std::min(e->length(), max_len) - 1);
    }
  std::vector<std::vector<const Example*>> out;
  for (const auto& group : split_by_tokens(tokens, train.micro_batch_tokens)) {
    out.emplace_back();
    for (int64_t i : group) out.back().push_back(all[i]);
  }
  return out;
}

SftStep sft_step(StageTrainer& trainer, const Transformer& model, const SftSection& train,
                 const std::vector<std::vector<const Example*>>& micros, int64_t global_tokens, int64_t max_len) {
  const double norm = static_cast<double>(std::max<int64_t>(global_tokens, 1));
  SftStep out;
  out.loss_sum = at::zeros({}, at::TensorOptions().dtype(at::kFloat).device(trainer.dist().device()));
  // Every micro-batch goes to the device before the first forward: a copy from pageable host
  // memory waits for the device's queue, which would stall it between micro-batches.
  std::vector<MicroBatch> batches;
  for (const auto& micro : micros) batches.push_back(trainer.micro_batch(micro, max_len, train.completion_only_loss));
  for (size_t m = 0; m < batches.size(); ++m) {
    const MicroBatch& b = batches[m];
    const at::Tensor sum = sft_token_loss_sum(trainer.logprobs(model, b, 1.0, false, true).logprobs, b.mask());
    trainer.backward(sum / norm, m + 1 == micros.size());
    out.loss_sum += sum.detach().to(out.loss_sum.device());
  }
  out.grad_norm = trainer.apply_gradients();
  return out;
}

SftStats train_sft(const RunConfig& config, Dist& dist, Transformer& model, Stage stage, const SftSection& train,
                   const std::vector<Example>& examples, int64_t max_len) {
  SPCT_CHECK(!examples.empty(), name_of(stage), ": no training examples");
  StageTrainer trainer(config, dist, model, stage, train);
  trainer.resume();
  DataShard shard({static_cast<int64_t>(examples.size()), train.batch_size, train.micro_batch_size,
                   static_cast<uint64_t>(config.seed), config.data.shuffle},
                  dist.world_size(), dist.rank());
  shard.set_cursor(trainer.data_cursor);
  SftStats stats;
  while (!trainer.done()) {
    // Every rank knows the whole global batch, so the token normalizer needs no communication.
    int64_t global_tokens = 0;
    for (int64_t i : shard.items_at(shard.cursor(), shard.global_batch()))
      global_tokens += loss_tokens(examples[i], max_len, train.completion_only_loss);
    std::vector<std::vector<const Example*>> by_rows;
    for (const auto& micro : shard.next_step()) {
      by_rows.emplace_back();
      for (int64_t i : micro) by_rows.back().push_back(&examples[i]);
    }
    const SftStep step =
        sft_step(trainer, model, train, sft_micro_batches(by_rows, train, max_len), global_tokens, max_len);
    at::Tensor loss_sum = step.loss_sum;
    dist.all_reduce_sum(loss_sum);
    trainer.data_cursor = shard.cursor();
    stats.loss = loss_sum.item<double>() / std::max<int64_t>(global_tokens, 1);
    ++stats.steps;
    trainer.end_step({{"loss", stats.loss}, {"grad_norm", step.grad_norm}, {"tokens", global_tokens}});
  }
  return stats;
}

}  // namespace spct
