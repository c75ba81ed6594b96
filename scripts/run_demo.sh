#!/usr/bin/env bash
# The README's first command. Installs and builds if needed, then runs the main job on the
# embedded default. Until the SPCT pipeline (`spct run configs/demo.yaml`) is built, the main
# job is `spct generate` on the built-in tiny model (random weights: the text is noise, the point
# is that the model, KV cache and sampler run end to end).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
build=${SPCT_BUILD_DIR:-$root/build}
"$build/spct" generate --model tiny --prompt "Which response is better?" --max-new-tokens 48 \
  --temperature 0.8 --top-p 0.95 --seed 1 --n 2
