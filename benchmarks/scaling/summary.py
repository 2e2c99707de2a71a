#!/usr/bin/env python3
"""Tables from a scaling run's channel part (benchmarks/scaling/run.sh chan).

    python3 benchmarks/scaling/summary.py benchmarks/scaling/results/chan

Times are per message (channel shapes), per goroutine (spawn), per round
trip (pingpong), per job (workers) or per value (pipeline): the median over
the passes. Ratios are gosync ÷ peer of the medians: below 1, gosync is
faster.
"""

import collections
import re
import statistics
import sys
from pathlib import Path

root = Path(sys.argv[1])
# (config, shape, library) -> [ns per item, one per pass]
runs = collections.defaultdict(list)
for f in sorted(root.glob("*.tsv")):
    m = re.match(r"(procs\d+|threads-T\d+|goroutine-default)(?:-pass\d+)?-(.*)\.tsv", f.name)
    if not m:
        continue
    config, kind = m.groups()
    for line in f.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        shape, lib, n, secs = line.split()
        runs[(config, shape, lib)].append(float(secs) / int(n) * 1e9)


def med(config, shape, lib):
    v = runs.get((config, shape, lib))
    return statistics.median(v) if v else None


def fmt(ns):
    if ns is None:
        return "—"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1000:
        return f"{ns / 1000:.2f} µs"
    return f"{ns:.0f} ns"


def ratio(a, b):
    if a is None or b is None:
        return "—"
    r = a / b
    return f"**{r:.2f}**" if r > 1 else f"{r:.2f}"


procs = sorted({int(c[5:]) for (c, _, _) in runs if c.startswith("procs")})
passes = max((len(v) for (c, _, _), v in runs.items() if c.startswith("procs")), default=0)
shapes = []
for (c, s, _lib) in runs:
    if c.startswith("procs") and s not in shapes:
        shapes.append(s)
order = ["spawn", "pingpong", "workers", "pipeline"]
shapes.sort(key=lambda s: (s.split("_")[0] not in order, order.index(s) if s in order else 0, s))

print(f"### gosync's goroutines (gosync-go) against Go, by GOMAXPROCS ({passes} passes)\n")
print("Each cell: gosync-go / Go, and the ratio (gosync ÷ Go).\n")
print("| shape | " + " | ".join(f"GOMAXPROCS={p}" for p in procs) + " |")
print("|---|" + "---|" * len(procs))
for s in shapes:
    # A shape's goroutines started by `go` (gosync-go, gosync), and where
    # the bench has it, by `go_spread` (gosync-spread).
    for lib, label in (("gosync-go", s), ("gosync", s), ("gosync-spread", f"{s} (go_spread)")):
        if not any((f"procs{p}", s, lib) in runs for p in procs):
            continue
        cells = []
        for p in procs:
            c = f"procs{p}"
            g = med(c, s, lib)
            go = med(c, s, "go")
            cells.append(f"{fmt(g)} / {fmt(go)}: {ratio(g, go)}")
        print(f"| {label} | " + " | ".join(cells) + " |")

for t in sorted({int(c[9:]) for (c, _, _) in runs if c.startswith("threads-T")}):
    c = f"threads-T{t}"
    n = max(len(v) for (cc, _, _), v in runs.items() if cc == c)
    print(f"\n### Channel shapes on OS threads, T = {t} ({n} pass{'es' if n > 1 else ''}; Go at its default GOMAXPROCS)\n")
    libs = ["crossbeam-channel", "flume", "std-mpsc", "go"]
    print("| shape | gosync | " + " | ".join(libs) + " | gosync ÷ crossbeam | gosync ÷ Go |")
    print("|---|---|" + "---|" * len(libs) + "---|---|")
    seen = []
    for (cc, s, _lib) in runs:
        if cc == c and s not in seen:
            seen.append(s)
    for s in seen:
        g = med(c, s, "gosync")
        row = [fmt(med(c, s, lib)) for lib in libs]
        print(f"| {s} | {fmt(g)} | " + " | ".join(row) + f" | {ratio(g, med(c, s, 'crossbeam-channel'))} | {ratio(g, med(c, s, 'go'))} |")

if any(c == "goroutine-default" for (c, _, _) in runs):
    print("\n### Goroutine bench at the defaults (all CPUs), one pass\n")
    print("| shape | library | time | gosync ÷ this |")
    print("|---|---|---|---|")
    for s in order:
        g = med("goroutine-default", s, "gosync")
        for (c, ss, lib) in sorted(runs):
            if c == "goroutine-default" and ss == s:
                v = med(c, s, lib)
                print(f"| {s} | {lib} | {fmt(v)} | {'—' if lib == 'gosync' else ratio(g, v)} |")
