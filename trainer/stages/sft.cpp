#include "trainer/stages/sft.h"

#include <fstream>

#include "core/error.h"
#include "core/jsonl.h"
#include "core/log.h"
#include "trainer/dist/data_shard.h"
#include "trainer/loss/losses.h"
#include "trainer/stages/trainer.h"

namespace spct {

namespace {
constexpr int64_t kLogprobChunk = 2048;  // tokens per chunk of logits in the loss
}

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
  const auto device = model.options().device();
  while (!trainer.done()) {
    // Every rank knows the whole global batch, so the token normalizer needs no communication.
    int64_t global_tokens = 0;
    for (int64_t i : shard.items_at(shard.cursor(), shard.global_batch())) global_tokens += loss_tokens(examples[i], max_len, train.completion_only_loss);
    at::Tensor loss_sum = at::zeros({}, at::TensorOptions().dtype(at::kFloat).device(dist.device()));
    const auto micros = shard.next_step();
    for (size_t m = 0; m < micros.size(); ++m) {
      const auto& micro = micros[m];
      std::vector<const Example*> batch;
      for (int64_t i : micro) batch.push_back(&examples[i]);
      const TokenBatch b = make_batch(batch, max_len, device, train.completion_only_loss);
      at::Tensor hidden = model.hidden(b.ids, trainer.forward_options(b.valid));
      const LossSum s = sft_loss_sum(token_logprobs(model, hidden, b.targets, kLogprobChunk), b.mask);
      trainer.backward(s.sum / static_cast<double>(std::max<int64_t>(global_tokens, 1)), m + 1 == micros.size());
      loss_sum += s.sum.detach().to(dist.device());
    }
    dist.all_reduce_sum(loss_sum);
    trainer.data_cursor = shard.cursor();
    const double grad_norm = trainer.apply_gradients();
    stats.loss = loss_sum.item<double>() / std::max<int64_t>(global_tokens, 1);
    ++stats.steps;
    trainer.end_step({{"loss", stats.loss}, {"grad_norm", grad_norm}, {"tokens", global_tokens}});
  }
  return stats;
}

}  // namespace spct
