#!/usr/bin/env python3
"""Headline numbers and the paper's findings across several `spct run` directories (e.g. seeds).

    python3 scripts/compare_runs.py runs/demo runs/demo7 runs/demo8

Prints two markdown tables. Headlines: greedy accuracy of the sft / rft / grpo models
(eval.by_stage), and for the final model greedy, Voting@k and MetaRM@k at the largest k with
principles generated, and Voting@k with principles given and none; one row per run, then the
mean, the sample standard deviation and the range over the runs. Findings: each finding's paired
difference (a - b) per run, its mean and standard deviation over the runs, and in how many runs
the exact McNemar test on the items is below 0.05 (with the difference's sign); the per-run 95%
bootstrap intervals and verdicts are in each run's report.md. Reads RUN/eval/**/results.json; a
missing number prints as "-". The standard library only.
"""
import argparse
import json
import math
import os
import statistics


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def method(results, name, k):
    if not results:
        return None
    rows = [m for m in results["methods"] if m["method"] == name and m["k"] == k]
    return rows[0] if rows else None


def acc(results, name, k):
    m = method(results, name, k)
    return None if m is None else m["overall"]["accuracy"]


def max_k(results, name="voting"):
    return max((m["k"] for m in results["methods"] if m["method"] == name), default=0) if results else 0


def mcnemar_p(only_a, only_b):
    """Exact two-sided McNemar p (rewards/rules/stats.h): 2 P(X <= min) for X ~ Bin(n, 1/2)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1))
    return min(1.0, 2 * tail / 2 ** n)


def paired(a, b):
    """(difference, McNemar p) of two methods' per-item vectors; None without them."""
    if a is None or b is None or "item_correct" not in a or "item_correct" not in b:
        return None
    ca, cb = a["item_correct"], b["item_correct"]
    if len(ca) != len(cb):
        raise SystemExit(f"per-item vectors of {len(ca)} and {len(cb)} items: not the same benchmark")
    pairs = [(x, y) for x, y in zip(ca, cb) if x is not None and y is not None]
    if not pairs:
        return None
    only_a = sum(1 for x, y in pairs if x and not y)
    only_b = sum(1 for x, y in pairs if y and not x)
    return (only_a - only_b) / len(pairs), mcnemar_p(only_a, only_b)


def run_numbers(run):
    stages = {s: load(f"{run}/eval/stages/{s}/results.json") for s in ("sft", "rft", "grpo")}
    modes = {m: load(f"{run}/eval/{m}/results.json") for m in ("generate", "given", "none")}
    gen = modes["generate"]
    k, km = max_k(gen), max_k(gen, "metarm")
    head = {"sft": acc(stages["sft"], "greedy", 1), "rft": acc(stages["rft"], "greedy", 1),
            "grpo": acc(stages["grpo"], "greedy", 1), "greedy": acc(gen, "greedy", 1),
            f"Voting@{k}": acc(gen, "voting", k), f"MetaRM@{km}": acc(gen, "metarm", km),
            f"given Voting@{k}": acc(modes["given"], "voting", k), f"none Voting@{k}": acc(modes["none"], "voting", k)}
    g = lambda res, name, at: method(res, name, at)  # noqa: E731
    findings = {
        "RFT - SFT (greedy)": paired(g(stages["rft"], "greedy", 1), g(stages["sft"], "greedy", 1)),
        "GRPO - RFT (greedy)": paired(g(stages["grpo"], "greedy", 1), g(stages["rft"], "greedy", 1)),
        f"Voting@{k} - greedy": paired(g(gen, "voting", k), g(gen, "greedy", 1)),
        f"Voting@{k} - Voting@1": paired(g(gen, "voting", k), g(gen, "voting", 1)),
        f"MetaRM@{km} - Voting@{km}": paired(g(gen, "metarm", km), g(gen, "voting", km)),
        f"generated - none (Voting@{k})": paired(g(gen, "voting", k), g(modes["none"], "voting", k)),
    }
    return head, findings


def fmt(x, signed=False):
    return "-" if x is None else (f"{x:+.3f}" if signed else f"{x:.3f}")


def spread(values):
    """mean, sample standard deviation (None below two values), min, max of the present values."""
    v = [x for x in values if x is not None]
    if not v:
        return None, None, None, None
    return statistics.mean(v), statistics.stdev(v) if len(v) > 1 else None, min(v), max(v)


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    args = ap.parse_args()
    numbers = [run_numbers(run) for run in args.runs]
    names = list(numbers[0][0])
    rows = [[run] + [fmt(h.get(n)) for n in names] for run, (h, _) in zip(args.runs, numbers)]
    stats = [spread([h.get(n) for h, _ in numbers]) for n in names]
    rows.append(["mean"] + [fmt(s[0]) for s in stats])
    rows.append(["sd"] + [fmt(s[1]) for s in stats])
    rows.append(["range"] + ["-" if s[2] is None else f"{s[2]:.3f}-{s[3]:.3f}" for s in stats])
    table(["run"] + names, rows)
    print()
    fnames = list(numbers[0][1])
    rows = []
    for n in fnames:
        per_run = [f.get(n) for _, f in numbers]
        diffs = [None if p is None else p[0] for p in per_run]
        mean, sd, _, _ = spread(diffs)
        measured = [p for p in per_run if p is not None]
        up = sum(1 for d, p in measured if p < 0.05 and d > 0)
        down = sum(1 for d, p in measured if p < 0.05 and d < 0)
        cells = [fmt(d, True) + ("" if p is None else f" (p {p[1]:.2g})") for d, p in zip(diffs, per_run)]
        rows.append([n] + cells + [fmt(mean, True), fmt(sd), f"{up} / {down} of {len(measured)}"])
    table(["finding (a - b)"] + args.runs + ["mean", "sd", "p < 0.05: a above / below"], rows)


if __name__ == "__main__":
    main()
