#!/usr/bin/env bash
# Runs the channel benchmarks: gosync, crossbeam-channel, flume and
# std::sync::mpsc (gosync/benches/chan.rs) and Go's channels (go/main.go) on
# crossbeam-channel's benchmark shapes, TRIALS passes of each, and writes the
# raw figures, the machine, a summary with ratios and a plot to $RESULTS.
#
#   benchmarks/chan/run.sh                # about 6-7 minutes on 2 cores
#
# Environment: RESULTS (default benchmarks/chan/results), TRIALS (default 5),
# MESSAGES (N of the boundedN shapes, default 5000000, crossbeam's),
# HANDOFF (N of the bounded0 and bounded1 shapes, where threads park on
# nearly every message, default 100000), SHAPES (a substring of the shapes
# to run, default all), QUIET_WAIT (seconds to wait for an idle machine
# before each pass, default 300; 0 disables), DISTURBED_PCT (a pass during
# which other processes used more than this percentage of the CPUs is
# disturbed, repeated and left out of the summary; default 5), MAX_PASSES
# (default 2 x TRIALS), GO (the go binary).
#
# Go is installed with apt (golang-1.19-go) if no go binary is found.
set -euo pipefail
cd "$(dirname "$0")/../.."

RESULTS=${RESULTS:-benchmarks/chan/results}
TRIALS=${TRIALS:-5}
MESSAGES=${MESSAGES:-5000000}
HANDOFF=${HANDOFF:-100000}
SHAPES=${SHAPES:-}
QUIET_WAIT=${QUIET_WAIT:-300}
# A pass that takes longer than this has hung (a lost wake-up, say).
PASS_LIMIT=${PASS_LIMIT:-900}
DISTURBED_PCT=${DISTURBED_PCT:-5}
MAX_PASSES=${MAX_PASSES:-$((2 * TRIALS))}


mkdir -p "$RESULTS"
rm -f "$RESULTS"/trial-*

# idle_pct, wait_quiet, busy_s, steal_s, bench_exe and find_go.
source benchmarks/quiet.sh
find_go

crate_version() {
    awk -v p="$1" '$0 == "name = \"" p "\"" {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock
}

# Build both once, before anything is timed: others may be editing the
# library meanwhile, and every pass must measure the same build.
RUST_BENCH=$(bench_exe chan)
[ -x "$RUST_BENCH" ] || { echo "could not build gosync/benches/chan.rs" >&2; exit 1; }
mkdir -p target/chan-go
GO_BENCH=target/chan-go/chanbench
(cd benchmarks/chan/go && GO111MODULE=off "$GO" build -o "../../../$GO_BENCH" main.go)

{
    echo "date:     $(date -u +%FT%TZ)"
    echo "commit:   $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- gosync/src || echo ' + uncommitted changes in gosync/src')"
    echo "src:      sha256 of gosync/src = $(find gosync/src -type f -name '*.rs' | sort | xargs cat | sha256sum | cut -c1-16)"
    echo "rustc:    $(rustc -V)"
    echo "go:       $("$GO" version)"
    echo "cpu:      $(lscpu | sed -n 's/^Model name: *//p') (family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p')), $(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest, $(lscpu | sed -n 's/^Thread(s) per core: *//p') thread(s) per core"
    echo "nproc:    $(nproc)"
    echo "memory:   $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
    echo "kernel:   $(uname -r)"
    for p in crossbeam-channel flume crossbeam-utils; do
        echo "crate:    $p $(crate_version "$p")"
    done
    echo "counts:   MESSAGES=$MESSAGES (boundedN) HANDOFF=$HANDOFF (bounded0, bounded1) TRIALS=$TRIALS"
} | tee "$RESULTS/machine.txt"

# A pass counts as quiet unless other processes used more than DISTURBED_PCT
# percent of the CPUs while either side ran; disturbed passes are kept (and
# marked DISTURBED in their .load file) but summary.py leaves them out, and
# another pass is run, up to MAX_PASSES in all.
t=0
quiet=0
while [ "$quiet" -lt "$TRIALS" ] && [ "$t" -lt "$MAX_PASSES" ]; do
    t=$((t + 1))
    echo "== pass $t ($quiet of $TRIALS quiet passes so far)"
    load="$RESULTS/trial-$t.load"
    if [ "$QUIET_WAIT" -gt 0 ]; then wait_quiet | tee "$load"; else : > "$load"; fi
    for side in rust go; do
        if [ "$side" = rust ]; then
            cmd=("$RUST_BENCH" --messages "$MESSAGES" --handoff "$HANDOFF" --shapes "$SHAPES" --rotate "$t")
        else
            cmd=("$GO_BENCH" -messages "$MESSAGES" -handoff "$HANDOFF" -shapes "$SHAPES")
        fi
        before=$(busy_s)
        steal_before=$(steal_s)
        start=$(date +%s.%N)
        TIMEFORMAT='%U %S'
        rc=0
        { time timeout "$PASS_LIMIT" "${cmd[@]}" > "$RESULTS/trial-$t-$side.tsv" 2> "$RESULTS/trial-$t-$side.err"; } \
            2> "$RESULTS/trial-$t.time" || rc=$?
        grep -v '^#' "$RESULTS/trial-$t-$side.tsv" | column -t
        if [ "$rc" -ne 0 ]; then
            echo "FAILED: $side, pass $t, exit $rc (124: still running after ${PASS_LIMIT} s); see trial-$t-$side.err" | tee -a "$load"
        fi
        [ -s "$RESULTS/trial-$t-$side.err" ] || rm -f "$RESULTS/trial-$t-$side.err"
        # What the rest of the machine did meanwhile: all busy CPU time minus ours.
        awk -v side="$side" -v before="$before" -v after="$(busy_s)" -v start="$start" -v end="$(date +%s.%N)" \
            -v steal="$(awk -v a="$steal_before" -v b="$(steal_s)" 'BEGIN {print b - a}')" \
            -v limit="$DISTURBED_PCT" \
            '{ ours = $1 + $2; wall = end - start; others = after - before - ours;
               if (others < 0) others = 0;
               pct = 100 * others / (wall * ncpu);
               printf "during %s: %.0f s wall; this bench %.1f CPU-s; other processes %.1f CPU-s (%.0f%% of %d CPUs); hypervisor steal %.1f CPU-s\n",
                      side, wall, ours, others, pct, ncpu, steal;
               if (pct > limit) printf "DISTURBED: other processes used more than %d%% of the CPUs during %s\n", limit, side }' \
            ncpu="$(nproc)" <(tail -1 "$RESULTS/trial-$t.time") | tee -a "$load"
        rm -f "$RESULTS/trial-$t.time"
    done
    grep -qE '^(DISTURBED|FAILED)' "$load" || quiet=$((quiet + 1))
done
echo "$quiet quiet passes of $t"

python3 benchmarks/chan/summary.py "$RESULTS" | tee "$RESULTS/summary.md"
python3 benchmarks/chan/plot.py "$RESULTS" "$RESULTS/plot.svg"
