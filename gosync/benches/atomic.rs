//! `gosync::atomic` side by side with its peers.
//!
//! - `atomic_{load,store,add,cas}_{i32,i64}`: the typed atomics against the
//!   std atomic of the same width with `SeqCst`, single-threaded. They
//!   should be equal: the typed atomic *is* the std one plus hooks that
//!   compile to nothing without the `race` feature.
//! - `pointer_read_{1,2}_threads` and `pointer_read_2_threads_writer`:
//!   reading the current value of a `Pointer` (`load`, which returns an
//!   `Arc`, and `peek`, a guard that leaves the count alone) against
//!   `arc_swap::ArcSwap` (`load_full`, its `Arc`, and `load`, its guard),
//!   from 1 and 2 reader threads, and with 2 readers while a writer stores
//!   a new value every 100 µs. Each iteration is one read on every reader
//!   thread (criterion's throughput is reads per second over all threads),
//!   so a read that scales keeps its time per iteration flat from 1 to 2
//!   threads. Compare `gosync_Pointer_peek` with `arc_swap_load` and
//!   `gosync_Pointer_load` with `arc_swap_load_full`.
//!
//! Run: `cargo bench -p gosync --bench atomic` (or with `-- --test` to only
//! check that every case runs).

// The harness spawns std threads and sleeps between the writer's stores.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gosync::atomic::{Int32, Int64, Pointer};

#[allow(dead_code)] // each bench binary uses part of the shared helpers
mod common;

/// The same four operations on a gosync typed atomic and the std one.
macro_rules! int_benches {
    ($c:ident, $suffix:literal, $gosync:ident, $std:ident) => {{
        let mut g = $c.benchmark_group(concat!("atomic_load_", $suffix));
        g.throughput(Throughput::Elements(1));
        let x = $gosync::new(1);
        g.bench_function(concat!("gosync_", stringify!($gosync)), |b| {
            b.iter(|| black_box(&x).load())
        });
        let y = $std::new(1);
        g.bench_function(concat!("std_", stringify!($std)), |b| {
            b.iter(|| black_box(&y).load(SeqCst))
        });
        g.finish();

        let mut g = $c.benchmark_group(concat!("atomic_store_", $suffix));
        g.throughput(Throughput::Elements(1));
        g.bench_function(concat!("gosync_", stringify!($gosync)), |b| {
            b.iter(|| black_box(&x).store(black_box(2)))
        });
        g.bench_function(concat!("std_", stringify!($std)), |b| {
            b.iter(|| black_box(&y).store(black_box(2), SeqCst))
        });
        g.finish();

        let mut g = $c.benchmark_group(concat!("atomic_add_", $suffix));
        g.throughput(Throughput::Elements(1));
        g.bench_function(concat!("gosync_", stringify!($gosync)), |b| {
            b.iter(|| black_box(&x).add(black_box(1)))
        });
        // Go's Add returns the new value: std's fetch_add plus the delta.
        g.bench_function(concat!("std_", stringify!($std)), |b| {
            b.iter(|| {
                let d = black_box(1);
                black_box(&y).fetch_add(d, SeqCst).wrapping_add(d)
            })
        });
        g.finish();

        let mut g = $c.benchmark_group(concat!("atomic_cas_", $suffix));
        g.throughput(Throughput::Elements(1));
        g.bench_function(concat!("gosync_", stringify!($gosync)), |b| {
            let mut v = x.load();
            b.iter(|| {
                let ok = black_box(&x).compare_and_swap(v, v.wrapping_add(1));
                v = v.wrapping_add(1);
                ok
            })
        });
        g.bench_function(concat!("std_", stringify!($std)), |b| {
            let mut v = y.load(SeqCst);
            b.iter(|| {
                let ok = black_box(&y)
                    .compare_exchange(v, v.wrapping_add(1), SeqCst, SeqCst)
                    .is_ok();
                v = v.wrapping_add(1);
                ok
            })
        });
        g.finish();
    }};
}

fn typed_ints(c: &mut Criterion) {
    int_benches!(c, "i32", Int32, AtomicI32);
    int_benches!(c, "i64", Int64, AtomicI64);
}

/// What the readers read: a small config, as in the read-copy-update
/// pattern.
struct Config {
    version: u64,
    limit: u64,
}

fn config(version: u64) -> Arc<Config> {
    Arc::new(Config {
        version,
        limit: 2 * version,
    })
}

/// A shared current value, as each crate spells it.
trait Current: Send + Sync + 'static {
    fn new(v: Arc<Config>) -> Self;
    fn store(&self, v: Arc<Config>);
}

impl Current for Pointer<Config> {
    fn new(v: Arc<Config>) -> Self {
        Pointer::from(v)
    }
    fn store(&self, v: Arc<Config>) {
        Pointer::store(self, Some(v));
    }
}

impl Current for ArcSwap<Config> {
    fn new(v: Arc<Config>) -> Self {
        ArcSwap::new(v)
    }
    fn store(&self, v: Arc<Config>) {
        ArcSwap::store(self, v);
    }
}

/// While it lives, a thread stores a new value every 100 µs.
struct Writer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start<C: Current>(current: &Arc<C>) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, current) = (stop.clone(), current.clone());
        let thread = std::thread::spawn(move || {
            let mut version = 1;
            while !s.load(SeqCst) {
                version += 1;
                current.store(config(version));
                std::thread::sleep(Duration::from_micros(100));
            }
        });
        Writer {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("the writer thread");
        }
    }
}

/// One group: the four reads, on `threads` reader threads, with or
/// without a writer.
fn pointer_read(c: &mut Criterion, threads: usize, writer: bool) {
    let name = format!(
        "pointer_read_{threads}_thread{}{}",
        if threads == 1 { "" } else { "s" },
        if writer { "_writer" } else { "" }
    );
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(threads as u64));

    fn case<C: Current>(
        g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
        id: &str,
        threads: usize,
        writer: bool,
        read: fn(&C) -> u64,
    ) {
        let current = Arc::new(C::new(config(1)));
        let _writer = writer.then(|| Writer::start(&current));
        g.bench_function(id, |b| {
            b.iter_custom(|iters| {
                common::run_threads(threads, iters, |_, iters| {
                    for _ in 0..iters {
                        black_box(read(black_box(&current)));
                    }
                })
            })
        });
    }

    case::<Pointer<Config>>(&mut g, "gosync_Pointer_load", threads, writer, |p| {
        let v = p.load().expect("set");
        v.version + v.limit
    });
    case::<Pointer<Config>>(&mut g, "gosync_Pointer_peek", threads, writer, |p| {
        let v = p.peek().expect("set");
        v.version + v.limit
    });
    case::<ArcSwap<Config>>(&mut g, "arc_swap_load_full", threads, writer, |s| {
        let v = s.load_full();
        v.version + v.limit
    });
    case::<ArcSwap<Config>>(&mut g, "arc_swap_load", threads, writer, |s| {
        let v = s.load();
        v.version + v.limit
    });
    g.finish();
}

fn pointer_reads(c: &mut Criterion) {
    pointer_read(c, 1, false);
    pointer_read(c, 2, false);
    pointer_read(c, 2, true);
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = typed_ints, pointer_reads
}
criterion_main!(benches);
