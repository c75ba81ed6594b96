// UTF-8 and Unicode properties for the tokenizers: code point classes the pre-tokenizer patterns
// use (\p{L}, \p{N}, \s), NFC, and Rust-compatible lossy UTF-8 (what HF decoders produce).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace spct::tok {

// Decodes the code point at s[i]. An ill-formed sequence yields U+FFFD with *len set to its
// maximal valid prefix (at least 1 byte), the unit Rust's from_utf8_lossy replaces.
char32_t decode_utf8(std::string_view s, size_t i, int* len);
void append_utf8(std::string& out, char32_t cp);

bool is_letter(char32_t cp);        // \p{L}
bool is_number(char32_t cp);        // \p{N}
bool is_regex_space(char32_t cp);   // \s in Oniguruma, Rust char::is_whitespace
bool is_python_space(char32_t cp);  // Python str.isspace (Jinja's trim)
uint8_t combining_class(char32_t cp);

// Canonical composition (Unicode NFC). Returns the input unchanged when it has no character that
// NFC could alter, which is the common case and costs one table lookup per character.
std::string nfc(std::string_view s);

// Rust String::from_utf8_lossy: each maximal ill-formed subpart becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);
// Length of a trailing sequence that is a valid but incomplete UTF-8 prefix (0 if none).
size_t incomplete_utf8_suffix(std::string_view bytes);

}  // namespace spct::tok
