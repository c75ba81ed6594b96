// Rank-aware logging. Info and debug lines come from rank 0 only (unless all_ranks is set);
// warnings and errors come from every rank and carry "[rank N]" when the job has several ranks.
#pragma once
#include <sstream>
#include <string>

namespace spct::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(Level level);
Level level();
Level parse_level(const std::string& name);  // throws spct::Error naming the bad value
void set_rank(int rank, int world_size);
void set_all_ranks(bool all_ranks);
void write(Level level, const std::string& msg);

namespace detail {
template <class... Parts>
std::string join(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}
}  // namespace detail

template <class... P>
void debug(const P&... p) {
  write(Level::debug, detail::join(p...));
}
template <class... P>
void info(const P&... p) {
  write(Level::info, detail::join(p...));
}
template <class... P>
void warn(const P&... p) {
  write(Level::warn, detail::join(p...));
}
template <class... P>
void error(const P&... p) {
  write(Level::error, detail::join(p...));
}

}  // namespace spct::log
