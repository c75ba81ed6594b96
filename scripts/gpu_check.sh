#!/usr/bin/env bash
# On the CUDA machine (LibTorch 2.x with CUDA, HF transformers installed): builds spct against
# the CUDA LibTorch, runs the whole test suite (parity tests add bf16-on-GPU checks there), and
# checks that HF transformers loads what `spct export` writes with the same logits.
# Usage: scripts/gpu_check.sh BUILD_DIR [LOG_DIR]
set -uo pipefail
build=${1:?usage: gpu_check.sh BUILD_DIR [LOG_DIR]}
logs=${2:-$build/logs}
mkdir -p "$logs"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
status=0
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release > "$logs/cmake.log" 2>&1 || { tail -30 "$logs/cmake.log"; exit 1; }
grep "spct:" "$logs/cmake.log"
cmake --build "$build" -j "$(nproc)" -- -k > "$logs/build.log" 2>&1 || { grep -E "error|Error" "$logs/build.log" | head -40; exit 1; }
(cd "$build" && ctest -j 8 --output-on-failure > "$logs/ctest.log" 2>&1) || status=1
tail -8 "$logs/ctest.log"
"$build/tests/test_parity" 2>&1 | grep "bf16 cuda" | tee "$logs/bf16.log"
for family in llama qwen2 qwen3 gemma2; do
  out=$(mktemp -d)/export
  "$build/spct" export --model "tests/fixtures/models/$family" --out "$out" > /dev/null 2>&1 || status=1
  python3 scripts/check_hf_export.py "$out" "tests/fixtures/models/$family/reference.safetensors" 2>&1 | tail -1 || status=1
done
# The built-in tiny model's exported config is written by spct itself: HF must load it and agree.
tiny=$(mktemp -d)/tiny
"$build/spct" export --model tiny --seed 7 --out "$tiny" > /dev/null 2>&1 || status=1
ours=$("$build/spct" generate --model "$tiny" --prompt-ids 72,101,108,108,111 --max-new-tokens 12 | tail -1)
theirs=$(python3 - "$tiny" <<'PY'
import sys, torch, transformers
m = transformers.AutoModelForCausalLM.from_pretrained(sys.argv[1]).float().eval()
ids = torch.tensor([[72, 101, 108, 108, 111]])
out = m.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=12,
                 min_new_tokens=12, eos_token_id=None, pad_token_id=0)[0, 5:]
print(",".join(str(t) for t in out.tolist()))
PY
)
echo "tiny export greedy: spct=$ours hf=$theirs"
[ "$ours" = "$theirs" ] || status=1
"$build/spct" generate --model tests/fixtures/models/llama --prompt-ids 5,6,7 --device cuda --dtype bfloat16 \
  --max-new-tokens 8 || status=1
echo "gpu_check: status $status"
exit $status
