#!/usr/bin/env bash
# Builds every binary the scaling run needs into target/scaling-bin (Rust
# bench binaries in release, Go's two bench programs), stripped, so that a
# bigger machine with no toolchain can run benchmarks/scaling/run.sh.
#
#   benchmarks/scaling/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source benchmarks/quiet.sh
find_go

BIN=target/scaling-bin
rm -rf "$BIN"
mkdir -p "$BIN"
for b in chan goroutine mutex rwmutex latency map pool; do
    exe=$(bench_exe "$b")
    [ -x "$exe" ] || { echo "could not build bench $b" >&2; exit 1; }
    strip -o "$BIN/$b" "$exe"
done
(cd benchmarks/chan/go && GO111MODULE=off "$GO" build -o "../../../$BIN/chan-go" main.go)
(cd benchmarks/goroutine/go && GO111MODULE=off "$GO" build -o "../../../$BIN/goroutine-go" main.go)
{
    echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- gosync/src || echo ' + uncommitted changes in gosync/src')"
    echo "src:     sha256 of gosync/src = $(find gosync/src -type f -name '*.rs' | sort | xargs cat | sha256sum | cut -c1-16)"
    echo "rustc:   $(rustc -V)"
    echo "go:      $("$GO" version)"
    for p in crossbeam-channel flume parking_lot criterion dashmap; do
        echo "crate:   $p $(awk -v p="$p" '$0 == "name = \"" p "\"" {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
    done
} > "$BIN/build.txt"
cat "$BIN/build.txt"
du -sh "$BIN"
