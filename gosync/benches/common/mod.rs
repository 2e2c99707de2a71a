//! Shared by the side-by-side benches: one lock interface over gosync and its
//! peers, the criterion settings, and the thread harness for contended runs.
//!
//! Every contended figure, for every lock type, comes from plain `std`
//! threads started here, so no lock gets a scheduling advantage.

// The harness deliberately spawns std threads and reads the clock directly.
#![allow(clippy::disallowed_methods)]

use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::Criterion;

/// Short runs: the suite has to finish in minutes on a 2-core machine.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

/// The thread counts of the contended runs: `GOSYNC_BENCH_THREADS` (a comma
/// list, e.g. `1,2,4,8,16` on a bigger machine), else `default`, the counts
/// that suit this project's 2-core machine.
pub fn thread_counts(default: &[usize]) -> Vec<usize> {
    match std::env::var("GOSYNC_BENCH_THREADS") {
        Ok(list) => list
            .split(',')
            .map(|t| match t.trim().parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => panic!("GOSYNC_BENCH_THREADS: {t:?} is not a positive count"),
            })
            .collect(),
        Err(_) => default.to_vec(),
    }
}

/// A mutual-exclusion lock around a counter, as each crate spells it.
pub trait Lock: Sync + Send {
    const NAME: &'static str;
    fn new(v: u64) -> Self;
    /// Locks, runs `f` on the data, unlocks.
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R;
}

impl Lock for gosync::sync::Mutex<u64> {
    const NAME: &'static str = "gosync";
    fn new(v: u64) -> Self {
        gosync::sync::Mutex::new(v)
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.lock())
    }
}

impl Lock for std::sync::Mutex<u64> {
    const NAME: &'static str = "std";
    fn new(v: u64) -> Self {
        std::sync::Mutex::new(v)
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.lock().unwrap())
    }
}

impl Lock for parking_lot::Mutex<u64> {
    const NAME: &'static str = "parking_lot";
    fn new(v: u64) -> Self {
        parking_lot::Mutex::new(v)
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.lock())
    }
}

/// A reader/writer lock around a counter, as each crate spells it.
pub trait RwLock: Sync + Send {
    const NAME: &'static str;
    fn new(v: u64) -> Self;
    fn read(&self) -> u64;
    fn write(&self, f: impl FnOnce(&mut u64));
}

impl RwLock for gosync::sync::RwMutex<u64> {
    const NAME: &'static str = "gosync";
    fn new(v: u64) -> Self {
        gosync::sync::RwMutex::new(v)
    }
    #[inline]
    fn read(&self) -> u64 {
        *self.rlock()
    }
    #[inline]
    fn write(&self, f: impl FnOnce(&mut u64)) {
        f(&mut self.lock())
    }
}

impl RwLock for std::sync::RwLock<u64> {
    const NAME: &'static str = "std";
    fn new(v: u64) -> Self {
        std::sync::RwLock::new(v)
    }
    #[inline]
    fn read(&self) -> u64 {
        *self.read().unwrap()
    }
    #[inline]
    fn write(&self, f: impl FnOnce(&mut u64)) {
        f(&mut self.write().unwrap())
    }
}

impl RwLock for parking_lot::RwLock<u64> {
    const NAME: &'static str = "parking_lot";
    fn new(v: u64) -> Self {
        parking_lot::RwLock::new(v)
    }
    #[inline]
    fn read(&self) -> u64 {
        *self.read()
    }
    #[inline]
    fn write(&self, f: impl FnOnce(&mut u64)) {
        f(&mut self.write())
    }
}

/// Runs `body(thread_index, iters)` on `threads` fresh std threads released
/// together, and returns the time from their release until the last one
/// finished. Thread start-up is outside the measured span.
pub fn run_threads(threads: usize, iters: u64, body: impl Fn(usize, u64) + Sync) -> Duration {
    let start_line = Barrier::new(threads + 1);
    let mut start = None;
    std::thread::scope(|s| {
        for t in 0..threads {
            let (body, start_line) = (&body, &start_line);
            s.spawn(move || {
                start_line.wait();
                body(t, iters);
            });
        }
        start_line.wait();
        start = Some(Instant::now());
    });
    start.expect("set before the scope joins").elapsed()
}

/// A small per-thread random number generator (xorshift64*), so that the
/// choice between reading and writing costs a few instructions and no
/// shared state.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: usize) -> Rng {
        Rng((seed as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) % n
    }
}
