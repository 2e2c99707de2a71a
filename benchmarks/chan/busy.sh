#!/usr/bin/env bash
# The channel shapes on a busy machine: TRIALS passes of gosync (on OS
# threads), crossbeam-channel and Go, first on an idle machine, then with
# one CPU-bound process per CPU running beside them, to judge the spin
# policies (a spinning waiter only helps if its partner is running).
# Writes $RESULTS/runs.tsv (mode, shape, library, messages, seconds) and
# $RESULTS/summary.md (median ns per message, busy ÷ idle, gosync ÷
# crossbeam-channel under load).
#
#   benchmarks/chan/busy.sh        # about a minute and a half on 2 cores
#
# Environment: RESULTS (default benchmarks/chan/busy), TRIALS (default 3),
# MESSAGES (boundedN, default 1000000), HANDOFF (bounded0 and bounded1,
# default 50000), GO (the go binary; installed with apt if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

RESULTS=${RESULTS:-benchmarks/chan/busy}
TRIALS=${TRIALS:-3}
MESSAGES=${MESSAGES:-1000000}
HANDOFF=${HANDOFF:-50000}
mkdir -p "$RESULTS"
: > "$RESULTS/runs.tsv"

# bench_exe and find_go.
source benchmarks/quiet.sh
RUST_BENCH=$(bench_exe chan)
find_go
GO_BENCH=target/chan-go/chanbench
mkdir -p target/chan-go
(cd benchmarks/chan/go && GO111MODULE=off "$GO" build -o "../../../$GO_BENCH" main.go)

hogs=()
stop_hogs() {
    for p in "${hogs[@]}"; do kill "$p" 2> /dev/null || true; done
    hogs=()
}
trap stop_hogs EXIT

for mode in idle busy; do
    for t in $(seq 1 "$TRIALS"); do
        if [ "$mode" = busy ]; then
            for _ in $(seq 1 "$(nproc)"); do
                sh -c 'while :; do :; done' &
                hogs+=($!)
            done
            sleep 0.5
        fi
        "$RUST_BENCH" --libs gosync,crossbeam-channel --messages "$MESSAGES" --handoff "$HANDOFF" |
            grep -v '^#' | sed "s/^/$mode\t/" >> "$RESULTS/runs.tsv"
        "$GO_BENCH" -messages "$MESSAGES" -handoff "$HANDOFF" |
            grep -v '^#' | sed "s/^/$mode\t/" >> "$RESULTS/runs.tsv"
        stop_hogs
        sleep 0.5
    done
done

python3 - "$RESULTS/runs.tsv" > "$RESULTS/summary.md" <<'PY'
import collections, statistics, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) < 5:
        continue
    mode, shape, lib, n, secs = f[:5]
    d[(shape, lib, mode)].append(float(secs) / int(n) * 1e9)
med = {k: statistics.median(v) for k, v in d.items()}
print("Median ns per message over the passes; busy = one CPU-bound process per CPU beside the bench.\n")
print("| shape | gosync idle | gosync busy | crossbeam idle | crossbeam busy | go idle | go busy | gosync ÷ crossbeam, busy |")
print("|---|---|---|---|---|---|---|---|")
for shape in sorted({k[0] for k in med}):
    g = [med.get((shape, l, m)) for l in ("gosync", "crossbeam-channel", "go") for m in ("idle", "busy")]
    if None in g:
        continue
    r = g[1] / g[3]
    mark = f"**{r:.2f}**" if r > 1 else f"{r:.2f}"
    print(f"| `{shape}` | " + " | ".join(f"{x:.0f}" for x in g) + f" | {mark} |")
PY
cat "$RESULTS/summary.md"
