// Errors that reach the user: one exception type whose message already names the file, line or
// field at fault. Commands catch it at the top, print it, and exit non-zero.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace spct {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

// Builds a message from any streamable parts: throw_error("file ", path, ": bad header").
template <class... Parts>
[[noreturn]] void throw_error(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw Error(os.str());
}

#define SPCT_CHECK(cond, ...)                      \
  do {                                             \
    if (!(cond)) ::spct::throw_error(__VA_ARGS__); \
  } while (0)

}  // namespace spct
