#!/usr/bin/env bash
# Installs, builds and runs the test suite. Arguments go to ctest, e.g. `scripts/test.sh -L unit`.
# Labels: unit, parity, tokenizer, dist, checkpoint, rollout, fuzz (libFuzzer, docs/fuzzing.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
build=${SPCT_BUILD_DIR:-$root/build}
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"
