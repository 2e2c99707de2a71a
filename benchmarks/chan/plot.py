#!/usr/bin/env python3
"""Plot of the channel benchmarks as a hand-written SVG (no dependencies):
time per message on a log scale, one panel per capacity, one group of bars
per shape, one bar per library (the median of the trials), with a whisker
from the fastest to the slowest trial.

    python3 benchmarks/chan/plot.py [RESULTS_DIR] [OUT.svg]
    # defaults: benchmarks/chan/results, RESULTS_DIR/plot.svg
"""

import math
import os
import sys
from xml.sax.saxutils import escape

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summary import LIBS, PREFIXES, load, median, ns_per_msg, shapes_in  # noqa: E402

COLORS = {
    "gosync": "#d62728",
    "gosync-go": "#ff9896",
    "crossbeam-channel": "#1f77b4",
    "flume": "#2ca02c",
    "std-mpsc": "#9467bd",
    "go": "#17becf",
}
TITLES = {
    "bounded0": "capacity 0 (unbuffered)",
    "bounded1": "capacity 1",
    "boundedN": "capacity N (room for every message)",
}

WIDTH = 960
LEFT = 170  # shape labels
RIGHT = 45
BAR = 10
GAP = 10  # between shape groups
PANEL_HEAD = 42
AXIS = 34


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/chan/results"
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(results, "plot.svg")
    runs = load(results)
    shapes = shapes_in(runs)
    libs = [l for l in LIBS if any(lib == l for _, lib in runs)]

    values = [v for s in shapes for l in libs for v in ns_per_msg(runs, s, l).values()]
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    plot_w = WIDTH - LEFT - RIGHT

    def x(ns):
        return LEFT + plot_w * (math.log10(ns) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    svg = []
    y = 10
    svg.append(f'<text x="{WIDTH / 2}" y="{y + 16}" text-anchor="middle" font-size="16" '
               f'font-weight="bold">Channels: time per message (log scale; lower is better)</text>')
    y += 30
    # Legend.
    lx = LEFT
    for l in libs:
        svg.append(f'<rect x="{lx}" y="{y}" width="12" height="12" fill="{COLORS[l]}"/>')
        svg.append(f'<text x="{lx + 16}" y="{y + 11}" font-size="12">{escape(l)}</text>')
        lx += 30 + 7.5 * len(l)
    y += 24

    def ticks():
        t = lo
        while t <= hi * 1.0001:
            yield t
            t *= 10

    def label(ns):
        if ns >= 1e6:
            return f"{ns / 1e6:g} ms"
        if ns >= 1e3:
            return f"{ns / 1e3:g} µs"
        return f"{ns:g} ns"

    for prefix in PREFIXES:
        panel = [s for s in shapes if s.startswith(prefix + "_")]
        if not panel:
            continue
        counts = sorted({n for s in panel for (n, _) in runs.get((s, "gosync"), {}).values()})
        head = f"{TITLES[prefix]} — {', '.join(f'{c:,}' for c in counts)} messages"
        svg.append(f'<text x="{LEFT}" y="{y + 24}" font-size="14" font-weight="bold">{escape(head)}</text>')
        y += PANEL_HEAD
        top = y
        for s in panel:
            present = [l for l in libs if ns_per_msg(runs, s, l)]
            group_h = BAR * len(present)
            svg.append(f'<text x="{LEFT - 8}" y="{y + group_h / 2 + 4}" text-anchor="end" '
                       f'font-size="12" font-family="monospace">{escape(s.split("_", 1)[1])}</text>')
            for l in present:
                v = list(ns_per_msg(runs, s, l).values())
                m = median(v)
                svg.append(f'<rect x="{LEFT}" y="{y + 1}" width="{x(m) - LEFT:.1f}" height="{BAR - 2}" '
                           f'fill="{COLORS[l]}"><title>{escape(s)} {escape(l)}: {m:.1f} ns/msg '
                           f'(median of {len(v)})</title></rect>')
                if len(v) > 1:
                    cy = y + BAR / 2
                    svg.append(f'<line x1="{x(min(v)):.1f}" y1="{cy}" x2="{x(max(v)):.1f}" y2="{cy}" '
                               f'stroke="black" stroke-width="1"/>')
                y += BAR
            y += GAP
        # Grid and axis for this panel.
        for t in ticks():
            svg.append(f'<line x1="{x(t):.1f}" y1="{top - 4}" x2="{x(t):.1f}" y2="{y}" '
                       f'stroke="#999" stroke-width="0.5" stroke-dasharray="3,3"/>')
            svg.append(f'<text x="{x(t):.1f}" y="{y + 14}" text-anchor="middle" font-size="11">{label(t)}</text>')
        svg.append(f'<line x1="{LEFT}" y1="{top - 4}" x2="{LEFT}" y2="{y}" stroke="black"/>')
        y += AXIS

    notes = [
        "Bars: median over trials; whiskers: fastest to slowest trial.",
        "std-mpsc has no multi-consumer or select shapes; flume's select_both hung and is left out.",
    ]
    for note in notes:
        svg.append(f'<text x="{LEFT}" y="{y}" font-size="11" fill="#444">{escape(note)}</text>')
        y += 14
    height = y + 6
    doc = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">\n'
           f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(svg) + "\n</svg>\n")
    with open(out, "w") as f:
        f.write(doc)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
