#!/usr/bin/env bash
# Runs the scaling benchmarks from prebuilt binaries (benchmarks/scaling/
# prepare.sh) on a machine with more cores than the project's own 2:
#
#   benchmarks/scaling/run.sh chan        # channel shapes, threads and goroutines
#   benchmarks/scaling/run.sh sync        # Mutex, RwMutex, Map, Pool, latency
#
# chan: the goroutine bench (spawn, ping-pong, CPU-bound pool, pipeline)
# once at the defaults; then gosync's goroutines (gosync-go) and Go side by
# side at GOMAXPROCS = 1, 2, 4, 8, 16, on crossbeam's channel shapes and the
# goroutine bench; then crossbeam's shapes on threads with T = 4
# (crossbeam's) and T = 16 senders/receivers, all libraries, and Go at its
# default GOMAXPROCS (all CPUs). sync: the criterion benches with
# GOSYNC_BENCH_THREADS (default 1,2,4,8,16) and the latency bench.
#
# Environment: BIN (default target/scaling-bin), RESULTS (default
# benchmarks/scaling/results; also packed into $OUT/scaling-<part>.tgz when
# OUT is set), PASSES (of the GOMAXPROCS sweep, default 2), THREAD_PASSES (of
# the runs on threads, default 1), HANDOFF (default 100000), MESSAGES
# (default 5000000), PROCS (default "1 2 4 8 16"), THREADS (default
# 1,2,4,8,16), LATENCY_THREADS (default 2,4,8,16), CRITERION_ARGS (default
# --warm-up-time 0.3 --measurement-time 1), LATENCY_ARGS (default --secs 1
# --trials 2).
set -uo pipefail
cd "$(dirname "$0")/../.."

PART=${1:?usage: run.sh chan|sync}
BIN=${BIN:-target/scaling-bin}
RESULTS=${RESULTS:-benchmarks/scaling/results}/$PART
PASSES=${PASSES:-2}
THREAD_PASSES=${THREAD_PASSES:-1}
HANDOFF=${HANDOFF:-100000}
MESSAGES=${MESSAGES:-5000000}
PROCS=${PROCS:-1 2 4 8 16}
THREADS=${THREADS:-1,2,4,8,16}
LATENCY_THREADS=${LATENCY_THREADS:-2,4,8,16}
CRITERION_ARGS=${CRITERION_ARGS:---warm-up-time 0.3 --measurement-time 1}
LATENCY_ARGS=${LATENCY_ARGS:---secs 1 --trials 2}
mkdir -p "$RESULTS"

pack() {
    [ -n "${OUT:-}" ] && tar -C "$(dirname "$RESULTS")" -czf "$OUT/scaling-$PART.tgz" "$PART"
    return 0
}

{
    cat "$BIN/build.txt"
    echo "date:    $(date -u +%FT%TZ)"
    echo "cpu:     $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, $(lscpu | sed -n 's/^Thread(s) per core: *//p') thread(s) per core, $(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest"
    echo "memory:  $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
    echo "kernel:  $(uname -r)"
    echo "load:    $(cat /proc/loadavg)"
} | tee "$RESULTS/machine.txt"
pack

# A section's output goes to its file as it is made, and is packed after
# each run, so a run cut short still brings back what it measured.
section() {
    local file=$1 limit=$2
    shift 2
    echo "== $file: $*"
    local start=$SECONDS
    timeout "$limit" "$@" >> "$RESULTS/$file" 2>> "$RESULTS/$file.err" || echo "exit $? after $((SECONDS - start)) s: $*" | tee -a "$RESULTS/$file.err"
    echo "   $((SECONDS - start)) s"
    [ -s "$RESULTS/$file.err" ] || rm -f "$RESULTS/$file.err"
    pack
}

case $PART in
chan)
    section goroutine-default-rust.tsv 120 "$BIN/goroutine"
    section goroutine-default-go.tsv 120 "$BIN/goroutine-go"
    for p in $(seq 1 "$PASSES"); do
        for procs in $PROCS; do
            section "procs$procs-pass$p-rust.tsv" 120 env GOMAXPROCS=$procs "$BIN/chan" --messages "$MESSAGES" --handoff "$HANDOFF" --libs gosync-go
            section "procs$procs-pass$p-go.tsv" 120 env GOMAXPROCS=$procs "$BIN/chan-go" -messages "$MESSAGES" -handoff "$HANDOFF"
            section "procs$procs-pass$p-goroutine-rust.tsv" 120 env GOMAXPROCS=$procs "$BIN/goroutine" --libs gosync,gosync-spread
            section "procs$procs-pass$p-goroutine-go.tsv" 120 env GOMAXPROCS=$procs "$BIN/goroutine-go"
        done
    done
    for p in $(seq 1 "$THREAD_PASSES"); do
        for t in 4 16; do
            section "threads-T$t-pass$p-rust.tsv" 200 "$BIN/chan" --threads $t --messages "$MESSAGES" --handoff "$HANDOFF" --rotate $p \
                --libs gosync,crossbeam-channel,flume,std-mpsc
            section "threads-T$t-pass$p-go.tsv" 60 "$BIN/chan-go" -threads $t -messages "$MESSAGES" -handoff "$HANDOFF"
        done
    done
    ;;
sync)
    export CARGO_TARGET_DIR=$RESULTS/target GOSYNC_BENCH_THREADS=$THREADS
    for b in mutex rwmutex map pool; do
        section "$b.txt" 300 "$BIN/$b" --bench $CRITERION_ARGS
        tar -C "$RESULTS" -czf "$RESULTS/criterion.tgz" target/criterion 2> /dev/null
    done
    rm -rf "$RESULTS/target"
    section latency.txt 200 "$BIN/latency" $LATENCY_ARGS --threads "$LATENCY_THREADS"
    ;;
*)
    echo "unknown part $PART" >&2
    exit 2
    ;;
esac
echo "done: $RESULTS"
