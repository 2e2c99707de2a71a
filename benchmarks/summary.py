#!/usr/bin/env python3
"""Turns criterion's saved estimates for the sync benches into markdown
tables with ratios against gosync.

    python3 benchmarks/summary.py [mutex rwmutex once waitgroup atomic map pool context]

Reads <target>/criterion/<group>/<bench>/new/{benchmark,estimates}.json
and reports the estimate criterion prints (the slope, else the mean).
Ratio = gosync's mean time per iteration / the peer's: below 1 gosync is
faster, above 1 slower (for throughput benches, the peer's throughput over
gosync's, the same number).
"""

import json
import subprocess
import sys
from pathlib import Path

PREFIXES = {
    "mutex": ("mutex_",),
    "rwmutex": ("rwmutex_",),
    "once": ("once_",),
    "waitgroup": ("waitgroup_",),
    "atomic": ("atomic_", "pointer_"),
    "map": ("map_",),
    "pool": ("pool_",),
    "context": ("context_", "semaphore_", "errgroup_"),
}


def target_dir():
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        capture_output=True, check=True, text=True,
    )
    return Path(json.loads(meta.stdout)["target_directory"])


def fmt_time(ns):
    if ns < 1:
        return f"{ns * 1000:.0f} ps"
    if ns < 1000:
        return f"{ns:.2f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns / 1e6:.2f} ms"


def load(root, prefix):
    rows = []
    for bench in sorted(root.glob(f"{prefix}*/*/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())
        # A bench with no function name (gosync's own, with no peer) is
        # listed under its group.
        func = meta["function_id"] or "gosync"
        impl, _, param = func.partition("/")
        elems = (meta.get("throughput") or {}).get("Elements")
        # criterion prints the slope of its linear sampling when it has one.
        mean = est.get("slope") or est["mean"]
        rows.append({
            "group": meta["group_id"],
            "impl": impl,
            "param": param,
            "mean": mean["point_estimate"],
            "lo": mean["confidence_interval"]["lower_bound"],
            "hi": mean["confidence_interval"]["upper_bound"],
            "elems": elems,
        })
    return rows


def table(rows):
    print("| benchmark | case | time / iter [95% CI] | throughput | gosync ÷ this (time) |")
    print("|---|---|---|---|---|")
    order = {"gosync": 0, "std": 1, "parking": 2, "crossbeam": 3}
    def key(r):
        rank = next((v for k, v in order.items() if r["impl"].startswith(k)), 9)
        p = int(r["param"]) if r["param"].isdigit() else 0
        return (r["group"], p, rank, r["impl"])
    rows = sorted(rows, key=key)
    for r in rows:
        same = [g for g in rows if g["group"] == r["group"] and g["param"] == r["param"]
                and g["impl"].startswith("gosync")]
        if r["impl"].startswith("gosync"):
            ratio = "—"
        else:
            parts = [f"{g['mean'] / r['mean']:.2f}" + (f" ({g['impl']})" if len(same) > 1 else "")
                     for g in same]
            ratio = ", ".join(parts) or "n/a"
        thr = ""
        if r["elems"]:
            thr = f"{r['elems'] / r['mean'] * 1e3:.1f} M/s"
        print(f"| {r['group']}/{r['impl']} | {r['param'] or '-'} | "
              f"{fmt_time(r['mean'])} [{fmt_time(r['lo'])} – {fmt_time(r['hi'])}] | {thr} | {ratio} |")


def main():
    benches = sys.argv[1:] or list(PREFIXES)
    root = target_dir() / "criterion"
    for b in benches:
        prefix = PREFIXES.get(b)
        if prefix is None:
            continue
        rows = [r for p in prefix for r in load(root, p)]
        if not rows:
            print(f"({b}: no criterion results under {root})\n")
            continue
        print(f"### {b}\n")
        table(rows)
        print()


if __name__ == "__main__":
    main()
