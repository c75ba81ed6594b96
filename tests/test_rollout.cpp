// The rollout engine (rollout/): greedy equals HF greedy on the parity fixtures; a request's
// tokens do not depend on its batch, its slot, queueing under a small memory budget or prefix
// sharing; stop ids, stop strings and max tokens are exact; logprobs equal the training
// forward's; the sampler draws from the right distribution; bad input is a clear error.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/hf_io.h"
#include "core/random.h"
#include "core/safetensors.h"
#include "rollout/engine.h"
#include "rollout/generate.h"
#include "rollout/memory_budget.h"
#include "rollout/stop.h"
#include "tests/test_util.h"

namespace spct {
namespace {

using test::error_of;

std::vector<int32_t> random_prompt(int64_t n, int64_t vocab, uint64_t seed) {
  at::Tensor ids = at::randint(3, vocab, {n}, at::detail::createCPUGenerator(seed), at::kLong);
  return std::vector<int32_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + n);
}

SamplingParams sampled(int64_t max_new, uint64_t seed) {
  SamplingParams sp;
  sp.temperature = 1.0;
  sp.top_p = 0.9;
  sp.max_new_tokens = max_new;
  sp.seed = seed;
  return sp;
}

// Room for exactly `slots` sequences of `capacity` tokens with 64 prefill tokens.
EngineOptions tiny_budget(const Transformer& model, int64_t slots, int64_t capacity) {
  const RolloutMemory one = plan_rollout_memory(model.config(), at::kFloat, capacity, 64, 100.0, 1);
  EngineOptions o;
  o.prefill_tokens = 64;
  o.memory_budget_gb = (one.prefill + slots * (one.kv_per_slot + one.workspace_per_slot) + 1000) / 1e9;
  o.sync_every = 3;
  return o;
}

void expect_same(const Generation& a, const Generation& b, const std::string& what) {
  EXPECT_EQ(a.tokens, b.tokens) << what;
  EXPECT_EQ(a.finish_reason, b.finish_reason) << what;
  ASSERT_EQ(a.logprobs.size(), b.logprobs.size()) << what;
  for (size_t t = 0; t < a.logprobs.size(); ++t)
    EXPECT_NEAR(a.logprobs[t], b.logprobs[t], 1e-4) << what << " token " << t;
}

// Each family's three reference prompts in one engine run, two slots, so they queue: the greedy
// continuations equal HF's.
void check_hf_greedy(const std::string& family, at::Device device) {
  auto model = load_model(test::fixture_model(family), {at::kFloat, device});
  auto f = safetensors::File::open(test::fixture_model(family) + "/reference.safetensors");
  std::vector<Request> requests;
  std::vector<std::vector<int32_t>> want;
  for (int i = 0; f.contains("ids_" + std::to_string(i)); ++i) {
    at::Tensor ids = f.load("ids_" + std::to_string(i)), greedy = f.load("greedy_" + std::to_string(i));
    Request r;
    r.prompt.assign(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
    r.params.temperature = 0;
    r.params.max_new_tokens = greedy.numel();
    requests.push_back(r);
    want.emplace_back(greedy.data_ptr<int64_t>(), greedy.data_ptr<int64_t>() + greedy.numel());
  }
  ASSERT_EQ(requests.size(), 3u);
  RolloutEngine engine(*model, tiny_budget(*model, 2, 128));
  auto out = engine.run(requests);
  EXPECT_EQ(engine.stats().slots, 2);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(out[i][0].tokens, want[i]) << family << " sequence " << i;
}

TEST(Rollout, GreedyEqualsHfGreedyOnEveryFamily) {
  for (const char* family : {"llama", "qwen2", "qwen3", "gemma2"}) check_hf_greedy(family, at::kCPU);
}

TEST(Rollout, GreedyEqualsHfGreedyOnCuda) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  for (const char* family : {"llama", "qwen2", "qwen3", "gemma2"}) check_hf_greedy(family, at::kCUDA);
}

TEST(Rollout, MixedLengthBatchMatchesEachPromptAloneGreedy) {
  for (const std::string family : {"qwen2", "gemma2"}) {
    auto model = load_model(test::fixture_model(family));
    std::vector<std::vector<int32_t>> prompts;
    for (int64_t n : {3, 9, 6, 1}) prompts.push_back(random_prompt(n, model->config().vocab_size, n));
    SamplingParams greedy;
    greedy.temperature = 0;
    greedy.max_new_tokens = 6;
    auto batch = generate(*model, prompts, greedy);
    auto queued = generate(*model, prompts, greedy, {}, tiny_budget(*model, 2, 128));
    for (size_t i = 0; i < prompts.size(); ++i) {
      auto alone = generate(*model, {prompts[i]}, greedy);
      expect_same(batch[i], alone[0], family + " batch, prompt " + std::to_string(i));
      expect_same(queued[i], alone[0], family + " two slots, prompt " + std::to_string(i));
    }
  }
}

TEST(Rollout, SampledTokensDependOnTheRequestSeedOnly) {
  auto model = load_model(test::fixture_model("llama"));
  const int64_t V = model->config().vocab_size;
  // Mixed lengths, token limits and parameters, run all together, then through two slots (so
  // requests queue, change slots and the batch shrinks), then each alone.
  std::vector<Request> requests;
  for (int i = 0; i < 5; ++i) {
    Request r;
    r.prompt = random_prompt(2 + 3 * i, V, 100 + i);
    r.params = sampled(4 + 3 * i, 40 + i);
    r.params.temperature = i == 2 ? 0.0 : 0.7 + 0.1 * i;
    r.params.top_k = i == 3 ? 5 : 0;
    r.params.top_p = i == 4 ? 1.0 : r.params.top_p;
    requests.push_back(r);
  }
  RolloutEngine wide(*model, EngineOptions{});
  auto together = wide.run(requests);
  RolloutEngine narrow(*model, tiny_budget(*model, 2, 128));
  auto queued = narrow.run(requests);
  EXPECT_EQ(narrow.stats().slots, 2);
  for (size_t i = 0; i < requests.size(); ++i) {
    auto alone = wide.run({requests[i]});
    EXPECT_EQ(alone[0][0].tokens.size(), static_cast<size_t>(requests[i].params.max_new_tokens));
    expect_same(together[i][0], alone[0][0], "batch, request " + std::to_string(i));
    expect_same(queued[i][0], alone[0][0], "two slots, request " + std::to_string(i));
  }
  auto again = wide.run(requests);
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ(again[i][0].tokens, together[i][0].tokens);
  requests[0].params.seed += 1000;
  EXPECT_NE(wide.run({requests[0]})[0][0].tokens, together[0][0].tokens);
}

TEST(Rollout, PrefixSharedSamplesEqualSeparateRequests) {
  auto model = load_model(test::fixture_model("qwen3"));
  Request shared;
  shared.prompt = random_prompt(7, model->config().vocab_size, 5);
  shared.params = sampled(8, 77);
  shared.n = 4;
  std::vector<Request> separate(4, shared);
  for (int j = 0; j < 4; ++j) {
    separate[j].n = 1;
    separate[j].params.seed = 77 + j;
  }
  // Three slots: the fourth sample waits and is prefilled again on its own.
  RolloutEngine engine(*model, tiny_budget(*model, 3, 128));
  auto a = engine.run({shared});
  auto b = engine.run(separate);
  ASSERT_EQ(a[0].size(), 4u);
  bool differ = false;
  for (int j = 0; j < 4; ++j) {
    expect_same(a[0][j], b[j][0], "sample " + std::to_string(j));
    differ = differ || a[0][j].tokens != a[0][0].tokens;
  }
  EXPECT_TRUE(differ) << "the n samples of one prompt should not all be the same";
}

TEST(Rollout, StopIdEndsTheSampleAndMaxTokensIsExact) {
  auto model = load_model(test::fixture_model("llama"));
  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_new_tokens = 5;
  auto g = generate(*model, {{4, 5, 6}}, greedy)[0];
  ASSERT_EQ(g.tokens.size(), 5u);
  EXPECT_EQ(g.finish_reason, "length");
  greedy.stop_ids = {g.tokens[2]};
  auto s = generate(*model, {{4, 5, 6}}, greedy)[0];
  EXPECT_EQ(s.finish_reason, "stop");
  EXPECT_EQ(s.tokens.back(), g.tokens[2]);
  EXPECT_LE(s.tokens.size(), 3u);
  for (int64_t max_new : {1, 2, 7, 17}) {
    greedy.stop_ids.clear();
    greedy.max_new_tokens = max_new;
    auto m = generate(*model, {{4, 5, 6}, {9}}, greedy, {}, tiny_budget(*model, 1, 128));
    for (const auto& r : m) {
      EXPECT_EQ(r.tokens.size(), static_cast<size_t>(max_new));
      EXPECT_EQ(r.logprobs.size(), static_cast<size_t>(max_new));
      EXPECT_EQ(r.finish_reason, "length");
    }
  }
}

// Two characters per token, so that a stop string can end inside a token's text.
std::string two_chars(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    s += static_cast<char>('a' + id % 26);
    s += static_cast<char>('A' + id / 26 % 26);
  }
  return s;
}

TEST(Rollout, StopStringsCutTheTextAtTheMatch) {
  auto model = load_model(test::fixture_model("qwen2"));
  SamplingParams sp = sampled(12, 3);
  auto full = generate(*model, {{7, 8, 9}}, sp, {}, {}, two_chars)[0];
  ASSERT_EQ(full.text, two_chars(full.tokens));
  ASSERT_EQ(full.tokens.size(), 12u);
  // Starts in token 4's text and ends inside token 5's: generation stops after token 5.
  const std::string stop = full.text.substr(9, 2);
  const size_t first = full.text.find(stop);
  sp.stop = {"never-there", stop};
  auto cut = generate(*model, {{7, 8, 9}}, sp, {}, {}, two_chars)[0];
  EXPECT_EQ(cut.finish_reason, "stop");
  EXPECT_EQ(cut.text, full.text.substr(0, first));
  const size_t tokens = (first + stop.size() + 1) / 2;  // the token whose text completes the match
  EXPECT_EQ(cut.tokens, std::vector<int32_t>(full.tokens.begin(), full.tokens.begin() + tokens));
  EXPECT_EQ(cut.logprobs.size(), cut.tokens.size());
  // A stop string that never appears changes nothing.
  sp.stop = {"@@"};
  auto same = generate(*model, {{7, 8, 9}}, sp, {}, {}, two_chars)[0];
  EXPECT_EQ(same.tokens, full.tokens);
  EXPECT_EQ(same.finish_reason, "length");
}

TEST(Rollout, FindStopSearchesOnlyNewText) {
  EXPECT_EQ(find_stop("hello world", {"wor"}, 0), 6u);
  EXPECT_EQ(find_stop("hello world", {"wor", "llo"}, 0), 2u);
  EXPECT_EQ(find_stop("hello world", {"llo"}, 5), std::string::npos);  // ended before: already seen
  EXPECT_EQ(find_stop("hello world", {"o w"}, 5), 4u);                 // straddles the checked part
  EXPECT_EQ(find_stop("abc", {"abcd"}, 0), std::string::npos);
}

TEST(Rollout, LogprobsEqualTheTrainingForward) {
  auto model = load_model(test::fixture_model("qwen3"));
  Request r;
  r.prompt = {11, 22, 33, 44, 55};
  r.n = 3;
  for (double temperature : {1.0, 0.7}) {
    r.params = sampled(7, 3);
    r.params.temperature = temperature;
    r.params.top_k = 20;
    RolloutEngine engine(*model, tiny_budget(*model, 2, 128));
    const auto out = engine.run({r});
    for (const auto& g : out[0]) {
      std::vector<int64_t> all(r.prompt.begin(), r.prompt.end());
      all.insert(all.end(), g.tokens.begin(), g.tokens.end());
      c10::NoGradGuard no_grad;
      at::Tensor logp = at::log_softmax(model->forward(at::tensor(all).unsqueeze(0))[0] / temperature, -1);
      for (size_t t = 0; t < g.tokens.size(); ++t) {
        EXPECT_TRUE(std::isfinite(g.logprobs[t]));
        EXPECT_NEAR(g.logprobs[t], logp[r.prompt.size() - 1 + t][g.tokens[t]].item<float>(), 1e-4)
            << "temperature " << temperature << " token " << t;
      }
    }
  }
}

TEST(Rollout, MemoryBudgetBoundsTheSlots) {
  auto model = load_model(test::fixture_model("llama"));
  const auto& c = model->config();
  const RolloutMemory m = plan_rollout_memory(c, at::kBFloat16, 256, 64, 100.0, int64_t{1} << 40);
  EXPECT_EQ(m.kv_per_slot, 2 * c.num_layers * c.num_kv_heads * c.head_dim * 2 * 256);
  EXPECT_LE(m.total(), static_cast<int64_t>(100e9));
  EXPECT_GT(m.total() + m.kv_per_slot + m.workspace_per_slot, static_cast<int64_t>(100e9));
  EXPECT_EQ(plan_rollout_memory(c, at::kBFloat16, 256, 64, 100.0, 7).slots, 7);
  const std::string err = error_of([&] { plan_rollout_memory(c, at::kFloat, 256, 64, 1e-6, 8); });
  EXPECT_NE(err.find("rollout.memory_budget_gb = 1e-06 holds no sequence"), std::string::npos) << err;
  EXPECT_NE(err.find("KV cache"), std::string::npos) << err;
  EngineOptions o;
  o.memory_budget_gb = 1e-6;
  EXPECT_NE(error_of([&] {
              generate(*model, {{1, 2}}, SamplingParams{}, {}, o);
            }).find("holds no sequence"),
            std::string::npos);
}

TEST(Rollout, BadRequestsAreClearErrors) {
  auto model = load_model(test::fixture_model("llama"));
  RolloutEngine engine(*model, EngineOptions{});
  Request r;
  EXPECT_NE(error_of([&] { engine.run({r}); }).find("request 0: empty prompt"), std::string::npos);
  r.prompt = {1, static_cast<int32_t>(model->config().vocab_size)};
  EXPECT_NE(error_of([&] { engine.run({r}); }).find("request 0 prompt token 1"), std::string::npos);
  r.prompt = {1, 2};
  r.n = 0;
  EXPECT_NE(error_of([&] { engine.run({r}); }).find("request 0: n must be in [1, 2^40] (got 0)"), std::string::npos);
  r.n = 1;
  r.params.stop = {"x"};
  EXPECT_NE(error_of([&] { engine.run({r}); }).find("no detokenizer"), std::string::npos);
  r.params.stop.clear();
  r.params.top_p = 0;
  EXPECT_NE(error_of([&] { engine.run({r}); }).find("top_p"), std::string::npos);
}

TEST(Sampler, CounterUniformIsSplitmixOfSeedAndCounter) {
  std::vector<int64_t> seeds = {0, 1, -1, 123456789, static_cast<int64_t>(0x9e3779b97f4a7c15ULL)};
  std::vector<int64_t> counters = {0, 5, 1000, 7, 1};
  at::Tensor u = counter_uniform(at::tensor(seeds), at::tensor(counters));
  for (size_t i = 0; i < seeds.size(); ++i) {
    const uint64_t z = splitmix64(splitmix64(static_cast<uint64_t>(seeds[i])) + static_cast<uint64_t>(counters[i]));
    EXPECT_EQ(u[i].item<double>(), static_cast<double>(z >> 40) / 16777216.0) << i;
  }
  if (at::hasCUDA()) {
    EXPECT_TRUE(at::equal(counter_uniform(at::tensor(seeds).cuda(), at::tensor(counters).cuda()).cpu(), u));
  }
}

// Many rows with the same logits and different seeds: token frequencies match the (filtered,
// renormalized) probabilities.
void check_frequencies(const SamplingParams& p, const std::vector<double>& want) {
  const int64_t N = 40000;
  at::Tensor logits = at::log(at::tensor(std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f})).unsqueeze(0).expand({N, 4});
  std::vector<uint64_t> seeds(N);
  for (int64_t i = 0; i < N; ++i) seeds[i] = i;
  SampleOut s = sample_rows(logits, SamplerRows::make(std::vector<SamplingParams>(N, p), seeds, at::kCPU),
                            at::full({N}, 3, at::kLong));
  at::Tensor freq = at::bincount(s.tokens, {}, 4).to(at::kDouble) / N;
  for (int v = 0; v < 4; ++v) EXPECT_NEAR(freq[v].item<double>(), want[v], 0.012) << "token " << v;
}

TEST(Sampler, DrawsFromTheFilteredDistribution) {
  SamplingParams p;
  check_frequencies(p, {0.1, 0.2, 0.3, 0.4});
  p.top_k = 2;
  check_frequencies(p, {0, 0, 3.0 / 7, 4.0 / 7});
  p.top_k = 0;
  p.top_p = 0.5;  // 0.4 alone is below 0.5, so 0.3 is kept too
  check_frequencies(p, {0, 0, 3.0 / 7, 4.0 / 7});
  p.top_p = 1.0;
  p.temperature = 0.5;  // p^2 renormalized
  check_frequencies(p, {0.01 / 0.3, 0.04 / 0.3, 0.09 / 0.3, 0.16 / 0.3});
}

// The two-level search of a large vocabulary picks the token a float64 prefix sum over the whole
// row picks, for every row (blocks of 64 here, so a 1,000-token row has a partial last block).
TEST(Sampler, TwoLevelInverseCdfEqualsFullPrefixSum) {
  const int64_t B = 512, V = 1000;
  at::Generator gen = at::detail::createCPUGenerator(5);
  at::Tensor mass = at::softmax(at::randn({B, V}, gen) * 3.0, -1);
  mass.narrow(1, 0, 200).zero_();   // empty blocks are skipped
  mass.narrow(1, 960, 40).zero_();  // so is an empty partial tail
  std::vector<uint64_t> seeds(B);
  for (int64_t i = 0; i < B; ++i) seeds[i] = i;
  at::Tensor u =
      counter_uniform(at::tensor(std::vector<int64_t>(seeds.begin(), seeds.end())), at::zeros({B}, at::kLong));
  u.narrow(0, 0, 2).fill_(1.0 - 1.0 / 16777216.0);  // the largest uniform: the last token with mass
  at::Tensor cdf = mass.to(at::kDouble).cumsum(-1);
  at::Tensor want = (cdf <= u.unsqueeze(1) * cdf.narrow(1, V - 1, 1)).sum(-1).clamp_max(959);
  at::Tensor got = inverse_cdf(mass, u, 64);
  EXPECT_TRUE(at::equal(got, want)) << (got != want).sum().item<int64_t>() << " rows differ";
  EXPECT_TRUE(mass.gather(1, got.unsqueeze(1)).gt(0).all().item<bool>());
  EXPECT_TRUE(at::equal(inverse_cdf(mass, u, 1024), want));  // one level
}

TEST(Sampler, TopKOneTinyTopPAndZeroTemperatureAreGreedy) {
  at::Tensor logits = at::randn({4, 50}, at::detail::createCPUGenerator(9));
  std::vector<uint64_t> seeds = {0, 1, 2, 3};
  at::Tensor counter = at::zeros({4}, at::kLong);
  SamplingParams p;
  p.top_k = 1;
  auto rows = [&] { return SamplerRows::make(std::vector<SamplingParams>(4, p), seeds, at::kCPU); };
  EXPECT_TRUE(at::equal(sample_rows(logits, rows(), counter).tokens, logits.argmax(-1)));
  p.top_k = 0;
  p.top_p = 1e-6;
  EXPECT_TRUE(at::equal(sample_rows(logits, rows(), counter).tokens, logits.argmax(-1)));
  p.top_p = 1;
  p.temperature = 0;
  SampleOut g = sample_rows(logits, rows(), counter);
  EXPECT_TRUE(at::equal(g.tokens, logits.argmax(-1)));
  EXPECT_TRUE(at::allclose(g.logprobs, std::get<0>(at::log_softmax(logits, -1).max(-1))));
}

TEST(Rollout, CudaGraphsGiveTheEagerTokens) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  auto model = load_model(test::fixture_model("qwen2"), {at::kFloat, at::kCUDA});
  std::vector<Request> requests;
  for (int i = 0; i < 6; ++i) {
    Request r;
    r.prompt = random_prompt(3 + 5 * i, model->config().vocab_size, 200 + i);
    r.params = sampled(20 + 7 * i, 9 + i);
    r.params.top_k = i % 2 ? 0 : 30;
    r.n = 2;
    requests.push_back(r);
  }
  EngineOptions o = tiny_budget(*model, 4, 128);
  o.cuda_graphs = false;
  auto eager = RolloutEngine(*model, o).run(requests);
  o.cuda_graphs = true;
  RolloutEngine graphed(*model, o);
  auto replayed = graphed.run(requests);
  EXPECT_GT(graphed.stats().graphs, 0);
  for (size_t i = 0; i < requests.size(); ++i)
    for (int j = 0; j < 2; ++j) expect_same(replayed[i][j], eager[i][j], "request " + std::to_string(i));
}

}  // namespace
}  // namespace spct
