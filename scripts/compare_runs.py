#!/usr/bin/env python3
"""One markdown table of the headline numbers of several `spct run` directories (e.g. two seeds).

    python3 scripts/compare_runs.py runs/demo runs/demo7

Columns: greedy accuracy of the sft / rft / grpo models (eval.by_stage), and for the final model
greedy, Voting@k and MetaRM@k at the largest k with principles generated, and Voting@k with
principles given and none. Reads RUN/eval/**/results.json; a missing number prints as "-".
"""
import argparse
import json
import os


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def acc(results, method, k=None):
    if not results:
        return None
    rows = [m for m in results["methods"] if m["method"] == method and (k is None or m["k"] == k)]
    if not rows:
        return None
    return max(rows, key=lambda m: m["k"])["overall"]["accuracy"]


def max_k(results):
    return max((m["k"] for m in results["methods"] if m["method"] == "voting"), default=0) if results else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    args = ap.parse_args()
    header = None
    for run in args.runs:
        stages = [load(f"{run}/eval/stages/{s}/results.json") for s in ("sft", "rft", "grpo")]
        modes = {m: load(f"{run}/eval/{m}/results.json") for m in ("generate", "given", "none")}
        k = max_k(modes["generate"])
        if header is None:
            header = ["run", "sft", "rft", "grpo", "greedy", f"Voting@{k}", f"MetaRM@{k}",
                      f"given Voting@{k}", f"none Voting@{k}"]
            print("| " + " | ".join(header) + " |")
            print("|" + "---|" * len(header))
        cells = [acc(s, "greedy", 1) for s in stages]
        gen = modes["generate"]
        cells += [acc(gen, "greedy", 1), acc(gen, "voting", k), acc(gen, "metarm", k),
                  acc(modes["given"], "voting", k), acc(modes["none"], "voting", k)]
        print("| " + " | ".join([run] + ["-" if c is None else f"{c:.3f}" for c in cells]) + " |")


if __name__ == "__main__":
    main()
