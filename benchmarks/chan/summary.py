#!/usr/bin/env python3
"""Tables of the channel benchmarks: time per message for each library and
shape (median over trials), and the ratios gosync / crossbeam-channel and
gosync / Go, and, where the run has it, gosync-go / Go (gosync's channels
between goroutines inside gosync::run; below 1: gosync is faster).

    python3 benchmarks/chan/summary.py [--all] [RESULTS_DIR]    # default benchmarks/chan/results

Passes that run.sh marked DISTURBED (other processes were busy) or FAILED
are left out unless --all is given.

Reads every trial-*.tsv in RESULTS_DIR: the lines that gosync/benches/chan.rs
and go/main.go print, "shape library messages seconds". Only the standard
library is used.
"""

import glob
import os
import statistics
import sys

LIBS = ["gosync", "gosync-go", "crossbeam-channel", "flume", "std-mpsc", "go"]
PREFIXES = ["bounded0", "bounded1", "boundedN"]
SHAPES = ["seq", "spsc", "mpsc", "mpmc", "select_rx", "select_both"]


def set_aside(results):
    """{trial: reason} for the passes run.sh marked DISTURBED or FAILED."""
    out = {}
    for path in glob.glob(os.path.join(results, "trial-*.load")):
        trial = os.path.basename(path).split("-")[1].split(".")[0]
        with open(path) as f:
            marks = [l.strip() for l in f if l.startswith(("DISTURBED", "FAILED"))]
        if marks:
            out[trial] = "; ".join(marks)
    return out


def load(results, every_pass=False):
    """{(shape, lib): {trial: (messages, seconds)}}, trial = the pass number.
    Passes set aside by run.sh are left out unless every_pass."""
    runs = {}
    files = sorted(glob.glob(os.path.join(results, "trial-*.tsv")))
    if not files:
        sys.exit(f"no trial-*.tsv in {results}")
    skip = {} if every_pass else set_aside(results)
    for path in files:
        # trial-3-rust.tsv and trial-3-go.tsv are the same pass.
        trial = os.path.basename(path).split("-")[1]
        if trial in skip:
            continue
        with open(path) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                shape, lib, n, secs = line.split("\t")[:4]
                runs.setdefault((shape, lib), {})[trial] = (int(n), float(secs))
    return runs


def shapes_in(runs):
    """The shape names present, in crossbeam's order."""
    present = {s for s, _ in runs}
    return [f"{p}_{s}" for p in PREFIXES for s in SHAPES if f"{p}_{s}" in present]


def ns_per_msg(runs, shape, lib):
    """Per-trial nanoseconds per message, {trial: ns}."""
    return {t: secs / n * 1e9 for t, (n, secs) in runs.get((shape, lib), {}).items()}


def median(xs):
    return statistics.median(xs) if xs else None


def ratio(runs, shape, peer, num="gosync"):
    """Median ratio num / peer, and the range over trials (paired by trial)."""
    g, p = ns_per_msg(runs, shape, num), ns_per_msg(runs, shape, peer)
    paired = [g[t] / p[t] for t in g if t in p]
    if not paired:
        return None, None, None
    mg, mp = median(list(g.values())), median(list(p.values()))
    return mg / mp, min(paired), max(paired)


def fmt_ns(ns):
    if ns is None:
        return "—"
    if ns >= 1000:
        return f"{ns / 1000:.2f} µs"
    return f"{ns:.0f} ns" if ns >= 100 else f"{ns:.1f} ns"


def fmt_ratio(r, lo, hi):
    if r is None:
        return "—"
    mark = f"**{r:.2f}**" if r > 1 else f"{r:.2f}"
    return f"{mark} ({lo:.2f}–{hi:.2f})"


def table(runs):
    out = []
    libs = [l for l in LIBS if any(lib == l for _, lib in runs)]
    head = ["shape", "messages"] + libs + ["gosync ÷ crossbeam", "gosync ÷ go"]
    goroutines = "gosync-go" in libs
    if goroutines:
        head.append("gosync-go ÷ go")
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for shape in shapes_in(runs):
        ns = [median(list(ns_per_msg(runs, shape, l).values())) for l in libs]
        counts = {n for (n, _) in runs.get((shape, "gosync"), {}).values()}
        cells = [f"`{shape}`", ", ".join(f"{c:,}" for c in sorted(counts)) or "—"]
        cells += [fmt_ns(x) for x in ns]
        cells.append(fmt_ratio(*ratio(runs, shape, "crossbeam-channel")))
        cells.append(fmt_ratio(*ratio(runs, shape, "go")))
        if goroutines:
            cells.append(fmt_ratio(*ratio(runs, shape, "go", num="gosync-go")))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def spread(runs):
    """How far trials of one cell spread: max / min, per library."""
    out = ["| library | median spread (max ÷ min over passes) | worst cell |", "|---|---|---|"]
    for lib in LIBS:
        cells = []
        for shape in shapes_in(runs):
            v = list(ns_per_msg(runs, shape, lib).values())
            if len(v) > 1:
                cells.append((max(v) / min(v), shape))
        if cells:
            worst = max(cells)
            out.append(f"| {lib} | {median([c for c, _ in cells]):.2f} | {worst[0]:.2f} (`{worst[1]}`) |")
    return "\n".join(out)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    every_pass = "--all" in sys.argv
    results = args[0] if args else "benchmarks/chan/results"
    runs = load(results, every_pass)
    trials = sorted({t for v in runs.values() for t in v}, key=int)
    print(f"Time per message, median of {len(trials)} passes ({', '.join(trials)}); "
          "ratios are gosync ÷ peer of the medians (below 1: gosync is faster), with "
          "the range of the per-pass ratios in brackets (pass i of every library ran "
          "within the same minute or two).\n")
    print(table(runs))
    print()
    print(spread(runs))
    aside = {} if every_pass else set_aside(results)
    if aside:
        print("\nPasses left out (run with --all to include them):\n")
        for t in sorted(aside, key=int):
            print(f"- pass {t}: {aside[t]}")


if __name__ == "__main__":
    main()
