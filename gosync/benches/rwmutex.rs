//! `gosync::sync::RwMutex` against `std::sync::RwLock` and
//! `parking_lot::RwLock`: uncontended read and write locking, and throughput
//! with 2 and 4 threads at 50%, 90% and 99% reads.

// Contended runs use plain std threads for every lock type, on purpose.
#![allow(clippy::disallowed_methods)]

#[allow(dead_code)] // each bench binary uses part of the shared helpers
mod common;

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

use common::{run_threads, Rng, RwLock};

type Gosync = gosync::sync::RwMutex<u64>;
type Std = std::sync::RwLock<u64>;
type ParkingLot = parking_lot::RwLock<u64>;

fn uncontended_read<L: RwLock>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let l = L::new(0);
    g.bench_function(L::NAME, |b| b.iter(|| black_box(&l).read()));
}

fn uncontended_write<L: RwLock>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let l = L::new(0);
    g.bench_function(L::NAME, |b| b.iter(|| black_box(&l).write(|c| *c += 1)));
}

/// One iteration is one operation on each of `threads` threads: a read lock
/// with probability `read_pct`%, else a write lock that bumps the counter.
/// The reported throughput is total lock operations per second.
fn contended<L: RwLock>(g: &mut BenchmarkGroup<'_, WallTime>, threads: usize, read_pct: u64) {
    g.bench_function(format!("{}/{threads}", L::NAME), |b| {
        b.iter_custom(|iters| {
            let l = L::new(0);
            run_threads(threads, iters, |t, n| {
                let mut rng = Rng::new(t);
                for _ in 0..n {
                    if rng.below(100) < read_pct {
                        black_box(black_box(&l).read());
                    } else {
                        black_box(&l).write(|c| *c += 1);
                    }
                }
            })
        });
    });
}

fn rwmutex(c: &mut Criterion) {
    let mut g = c.benchmark_group("rwmutex_uncontended_read");
    g.throughput(Throughput::Elements(1));
    uncontended_read::<Gosync>(&mut g);
    uncontended_read::<Std>(&mut g);
    uncontended_read::<ParkingLot>(&mut g);
    g.finish();

    let mut g = c.benchmark_group("rwmutex_uncontended_write");
    g.throughput(Throughput::Elements(1));
    uncontended_write::<Gosync>(&mut g);
    uncontended_write::<Std>(&mut g);
    uncontended_write::<ParkingLot>(&mut g);
    g.finish();

    for read_pct in [50, 90, 99] {
        let mut g = c.benchmark_group(format!("rwmutex_reads{read_pct}"));
        for threads in common::thread_counts(&[2, 4]) {
            g.throughput(Throughput::Elements(threads as u64));
            contended::<Gosync>(&mut g, threads, read_pct);
            contended::<Std>(&mut g, threads, read_pct);
            contended::<ParkingLot>(&mut g, threads, read_pct);
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = rwmutex
}
criterion_main!(benches);
