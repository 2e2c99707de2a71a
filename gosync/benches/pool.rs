//! Reusing a 4 KiB buffer: `gosync::sync::Pool` get+put against a fresh
//! allocation (`Vec::with_capacity(4096)`, dropped after use) and against a
//! `std::sync::Mutex<Vec<Vec<u8>>>` free list, on 1 and 2 threads.
//!
//! - `pool_get_put`: one buffer taken, touched and given back per
//!   iteration (Go's `BenchmarkPool`); in the gosync pool this stays in the
//!   thread's private slot.
//! - `pool_burst`: 16 buffers taken, then all 16 given back, per
//!   iteration (Go's `BenchmarkPoolOverflow` in spirit); this goes through
//!   the pool's per-thread deque.
//!
//! Throughput counts buffers: one get+put (or one allocation) each.
//! Run: `cargo bench -p gosync --bench pool`.

// Multi-threaded runs use plain std threads for every contender, on purpose.
#![allow(clippy::disallowed_methods)]

#[allow(dead_code)] // each bench binary uses part of the shared helpers
mod common;

use std::hint::black_box;
use std::sync::Mutex;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

use common::run_threads;

const SIZE: usize = 4096;
const BURST: usize = 16;

fn make() -> Vec<u8> {
    Vec::with_capacity(SIZE)
}

/// Uses a buffer as a caller would, so that none of this is optimised away.
#[inline]
fn touch(buf: &mut Vec<u8>) {
    buf.clear();
    buf.push(1);
    black_box(&mut *buf);
}

/// One way of getting a buffer and giving it back.
trait Source: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn get(&self) -> Vec<u8>;
    fn put(&self, buf: Vec<u8>);
}

struct GosyncPool(gosync::sync::Pool<Vec<u8>>);

impl Source for GosyncPool {
    const NAME: &'static str = "gosync_Pool";
    fn new() -> Self {
        GosyncPool(gosync::sync::Pool::new(make))
    }
    #[inline]
    fn get(&self) -> Vec<u8> {
        self.0.get()
    }
    #[inline]
    fn put(&self, buf: Vec<u8>) {
        self.0.put(buf)
    }
}

/// No reuse: allocate, and free on "put".
struct Alloc;

impl Source for Alloc {
    const NAME: &'static str = "alloc_Vec";
    fn new() -> Self {
        Alloc
    }
    #[inline]
    fn get(&self) -> Vec<u8> {
        make()
    }
    #[inline]
    fn put(&self, buf: Vec<u8>) {
        drop(buf)
    }
}

/// The simplest shared pool: a free list under a lock.
struct MutexPool(Mutex<Vec<Vec<u8>>>);

impl Source for MutexPool {
    const NAME: &'static str = "std_Mutex_Vec";
    fn new() -> Self {
        MutexPool(Mutex::new(Vec::new()))
    }
    #[inline]
    fn get(&self) -> Vec<u8> {
        let cached = self.0.lock().unwrap().pop();
        cached.unwrap_or_else(make)
    }
    #[inline]
    fn put(&self, buf: Vec<u8>) {
        self.0.lock().unwrap().push(buf)
    }
}

fn get_put<S: Source>(g: &mut BenchmarkGroup<'_, WallTime>, threads: usize) {
    g.bench_function(format!("{}/{threads}", S::NAME), |b| {
        b.iter_custom(|iters| {
            let s = S::new();
            run_threads(threads, iters, |_, n| {
                for _ in 0..n {
                    let mut buf = black_box(&s).get();
                    touch(&mut buf);
                    s.put(buf);
                }
            })
        });
    });
}

fn burst<S: Source>(g: &mut BenchmarkGroup<'_, WallTime>, threads: usize) {
    g.bench_function(format!("{}/{threads}", S::NAME), |b| {
        b.iter_custom(|iters| {
            let s = S::new();
            run_threads(threads, iters, |_, n| {
                let mut held = Vec::with_capacity(BURST);
                for _ in 0..n {
                    for _ in 0..BURST {
                        let mut buf = black_box(&s).get();
                        touch(&mut buf);
                        held.push(buf);
                    }
                    for buf in held.drain(..) {
                        s.put(buf);
                    }
                }
            })
        });
    });
}

fn pool(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool_get_put");
    for threads in common::thread_counts(&[1, 2]) {
        g.throughput(Throughput::Elements(threads as u64));
        get_put::<GosyncPool>(&mut g, threads);
        get_put::<Alloc>(&mut g, threads);
        get_put::<MutexPool>(&mut g, threads);
    }
    g.finish();

    let mut g = c.benchmark_group("pool_burst");
    for threads in common::thread_counts(&[1, 2]) {
        g.throughput(Throughput::Elements((threads * BURST) as u64));
        burst::<GosyncPool>(&mut g, threads);
        burst::<Alloc>(&mut g, threads);
        burst::<MutexPool>(&mut g, threads);
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = pool
}
criterion_main!(benches);
