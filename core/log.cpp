#include "core/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "core/error.h"

namespace spct::log {
namespace {
Level g_level = Level::info;
int g_rank = 0;
int g_world = 1;
bool g_all_ranks = false;
std::mutex g_mutex;

const char* tag(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "?";
}
}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }
void set_rank(int rank, int world_size) {
  g_rank = rank;
  g_world = world_size;
}
void set_all_ranks(bool all_ranks) { g_all_ranks = all_ranks; }

Level parse_level(const std::string& name) {
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn" || name == "warning") return Level::warn;
  if (name == "error") return Level::error;
  throw_error("unknown log level '", name, "' (expected debug, info, warn or error)");
}

void write(Level level, const std::string& msg) {
  if (level < g_level) return;
  const bool important = level >= Level::warn;
  if (!important && !g_all_ranks && g_rank != 0) return;
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", std::localtime(&now));
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_world > 1)
    std::fprintf(stderr, "[%s %s rank %d] %s\n", stamp, tag(level), g_rank, msg.c_str());
  else
    std::fprintf(stderr, "[%s %s] %s\n", stamp, tag(level), msg.c_str());
  std::fflush(stderr);
}

}  // namespace spct::log
