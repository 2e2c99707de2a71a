//! `gosync::sync::WaitGroup` against `crossbeam_utils::sync::WaitGroup`.
//!
//! The two have different shapes. Go's group is a counter: `add(n)`, `done()`
//! n times, `wait()`, and the same group is reused round after round.
//! crossbeam's is reference-counted: every participant holds a clone, a
//! participant is done when its clone drops, and `wait(self)` consumes the
//! group, so each round needs a fresh one (an `Arc` allocation). We map:
//!
//! | round of   | gosync                         | crossbeam                          |
//! |------------|--------------------------------|------------------------------------|
//! | register k | `add(k)` (or `add(1)` k times) | `clone()` k times                  |
//! | finish one | `done()`                       | `drop(clone)`                      |
//! | wait       | `wait()`                       | `wait()` (consumes)                |
//! | next round | same group                     | `WaitGroup::new()` (allocates)     |
//!
//! and also run gosync with a fresh group per round (`new`, whose first use
//! allocates its shared state), which pays the same allocation crossbeam does.
//!
//! `cycle`: one thread does a whole round with one participant (no blocking:
//! the count is already zero at `wait`). `fan_out/k`: a pool of k std
//! threads, made once; each round the waiter hands every worker its
//! participation over a std mpsc channel (the same channel type for both),
//! each worker finishes once, and the waiter blocks in `wait` until all have.

// The fan-out pool is made of plain std threads, for both groups alike.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use criterion::{criterion_group, criterion_main, Criterion};

#[allow(dead_code)] // each bench binary uses part of the shared helpers
mod common;

type Crossbeam = crossbeam_utils::sync::WaitGroup;

fn cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("waitgroup_cycle");

    let wg = gosync::sync::WaitGroup::new();
    g.bench_function("gosync_reused", |b| {
        b.iter(|| {
            let wg = black_box(&wg);
            wg.add(1);
            wg.done();
            wg.wait();
        })
    });

    g.bench_function("gosync_fresh", |b| {
        b.iter(|| {
            let wg = gosync::sync::WaitGroup::new();
            let wg = black_box(&wg);
            wg.add(1);
            wg.done();
            wg.wait();
        })
    });

    g.bench_function("crossbeam", |b| {
        b.iter(|| {
            let wg = Crossbeam::new();
            drop(black_box(wg.clone()));
            wg.wait();
        })
    });
    g.finish();
}

/// k std threads, each running `handle` on every message it receives.
struct Pool<M: Send + 'static> {
    senders: Vec<mpsc::Sender<M>>,
    threads: Vec<JoinHandle<()>>,
}

impl<M: Send + 'static> Pool<M> {
    fn new(k: usize, handle: impl Fn(M) + Send + Clone + 'static) -> Pool<M> {
        let mut senders = Vec::new();
        let mut threads = Vec::new();
        for _ in 0..k {
            let (tx, rx) = mpsc::channel::<M>();
            let handle = handle.clone();
            senders.push(tx);
            threads.push(std::thread::spawn(move || {
                for m in rx {
                    handle(m);
                }
            }));
        }
        Pool { senders, threads }
    }
}

impl<M: Send + 'static> Drop for Pool<M> {
    fn drop(&mut self) {
        self.senders.clear();
        for t in self.threads.drain(..) {
            t.join().unwrap();
        }
    }
}

fn fan_out(c: &mut Criterion) {
    let mut g = c.benchmark_group("waitgroup_fan_out");
    for k in [1, 2, 4] {
        let wg = Arc::new(gosync::sync::WaitGroup::new());
        let pool = Pool::new(k, {
            let wg = wg.clone();
            move |()| wg.done()
        });
        g.bench_function(format!("gosync/{k}"), |b| {
            b.iter(|| {
                wg.add(k as isize);
                for tx in &pool.senders {
                    tx.send(()).unwrap();
                }
                wg.wait();
            })
        });
        drop(pool);

        let pool = Pool::new(k, drop::<Crossbeam>);
        g.bench_function(format!("crossbeam/{k}"), |b| {
            b.iter(|| {
                let wg = Crossbeam::new();
                for tx in &pool.senders {
                    tx.send(wg.clone()).unwrap();
                }
                wg.wait();
            })
        });
        drop(pool);
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = cycle, fan_out
}
criterion_main!(benches);
