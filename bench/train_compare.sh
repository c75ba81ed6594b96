#!/usr/bin/env bash
# The headline training benchmark: spct's SFT step (build/train_bench) and HF transformers'
# (bench/hf_train_bench.py) on the same token batches, one table with the tokens/s ratio.
# Builds nothing: run `cmake --build build --target train_bench` first. On the GPU machine:
#   bench/train_compare.sh                 # all shapes, fixed 8 x 2048 and the 100-1500 mix
#   SHAPES="qwen2.5-0.5b" bench/train_compare.sh
# Env: BUILD (build dir), SHAPES, STEPS, WARMUP, HF_MICRO_MIX (HF micro-batch on the mix),
#      SPCT_ARGS / HF_ARGS (extra flags for every run of one side), PROFILE (top kernels, 0 = off).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SHAPES=${SHAPES:-"qwen2.5-0.5b qwen2.5-1.5b qwen2.5-3b"}
STEPS=${STEPS:-5}
WARMUP=${WARMUP:-2}
HF_MICRO_MIX=${HF_MICRO_MIX:-10}
PROFILE=${PROFILE:-0}
LOG=$(mktemp -d /tmp/train_compare.XXXXXX)
ROWS="$LOG/rows.jsonl"

# run NAME SHAPE BATCH SIDE ARGS...: one benchmark run, its RESULT line kept with its labels.
run() {
  local name=$1 shape=$2 batch=$3 side=$4
  shift 4
  local out="$LOG/$shape.$batch.$name.txt"
  echo "== $side $shape $batch: $*" >&2
  if [ "$side" = spct ]; then
    "$BUILD/train_bench" --shape "bench/shapes/$shape.json" --batch "$batch" --steps "$STEPS" --warmup "$WARMUP" \
      --profile "$PROFILE" ${SPCT_ARGS:-} "$@" >"$out" 2>&1 || true
  else
    python3 bench/hf_train_bench.py --shape "bench/shapes/$shape.json" --batch "$batch" --steps "$STEPS" \
      --warmup "$WARMUP" --profile "$PROFILE" ${HF_ARGS:-} "$@" >"$out" 2>&1 || true
  fi
  cat "$out" >&2
  local line
  line=$(grep '^RESULT ' "$out" | tail -1 | cut -c8-)
  [ -n "$line" ] || line='{"failed": true}'
  echo "{\"shape\": \"$shape\", \"batch\": \"$batch\", \"name\": \"$name\", \"r\": $line}" >>"$ROWS"
}

for shape in $SHAPES; do
  ckpt=()
  [ "$shape" = qwen2.5-3b ] && ckpt=(--ckpt-act)  # 8 x 2048 of the 3B shape needs it on one H200
  run spct "$shape" fixed spct "${ckpt[@]}"
  run hf "$shape" fixed hf "${ckpt[@]}"
  run spct "$shape" mix spct --packing --micro-tokens 32768 "${ckpt[@]}"
  run spct_padded "$shape" mix spct --micro "$HF_MICRO_MIX" "${ckpt[@]}"
  run hf "$shape" mix hf --micro "$HF_MICRO_MIX" "${ckpt[@]}"
done

python3 - "$ROWS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["shape"], r["batch"], r["name"]): r["r"] for r in rows}
print("\n| shape | batch | spct tokens/s | spct MFU | spct peak GiB | HF tokens/s | HF MFU | HF peak GiB | HF attention | spct / HF |")
print("|---|---|---|---|---|---|---|---|---|---|")
fmt = lambda r, k, f: "failed" if r.get("failed") else f.format(r[k])
for (shape, batch, name), r in by.items():
    if name == "hf":
        continue
    h = by.get((shape, batch, "hf"), {"failed": True})
    ratio = "" if r.get("failed") or h.get("failed") else f"**{r['tokens_per_s'] / h['tokens_per_s']:.2f}x**"
    label = batch + (" (spct padded)" if name == "spct_padded" else " (spct packed)" if batch == "mix" else "")
    print(f"| {shape} | {label} | {fmt(r, 'tokens_per_s', '{:,.0f}')} | {fmt(r, 'mfu', '{:.1%}')} | "
          f"{fmt(r, 'peak_gib', '{:.1f}')} | {fmt(h, 'tokens_per_s', '{:,.0f}')} | {fmt(h, 'mfu', '{:.1%}')} | "
          f"{fmt(h, 'peak_gib', '{:.1f}')} | {h.get('attn', '')} | {ratio} |")
print(f"\nlogs: {sys.argv[1].rsplit('/', 1)[0]}")
PY
