#!/usr/bin/env python3
"""Draws the charts that RUN_DIR/report.md links, with matplotlib, from the eval stage's results.

    python3 scripts/plot_report.py runs/demo      # what scripts/demo.sh runs after `spct run`

  report_stages.png  bars: greedy accuracy of the sft, rft and grpo models (eval/stages/<stage>)
  report_k.png       lines: Voting@k and MetaRM@k of the final model against k (log2 axis),
                     greedy as a dotted horizontal line (eval/generate)
  report_modes.png   grouped bars: greedy, Voting@k and MetaRM@k at the largest k for each
                     principle mode (eval/generate, given, none)

Accuracy axes run from 0 to 1; bars carry their values ("-": not measured); where a result records
a 95% interval of an accuracy (overall.accuracy_interval) the stage bars and the k curves show it.
A chart whose results are all missing is skipped. Prints the paths written.
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STAGES = ["sft", "rft", "grpo"]
MODES = ["generate", "given", "none"]
BLUE, ORANGE, GREEN, GRAY = "#1f77b4", "#ff7f0e", "#2ca02c", "#808080"


def load(path):
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        sys.exit(f"{path}:{e.lineno}: not JSON: {e.msg}")


def series(results, method):
    """[(k, accuracy, interval or None)] of `method`, sorted by k."""
    pts = []
    for m in (results or {}).get("methods", []):
        o = m.get("overall", {})
        if m.get("method") != method or not isinstance(o.get("accuracy"), (int, float)):
            continue
        ci = o.get("accuracy_interval")
        pts.append((m.get("k", 0), float(o["accuracy"]), tuple(ci) if isinstance(ci, list) and len(ci) == 2 else None))
    return sorted(pts)


def value(results, method, k=0):
    """(accuracy, interval) of `method` at k, or at its largest k when k is 0; (None, None) if absent."""
    pts = series(results, method)
    if not pts:
        return None, None
    if k == 0:
        return pts[-1][1], pts[-1][2]
    for pk, v, ci in pts:
        if pk == k:
            return v, ci
    return None, None


def frame(ax, title, xlabel):
    ax.set_title(title, fontweight="bold")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.1)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.grid(axis="y", color="#e3e3e3")
    ax.set_axisbelow(True)


def bars(ax, xs, values, width, color, label=None, intervals=None):
    heights = [v if v is not None else 0.0 for v in values]
    ax.bar(xs, heights, width, color=color, label=label)
    for x, v in zip(xs, values):
        ax.text(x, (v or 0.0) + 0.02, "-" if v is None else f"{v:.3f}", ha="center", va="bottom", fontsize=8)
    for x, ci in zip(xs, intervals or []):
        if ci:
            ax.errorbar([x], [(ci[0] + ci[1]) / 2], yerr=[[(ci[1] - ci[0]) / 2]], color="#222222", capsize=4, lw=1.5)


def plot_stages(stages, out):
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    frame(ax, "Accuracy by stage (greedy)", "stage")
    vals = [value(r, "greedy", 1) for _, r in stages]
    xs = list(range(len(stages)))
    bars(ax, xs, [v for v, _ in vals], 0.5, BLUE, intervals=[ci for _, ci in vals])
    ax.set_xticks(xs, [name for name, _ in stages])
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def plot_k(results, out):
    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    frame(ax, "Inference-time scaling", "k (sampled judgments)")
    ks = set()
    for j, (method, label, color, style, marker) in enumerate(
            [("voting", "Voting@k", BLUE, "-", "o"), ("metarm", "MetaRM@k", ORANGE, "--", "s")]):
        pts = series(results, method)
        if not pts:
            continue
        ks.update(max(k, 1) for k, _, _ in pts)
        ax.plot([max(k, 1) for k, _, _ in pts], [v for _, v, _ in pts], style, color=color, marker=marker, label=label)
        for k, _, ci in pts:  # side by side: the two curves' intervals at one k would overlap
            if ci:
                x = max(k, 1) * (0.97 if j == 0 else 1.03)
                ax.errorbar([x], [(ci[0] + ci[1]) / 2], yerr=[[(ci[1] - ci[0]) / 2]], color=color, capsize=4)
    greedy, _ = value(results, "greedy", 1)
    if greedy is not None:
        ax.axhline(greedy, color=GRAY, linestyle=":", lw=2, label="greedy")
    ax.set_xscale("log", base=2)
    if ks:
        ax.set_xticks(sorted(ks), [str(k) for k in sorted(ks)])
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def plot_modes(modes, out):
    fig, ax = plt.subplots(figsize=(8.8, 4.4))
    frame(ax, "Principle modes (largest k)", "principles")
    methods = [("greedy", "greedy", BLUE), ("voting", "Voting@k", ORANGE), ("metarm", "MetaRM@k", GREEN)]
    width = 0.8 / len(methods)
    for j, (method, label, color) in enumerate(methods):
        xs = [i + (j - (len(methods) - 1) / 2) * width for i in range(len(modes))]
        bars(ax, xs, [value(r, method)[0] for _, r in modes], width * 0.95, color, label)
    ax.set_xticks(list(range(len(modes))), [name for name, _ in modes])
    ax.legend(loc="upper center", ncol=len(methods), bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def write_plots(run_dir):
    stages = [(s, load(os.path.join(run_dir, "eval", "stages", s, "results.json"))) for s in STAGES]
    modes = [(m, load(os.path.join(run_dir, "eval", m, "results.json"))) for m in MODES]
    written = []
    present = [(n, r) for n, r in stages if r is not None]
    if present:
        written.append(os.path.join(run_dir, "report_stages.png"))
        plot_stages(present, written[-1])
    if modes[0][1] is not None:
        written.append(os.path.join(run_dir, "report_k.png"))
        plot_k(modes[0][1], written[-1])
    present = [(n, r) for n, r in modes if r is not None]
    if present:
        written.append(os.path.join(run_dir, "report_modes.png"))
        plot_modes(present, written[-1])
    return written


def main():
    ap = argparse.ArgumentParser(description="Draws report.md's charts from RUN_DIR/eval.")
    ap.add_argument("run_dir")
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.run_dir, "eval")):
        sys.exit(f"{a.run_dir}/eval: no eval results (run the eval stage first)")
    for path in write_plots(a.run_dir):
        print(path)


if __name__ == "__main__":
    main()
