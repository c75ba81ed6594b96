#!/usr/bin/env python3
"""Draws the PNG plots that RUN_DIR/report.md links, from the eval stage's results files.

    python3 scripts/plot_report.py RUN_DIR

Writes RUN_DIR/report_stages.png (greedy accuracy of the sft, rft and grpo models),
RUN_DIR/report_k.png (Voting@k and MetaRM@k of the final model against k, greedy as a line) and
RUN_DIR/report_modes.png (greedy / Voting@k / MetaRM@k for each principle mode). A plot whose
results are missing is skipped with a message. Uses matplotlib's Agg backend
(Debian: apt-get install python3-matplotlib).
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_scaling import series  # noqa: E402


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def value(results, method, k=None, metric="accuracy"):
    pts = series(results, method, metric) if results else []
    if not pts:
        return None
    if k is None:
        return pts[-1][1]
    return dict(pts).get(k)


def bars(ax, labels, values, color):
    xs = range(len(labels))
    ax.bar(xs, [v or 0 for v in values], color=color)
    for x, v in zip(xs, values):
        ax.text(x, (v or 0) + 0.01, "–" if v is None else f"{v:.3f}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels)


def found(run, names, pattern):
    """(name, results) for each name whose results file exists; pattern has {run} and {name}."""
    pairs = [(n, load(pattern.format(run=run, name=n))) for n in names]
    return [(n, r) for n, r in pairs if r]


def save(fig, out):
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print("plot_report: wrote", out)


def plot_stages(run, out):
    stages = found(run, ("sft", "rft", "grpo"), "{run}/eval/stages/{name}/results.json")
    if not stages:
        return print("plot_report: no by-stage results (eval.by_stage: true); skipped", out)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    bars(ax, [s for s, _ in stages], [value(r, "greedy", 1) for _, r in stages], "C0")
    ax.set_ylabel("accuracy (greedy)")
    ax.set_ylim(0, 1.05)
    ax.set_title("Accuracy by stage (test split)")
    save(fig, out)


def plot_k(run, out):
    res = load(f"{run}/eval/generate/results.json")
    if not res:
        return print("plot_report: no eval/generate results; skipped", out)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for method, style, name in (("voting", "-o", "Voting@k"), ("metarm", "--s", "MetaRM@k")):
        pts = series(res, method, "accuracy")
        if pts:
            ax.plot([k for k, _ in pts], [v for _, v in pts], style, label=name)
    greedy = value(res, "greedy", 1)
    if greedy is not None:
        ax.axhline(greedy, linestyle=":", color="gray", label="greedy")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k (sampled judgments)")
    ax.set_ylabel("accuracy")
    ax.set_title("Inference-time scaling (test split)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    save(fig, out)


def plot_modes(run, out):
    modes = found(run, ("generate", "given", "none"), "{run}/eval/{name}/results.json")
    if not modes:
        return print("plot_report: no eval results; skipped", out)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.27
    for i, (method, name) in enumerate((("greedy", "greedy"), ("voting", "Voting@k"), ("metarm", "MetaRM@k"))):
        vals = [value(r, method) for _, r in modes]
        xs = [x + (i - 1) * width for x in range(len(modes))]
        ax.bar(xs, [v or 0 for v in vals], width, label=name)
    ax.set_xticks(list(range(len(modes))))
    ax.set_xticklabels([m for m, _ in modes])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy")
    ax.set_title("Principle modes (test split, largest k)")
    ax.legend()
    save(fig, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir")
    args = ap.parse_args()
    if not os.path.isdir(f"{args.run_dir}/eval"):
        sys.exit(f"plot_report: {args.run_dir}/eval: no eval results (run the eval stage first)")
    plot_stages(args.run_dir, f"{args.run_dir}/report_stages.png")
    plot_k(args.run_dir, f"{args.run_dir}/report_k.png")
    plot_modes(args.run_dir, f"{args.run_dir}/report_modes.png")


if __name__ == "__main__":
    main()
