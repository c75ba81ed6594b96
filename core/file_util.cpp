#include "core/file_util.h"

#include <zlib.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace spct {

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      SPCT_CHECK(out.good(), path, ": cannot open for writing: ", std::strerror(errno));
      write(out);
      out.flush();
      SPCT_CHECK(out.good(), path, ": write failed: ", std::strerror(errno));
    }
    int fd = ::open(tmp.c_str(), O_RDONLY);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
    std::filesystem::rename(tmp, path);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SPCT_CHECK(in.good(), path, ": cannot open: ", std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json read_json_file(const std::string& path) {
  const std::string text = read_text_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw_error(path, ": not valid JSON: ", e.what());
  }
}

uint32_t crc32(std::string_view data, uint32_t crc) {
  // zlib's crc32 takes a 32-bit length: feed it in pieces below 1 GiB.
  uLong c = crc;
  for (size_t at = 0; at < data.size(); at += 1u << 30) {
    const size_t n = std::min<size_t>(data.size() - at, 1u << 30);
    c = ::crc32(c, reinterpret_cast<const Bytef*>(data.data() + at), static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(c);
}

}  // namespace spct
