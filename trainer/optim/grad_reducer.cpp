#include "trainer/optim/grad_reducer.h"

#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <exception>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"

namespace spct {

std::vector<GradBucket> assign_grad_buckets(const NamedTensors& params, int64_t bucket_bytes,
                                            const std::vector<int>& owners) {
  SPCT_CHECK(bucket_bytes > 0, "gradient buckets: the bucket size must be positive, got ", bucket_bytes, " bytes");
  SPCT_CHECK(owners.empty() || owners.size() == params.size(), "gradient buckets: ", owners.size(), " owners for ",
             params.size(), " parameters");
  std::vector<GradBucket> closed;
  std::vector<GradBucket> open;  // at most one per dtype and owner, in the order they opened
  std::vector<int64_t> open_bytes;
  for (size_t k = params.size(); k-- > 0;) {
    const at::Tensor& p = params[k].second;
    if (p.numel() == 0) continue;
    const at::ScalarType dtype = p.scalar_type();
    const int owner = owners.empty() ? -1 : owners[k];
    const int64_t bytes = static_cast<int64_t>(p.nbytes());
    auto it = std::find_if(open.begin(), open.end(),
                           [&](const GradBucket& b) { return b.dtype == dtype && b.owner == owner; });
    size_t j = static_cast<size_t>(it - open.begin());
    if (it != open.end() && open_bytes[j] + bytes > bucket_bytes) {
      closed.push_back(std::move(open[j]));
      open.erase(open.begin() + j);
      open_bytes.erase(open_bytes.begin() + j);
      it = open.end();
    }
    if (it == open.end()) {
      GradBucket b;
      b.dtype = dtype;
      b.owner = owner;
      open.push_back(std::move(b));
      open_bytes.push_back(0);
      j = open.size() - 1;
    }
    GradBucket& b = open[j];
    b.params.push_back(k);
    b.offsets.push_back(b.numel);
    b.numel += p.numel();
    open_bytes[j] += bytes;
  }
  for (GradBucket& b : open) closed.push_back(std::move(b));
  return closed;
}

// Runs after a parameter's AccumulateGrad node: the engine calls a node's post hooks once it has
// run, i.e. once the gradient of this backward has been added into param.grad(). Such a node runs
// once per backward (its inputs are summed first), and not at all inside the torch::autograd::grad
// calls that activation checkpointing makes (the parameters are captured there, not accumulated).
struct GradReadyHook final : torch::autograd::FunctionPostHook {
  GradReadyHook(GradReducer* reducer, size_t param) : reducer(reducer), param(param) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    reducer->on_accumulated(param);
    return outputs;
  }
  GradReducer* reducer;
  size_t param;
};

GradReducer::GradReducer(Dist& dist, const NamedTensors& params, bool overlap, std::vector<int> owners)
    : dist_(dist),
      params_(params),
      overlap_(overlap),
      owners_(std::move(owners)),
      buckets_(assign_grad_buckets(params, dist.bucket_bytes(), owners_)),
      bucket_of_(params.size(), -1),
      slot_of_(params.size(), -1) {
  for (size_t b = 0; b < buckets_.size(); ++b) {
    const GradBucket& bucket = buckets_[b];
    for (size_t s = 0; s < bucket.params.size(); ++s) {
      bucket_of_[bucket.params[s]] = static_cast<int64_t>(b);
      slot_of_[bucket.params[s]] = static_cast<int64_t>(s);
    }
    const at::Tensor& first = params_[bucket.params[0]].second;
    flats_.push_back(sharded() ? at::Tensor() : at::empty({bucket.numel}, first.options().requires_grad(false)));
  }
  if (sharded()) shards_.resize(params_.size());
  for (const auto& [name, p] : params_)
    SPCT_CHECK(p.device() == dist.device(), "gradient all-reduce: parameter ", name, " is on ", p.device(),
               " but this rank's collectives run on ", dist.device());
  if (overlap_) {
    accumulators_.resize(params_.size());
    hook_keys_.resize(params_.size(), 0);
    for (size_t i = 0; i < params_.size(); ++i) {
      const auto& [name, p] = params_[i];
      SPCT_CHECK(p.is_leaf() && p.requires_grad(), "optim.overlap_allreduce: parameter ", name,
                 " is not a leaf tensor that requires grad, so it has no gradient accumulator to hook");
      accumulators_[i] = torch::autograd::impl::grad_accumulator(p);
      SPCT_CHECK(accumulators_[i] != nullptr, "optim.overlap_allreduce: parameter ", name,
                 " has no gradient accumulator");
      hook_keys_[i] = accumulators_[i]->add_post_hook(std::make_unique<GradReadyHook>(this, i));
      accumulator_index_.emplace(accumulators_[i].get(), i);
    }
  }
  ready_.assign(params_.size(), 0);
  missing_.resize(buckets_.size());
  for (size_t b = 0; b < buckets_.size(); ++b) missing_[b] = static_cast<int64_t>(buckets_[b].params.size());
  requests_.resize(buckets_.size());
}

GradReducer::~GradReducer() {
  for (size_t i = 0; i < accumulators_.size(); ++i) accumulators_[i]->del_post_hook(hook_keys_[i]);
  if (std::uncaught_exceptions() > 0) {
    // Unwinding (this rank is failing and the job is about to end): a peer may never join the
    // reductions in flight, so do not wait for them. Their requests and buffers are left alive
    // (leaked), as MPI or NCCL may still write into the buffers.
    for (auto& r : requests_) (void)r.release();
    (void)new std::vector<at::Tensor>(std::move(flats_));
  }
  // Otherwise each unfinished request finishes as it is destroyed.
}

void GradReducer::on_accumulated(size_t param) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_ || bucket_of_[param] < 0) return;
  SPCT_CHECK(!ready_[param], "optim.overlap_allreduce: the gradient of ", params_[param].first,
             " was accumulated after it had been packed for the all-reduce (its accumulator ran although "
             "it was taken as final); set optim.overlap_allreduce: false to reduce after backward");
  mark_ready(param);
  start_ready_buckets();
  poll_oldest();
}

void GradReducer::mark_ready(size_t param) {
  c10::NoGradGuard no_grad;
  const size_t b = static_cast<size_t>(bucket_of_[param]);
  const at::Tensor& p = params_[param].second;
  if (!flats_[b].defined()) {
    flats_[b] = at::empty({buckets_[b].numel}, p.options().requires_grad(false));
    peak_buffer_bytes_ = std::max(peak_buffer_bytes_, buffer_bytes_unlocked());
  }
  const at::Tensor& grad = p.grad();
  at::Tensor dst = flats_[b].narrow(0, buckets_[b].offsets[slot_of_[param]], p.numel());
  if (grad.defined())
    dst.view(p.sizes()).copy_(grad);
  else
    dst.zero_();  // no gradient on this rank: it adds nothing to the others'
  if (sharded() && grad.defined()) p.mutable_grad().reset();  // the bucket holds it now
  ready_[param] = 1;
  ++ready_count_;
  --missing_[b];
}

// Strictly in bucket order: every rank starts the same reductions in the same order, whatever
// order its gradients arrive in.
void GradReducer::start_ready_buckets() {
  while (next_start_ < buckets_.size() && missing_[next_start_] == 0) {
    // Sharded: bounded memory; the oldest bucket in flight is consumed before another starts.
    if (sharded() && next_start_ - completed_ >= kMaxInFlight) complete(completed_++);
    const int owner = buckets_[next_start_].owner;
    requests_[next_start_] = owner < 0 ? dist_.start_all_reduce_sum(flats_[next_start_])
                                       : dist_.start_reduce_sum(flats_[next_start_], owner);
    if (armed_) {
      ++started_in_backward_;
      ready_when_started_.push_back(ready_count_);
    }
    ++next_start_;
  }
}

// MPI moves a non-blocking collective on only inside MPI calls; testing the oldest request from
// the hooks lets the reductions progress during backward.
void GradReducer::poll_oldest() {
  polled_ = std::max(polled_, completed_);
  while (polled_ < next_start_ && requests_[polled_]->poll()) ++polled_;
}

void GradReducer::complete(size_t b) {
  c10::NoGradGuard no_grad;
  requests_[b]->finish();
  requests_[b].reset();
  const GradBucket& bucket = buckets_[b];
  if (bucket.owner == dist_.rank()) {
    for (size_t s = 0; s < bucket.params.size(); ++s) {
      const size_t i = bucket.params[s];
      const at::Tensor& p = params_[i].second;
      const at::Tensor sum = flats_[b].narrow(0, bucket.offsets[s], p.numel()).view(p.sizes());
      if (shards_[i].defined())
        shards_[i].add_(sum);
      else
        shards_[i] = sum.clone();
    }
  }
  flats_[b] = at::Tensor();
}

void GradReducer::arm(const at::Tensor& loss) {
  if (!overlap_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  SPCT_CHECK(!armed_ && next_start_ == 0 && ready_count_ == 0,
             "gradient all-reduce: a step's last micro-batch began before the previous step's reduction "
             "finished (StageTrainer::backward with last_micro_batch twice without apply_gradients)");
  started_in_backward_ = 0;
  ready_when_started_.clear();
  const std::shared_ptr<torch::autograd::Node> root = loss.grad_fn();
  if (!root) return;  // backward will report that the loss does not require grad
  // Which accumulators this backward will run: those reachable from the loss's graph.
  std::vector<char> reachable(params_.size(), 0);
  std::unordered_set<const torch::autograd::Node*> seen{root.get()};
  std::vector<const torch::autograd::Node*> stack{root.get()};
  while (!stack.empty()) {
    const torch::autograd::Node* node = stack.back();
    stack.pop_back();
    const auto it = accumulator_index_.find(node);
    if (it != accumulator_index_.end()) reachable[it->second] = 1;
    for (const torch::autograd::Edge& e : node->next_edges()) {
      const torch::autograd::Node* next = e.function.get();
      if (next && seen.insert(next).second) stack.push_back(next);
    }
  }
  armed_ = true;
  // A parameter the loss does not reach keeps the gradient of the earlier micro-batches (or none).
  for (const GradBucket& bucket : buckets_)
    for (size_t i : bucket.params)
      if (!reachable[i]) mark_ready(i);
  start_ready_buckets();
}

void GradReducer::start_remaining() {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = false;
  for (size_t b = next_start_; b < buckets_.size(); ++b) {
    for (size_t i : buckets_[b].params)
      if (!ready_[i]) mark_ready(i);
    start_ready_buckets();
  }
}

void GradReducer::finish() {
  start_remaining();
  std::lock_guard<std::mutex> lock(mutex_);
  c10::NoGradGuard no_grad;
  if (sharded()) {
    while (completed_ < buckets_.size()) complete(completed_++);
  }
  for (size_t b = 0; b < buckets_.size() && !sharded(); ++b) {
    requests_[b]->finish();
    for (size_t s = 0; s < buckets_[b].params.size(); ++s) {
      const at::Tensor& p = params_[buckets_[b].params[s]].second;
      const at::Tensor sum = flats_[b].narrow(0, buckets_[b].offsets[s], p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(sum);
      else
        p.mutable_grad() = at::empty_like(p).copy_(sum);
    }
    requests_[b].reset();
  }
  for (const auto& [name, p] : params_)  // parameters without elements
    if (!p.grad().defined() && !sharded()) p.mutable_grad() = at::zeros_like(p);
  std::fill(ready_.begin(), ready_.end(), 0);
  for (size_t b = 0; b < buckets_.size(); ++b) missing_[b] = static_cast<int64_t>(buckets_[b].params.size());
  ready_count_ = 0;
  next_start_ = 0;
  polled_ = 0;
  completed_ = 0;
}

void GradReducer::install_shards() {
  SPCT_CHECK(sharded(), "GradReducer::install_shards: the reducer is not sharded");
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 0; i < params_.size(); ++i) {
    const at::Tensor& p = params_[i].second;
    if (owners_[i] == dist_.rank())
      p.mutable_grad() = shards_[i].defined() ? std::move(shards_[i]) : at::zeros_like(p);
    else
      p.mutable_grad().reset();
    shards_[i] = at::Tensor();
  }
}

int64_t GradReducer::buffer_bytes_unlocked() const {
  int64_t bytes = 0;
  for (const at::Tensor& f : flats_)
    if (f.defined()) bytes += static_cast<int64_t>(f.nbytes());
  return bytes;
}

int64_t GradReducer::buffer_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return buffer_bytes_unlocked();
}

int64_t GradReducer::peak_buffer_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::max(peak_buffer_bytes_, buffer_bytes_unlocked());
}

int64_t GradReducer::started_in_backward() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return started_in_backward_;
}

std::vector<int64_t> GradReducer::ready_when_started() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ready_when_started_;
}

}  // namespace spct
