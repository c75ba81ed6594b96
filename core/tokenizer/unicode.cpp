#include "core/tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <vector>

#include "core/tokenizer/unicode_tables.h"

namespace spct::tok {
namespace {

using tables::CodeRange;

bool in_ranges(const CodeRange* r, size_t n, char32_t cp) {
  const CodeRange* end = r + n;
  const CodeRange* it = std::upper_bound(r, end, cp, [](char32_t c, const CodeRange& x) { return c < x.lo; });
  return it != r && cp <= (it - 1)->hi;
}

enum Flag : uint8_t { kLetterF = 1, kNumberF = 2, kRegexSpaceF = 4, kPythonSpaceF = 8, kNfcUnsafeF = 16 };

// Property bits for the BMP, built once; code points above it use binary search.
struct BmpFlags {
  std::array<uint8_t, 0x10000> bits{};
  BmpFlags() {
    auto mark = [&](const CodeRange* r, size_t n, uint8_t f) {
      for (size_t i = 0; i < n && r[i].lo < 0x10000; ++i)
        for (char32_t c = r[i].lo; c <= std::min<char32_t>(r[i].hi, 0xFFFF); ++c) bits[c] |= f;
    };
    mark(tables::kLetter, tables::kLetter_size, kLetterF);
    mark(tables::kNumber, tables::kNumber_size, kNumberF);
    mark(tables::kRegexSpace, tables::kRegexSpace_size, kRegexSpaceF);
    mark(tables::kPythonSpace, tables::kPythonSpace_size, kPythonSpaceF);
    mark(tables::kNfcUnsafe, tables::kNfcUnsafe_size, kNfcUnsafeF);
  }
};
const BmpFlags& bmp() {
  static const BmpFlags flags;
  return flags;
}

bool has(char32_t cp, uint8_t flag, const CodeRange* r, size_t n) {
  if (cp < 0x10000) return bmp().bits[cp] & flag;
  return in_ranges(r, n, cp);
}

// ---- Hangul (algorithmic, Unicode 3.12) ------------------------------------------------------
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr int kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

void decompose_into(char32_t cp, std::vector<char32_t>& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    int s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  const auto* d = tables::kDecomposition;
  const auto* end = d + tables::kDecomposition_size;
  const auto* it = std::lower_bound(d, end, cp, [](const tables::Decomposition& x, char32_t c) { return x.cp < c; });
  if (it != end && it->cp == cp) {
    out.insert(out.end(), tables::kDecompositionPool + it->offset,
               tables::kDecompositionPool + it->offset + it->length);
  } else {
    out.push_back(cp);
  }
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  const auto* c = tables::kComposition;
  const auto* end = c + tables::kComposition_size;
  const auto* it = std::lower_bound(c, end, std::make_pair(a, b), [](const tables::Composition& x, auto key) {
    return x.first != key.first ? x.first < key.first : x.second < key.second;
  });
  return (it != end && it->first == a && it->second == b) ? it->composite : 0;
}

// Length of the valid prefix of the sequence starting at s[i] and whether it is complete.
int utf8_sequence(std::string_view s, size_t i, bool* complete) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  int need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80) {
    *complete = true;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF)
    need = 1;
  else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    *complete = false;
    return 1;
  }
  int len = 1;
  for (int k = 0; k < need; ++k) {
    if (i + len >= s.size()) {
      *complete = false;
      return len;
    }
    unsigned char x = b(i + len);
    if (x < (k == 0 ? lo : 0x80) || x > (k == 0 ? hi : 0xBF)) {
      *complete = false;
      return len;
    }
    ++len;
  }
  *complete = true;
  return len;
}

}  // namespace

char32_t decode_utf8(std::string_view s, size_t i, int* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  bool complete;
  *len = utf8_sequence(s, i, &complete);
  if (!complete) return 0xFFFD;
  char32_t cp = c & (0x7F >> *len);
  for (int k = 1; k < *len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_letter(char32_t cp) { return has(cp, kLetterF, tables::kLetter, tables::kLetter_size); }
bool is_number(char32_t cp) { return has(cp, kNumberF, tables::kNumber, tables::kNumber_size); }
bool is_regex_space(char32_t cp) { return has(cp, kRegexSpaceF, tables::kRegexSpace, tables::kRegexSpace_size); }
bool is_python_space(char32_t cp) { return has(cp, kPythonSpaceF, tables::kPythonSpace, tables::kPythonSpace_size); }

uint8_t combining_class(char32_t cp) {
  const auto* r = tables::kCombiningClass;
  const auto* end = r + tables::kCombiningClass_size;
  const auto* it = std::upper_bound(r, end, cp, [](char32_t c, const tables::CombiningClass& x) { return c < x.lo; });
  return (it != r && cp <= (it - 1)->hi) ? (it - 1)->ccc : 0;
}

std::string nfc(std::string_view s) {
  bool needed = false;
  for (size_t i = 0; i < s.size() && !needed;) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    int len;
    char32_t cp = decode_utf8(s, i, &len);
    needed = has(cp, kNfcUnsafeF, tables::kNfcUnsafe, tables::kNfcUnsafe_size);
    i += len;
  }
  if (!needed) return std::string(s);

  std::vector<char32_t> buf;
  buf.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    int len;
    char32_t cp = decode_utf8(s, i, &len);
    decompose_into(cp, buf);
    i += len;
  }
  // Canonical ordering: a stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < buf.size();) {
    if (combining_class(buf[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < buf.size() && combining_class(buf[j]) != 0) ++j;
    std::stable_sort(buf.begin() + i, buf.begin() + j,
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  // Canonical composition (the sample algorithm of UAX #15).
  if (!buf.empty()) {
    size_t starter = 0, out = 1;
    int last_class = combining_class(buf[0]) ? 256 : 0;
    for (size_t i = 1; i < buf.size(); ++i) {
      char32_t ch = buf[i];
      int cls = combining_class(ch);
      char32_t composite = compose_pair(buf[starter], ch);
      if (composite && (last_class < cls || last_class == 0)) {
        buf[starter] = composite;
        continue;
      }
      if (cls == 0) starter = out;
      last_class = cls;
      buf[out++] = ch;
    }
    buf.resize(out);
  }
  std::string result;
  result.reserve(s.size());
  for (char32_t cp : buf) append_utf8(result, cp);
  return result;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    bool complete;
    int len = utf8_sequence(bytes, i, &complete);
    if (complete)
      out.append(bytes.substr(i, len));
    else
      out += "\xEF\xBF\xBD";
    i += len;
  }
  return out;
}

bool is_valid_utf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    bool complete;
    i += utf8_sequence(bytes, i, &complete);
    if (!complete) return false;
  }
  return true;
}

size_t incomplete_utf8_suffix(std::string_view bytes) {
  // A sequence is at most 4 bytes, so only the last 3 can start an incomplete one.
  size_t start = bytes.size() > 3 ? bytes.size() - 3 : 0;
  for (size_t i = start; i < bytes.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 0xC2 || c > 0xF4) continue;  // ASCII, continuation or never-valid: nothing pending
    bool complete;
    int len = utf8_sequence(bytes, i, &complete);
    if (!complete && i + len == bytes.size()) return bytes.size() - i;
  }
  return 0;
}

}  // namespace spct::tok
