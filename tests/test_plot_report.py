#!/usr/bin/env python3
"""scripts/plot_report.py on eval results written by hand: each chart is drawn exactly when its
results exist, as a PNG of the stated size (a PNG's IHDR chunk read directly), and the values it
plots are the ones in the files. Run with Debian's python3 (python3-matplotlib)."""
import json
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import plot_report  # noqa: E402

failures = passes = 0


def check(name, got, want):
    global failures, passes
    ok = got == want
    passes += ok
    failures += not ok
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": got {got!r}, want {want!r}"))


def png_size(path):
    if not os.path.isfile(path):
        return None
    data = open(path, "rb").read(33)
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return "not a PNG"
    return "%dx%d" % struct.unpack(">II", data[16:24])


def write(run, sub, methods):
    os.makedirs(os.path.join(run, "eval", sub), exist_ok=True)
    rows = [{"method": m, "k": k, "overall": {"accuracy": a, "accuracy_interval": [a - 0.1, a + 0.1]}}
            for m, k, a in methods]
    json.dump({"methods": rows}, open(os.path.join(run, "eval", sub, "results.json"), "w"))


with tempfile.TemporaryDirectory() as d:
    full, stages_only, given_only = (os.path.join(d, n) for n in ("full", "stages", "given"))
    for s, a in (("sft", 0.5), ("rft", 0.6), ("grpo", 0.6)):
        write(full, "stages/" + s, [("greedy", 1, a)])
    write(full, "generate", [("greedy", 1, 0.6), ("voting", 1, 0.5), ("voting", 8, 0.55), ("metarm", 8, 0.65)])
    write(full, "none", [("greedy", 1, 0.4), ("voting", 8, 0.45)])
    write(stages_only, "stages/rft", [("greedy", 1, 0.6)])
    write(given_only, "given", [("greedy", 1, 0.6), ("voting", 2, 0.7)])

    written = plot_report.write_plots(full)
    check("full: three charts", [os.path.basename(p) for p in written],
          ["report_stages.png", "report_k.png", "report_modes.png"])
    check("stages chart size", png_size(os.path.join(full, "report_stages.png")), "640x440")
    check("k chart size", png_size(os.path.join(full, "report_k.png")), "720x440")
    check("modes chart size", png_size(os.path.join(full, "report_modes.png")), "880x440")
    written = plot_report.write_plots(stages_only)
    check("stages only", [os.path.basename(p) for p in written], ["report_stages.png"])
    written = plot_report.write_plots(given_only)  # by k: principles generated only
    check("given only", [os.path.basename(p) for p in written], ["report_modes.png"])

    res = json.load(open(os.path.join(full, "eval", "generate", "results.json")))
    check("series of voting", plot_report.series(res, "voting"),
          [(1, 0.5, (0.5 - 0.1, 0.5 + 0.1)), (8, 0.55, (0.55 - 0.1, 0.55 + 0.1))])
    check("largest k", plot_report.value(res, "metarm"), (0.65, (0.65 - 0.1, 0.65 + 0.1)))
    check("absent method", plot_report.value(res, "given"), (None, None))

print(f"{passes} passed, {failures} failed")
sys.exit(1 if failures else 0)
