#!/usr/bin/env python3
"""The table of docs/distributed.md ("What fits where"): runs `spct plan` for each case below and
prints one markdown row per case. Usage: scripts/plan_table.py [path/to/spct] (default build/spct)."""
import subprocess
import sys

SPCT = sys.argv[1] if len(sys.argv) > 1 else "build/spct"
SHAPES = "bench/shapes/"
COMMON = ["--activation-checkpointing", "true", "--dtype", "bfloat16", "--kv-budget-gb", "16"]

# (model, shape, GPUs, GB per GPU, ZeRO stage, stages, micro-batch, extra flags)
RFT = ["--reference", "false", "--rollout", "true"]    # sampling, no reference model
GRPO = ["--reference", "true", "--rollout", "true"]    # sampling and a frozen reference
CASES = [
    ("Gemma-2-27B", "gemma-2-27b", 8, 141, 2, "RFT", 1, RFT),
    ("Gemma-2-27B", "gemma-2-27b", 8, 141, 2, "GRPO", 1, GRPO),
    ("Gemma-2-27B", "gemma-2-27b", 8, 141, 3, "RFT", 1, RFT),
    ("Gemma-2-27B", "gemma-2-27b", 8, 141, 3, "GRPO", 1, GRPO),
    ("Gemma-2-27B", "gemma-2-27b", 16, 80, 2, "RFT", 1, RFT),
    ("Gemma-2-27B", "gemma-2-27b", 16, 80, 3, "RFT", 1, RFT),
    ("Gemma-2-27B", "gemma-2-27b", 16, 80, 3, "RFT, external samples", 1, ["--reference", "false", "--rollout", "false"]),
    ("Qwen2.5-7B", "qwen2.5-7b", 1, 141, 0, "RFT", 2, RFT),
    ("Qwen2.5-7B", "qwen2.5-7b", 1, 141, 0, "GRPO", 2, GRPO),
    ("Qwen2.5-7B", "qwen2.5-7b", 8, 80, 1, "GRPO", 4, GRPO),
    ("Qwen2.5-7B", "qwen2.5-7b", 8, 80, 2, "GRPO", 4, GRPO),
    ("Qwen2.5-1.5B", "qwen2.5-1.5b", 1, 80, 0, "GRPO", 8, GRPO),
    ("Qwen2.5-1.5B", "qwen2.5-1.5b", 1, 24, 0, "GRPO", 2, GRPO),
    ("Qwen2.5-0.5B", "qwen2.5-0.5b", 1, 24, 0, "GRPO", 8, GRPO),
]
ROWS = ["weights", "gradients", "master + Adam moments", "activations", "logits chunk", "reference model",
        "rollout full weights", "KV cache + sampler", "training peak", "rollout peak"]


def plan(case):
    name, shape, gpus, gb, zero, stages, micro, extra = case
    args = [SPCT, "plan", "--model", SHAPES + shape + ".json", "--world", str(gpus), "--zero-stage", str(zero),
            "--micro-batch", str(micro), "--seq-len", "3072", "--gpu-gb", str(gb)] + COMMON + extra
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode not in (0, 1) or "peak" not in out.stdout:
        sys.exit(f"{' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    values = {}
    for line in out.stdout.splitlines():
        for row in ROWS:
            if line.strip().startswith(row + " ") or line.strip() == row:
                values[row] = float(line.split()[len(row.split())])
    return values, out.returncode == 0


print("| model | GPUs | ZeRO | stage | micro-batch | " + " | ".join(ROWS) + " | fits |")
print("|---" * (len(ROWS) + 6) + "|")
for case in CASES:
    values, fits = plan(case)
    name, shape, gpus, gb, zero, stages, micro, extra = case
    cells = [f"{values[r]:.1f}" for r in ROWS]
    print(f"| {name} | {gpus} x {gb} GB | {zero} | {stages} | {micro} x 3072 | " + " | ".join(cells) +
          f" | {'yes' if fits else '**no**'} |")
