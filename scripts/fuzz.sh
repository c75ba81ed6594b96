#!/usr/bin/env bash
# libFuzzer targets of spct's parsers (docs/fuzzing.md), built with clang, ASan and UBSan in their
# own build directory ($SPCT_FUZZ_BUILD_DIR, default build-fuzz/).
#   scripts/fuzz.sh build                 configure and build every target
#   scripts/fuzz.sh run TARGET [ARGS...]  run one target on its committed corpus (tests/fuzz/corpus/
#                                         TARGET, crash reproducers included); ARGS go to libFuzzer,
#                                         e.g. -max_total_time=5 or -runs=1000000
#   scripts/fuzz.sh ci [SECONDS]          build, then every target for SECONDS (default 5)
# New inputs go to a scratch corpus in the build directory, never into tests/fuzz/; a crash is
# written there as crash-<hash> (copy it into tests/fuzz/corpus/TARGET once fixed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SPCT_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=(safetensors_header tokenizer chat_template config jsonl_items score_parser)

build() {
  local cxx
  cxx=$(command -v clang++-14 || command -v clang++ || true)
  [ -n "$cxx" ] || { echo "fuzz.sh: clang++ not found (scripts/install_deps.sh installs clang-14)" >&2; exit 1; }
  if [ ! -f "$build/CMakeCache.txt" ]; then
    local generator=() launcher=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S "$root/tests/fuzz" -B "$build" "${generator[@]}" "${launcher[@]}" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build "$build" -j "$(nproc)"
}

run() {
  local target=$1
  shift
  local scratch=$build/corpus/$target
  mkdir -p "$scratch" "$build/artifacts"
  # -close_fd_mask=1: the targets print nothing useful; errors still reach stderr.
  "$build/fuzz_$target" -artifact_prefix="$build/artifacts/$target-" -close_fd_mask=1 -print_final_stats=1 \
    "$@" "$scratch" "$root/tests/fuzz/corpus/$target"
}

case "${1:-}" in
  build) build ;;
  run) [ $# -ge 2 ] || { echo "usage: fuzz.sh run TARGET [ARGS...]" >&2; exit 2; }; shift; run "$@" ;;
  ci)
    build
    for t in "${targets[@]}"; do run "$t" -max_total_time="${2:-5}"; done ;;
  *) sed -n '2,11p' "$0" >&2; exit 2 ;;
esac
