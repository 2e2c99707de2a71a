//! Micro figures for `context`, `semaphore` and `errgroup`, on the shapes of
//! Go's own benchmarks (`src/context/benchmark_test.go`,
//! `x/sync/semaphore/semaphore_bench_test.go`, `errgroup_test.go`'s
//! `BenchmarkGo`), for comparison with `go test -bench` on the same
//! machine. Single-threaded except where a goroutine is the point.
//!
//! - `context_check_canceled`: Go's `BenchmarkCheckCanceled`, `err()` and a
//!   non-blocking receive on `done()` of a cancelled context.
//! - `context_with_cancel`: Go's `BenchmarkContextCancelDone` without the
//!   parallelism: derive, cancel, see `done`.
//! - `context_with_timeout`: derive with a timer, cancel (the timer is
//!   removed from the service, never fires).
//! - `context_cancel_tree`: Go's `BenchmarkCancelTree`, a chain of the given
//!   depth under one root, cancelled from the root.
//! - `context_value`: a lookup through ten value layers.
//! - `semaphore_acquire_release`: uncontended `acquire(1)` + `release(1)`,
//!   and `try_acquire` + `release`.
//! - `errgroup_go_wait`: Go's `BenchmarkGo`, one goroutine started and
//!   waited for per iteration.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gosync::context::{self, Context};
use gosync::errgroup::Group;
use gosync::semaphore::Weighted;

#[allow(dead_code)] // each bench binary uses part of the shared helpers
mod common;

fn check_canceled(c: &mut Criterion) {
    let mut g = c.benchmark_group("context_check_canceled");
    g.throughput(Throughput::Elements(1));
    let (ctx, cancel) = context::with_cancel(&context::background());
    cancel();
    g.bench_function("err", |b| b.iter(|| black_box(&ctx).err()));
    g.bench_function("done_try_recv", |b| {
        b.iter(|| black_box(&ctx).done().try_recv())
    });
    g.finish();
}

fn derive_and_cancel(c: &mut Criterion) {
    let bg = context::background();
    let mut g = c.benchmark_group("context_with_cancel");
    g.throughput(Throughput::Elements(1));
    g.bench_function("derive_cancel_done", |b| {
        b.iter(|| {
            let (ctx, cancel) = context::with_cancel(black_box(&bg));
            cancel();
            ctx.done().recv()
        })
    });
    let (parent, _cancel) = context::with_cancel(&bg);
    g.bench_function("derive_cancel_under_cancellable_parent", |b| {
        b.iter(|| {
            let (ctx, cancel) = context::with_cancel(black_box(&parent));
            cancel();
            ctx.err()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("context_with_timeout");
    g.throughput(Throughput::Elements(1));
    g.bench_function("derive_cancel", |b| {
        b.iter(|| {
            let (ctx, cancel) = context::with_timeout(black_box(&bg), Duration::from_secs(3600));
            cancel();
            ctx.err()
        })
    });
    g.finish();
}

fn cancel_tree(c: &mut Criterion) {
    let mut g = c.benchmark_group("context_cancel_tree");
    for depth in [1, 10, 100, 1000] {
        g.throughput(Throughput::Elements(depth));
        g.bench_with_input(BenchmarkId::from_parameter(depth), &depth, |b, &depth| {
            b.iter(|| {
                let (root, cancel) = context::with_cancel(&context::background());
                let mut ctx = root;
                for _ in 0..depth {
                    ctx = context::with_cancel(&ctx).0;
                }
                cancel();
                ctx.err()
            })
        });
    }
    g.finish();
}

fn value_lookup(c: &mut Criterion) {
    struct Needle(u64);
    #[allow(dead_code)] // only its type matters: a layer the lookup walks past
    struct Layer(usize);
    let mut ctx: Context = context::with_value(&context::background(), Needle(7));
    for i in 0..10 {
        ctx = context::with_value(&ctx, Layer(i));
    }
    let mut g = c.benchmark_group("context_value");
    g.throughput(Throughput::Elements(1));
    g.bench_function("through_10_layers", |b| {
        b.iter(|| black_box(&ctx).value::<Needle>().map(|n| n.0))
    });
    g.finish();
}

fn semaphore(c: &mut Criterion) {
    let bg = context::background();
    let sem = Weighted::new(10);
    let mut g = c.benchmark_group("semaphore_acquire_release");
    g.throughput(Throughput::Elements(1));
    g.bench_function("acquire_release", |b| {
        b.iter(|| {
            sem.acquire(&bg, 1).unwrap();
            sem.release(1);
        })
    });
    g.bench_function("try_acquire_release", |b| {
        b.iter(|| {
            assert!(sem.try_acquire(1));
            sem.release(1);
        })
    });
    g.finish();
}

fn errgroup(c: &mut Criterion) {
    let mut g = c.benchmark_group("errgroup_go_wait");
    g.throughput(Throughput::Elements(1));
    g.bench_function("go_wait", |b| {
        let group = Group::<()>::new();
        b.iter(|| {
            group.go(|| Ok(()));
            group.wait()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = check_canceled, derive_and_cancel, cancel_tree, value_lookup, semaphore, errgroup
}
criterion_main!(benches);
