//! `gosync::sync::Mutex` against `std::sync::Mutex` and `parking_lot::Mutex`:
//! uncontended lock/unlock, and throughput with 2 and 4 threads contending
//! for a counter. Tail latency is in `latency.rs` (criterion reports means).

// Contended runs use plain std threads for every lock type, on purpose.
#![allow(clippy::disallowed_methods)]

#[allow(dead_code)] // each bench binary uses part of the shared helpers
mod common;

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

use common::{run_threads, Lock};

type Gosync = gosync::sync::Mutex<u64>;
type Std = std::sync::Mutex<u64>;
type ParkingLot = parking_lot::Mutex<u64>;

fn uncontended<L: Lock>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let m = L::new(0);
    g.bench_function(L::NAME, |b| b.iter(|| black_box(&m).with(|c| *c += 1)));
}

/// One iteration is one lock/unlock on each of `threads` threads, so the
/// reported throughput is total lock/unlock pairs per second.
fn contended<L: Lock>(g: &mut BenchmarkGroup<'_, WallTime>, threads: usize) {
    g.bench_function(format!("{}/{threads}", L::NAME), |b| {
        b.iter_custom(|iters| {
            let m = L::new(0);
            let elapsed = run_threads(threads, iters, |_, n| {
                for _ in 0..n {
                    black_box(&m).with(|c| *c += 1);
                }
            });
            assert_eq!(m.with(|c| *c), threads as u64 * iters, "lost update");
            elapsed
        });
    });
}

fn mutex(c: &mut Criterion) {
    let mut g = c.benchmark_group("mutex_uncontended");
    g.throughput(Throughput::Elements(1));
    uncontended::<Gosync>(&mut g);
    uncontended::<Std>(&mut g);
    uncontended::<ParkingLot>(&mut g);
    g.finish();

    let mut g = c.benchmark_group("mutex_contended");
    for threads in common::thread_counts(&[2, 4]) {
        g.throughput(Throughput::Elements(threads as u64));
        contended::<Gosync>(&mut g, threads);
        contended::<Std>(&mut g, threads);
        contended::<ParkingLot>(&mut g, threads);
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = mutex
}
criterion_main!(benches);
