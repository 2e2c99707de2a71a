#!/usr/bin/env bash
# The evidence behind BENCHMARKS.md's channel findings: system calls and
# context switches per message (perf stat), and where gosync's time goes
# (perf record), on a few shapes. Needs perf (linux-perf); run on an idle
# machine.
#
#   benchmarks/chan/perf.sh [BENCH_BINARY]   # default: build gosync/benches/chan.rs
#
# Writes $RESULTS/perf.txt (default benchmarks/chan/results).
set -euo pipefail
cd "$(dirname "$0")/../.."
source benchmarks/quiet.sh

RESULTS=${RESULTS:-benchmarks/chan/results}
BENCH=${1:-}
if [ -z "$BENCH" ]; then
    BENCH=$(bench_exe chan)
fi
BENCH=$(realpath "$BENCH")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

per_message() {
    # shape lib n: one run under perf stat, counts divided by n.
    local shape=$1 lib=$2 n=$3 line
    line=$(perf stat -x, -o "$tmp/stat" \
        -e 'syscalls:sys_enter_futex,syscalls:sys_enter_sched_yield,context-switches,task-clock' \
        "$BENCH" --shapes "$shape" --libs "$lib" --handoff "$n" --messages "$n" | grep -v '^#')
    awk -F, -v n="$n" -v line="$line" '
        /^#/ || NF < 3 { next }
        { v[$3] = $1 }
        END {
            split(line, f, "\t");
            printf "%-22s %-18s %9.2f µs/msg  futex %5.2f/msg  sched_yield %5.2f/msg  context switches %5.2f/msg  CPU %6.2f µs/msg\n",
                f[1], f[2], f[4] / n * 1e6, v["syscalls:sys_enter_futex"] / n, v["syscalls:sys_enter_sched_yield"] / n,
                v["context-switches"] / n, v["task-clock"] * 1e3 / n
        }' "$tmp/stat"
}

top_symbols() {
    # shape n count: perf record of gosync alone, the top symbols by self time.
    local shape=$1 n=$2 count=$3
    (cd "$tmp" && perf record -q -o "$tmp/data" -F 5000 "$BENCH" --shapes "$shape" --libs gosync \
        --handoff "$n" --messages "$n" > /dev/null 2>&1)
    perf report -i "$tmp/data" --no-children --stdio --sort sym 2> /dev/null |
        grep -E '^ +[0-9]' | head -"$count" || true  # head may close the pipe early
}

{
    echo "binary: $BENCH"
    echo "date:   $(date -u +%FT%TZ); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "== system calls and context switches per message (one run each)"
    for shape in bounded0_spsc bounded1_spsc bounded1_mpsc; do
        for lib in gosync crossbeam-channel flume; do
            per_message "$shape" "$lib" 100000
        done
    done
    echo
    echo "== gosync, bounded0_spsc (100,000 messages): top symbols, self time"
    top_symbols bounded0_spsc 100000 8
    echo
    echo "== gosync, boundedN_seq (5,000,000 messages, one thread): top symbols, self time"
    top_symbols boundedN_seq 5000000 10
    echo "   hottest instructions of select (share of its samples):"
    perf annotate -i "$tmp/data" --stdio -s gosync::chan::select::select 2> /dev/null |
        grep -E '^ +[0-9]+\.[0-9]+ +:' | sort -rn | head -4 || true
    echo
    echo "== gosync, boundedN_mpmc (5,000,000 messages, 8 threads): top symbols, self time"
    top_symbols boundedN_mpmc 5000000 6
} | tee "$RESULTS/perf.txt"
