#!/usr/bin/env python3
"""Plots accuracy against k for Voting@k and meta-RM voting@k from `spct eval` results.

    python3 scripts/plot_scaling.py RESULTS.json [RESULTS2.json ...] --out scaling.png [--metric accuracy]

Each results file becomes one pair of curves (voting solid, meta RM dashed), labelled by its
parent directory; greedy accuracy is drawn as a dotted horizontal line. Uses matplotlib's
non-interactive Agg backend (Debian: apt-get install python3-matplotlib).
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def series(results, method, metric):
    points = [(m["k"], m["overall"][metric]) for m in results["methods"]
              if m["method"] == method and m["overall"].get(metric) is not None]
    return sorted(points)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--metric", default="accuracy", choices=["accuracy", "auc"])
    ap.add_argument("--title", default="Inference-time scaling")
    args = ap.parse_args()
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, path in enumerate(args.results):
        with open(path) as f:
            results = json.load(f)
        label = os.path.basename(os.path.dirname(os.path.abspath(path))) or path
        color = f"C{i}"
        for method, style, name in (("voting", "-o", "Voting@k"), ("metarm", "--s", "MetaRM@k")):
            pts = series(results, method, args.metric)
            if pts:
                ax.plot([k for k, _ in pts], [v for _, v in pts], style, color=color, label=f"{label} {name}")
        greedy = series(results, "greedy", args.metric)
        if greedy:
            ax.axhline(greedy[0][1], linestyle=":", color=color, label=f"{label} greedy")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k (sampled judgments)")
    ax.set_ylabel(args.metric)
    ax.set_title(args.title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
