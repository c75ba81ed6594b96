#!/usr/bin/env python3
"""Loads an HF directory written by `spct export` with HF transformers and compares its logits
with a fixture's reference.safetensors. Exit 1 on any mismatch above the tolerance.

    python3 scripts/check_hf_export.py EXPORTED_DIR tests/fixtures/models/llama/reference.safetensors
"""
import sys

import torch
import transformers
from safetensors.torch import load_file


def main():
    out_dir, ref_path = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
    model = transformers.AutoModelForCausalLM.from_pretrained(out_dir, attn_implementation="eager")
    model = model.float().eval()
    ref = load_file(ref_path)
    worst = 0.0
    i = 0
    while f"ids_{i}" in ref:
        with torch.no_grad():
            logits = model(ref[f"ids_{i}"][None]).logits[0]
        worst = max(worst, (logits - ref[f"logits_{i}"]).abs().max().item())
        i += 1
    print(f"{out_dir}: {i} sequences, max |logits - reference| = {worst:.3g} (tolerance {tol})")
    sys.exit(0 if i > 0 and worst <= tol else 1)


if __name__ == "__main__":
    main()
