#!/usr/bin/env bash
# Where one handoff's time goes with everything on one worker
# (GOMAXPROCS=1), gosync-go against Go: perf stat and a perf profile of a
# few channel shapes, from the prebuilt binaries of prepare.sh (chan-syms
# keeps its symbol table). PERF names the perf to use (a copied one needs
# LD_LIBRARY_PATH for its libraries).
#
#   benchmarks/scaling/profile.sh > profile.txt
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/scaling-bin}
PERF=${PERF:-perf}
N=${N:-1000000}
SHAPES=${SHAPES:-bounded1_spsc bounded0_spsc}
export GOMAXPROCS=${GOMAXPROCS:-1}
tmp=$(mktemp -d)
echo "GOMAXPROCS=$GOMAXPROCS N=$N"
for shape in $SHAPES; do
    for side in gosync go; do
        if [ $side = gosync ]; then
            cmd=("$BIN/chan-syms" --libs gosync-go --shapes "$shape" --handoff "$N" --messages "$N")
        else
            cmd=("$BIN/chan-go" -shapes "$shape" -handoff "$N" -messages "$N")
        fi
        echo "=== $shape $side: perf stat"
        "$PERF" stat -e task-clock,context-switches,cycles,instructions,branch-misses,cache-misses "${cmd[@]}" 2>&1 | grep -v '^#\|^$'
        echo "=== $shape $side: perf record"
        "$PERF" record -q -e cpu-clock -F 10000 -o "$tmp/p.data" "${cmd[@]}" > /dev/null 2>&1
        "$PERF" report -i "$tmp/p.data" --stdio --no-children --percent-limit 0.7 2>/dev/null | grep -v '^#\|^$' | head -45
    done
done
rm -rf "$tmp"
