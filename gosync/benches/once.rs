//! The fast path of one-time initialisation, once it has happened:
//! `gosync::sync::Once::call` against `std::sync::Once::call_once`,
//! `std::sync::OnceLock::get_or_init` and `parking_lot::Once::call_once`;
//! `gosync::sync::OnceValue::get` against `OnceLock::get` and `LazyLock`'s
//! deref. All single-threaded: after initialisation every one of them is a
//! load of a shared flag, which does not contend.

use std::hint::black_box;
use std::sync::{LazyLock, OnceLock};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[allow(dead_code)] // each bench binary uses part of the shared helpers
mod common;

fn once_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("once_call_done");
    g.throughput(Throughput::Elements(1));

    let once = gosync::sync::Once::new();
    once.call(|| {});
    g.bench_function("gosync_Once_call", |b| {
        b.iter(|| black_box(&once).call(|| unreachable!()))
    });

    let once = std::sync::Once::new();
    once.call_once(|| {});
    g.bench_function("std_Once_call_once", |b| {
        b.iter(|| black_box(&once).call_once(|| unreachable!()))
    });

    let cell = OnceLock::new();
    cell.get_or_init(|| 7u64);
    g.bench_function("std_OnceLock_get_or_init", |b| {
        b.iter(|| *black_box(&cell).get_or_init(|| unreachable!()))
    });

    let once = parking_lot::Once::new();
    once.call_once(|| {});
    g.bench_function("parking_lot_Once_call_once", |b| {
        b.iter(|| black_box(&once).call_once(|| unreachable!()))
    });
    g.finish();
}

fn once_value(c: &mut Criterion) {
    let mut g = c.benchmark_group("once_value_get");
    g.throughput(Throughput::Elements(1));

    let value = gosync::sync::OnceValue::new(|| 7u64);
    value.get();
    g.bench_function("gosync_OnceValue_get", |b| {
        b.iter(|| *black_box(&value).get())
    });

    let cell = OnceLock::new();
    cell.get_or_init(|| 7u64);
    g.bench_function("std_OnceLock_get", |b| {
        b.iter(|| *black_box(&cell).get().unwrap())
    });

    let lazy = LazyLock::new(|| 7u64);
    LazyLock::force(&lazy);
    g.bench_function("std_LazyLock_deref", |b| b.iter(|| **black_box(&lazy)));
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = once_call, once_value
}
criterion_main!(benches);
