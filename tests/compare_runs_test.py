#!/usr/bin/env python3
"""scripts/compare_runs.py on two hand-made runs: headline means and spreads, each finding's paired
difference, its exact McNemar p (hand-worked below) and the count of runs where it is significant."""
import json
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "compare_runs.py")


def method(name, k, correct):
    right = [c for c in correct if c is not None]
    return {"method": name, "k": k, "item_correct": correct, "overall": {"accuracy": sum(right) / len(right)}}


def write(path, methods):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"methods": methods}, f)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for run, extra in (("a", 10), ("b", 3)):
            # sft: items 0-19 of 40 right; rft: also the next `extra`; one single-response item (null).
            sft = [1] * 20 + [0] * 20 + [None]
            rft = [1] * (20 + extra) + [0] * (20 - extra) + [None]
            write(f"{tmp}/{run}/eval/stages/sft/results.json", [method("greedy", 1, sft)])
            write(f"{tmp}/{run}/eval/stages/rft/results.json", [method("greedy", 1, rft)])
        out = subprocess.run([sys.executable, SCRIPT, f"{tmp}/a", f"{tmp}/b"], check=True, capture_output=True,
                             text=True).stdout
    rows = {line.split(" | ")[0].strip("| "): line for line in out.splitlines()}
    # rft 0.750 and 0.575: mean 0.6625 (printed 0.662 or 0.663), sample sd 0.175 / sqrt(2) = 0.124.
    assert "| mean | 0.500 | 0.66" in rows["mean"], out
    assert "| sd | 0.000 | 0.124 |" in rows["sd"], out
    # Run a: 10 items only rft gets right, none the other way: p = 2 / 2^10 = 0.00195.
    # Run b: 3 against 0: p = 2 / 8 = 0.25. One of two runs significant, upwards.
    f = rows["RFT - SFT (greedy)"]
    assert "+0.250 (p 0.002)" in f and "+0.075 (p 0.25)" in f and "1 / 0 of 2" in f, out
    assert "| GRPO - RFT (greedy) | - | - | - | - | 0 / 0 of 0 |" in out, out
    print("compare_runs_test: ok")


if __name__ == "__main__":
    main()
