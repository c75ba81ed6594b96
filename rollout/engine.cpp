#include "rollout/engine.h"

#include <c10/core/GradMode.h>

#include <algorithm>
#include <chrono>
#include <deque>

#include "core/error.h"
#include "rollout/decode_step.h"
#include "rollout/kv_cache.h"
#include "rollout/memory_budget.h"
#include "rollout/step_graphs.h"
#include "rollout/stop.h"

namespace spct {
namespace {

constexpr int64_t kSpanQuantum = 128;  // attention spans (and graph shapes) grow in these steps

int64_t round_up(int64_t x, int64_t q) { return (x + q - 1) / q * q; }

// Batch sizes run in powers of two (capped at the slot count): few distinct shapes to capture.
int64_t bucket(int64_t n, int64_t slots) {
  int64_t b = 1;
  while (b < n) b *= 2;
  return std::min(b, slots);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Pending {
  size_t request;
  int64_t sample;
};

// What the host knows about a slot.
struct Slot {
  bool live = false;
  size_t request = 0;
  int64_t sample = 0;
  int64_t len = 0;          // cache column of the token fed next
  size_t text_checked = 0;  // characters of decoded text already searched for stop strings
};

}  // namespace

// Device buffers of one shape (slots, capacity); kept between runs of the same shape so that
// captured CUDA graphs are reused.
struct RolloutEngine::Run {
  int64_t slots = 0, capacity = 0;
  KVCache cache;
  DecodeState state;
  StepGraphs graphs;
  Run(const Transformer& model, int64_t slots_, int64_t capacity_, int64_t window, bool cuda_graphs)
      : slots(slots_),
        capacity(capacity_),
        cache(KVCache::allocate(model.config(), slots_, capacity_, model.options())),
        state(DecodeState::allocate(slots_, window, capacity_, model.options().device())),
        graphs(cuda_graphs, model.options().device().is_cuda()) {}
};

RolloutEngine::RolloutEngine(const Transformer& model, EngineOptions options, Detokenizer detokenize)
    : model_(model), options_(options), detokenize_(std::move(detokenize)) {
  SPCT_CHECK(options_.max_batch_size >= 1, "rollout: max_batch_size must be >= 1 (got ", options_.max_batch_size, ")");
  SPCT_CHECK(options_.sync_every >= 1, "rollout: sync_every must be >= 1 (got ", options_.sync_every, ")");
  SPCT_CHECK(options_.prefill_tokens >= 1, "rollout: prefill_tokens must be >= 1 (got ", options_.prefill_tokens, ")");
}

RolloutEngine::~RolloutEngine() = default;

std::vector<std::vector<Generation>> RolloutEngine::run(const std::vector<Request>& requests) {
  c10::NoGradGuard no_grad;
  const ModelConfig& cfg = model_.config();
  const at::Device device = model_.options().device();
  stats_ = EngineStats{};
  std::vector<std::vector<Generation>> out(requests.size());
  int64_t need = 0, longest = 0, samples = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    const Request& q = requests[r];
    q.params.validate();
    SPCT_CHECK(q.n >= 1 && q.n <= (int64_t{1} << 40), "rollout: request ", r, ": n must be in [1, 2^40] (got ", q.n,
               ")");
    SPCT_CHECK(!q.prompt.empty(), "rollout: request ", r, ": empty prompt");
    for (size_t t = 0; t < q.prompt.size(); ++t)
      SPCT_CHECK(q.prompt[t] >= 0 && q.prompt[t] < cfg.vocab_size, "rollout: request ", r, " prompt token ", t, " = ",
                 q.prompt[t], " is outside the vocabulary (", cfg.vocab_size, ")");
    SPCT_CHECK(q.params.stop.empty() || detokenize_, "rollout: request ", r,
               " has stop strings but the engine has no detokenizer");
    const int64_t p = static_cast<int64_t>(q.prompt.size());
    need = std::max(need, p + q.params.max_new_tokens);
    longest = std::max(longest, p);
    samples += q.n;
  }
  require_results_fit(static_cast<double>(samples), need,
                      "rollout: the batch of " + std::to_string(requests.size()) + " request(s)");
  for (size_t r = 0; r < requests.size(); ++r) out[r].resize(requests[r].n);
  if (samples == 0) return out;
  const int64_t capacity = round_up(need, kSpanQuantum);
  const int64_t prefill_tokens = std::max(options_.prefill_tokens, longest);
  const RolloutMemory mem = plan_rollout_memory(cfg, model_.options().dtype().toScalarType(), capacity, prefill_tokens,
                                                options_.memory_budget_gb, std::min(options_.max_batch_size, samples));
  // A kept run of at least this capacity and slot count was planned within the same budget.
  if (!run_ || run_->capacity < capacity || run_->slots < mem.slots) {
    run_.reset();
    run_ = std::make_unique<Run>(model_, mem.slots, capacity, options_.sync_every, options_.cuda_graphs);
  }
  Run& R = *run_;
  const int64_t slots = R.slots;
  const double kv_per_token =
      2.0 * cfg.num_layers * cfg.num_kv_heads * cfg.head_dim * model_.options().dtype().itemsize();
  stats_.slots = slots;

  std::deque<Pending> queue;
  for (size_t r = 0; r < requests.size(); ++r)
    for (int64_t j = 0; j < requests[r].n; ++j) queue.push_back({r, j});
  std::vector<Slot> host(slots);
  int64_t live = 0;

  // Ends a sample; its text is the decoded tokens unless a stop string already cut it.
  auto finish = [&](Slot& h, const char* reason, bool text_set) {
    Generation& g = out[h.request][h.sample];
    g.finish_reason = reason;
    if (detokenize_ && !text_set) g.text = detokenize_(g.tokens);
    stats_.generated += static_cast<int64_t>(g.tokens.size());
    h.live = false;
    --live;
  };
  // Appends one token to the slot's sample; false once the sample has ended.
  auto consume = [&](Slot& h, int32_t tok, float lp) {
    const SamplingParams& p = requests[h.request].params;
    Generation& g = out[h.request][h.sample];
    g.tokens.push_back(tok);
    g.logprobs.push_back(lp);
    ++h.len;
    if (std::find(p.stop_ids.begin(), p.stop_ids.end(), tok) != p.stop_ids.end()) {
      finish(h, "stop", false);
      return false;
    }
    if (!p.stop.empty()) {
      const std::string text = detokenize_(g.tokens);
      const size_t at = find_stop(text, p.stop, h.text_checked);
      if (at != std::string::npos) {
        g.text = text.substr(0, at);
        finish(h, "stop", true);
        return false;
      }
      // A later token can still rewrite the last few bytes (an unfinished UTF-8 character).
      h.text_checked = text.size() > 8 ? text.size() - 8 : 0;
    }
    if (static_cast<int64_t>(g.tokens.size()) == p.max_new_tokens) {
      finish(h, "length", false);
      return false;
    }
    return true;
  };

  // Prefills the queued prompts that fit in free slots, one prefill per request however many of
  // its samples are admitted, and points those slots at their prompt's last token.
  auto admit = [&] {
    std::vector<size_t> reqs;
    std::vector<std::vector<int64_t>> dst;  // per prefilled request: its slots
    int64_t tokens = 0;
    for (int64_t s = 0; s < slots && !queue.empty(); ++s) {
      if (host[s].live) continue;
      const Pending p = queue.front();
      const int64_t plen = static_cast<int64_t>(requests[p.request].prompt.size()) - 1;
      if (reqs.empty() || reqs.back() != p.request) {
        if (!reqs.empty() && tokens + plen > prefill_tokens) break;
        reqs.push_back(p.request);
        dst.emplace_back();
        tokens += plen;
      }
      queue.pop_front();
      dst.back().push_back(s);
      host[s] = Slot{true, p.request, p.sample, plen, 0};
      ++live;
    }
    if (reqs.empty()) return;
    const auto t0 = std::chrono::steady_clock::now();
    int64_t P = 0;
    for (size_t r : reqs) P = std::max<int64_t>(P, static_cast<int64_t>(requests[r].prompt.size()) - 1);
    std::vector<int64_t> src_rows, dst_slots, toks, lens;
    std::vector<SamplingParams> params;
    std::vector<uint64_t> seeds;
    for (size_t i = 0; i < reqs.size(); ++i) {
      const Request& q = requests[reqs[i]];
      for (int64_t s : dst[i]) {
        src_rows.push_back(static_cast<int64_t>(i));
        dst_slots.push_back(s);
        toks.push_back(q.prompt.back());
        lens.push_back(static_cast<int64_t>(q.prompt.size()) - 1);
        params.push_back(q.params);
        seeds.push_back(q.params.seed + static_cast<uint64_t>(host[s].sample));
      }
    }
    const at::Tensor dst_t = at::tensor(dst_slots, at::kLong).to(device);
    if (P > 0) {
      // Right padding: prompt tokens sit at columns 0..p-2 as in their slots; padding comes after
      // them, so causal attention never lets a prompt token see it.
      const int64_t Rn = static_cast<int64_t>(reqs.size());
      std::vector<int64_t> ids(Rn * P, 0), valid(Rn * P, 0);
      for (int64_t i = 0; i < Rn; ++i) {
        const auto& prompt = requests[reqs[i]].prompt;
        for (size_t t = 0; t + 1 < prompt.size(); ++t) {
          ids[i * P + t] = prompt[t];
          valid[i * P + t] = 1;
        }
      }
      KVCache tmp = KVCache::allocate(cfg, Rn, P, model_.options());
      const auto i64 = at::TensorOptions().dtype(at::kLong).device(device);
      model_.hidden(at::tensor(ids, at::kLong).view({Rn, P}).to(device),
                    {at::arange(P, i64).unsqueeze(0).expand({Rn, P}),
                     at::tensor(valid, at::kLong).view({Rn, P}).to(device).to(at::kBool), &tmp});
      R.cache.copy_rows_from(tmp, at::tensor(src_rows, at::kLong).to(device), dst_t, P);
    }
    DecodeState& st = R.state;
    st.tok.index_copy_(0, dst_t, at::tensor(toks, at::kLong).to(device));
    st.len.index_copy_(0, dst_t, at::tensor(lens, at::kLong).to(device));
    st.counter.index_fill_(0, dst_t, 0);
    const SamplerRows rows = SamplerRows::make(params, seeds, device);
    st.rows.temperature.index_copy_(0, dst_t, rows.temperature);
    st.rows.top_p.index_copy_(0, dst_t, rows.top_p);
    st.rows.top_k.index_copy_(0, dst_t, rows.top_k);
    st.rows.seed.index_copy_(0, dst_t, rows.seed);
    st.len.narrow(0, 0, 1).cpu();  // wait for the prefill, so that its time is not charged to decoding
    stats_.prefill_s += seconds_since(t0);
    ++stats_.prefills;
  };

  // Once nothing is queued, moves the last sequences into the lowest slots so that the batch
  // shrinks to a smaller bucket instead of stepping empty slots.
  auto compact = [&] {
    if (!queue.empty() || live == 0) return;
    int64_t hi = 0;
    for (int64_t s = 0; s < slots; ++s)
      if (host[s].live) hi = s + 1;
    if (bucket(live, slots) >= bucket(hi, slots)) return;
    std::vector<int64_t> src, dst;
    int64_t columns = 0, next = 0;
    for (int64_t s = live; s < hi; ++s) {
      if (!host[s].live) continue;
      while (host[next].live) ++next;
      src.push_back(s);
      dst.push_back(next);
      columns = std::max(columns, host[s].len);
      host[next] = host[s];
      host[s].live = false;
    }
    const at::Tensor src_t = at::tensor(src, at::kLong).to(device), dst_t = at::tensor(dst, at::kLong).to(device);
    R.cache.copy_rows_from(R.cache, src_t, dst_t, columns);
    DecodeState& st = R.state;
    for (at::Tensor* t :
         {&st.tok, &st.len, &st.counter, &st.rows.temperature, &st.rows.top_p, &st.rows.top_k, &st.rows.seed})
      t->index_copy_(0, dst_t, t->index_select(0, src_t));
  };

  while (true) {
    admit();
    if (live == 0) break;
    int64_t hi = 0, max_len = 0, w = options_.sync_every;
    bool any_filter = false;
    double live_cols = 0;
    for (int64_t s = 0; s < slots; ++s) {
      if (!host[s].live) continue;
      const SamplingParams& p = requests[host[s].request].params;
      hi = s + 1;
      max_len = std::max(max_len, host[s].len);
      w = std::min(w, p.max_new_tokens - static_cast<int64_t>(out[host[s].request][host[s].sample].tokens.size()));
      any_filter = any_filter || p.filters();
      live_cols += static_cast<double>(host[s].len) + 1;
    }
    const int64_t B = bucket(hi, slots);
    const int64_t span = std::min(R.capacity, round_up(max_len + w, kSpanQuantum));
    KVCache view = slot_view(R.cache, R.state, B, span);
    const std::string key = std::to_string(B) + "x" + std::to_string(span) + (any_filter ? "f" : "");
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < w; ++i)
      R.graphs.run(key, [&] { decode_step(model_, view, R.state, B, any_filter, options_.decode_kernels); });
    // The one host sync of the window: the tokens and logprobs of its w steps.
    const at::Tensor toks = R.state.out_tok.narrow(0, 0, B).narrow(1, 0, w).cpu().contiguous();
    const at::Tensor lps = R.state.out_lp.narrow(0, 0, B).narrow(1, 0, w).cpu().contiguous();
    R.state.col.zero_();
    stats_.decode_s += seconds_since(t0);
    stats_.steps += w;
    ++stats_.syncs;
    stats_.kv_bytes_read += static_cast<double>(w) * B * span * kv_per_token;
    stats_.kv_bytes_live += (live_cols * w + 0.5 * w * (w - 1) * live) * kv_per_token;
    const int64_t* tp = toks.data_ptr<int64_t>();
    const float* lp = lps.data_ptr<float>();
    for (int64_t s = 0; s < B; ++s)
      for (int64_t i = 0; i < w && host[s].live; ++i)
        consume(host[s], static_cast<int32_t>(tp[s * w + i]), lp[s * w + i]);
    compact();
  }
  stats_.graphs = R.graphs.captured();
  return out;
}

}  // namespace spct
