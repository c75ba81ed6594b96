// The JSONL item readers on arbitrary lines; the first byte picks one: reward-model items
// (rewards/rules/rm_dataset.h, a whole file), GRM outputs for `spct reward` (rewards/rules/reward_jsonl.h) and
// teacher items (data/teacher.h). Each returns its items or throws spct::Error (file:line: field);
// a raw JSON library exception escaping is a failure.
#include <cstdint>
#include <sstream>
#include <string>

#include "core/error.h"
#include "data/teacher.h"
#include "rewards/rules/reward_jsonl.h"
#include "rewards/rules/rm_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 3) {
      case 0: {
        std::istringstream in(text);
        for (const auto& item : spct::rewards::read_rm_dataset(in, "fuzz.jsonl")) {
          const int n = static_cast<int>(item.responses.size());
          if (n < 1 || (n >= 2 && (item.best < 0 || item.best >= n)) || (n == 1 && item.label != 0 && item.label != 1))
            __builtin_trap();
        }
        break;
      }
      case 1: {
        std::istringstream in(text);
        std::ostringstream out;
        (void)spct::rewards::score_jsonl(in, out, "fuzz.jsonl");
        break;
      }
      default: {
        spct::data::TeacherConfig config;
        config.samples = 2;
        (void)spct::data::teach_item(text, 0, "fuzz.jsonl:1", config);
        break;
      }
    }
  } catch (const spct::Error&) {
  }
  return 0;
}
