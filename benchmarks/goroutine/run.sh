#!/usr/bin/env bash
# Runs the goroutine benchmarks: spawn (start and finish N goroutines), an
# unbuffered ping-pong, and CPU-bound work spread over the workers (a pool
# of 8 goroutines, a four-stage pipeline), for gosync (gosync/benches/goroutine.rs: gosync
# goroutines, std threads, gosync channels between threads,
# crossbeam-channel) and Go (go/main.go), TRIALS passes of each, and writes
# the raw figures, the machine and a summary with ratios to $RESULTS.
#
#   benchmarks/goroutine/run.sh           # about a minute on 2 cores
#
# Environment: RESULTS (default benchmarks/goroutine/results), TRIALS
# (default 5), SPAWN (goroutines, default 100000), THREADS (std threads,
# default 10000), PINGPONG (round trips, default 100000), JOBS (jobs for
# workers and values for pipeline, default 10000), QUIET_WAIT
# (seconds to wait for an idle machine before each pass, default 300), GO
# (the go binary). Go is installed with apt (golang-1.19-go) if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

RESULTS=${RESULTS:-benchmarks/goroutine/results}
TRIALS=${TRIALS:-5}
SPAWN=${SPAWN:-100000}
THREADS=${THREADS:-10000}
PINGPONG=${PINGPONG:-100000}
JOBS=${JOBS:-10000}
QUIET_WAIT=${QUIET_WAIT:-300}


mkdir -p "$RESULTS"
rm -f "$RESULTS"/trial-*

# idle_pct, wait_quiet, busy_s, steal_s, bench_exe and find_go.
source benchmarks/quiet.sh
find_go

RUST_BENCH=$(bench_exe goroutine)
[ -x "$RUST_BENCH" ] || { echo "could not build gosync/benches/goroutine.rs" >&2; exit 1; }
mkdir -p target/goroutine-go
(cd benchmarks/goroutine/go && GO111MODULE=off "$GO" build -o ../../../target/goroutine-go/bench main.go)
GO_BENCH=target/goroutine-go/bench

{
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) CPUs)"
    echo "kernel: $(uname -sr)"
    echo "rustc: $(rustc --version)"
    echo "go: $("$GO" version)"
    echo "gosync: $(git rev-parse --short HEAD)$(git diff --quiet -- gosync || echo ' (modified)')"
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "counts: SPAWN=$SPAWN THREADS=$THREADS PINGPONG=$PINGPONG JOBS=$JOBS TRIALS=$TRIALS"
} > "$RESULTS/machine.txt"
cat "$RESULTS/machine.txt"

for t in $(seq 1 "$TRIALS"); do
    echo "== pass $t"
    [ "$QUIET_WAIT" -gt 0 ] && wait_quiet
    "$RUST_BENCH" --spawn "$SPAWN" --threads "$THREADS" --pingpong "$PINGPONG" --jobs "$JOBS" \
        | tee "$RESULTS/trial-$t-rust.tsv"
    "$GO_BENCH" -spawn "$SPAWN" -pingpong "$PINGPONG" -jobs "$JOBS" | tee "$RESULTS/trial-$t-go.tsv"
done

python3 - "$RESULTS" > "$RESULTS/summary.md" <<'PY'
import collections, glob, statistics, sys
runs = collections.defaultdict(dict)
for f in sorted(glob.glob(sys.argv[1] + "/trial-*.tsv")):
    t = f.split("trial-")[1].split("-")[0]
    for line in open(f):
        if line.startswith("#") or not line.strip():
            continue
        shape, lib, n, secs = line.split()
        runs[(shape, lib)][t] = float(secs) / int(n) * 1e9
def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"
print("Time per goroutine (spawn), per round trip (pingpong), per job (workers) or per")
print("value (pipeline), median of the passes;")
print("ratios are gosync ÷ peer of the medians, range of the per-pass ratios in brackets.\n")
print("| shape | library | time | gosync ÷ this (range) |")
print("|---|---|---|---|")
for shape in ["spawn", "pingpong", "workers", "pipeline"]:
    g = runs[(shape, "gosync")]
    for (s, lib), v in sorted(runs.items(), key=lambda kv: (kv[0][0] != shape, kv[0][1] != "gosync", kv[0][1])):
        if s != shape:
            continue
        med = statistics.median(v.values())
        if lib == "gosync":
            cell = "—"
        else:
            paired = [g[t] / v[t] for t in g if t in v]
            r = statistics.median(g.values()) / med
            mark = f"**{r:.2f}**" if r > 1 else f"{r:.2f}"
            cell = f"{mark} ({min(paired):.2f}–{max(paired):.2f})"
        print(f"| {shape} | {lib} | {fmt(med)} | {cell} |")
PY
cat "$RESULTS/summary.md"
