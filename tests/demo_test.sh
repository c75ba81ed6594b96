#!/usr/bin/env bash
# CI check of the main job (issue 7): scripts/demo.sh --small runs every stage of configs/demo.yaml
# with few items and steps; then the stage models, the eval results (with per-item correctness and
# intervals), report.md (with the findings' paired tests) and its plots must exist and every number
# must be a rate in [0, 1]. The effects themselves need the full demo.
# Usage: tests/demo_test.sh SPCT_BINARY
set -euo pipefail
spct=${1:?usage: demo_test.sh SPCT_BINARY}
root=$(cd "$(dirname "$0")/.." && pwd)
run=$(mktemp -d)/demo
trap 'rm -rf "$(dirname "$run")"' EXIT
bash "$root/scripts/demo.sh" "$spct" "$run" --small --set logging.progress=false > "$run.log" 2>&1 ||
  { tail -40 "$run.log"; echo "demo_test: scripts/demo.sh failed"; exit 1; }
fail() { echo "demo_test: $*"; tail -20 "$run.log"; exit 1; }
for stage in sft rft grpo metarm; do
  [ -f "$run/$stage/model/config.json" ] || fail "stage $stage wrote no model"
done
[ -f "$run/eval/done" ] || fail "the eval stage did not finish"
for section in "Accuracy by stage" "Inference-time scaling" "Principle modes" "The paper's findings"; do
  grep -q "$section" "$run/report.md" || fail "report.md has no section '$section'"
done
grep -q "| McNemar p | verdict |" "$run/report.md" || fail "report.md has no paired tests of the findings"
for png in report_stages report_k report_modes; do  # drawn by scripts/plot_report.py (demo.sh runs it)
  [ -s "$run/$png.png" ] || fail "plot $png.png is missing"
  [ "$(head -c 8 "$run/$png.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$png.png is not a PNG"
  grep -qF "]($png.png)" "$run/report.md" || fail "report.md does not link $png.png"
done
/usr/bin/python3 - "$run" <<'PY' || fail "results out of range"
import json, math, sys
run = sys.argv[1]
paths = [f"{run}/eval/stages/{s}/results.json" for s in ("sft", "rft", "grpo")]
paths += [f"{run}/eval/{m}/results.json" for m in ("generate", "given", "none")]
for path in paths:
    results = json.load(open(path))
    methods = results["methods"]
    assert {m["method"] for m in methods} >= {"greedy", "voting"}, path
    for m in methods:
        # per-item correctness (null: single-response) and the accuracy's 95% interval
        assert len(m["item_correct"]) == results["items"], (path, m["method"], m["k"])
        assert all(c in (0, 1, None) for c in m["item_correct"]), (path, m["method"], m["k"])
        ci = m["overall"]["accuracy_interval"]
        assert ci is None or 0.0 <= ci[0] <= m["overall"]["accuracy"] <= ci[1] <= 1.0, (path, m["method"], ci)
        for key in ("accuracy", "auc", "malformed_rate"):
            v = m["overall"][key]
            assert v is None or (0.0 <= v <= 1.0 and not math.isnan(v)), (path, m["method"], m["k"], key, v)
print("demo_test: results in range:", len(paths), "files")
PY
/usr/bin/python3 "$root/scripts/compare_runs.py" "$run" | grep -q "^| $run | [01]\.[0-9]* |" ||
  fail "scripts/compare_runs.py printed no row for the run"
echo "demo_test: ok"
