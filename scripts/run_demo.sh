#!/usr/bin/env bash
# The README's first command: installs and builds if needed, makes the synthetic data and the
# teacher's trajectories, then runs the whole SPCT pipeline on the built-in tiny model
# (`spct run configs/demo.yaml`) and prints the evaluation tables. Interrupt it and run it again:
# finished stages are skipped and the interrupted one resumes from its checkpoint.
# Extra arguments go to `spct run`, e.g. --set seed=7 --set run_dir=runs/demo7.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
spct=${SPCT_BUILD_DIR:-$root/build}/spct
cd "$root"
data=runs/demo/data
if [ ! -f "$data/teacher_rft.jsonl" ]; then
  "$spct" data synth --out "$data" --seed 1 --train 80 --test 24 --general 120
  "$spct" data teacher --data "$data/train.jsonl" --out "$data/teacher.jsonl" --seed 2 --samples 2
  "$spct" data teacher --data "$data/train.jsonl" --out "$data/teacher_hinted.jsonl" --seed 3 --samples 1 --hinted
  cat "$data/teacher.jsonl" "$data/teacher_hinted.jsonl" > "$data/teacher_rft.jsonl.tmp"
  mv "$data/teacher_rft.jsonl.tmp" "$data/teacher_rft.jsonl"
fi
"$spct" run configs/demo.yaml "$@"
for mode in generate none; do
  echo "== eval, principles: $mode (runs/demo/eval/$mode/results.csv)"
  grep ",overall,accuracy," "runs/demo/eval/$mode/results.csv" || true
done
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 scripts/plot_scaling.py runs/demo/eval/generate/results.json runs/demo/eval/none/results.json \
    --out runs/demo/scaling.png
fi
