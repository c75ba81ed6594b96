// Synthetic reward-model data that needs nothing downloaded: five small task domains whose ground
// truth a program verifies (arithmetic, sorting, counting, string transforms, instruction
// constraints). Queries and responses are tens of bytes, so a tiny byte-level model can learn to
// judge them. Each item stores its task as a structured `task` object; check_response re-verifies
// any response against it, and the teacher (data/teacher.h) writes its critiques from that check.
// Formats and sizes: docs/data.md.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace spct::data {

using Json = nlohmann::ordered_json;  // field order as written: byte-identical output per seed

// Generator version, stored in meta.json; bump it whenever the same seed gives different data.
constexpr int kSynthVersion = 1;

// A portable seeded generator: std::mt19937_64 plus our own draws, because the standard
// distributions differ between standard libraries (same reason as rewards::make_permutation).
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  int uniform(int lo, int hi);  // inclusive; lo <= hi
  double unit();                // [0, 1)
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[uniform(0, static_cast<int>(v.size()) - 1)];
  }
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (int i = static_cast<int>(v.size()) - 1; i > 0; --i) std::swap(v[i], v[uniform(0, i)]);
  }

 private:
  std::mt19937_64 gen_;
};

// A seed for one stream, mixed from the user's seed and stream numbers by splitmix64.
uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b = 0);

enum class Domain { arithmetic, sorting, counting, transform, constraints };
const std::vector<Domain>& all_domains();
const char* to_string(Domain domain);          // the item's `subset`
Domain parse_domain(const std::string& name);  // throws spct::Error naming it

enum class Kind { pairwise, nway, single };
const char* to_string(Kind kind);

// The verdict of the program checker on one response.
struct Check {
  bool ok = false;
  int severity = 0;     // 0 correct, 1 near miss (off by one, one element), 2 far off
  std::string finding;  // what is true of it, a verb phrase: "gives 41, but 17 + 25 = 42."
  std::string misread;  // a plausible but false finding with the opposite verdict
};

// Checks a response against an item's `task` object. Throws spct::Error for a malformed task.
Check check_response(const Json& task, const std::string& response);
Domain task_domain(const Json& task);

// The fixed "given" principles of a domain (principle-mode ablation), weights summing to 100%.
std::vector<std::string> given_principles(Domain domain);

struct SynthConfig {
  uint64_t seed = 0;
  int train = 2000;  // items
  int test = 400;    // items
  int valid = 0;     // items of a validation split (tune on it, never on test)
  // Probability that each wrong response of an RM item is a non-answer ("I am not sure.") instead
  // of a wrong answer: a fault visible in the response alone, which a small model trained from
  // scratch can learn to see (wrong numbers and orders need arithmetic). 0 keeps every wrong answer.
  double surface_faults = 0.0;
  int general = 1000;  // chat SFT examples
};

struct SynthData {
  std::vector<Json> train, test, valid;  // RM items (rewards::read_rm_dataset formats + "task")
  std::vector<Json> general;             // {"messages": [user, assistant]}
  Json meta;                             // counts per split/domain/kind, seed, version, sizes
};

// Deterministic in the config. No query text appears in more than one of train, test, general.
// Throws spct::Error if a size is negative or too large for the query space of the domains.
SynthData synthesize(const SynthConfig& config);

// synthesize, then writes train.jsonl, test.jsonl, valid.jsonl (when asked for), general_sft.jsonl
// and meta.json into out_dir (created if missing), each file atomically.
SynthData write_synth(const SynthConfig& config, const std::string& out_dir);

// One JSON value per line, as the writers emit it.
std::string to_jsonl(const std::vector<Json>& lines);

}  // namespace spct::data
