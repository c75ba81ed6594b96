#!/usr/bin/env bash
# Installs the build dependencies (Debian packages) and builds spct in Release mode into build/.
# Idempotent: a second run installs nothing and rebuilds only what changed.
# Usage: scripts/setup.sh [extra cmake -D options]; SPCT_BUILD_TARGET=spct builds that target only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install_deps.sh"
build=${SPCT_BUILD_DIR:-$root/build}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
elif [ $# -gt 0 ]; then
  cmake -S "$root" -B "$build" "$@"
fi
cmake --build "$build" -j "$(nproc)" ${SPCT_BUILD_TARGET:+--target "$SPCT_BUILD_TARGET"}
echo "setup: built ${SPCT_BUILD_TARGET:-everything} in $build"
