// Tokenizer throughput on a generated mixed-language corpus (the same one bench/hf_tokenizer_bench.py
// generates, checked by the printed FNV-1a hash), one thread, documents split at blank lines.
//
//   tokenizer_bench [--mb 10] [--corpus FILE] DIR...
//
// Prints one table row per tokenizer directory: a cold pass (empty BPE cache) and a warm one.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tokenizer/tokenizer.h"

namespace {

// 64-bit LCG; bench/hf_tokenizer_bench.py implements the same generator.
struct Lcg {
  uint64_t state = 42;
  uint64_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  }
};

const char* const kWords[] = {
    "the",        "model", "reward",     "tokenizer", "data",       "loading",  "is",      "not",     "a",
    "bottleneck", "It's",  "we'll",      "DON'T",     "function",   "return",   "x",       "=",       "f(x)",
    "{",          "}",     "print(",     ");",        "Der",        "schnelle", "Fuchs",   "über",    "Straße",
    "Ça",         "va",    "très",       "bien",      "Привет",     "мир",      "быстрая", "你好",    "世界",
    "机器学习",   "模型",  "こんにちは", "カタカナ",  "안녕하세요", "세계",     "مرحبا",   "بالعالم", "नमस्ते",
    "दुनिया",      "Γειά",  "σου",        "😀",         "👍🏽",   "🎉",        "café",    "naïve",   "e\xCC\x81",
    "—",          "...",   "\"quoted\"", "(paren)",   "#",          "//",       "<div>",
};
const char* const kSeparators[] = {" ", " ", " ", " ", " ", " ", "  ", "\n", "\t", ", ", ". ", "\n\n"};

std::string make_corpus(size_t bytes) {
  Lcg rng;
  std::string out;
  out.reserve(bytes + 64);
  const size_t n_words = sizeof(kWords) / sizeof(kWords[0]);
  const size_t n_seps = sizeof(kSeparators) / sizeof(kSeparators[0]);
  while (out.size() < bytes) {
    uint64_t kind = rng.next() % 10;
    if (kind < 8)
      out += kWords[rng.next() % n_words];
    else
      out += std::to_string(rng.next() % 1000000);
    out += kSeparators[rng.next() % n_seps];
  }
  return out;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::vector<std::string> documents(const std::string& corpus) {
  std::vector<std::string> docs;
  size_t pos = 0;
  while (pos < corpus.size()) {
    size_t end = corpus.find("\n\n", pos);
    end = end == std::string::npos ? corpus.size() : end + 2;
    docs.push_back(corpus.substr(pos, end - pos));
    pos = end;
  }
  return docs;
}

// Also hashes every id in order, so the row can be compared with HF's for parity at scale.
double encode_all(const spct::Tokenizer& tok, const std::vector<std::string>& docs, size_t* tokens, uint64_t* hash) {
  auto start = std::chrono::steady_clock::now();
  *tokens = 0;
  *hash = 1469598103934665603ULL;
  for (const auto& d : docs) {
    auto ids = tok.encode(d, false);
    *tokens += ids.size();
    for (int32_t id : ids) *hash = (*hash ^ static_cast<uint32_t>(id)) * 1099511628211ULL;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  double mb = 10;
  std::string corpus_file;
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--mb" && i + 1 < argc)
      mb = std::atof(argv[++i]);
    else if (a == "--corpus" && i + 1 < argc)
      corpus_file = argv[++i];
    else
      dirs.push_back(a);
  }
  if (dirs.empty()) {
    std::fprintf(stderr, "usage: tokenizer_bench [--mb 10] [--corpus FILE] TOKENIZER_DIR...\n");
    return 2;
  }
  std::string corpus;
  if (corpus_file.empty()) {
    corpus = make_corpus(static_cast<size_t>(mb * 1e6));
  } else {
    std::ifstream in(corpus_file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    corpus = ss.str();
  }
  const auto docs = documents(corpus);
  std::printf("corpus: %.2f MB, %zu documents, fnv1a %016llx\n\n", corpus.size() / 1e6, docs.size(),
              static_cast<unsigned long long>(fnv1a(corpus)));
  std::printf("%-40s %12s %10s %14s %10s %14s %18s\n", "tokenizer", "tokens", "cold s", "cold tok/s", "warm s",
              "warm tok/s", "ids fnv1a");
  for (const auto& dir : dirs) {
    try {
      auto tok = spct::load_tokenizer(dir);
      size_t tokens = 0;
      uint64_t hash = 0;
      double cold = encode_all(*tok, docs, &tokens, &hash);
      double warm = encode_all(*tok, docs, &tokens, &hash);
      std::printf("%-40s %12zu %10.3f %14.0f %10.3f %14.0f %18llx\n", dir.c_str(), tokens, cold, tokens / cold, warm,
                  tokens / warm, static_cast<unsigned long long>(hash));
    } catch (const spct::Error& e) {
      std::printf("%-40s error: %s\n", dir.c_str(), e.what());
    }
  }
  return 0;
}
