#!/usr/bin/env bash
# The SPCT demo on an existing build: makes the synthetic data and the teacher's trajectories
# (once per run directory), runs `spct run configs/demo.yaml` (finished stages are skipped, an
# interrupted one resumes; its eval stage writes report.md), draws the charts report.md links
# (scripts/plot_report.py) and prints
# the report.
# Usage: scripts/demo.sh SPCT_BINARY RUN_DIR [--small | --gpu] [spct run options, e.g. --set seed=7]
#   --small: a few items and steps (what CI runs: every stage, not the effects).
#   --gpu:   configs/demo_gpu.yaml (a larger model on one GPU) with ten times the training data.
# The test split (400 items, about 280 of them pairwise or n-way) is sized for the 15 minutes of the CPU
# demo; docs/demo.md gives the effects it can and cannot resolve.
set -euo pipefail
spct=${1:?usage: demo.sh SPCT_BINARY RUN_DIR [--small | --gpu] [spct run options]}
run=${2:?usage: demo.sh SPCT_BINARY RUN_DIR [--small | --gpu] [spct run options]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=(--train 2000 --test 400 --valid 100 --general 300)
config=$root/configs/demo.yaml
model=$root/configs/demo_model
small=()
if [ "${1:-}" = "--gpu" ]; then
  shift
  sizes=(--train 20000 --test 3000 --valid 500 --general 3000)
  config=$root/configs/demo_gpu.yaml
  model=$root/configs/demo_gpu_model
elif [ "${1:-}" = "--small" ]; then
  shift
  sizes=(--train 24 --test 12 --valid 12 --general 24)
  small=(--set sft.steps=3 --set rft.steps=2 --set grpo.steps=2 --set metarm.steps=2 --set eval.k=[1,2]
         --set sft.warmup_steps=0 --set rft.warmup_steps=0 --set metarm.warmup_steps=0
         --set rollout.max_new_tokens=48)
fi
data=$run/data
templates=$root/configs/demo_templates.yaml
if [ ! -f "$data/done" ]; then
  "$spct" data synth --out "$data" --seed 1 --surface-faults 0.5 "${sizes[@]}"
  for mode in generate given none; do  # one trajectory per item in each principle mode
    "$spct" data teacher --data "$data/train.jsonl" --out "$data/teacher_$mode.jsonl" --seed 2 --samples 1 \
      --mode "$mode" --templates "$templates" --correct-rate 0.8 --style quote
  done
  cat "$data"/teacher_{generate,given,none}.jsonl > "$data/teacher.jsonl"
  # RFT's sampled trajectories (rft.trajectories): N_RFT = 3 non-hinted and 1 hinted per item.
  "$spct" data teacher --data "$data/train.jsonl" --out "$data/teacher_plain.jsonl" --seed 3 --samples 3 \
    --templates "$templates" --correct-rate 0.8 --style quote
  "$spct" data teacher --data "$data/train.jsonl" --out "$data/teacher_hinted.jsonl" --seed 4 --samples 1 \
    --hinted --templates "$templates" --correct-rate 0.8 --style quote
  cat "$data/teacher_plain.jsonl" "$data/teacher_hinted.jsonl" > "$data/teacher_rft.jsonl"
  touch "$data/done"
fi
"$spct" run "$config" --set "run_dir=$run" --set "rollout.templates=$templates" \
  --set "model.path=$model" --set "model.tokenizer=$root/configs/demo_model" \
  --set "data.train=$data/train.jsonl" --set "data.test=$data/test.jsonl" \
  --set "data.general_sft=$data/general_sft.jsonl" --set "data.teacher=$data/teacher.jsonl" \
  --set "rft.trajectories=$data/teacher_rft.jsonl" "${small[@]}" "$@"
# The charts report.md links, with Debian's matplotlib (scripts/install_deps.sh installs it).
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3
"$python" "$root/scripts/plot_report.py" "$run" > /dev/null
echo
cat "$run/report.md"
