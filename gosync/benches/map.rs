//! `gosync::sync::Map` against `dashmap::DashMap` and `std::sync::RwLock<HashMap>`,
//! with 1 and 2 threads at 99%, 90% and 50% reads.
//!
//! Each map is used with its default hasher: gosync's `Map` hashes with
//! foldhash (seeded per map), DashMap and std's `HashMap` with SipHash-1-3.
//! Hashing a `u64` with SipHash costs more than the rest of a lookup, so
//! DashMap also runs with foldhash (`dashmap_DashMap_foldhash`): that row
//! compares the maps' designs alone.
//!
//! The map holds `KEYS` keys (`u64` to `u64`), stored before the clock
//! starts; gosync's `Map` then has them in its lock-free snapshot, its
//! steady state for keys written once. Each operation, on each thread, is:
//!
//! - with probability `read_pct`%: a `load` of a random present key;
//! - otherwise a write, of which 3 in 4 `store` a new value for a random
//!   present key, and 1 in 4 touch the thread's own `CHURN` keys beyond
//!   those: the thread stores each of them (a new key), then deletes each
//!   of them, and so on.
//!
//! One iteration is one operation on each thread; throughput is total
//! operations per second, so the three maps' figures in one group read as
//! ratios. Run: `cargo bench -p gosync --bench map` (or `-- --test` for a
//! quick check that it runs).

// The harness uses plain std threads for every map, on purpose.
#![allow(clippy::disallowed_methods)]

#[allow(dead_code)] // each bench binary uses part of the shared helpers
mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::RwLock;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use dashmap::DashMap;

use common::{run_threads, Rng};

/// Keys present from the start.
const KEYS: u64 = 1024;
/// Keys each thread inserts and deletes in turn.
const CHURN: u64 = 64;

/// A concurrent `u64 -> u64` map, as each crate spells it.
trait BenchMap: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn load(&self, k: u64) -> Option<u64>;
    fn store(&self, k: u64, v: u64);
    fn delete(&self, k: u64);
    /// Brings the map to its steady state once the keys are stored.
    fn settle(&self) {}
}

impl BenchMap for gosync::sync::Map<u64, u64> {
    const NAME: &'static str = "gosync_Map";
    fn new() -> Self {
        gosync::sync::Map::new()
    }
    #[inline]
    fn load(&self, k: u64) -> Option<u64> {
        gosync::sync::Map::load(self, &k)
    }
    #[inline]
    fn store(&self, k: u64, v: u64) {
        gosync::sync::Map::store(self, k, v)
    }
    #[inline]
    fn delete(&self, k: u64) {
        gosync::sync::Map::delete(self, &k)
    }
    fn settle(&self) {
        // `range` moves the keys from the dirty table to the snapshot, as
        // enough loads would.
        self.range(|_, _| true);
    }
}

impl BenchMap for DashMap<u64, u64> {
    const NAME: &'static str = "dashmap_DashMap";
    fn new() -> Self {
        DashMap::new()
    }
    #[inline]
    fn load(&self, k: u64) -> Option<u64> {
        self.get(&k).map(|v| *v)
    }
    #[inline]
    fn store(&self, k: u64, v: u64) {
        self.insert(k, v);
    }
    #[inline]
    fn delete(&self, k: u64) {
        self.remove(&k);
    }
}

type DashMapFoldhash = DashMap<u64, u64, foldhash::fast::RandomState>;

impl BenchMap for DashMapFoldhash {
    const NAME: &'static str = "dashmap_DashMap_foldhash";
    fn new() -> Self {
        DashMap::with_hasher(foldhash::fast::RandomState::default())
    }
    #[inline]
    fn load(&self, k: u64) -> Option<u64> {
        self.get(&k).map(|v| *v)
    }
    #[inline]
    fn store(&self, k: u64, v: u64) {
        self.insert(k, v);
    }
    #[inline]
    fn delete(&self, k: u64) {
        self.remove(&k);
    }
}

impl BenchMap for RwLock<HashMap<u64, u64>> {
    const NAME: &'static str = "std_RwLock_HashMap";
    fn new() -> Self {
        RwLock::new(HashMap::new())
    }
    #[inline]
    fn load(&self, k: u64) -> Option<u64> {
        self.read().unwrap().get(&k).copied()
    }
    #[inline]
    fn store(&self, k: u64, v: u64) {
        self.write().unwrap().insert(k, v);
    }
    #[inline]
    fn delete(&self, k: u64) {
        self.write().unwrap().remove(&k);
    }
}

/// `n` operations of thread `t` at `read_pct`% reads (the mix above).
fn operations<M: BenchMap>(m: &M, t: usize, n: u64, read_pct: u64) {
    let mut rng = Rng::new(t);
    let churn_base = KEYS + t as u64 * CHURN;
    let mut churn = 0;
    for i in 0..n {
        if rng.below(100) < read_pct {
            black_box(m.load(rng.below(KEYS)));
        } else if rng.below(4) != 0 {
            m.store(rng.below(KEYS), i);
        } else {
            let k = churn_base + churn % CHURN;
            if (churn / CHURN) % 2 == 0 {
                m.store(k, i);
            } else {
                m.delete(k);
            }
            churn += 1;
        }
    }
}

fn mixed<M: BenchMap>(g: &mut BenchmarkGroup<'_, WallTime>, threads: usize, read_pct: u64) {
    g.bench_function(format!("{}/{threads}", M::NAME), |b| {
        b.iter_custom(|iters| {
            let m = M::new();
            for k in 0..KEYS {
                m.store(k, k);
            }
            m.settle();
            run_threads(threads, iters, |t, n| operations(&m, t, n, read_pct))
        });
    });
}

fn map(c: &mut Criterion) {
    for read_pct in [99, 90, 50] {
        let mut g = c.benchmark_group(format!("map_reads{read_pct}"));
        for threads in common::thread_counts(&[1, 2]) {
            g.throughput(Throughput::Elements(threads as u64));
            mixed::<gosync::sync::Map<u64, u64>>(&mut g, threads, read_pct);
            mixed::<DashMap<u64, u64>>(&mut g, threads, read_pct);
            mixed::<DashMapFoldhash>(&mut g, threads, read_pct);
            mixed::<RwLock<HashMap<u64, u64>>>(&mut g, threads, read_pct);
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = map
}
criterion_main!(benches);
