#!/usr/bin/env bash
# The README's first command: installs and builds if needed, then runs the SPCT demo on a tiny
# model trained from scratch, configs/demo_model (scripts/demo.sh: synthetic data, teacher trajectories, `spct run
# configs/demo.yaml`, which writes the report, then scripts/plot_report.py for its charts) and prints runs/demo/report.md. Interrupt it and run it again:
# finished stages are skipped and the interrupted one resumes from its checkpoint.
# Extra arguments go to `spct run`; a different seed wants its own run directory:
#   SPCT_RUN_DIR=runs/demo7 bash scripts/run_demo.sh --set seed=7
# On one GPU (a CUDA build), the larger preset configs/demo_gpu.yaml: bash scripts/run_demo.sh --gpu
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SPCT_BUILD_TARGET=spct bash "$root/scripts/setup.sh"  # the demo needs the spct binary only
cd "$root"
default_run=runs/demo
[ "${1:-}" = "--gpu" ] && default_run=runs/demo_gpu  # the GPU preset: configs/demo_gpu.yaml
exec bash scripts/demo.sh "${SPCT_BUILD_DIR:-$root/build}/spct" "${SPCT_RUN_DIR:-$default_run}" "$@"
