// The PNG charts that run_dir/report.md links (trainer/report/report.h), drawn with core/png.h from the
// same eval results:
//   report_stages.png  bars: greedy accuracy of the sft, rft and grpo models (eval/stages/<stage>)
//   report_k.png       lines: Voting@k and MetaRM@k of the final model against k (log2 axis),
//                      greedy as a dotted horizontal line (eval/generate)
//   report_modes.png   grouped bars: greedy, Voting@k and MetaRM@k at the largest k for each
//                      principle mode (eval/generate, given, none)
// Accuracy axes run from 0 to 1; bars carry their values ("-": not measured).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace spct {

// (name, results.json parsed, or nullopt where that stage or mode has no results), in the order
// the charts show them.
using NamedResults = std::vector<std::pair<std::string, std::optional<nlohmann::json>>>;

// Writes each chart whose results exist (a chart with none is skipped) and returns the paths
// written. `modes` starts with "generate", whose results report_k.png plots.
std::vector<std::string> write_report_plots(const std::string& run_dir, const NamedResults& stages,
                                            const NamedResults& modes);

}  // namespace spct
