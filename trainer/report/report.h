// The run report: run_dir/report.md, built from what the eval stage wrote (run_dir/eval/<mode>/
// results.json for the final GRM, run_dir/eval/stages/<stage>/results.json for the greedy
// accuracy of each training stage's model). It puts the numbers in three tables (by stage, by k,
// by principle mode; accuracies with their 95% intervals) and, for each of the paper's findings, a
// paired comparison on the same items: the difference, its 95% bootstrap interval, the exact
// McNemar p and a verdict "holds" / "reversed" / "within noise" (rewards/rules/stats.h).
// It links the PNG charts that scripts/plot_report.py draws beside it from the same files, with
// matplotlib (report_stages.png, report_k.png, report_modes.png; scripts/demo.sh runs it).
#pragma once
#include <string>

namespace spct {

// Writes run_dir/report.md (atomically) and returns
// the report's text. Throws spct::Error naming the file if run_dir holds no eval results or one of
// them is malformed.
std::string write_report(const std::string& run_dir);

}  // namespace spct
