#include "trainer/optim/zero.h"

#include <c10/core/GradMode.h>

#include <algorithm>
#include <set>

#include "core/error.h"

namespace spct {

std::vector<int> zero_owners(const std::vector<int64_t>& numels, int world) {
  SPCT_CHECK(world >= 1, "zero_owners: world size must be >= 1, got ", world);
  std::vector<int64_t> load(world, 0);
  std::vector<int> owners;
  for (int64_t n : numels) {
    const int r = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    owners.push_back(r);
    load[r] += n;
  }
  return owners;
}

std::vector<int> zero_owners(const NamedTensors& params, int world) {
  std::vector<int64_t> numels;
  for (const auto& [name, p] : params) numels.push_back(p.numel());
  return zero_owners(numels, world);
}

NamedTensors owned_params(const NamedTensors& params, const std::vector<int>& owners, int rank) {
  NamedTensors out;
  for (size_t i = 0; i < params.size(); ++i)
    if (owners[i] == rank) out.push_back(params[i]);
  return out;
}

void broadcast_from_owners(Dist& dist, const NamedTensors& params, const std::vector<int>& owners) {
  c10::NoGradGuard no_grad;
  // Every rank walks the same owners, dtypes and buckets, so the broadcasts pair up.
  for (int owner = 0; owner < dist.world_size(); ++owner) {
    std::vector<at::ScalarType> dtypes;
    for (size_t i = 0; i < params.size(); ++i) {
      const at::ScalarType t = params[i].second.scalar_type();
      if (owners[i] == owner && std::find(dtypes.begin(), dtypes.end(), t) == dtypes.end()) dtypes.push_back(t);
    }
    for (at::ScalarType dtype : dtypes) {
      std::vector<at::Tensor> bucket;
      int64_t bytes = 0;
      auto flush = [&] {
        if (bucket.empty()) return;
        std::vector<at::Tensor> parts;
        for (const at::Tensor& t : bucket) parts.push_back(t.reshape({-1}));
        std::vector<at::Tensor> flat{at::cat(parts)};
        dist.broadcast(flat, owner);
        if (dist.rank() != owner) {
          int64_t offset = 0;
          for (at::Tensor& t : bucket) {
            t.copy_(flat[0].narrow(0, offset, t.numel()).view(t.sizes()));
            offset += t.numel();
          }
        }
        bucket.clear();
        bytes = 0;
      };
      for (size_t i = 0; i < params.size(); ++i) {
        const at::Tensor& p = params[i].second;
        if (owners[i] != owner || p.scalar_type() != dtype || p.numel() == 0) continue;
        if (!bucket.empty() && bytes + static_cast<int64_t>(p.nbytes()) > dist.bucket_bytes()) flush();
        bucket.push_back(p);
        bytes += static_cast<int64_t>(p.nbytes());
      }
      flush();
    }
  }
}

NamedTensors select_optimizer_state(const std::vector<NamedTensors>& shards, const NamedTensors& owned,
                                    const std::string& origin) {
  std::set<std::string> names;
  for (const auto& [name, p] : owned) names.insert(name);
  NamedTensors out;
  at::Tensor step;
  for (size_t s = 0; s < shards.size(); ++s)
    for (const auto& [entry, t] : shards[s]) {
      if (entry == "step") {
        SPCT_CHECK(!step.defined() || at::equal(step, t), origin, ": optimizer shard ", s, " has step ",
                   t.item<int64_t>(), ", an earlier one ", step.item<int64_t>());
        step = t;
        continue;
      }
      const size_t dot = entry.find('.');
      SPCT_CHECK(dot != std::string::npos, origin, ": optimizer entry '", entry, "' is not <kind>.<param>");
      if (names.count(entry.substr(dot + 1))) out.emplace_back(entry, t);
    }
  SPCT_CHECK(step.defined(), origin, ": optimizer state has no 'step'");
  out.insert(out.begin(), {"step", step});
  return out;  // AdamW::load_state checks that exactly the owned parameters' entries are here
}

}  // namespace spct
