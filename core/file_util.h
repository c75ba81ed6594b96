// Small filesystem helpers: atomic replace of a file, reading a text or JSON file, CRC-32 of bytes.
#pragma once
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace spct {

// Calls write(out) on a temporary file beside `path`, flushes it to disk and renames it over
// `path`. On any failure the temporary is removed and `path` is left as it was.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

std::string read_text_file(const std::string& path);  // throws spct::Error naming the file
// The file parsed as JSON; throws spct::Error "<path>: not valid JSON: ..." (or cannot open).
nlohmann::json read_json_file(const std::string& path);

// zlib's CRC-32 (ISO-HDLC), as the checkpoints' tensor checksums use it; pass the previous value
// to continue a running CRC. crc32("123456789") == 0xCBF43926.
uint32_t crc32(std::string_view data, uint32_t crc = 0);

}  // namespace spct
