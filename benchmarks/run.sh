#!/usr/bin/env bash
# Runs gosync's side-by-side criterion benches (Mutex, RwMutex, Once,
# WaitGroup against std, parking_lot and crossbeam-utils; atomics and
# atomic::Pointer against std and arc-swap; Map against DashMap and
# RwLock<HashMap>; Pool against allocation and a Mutex<Vec>; context,
# semaphore and errgroup alone; Mutex tail latency), one run each, and writes
# the logs and a summary with ratios to $RESULTS.
#
#   benchmarks/run.sh                   # everything (about 15 minutes on 2 cores)
#   benchmarks/run.sh mutex latency     # some of: mutex rwmutex once waitgroup
#                                       # atomic map pool context latency
#
# Environment: RESULTS (default benchmarks/results), LATENCY_ARGS (default
# "--secs 2 --trials 3"), QUIET_WAIT (seconds to wait for an idle machine
# before each bench, default 300; 0 disables).
#
# Contended figures mean little on a machine that is busy with something
# else, so before each bench this waits (up to QUIET_WAIT seconds) until the
# CPUs have been at least 90% idle for 3 seconds in a row, and logs the idle
# share it found, before and after.
set -euo pipefail
cd "$(dirname "$0")/.."

RESULTS=${RESULTS:-benchmarks/results}
LATENCY_ARGS=${LATENCY_ARGS:---secs 2 --trials 3}
QUIET_WAIT=${QUIET_WAIT:-300}
BENCHES=("$@")
[ ${#BENCHES[@]} -eq 0 ] && BENCHES=(mutex rwmutex once waitgroup atomic map pool context latency)
mkdir -p "$RESULTS"

# idle_pct and wait_quiet.
source benchmarks/quiet.sh

{
    echo "date:    $(date -u +%FT%TZ)"
    echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- gosync/src || echo ' + uncommitted changes in gosync/src')"
    echo "src:     sha256 of gosync/src = $(find gosync/src -type f -name '*.rs' | sort | xargs cat | sha256sum | cut -c1-16)"
    echo "rustc:   $(rustc -V)"
    echo "cpu:     $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs"
    echo "memory:  $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
    echo "kernel:  $(uname -r)"
    for p in criterion parking_lot parking_lot_core crossbeam-utils arc-swap dashmap crossbeam-epoch foldhash thread_local; do
        echo "crate:   $p $(awk -v p="$p" '$0 == "name = \"" p "\"" {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
    done
} | tee "$RESULTS/machine.txt"

# Build every bench once, then run the binaries themselves: other people may
# be editing the library meanwhile, and `cargo bench` per bench would rebuild
# (inside the measured window) and compare different snapshots.
declare -A EXE
while IFS=$'\t' read -r name exe; do
    EXE[$name]=$exe
done < <(cargo bench -p gosync --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "bench" in m["target"]["kind"]:
        print(m["target"]["name"], m["executable"], sep="\t")
')
echo "built:   ${!EXE[*]}"

for b in "${BENCHES[@]}"; do
    echo "== $b"
    if [ "$QUIET_WAIT" -gt 0 ]; then wait_quiet | tee "$RESULTS/$b.load"; else : > "$RESULTS/$b.load"; fi
    args=()
    # shellcheck disable=SC2206 # word splitting of the argument list is wanted
    [ "$b" = latency ] && args=($LATENCY_ARGS)
    before=$(busy_s)
    steal_before=$(steal_s)
    start=$(date +%s.%N)
    TIMEFORMAT='%U %S'
    { time "${EXE[$b]:?no bench binary named $b}" --bench "${args[@]}" > "$RESULTS/$b.txt" 2>/dev/null; } 2> "$RESULTS/$b.time"
    cat "$RESULTS/$b.txt"
    # What the rest of the machine did meanwhile: all busy CPU time minus ours.
    awk -v before="$before" -v after="$(busy_s)" -v start="$start" -v end="$(date +%s.%N)" \
        -v steal="$(awk -v a="$steal_before" -v b="$(steal_s)" 'BEGIN {print b - a}')" \
        '{ ours = $1 + $2; wall = end - start; others = after - before - ours;
           if (others < 0) others = 0;
           printf "during: %.0f s wall; this bench %.1f CPU-s; other processes %.1f CPU-s (%.0f%% of %d CPUs); hypervisor steal %.1f CPU-s\n",
                  wall, ours, others, 100 * others / (wall * ncpu), ncpu, steal }' \
        ncpu="$(nproc)" "$RESULTS/$b.time" | tee -a "$RESULTS/$b.load"
    rm -f "$RESULTS/$b.time"
done

python3 benchmarks/summary.py "${BENCHES[@]}" | tee "$RESULTS/summary.md"
