// Seed mixing for the framework's random streams: every stream (a permutation, a sample, an
// epoch's shuffle) is seeded from the user's seed and the ids that name it, through splitmix64,
// so it is the same on every platform and does not depend on what else ran before it.
#pragma once
#include <cstdint>

namespace spct {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace spct
