// HF tokenizers on arbitrary input. First byte even: the rest is a tokenizer.json, loaded (or
// refused with spct::Error) and, when loaded, used to encode and decode a fixed text. Odd: the rest
// is text, encoded and decoded by each fixture tokenizer (tests/fixtures/tokenizers); every id must
// be in the vocabulary and, for byte-level BPE, decoding valid UTF-8 without special tokens must
// give the text back.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/tokenizer/hf_tokenizer.h"
#include "core/tokenizer/tokenizer.h"

namespace {

struct Fixture {
  std::unique_ptr<spct::Tokenizer> tok;
  bool lossless;  // byte-level BPE without normalizer: decode(encode(x)) == x for valid UTF-8
};

const std::vector<Fixture>& fixtures() {
  static const std::vector<Fixture> all = [] {
    std::vector<Fixture> out;
    const std::string dir = std::string(SPCT_SOURCE_DIR) + "/tests/fixtures/tokenizers/";
    for (const char* name : {"gpt2", "llama3", "qwen25", "llama2_sp", "metaspace_sp", "gemma"})
      out.push_back({spct::load_tokenizer(dir + name), std::string(name) == "gpt2" || std::string(name) == "llama3"});
    return out;
  }();
  return all;
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

void check_ids(const spct::Tokenizer& tok, const std::vector<int32_t>& ids) {
  for (int32_t id : ids)
    if (id < 0 || id >= tok.vocab_size()) __builtin_trap();
}

void load_and_use(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return;
  try {
    spct::tok::HfTokenizer tok(j, {}, "fuzz/tokenizer.json");
    const auto ids = tok.encode("Hello world, héllo 世界! 123 <|endoftext|>", true);
    check_ids(tok, ids);
    (void)tok.decode(ids, false);
  } catch (const spct::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    load_and_use(text);
    return 0;
  }
  for (const Fixture& f : fixtures()) {
    const auto ids = f.tok->encode(text, data[0] & 2);
    check_ids(*f.tok, ids);
    (void)f.tok->decode(ids, /*skip_special=*/true);
    // Added tokens may strip spaces around them (lstrip/rstrip): no round trip through those.
    const bool plain = std::none_of(ids.begin(), ids.end(), [&](int32_t id) { return f.tok->is_special(id); });
    if (f.lossless && plain && !(data[0] & 2) && valid_utf8(text) && f.tok->decode(ids, false) != text)
      __builtin_trap();
  }
  return 0;
}
