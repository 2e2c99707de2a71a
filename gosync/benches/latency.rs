//! Tail latency of `Mutex::lock` under contention: how long a thread waits
//! from calling `lock` until it holds the lock, for gosync, std and
//! parking_lot. Criterion reports means, which hide exactly what fairness is
//! about, so this is a plain binary that prints a table.
//!
//! Each run starts `threads` std threads that lock, bump a counter, and
//! unlock, for `--secs` seconds. Scenarios: `tiny` (nothing else), `cs1us`
//! (1 µs of work inside the lock and 1 µs outside), `hog20us` (20 µs inside,
//! none outside: Go's starvation test, where an unfair lock lets the thread
//! that just unlocked take it again, ahead of a woken sleeper, indefinitely). Every wait is timed with `Instant` and goes
//! into a log-linear histogram (about 3% resolution; the maximum is exact).
//! The two clock reads around `lock` are part of every figure, for every
//! lock alike.
//!
//! Fairness policies being compared: gosync (Go's) switches to starvation
//! mode, handing the lock over in FIFO order, once a waiter has waited 1 ms;
//! parking_lot forces a fair handoff on unlock about every 0.5 ms; std's
//! futex mutex has no fairness at all.
//!
//! Run: `cargo bench -p gosync --bench latency -- [--secs S] [--trials N]`.

// This binary deliberately uses std threads and reads the clock directly.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

#[allow(dead_code)] // each bench binary uses part of the shared helpers
mod common;

use common::Lock;

/// Log-linear histogram of nanoseconds: exact below 64 ns, then 32
/// sub-buckets per power of two.
struct Hist {
    counts: Vec<u64>,
    max: u64,
    n: u64,
}

const SUB_BITS: u32 = 5;
const LINEAR: u64 = 64;

impl Hist {
    fn new() -> Hist {
        Hist {
            counts: vec![0; 64 + 64 * (1 << SUB_BITS)],
            max: 0,
            n: 0,
        }
    }

    fn index(v: u64) -> usize {
        if v < LINEAR {
            return v as usize;
        }
        let e = 63 - v.leading_zeros(); // >= 6
        let sub = (v >> (e - SUB_BITS)) & ((1 << SUB_BITS) - 1);
        (LINEAR + u64::from(e - 6) * (1 << SUB_BITS) + sub) as usize
    }

    /// The upper edge of bucket `i` (a value is at most this).
    fn upper(i: usize) -> u64 {
        let i = i as u64;
        if i < LINEAR {
            return i;
        }
        let e = (i - LINEAR) / (1 << SUB_BITS) + 6;
        let sub = (i - LINEAR) % (1 << SUB_BITS);
        ((1 << SUB_BITS) + sub + 1) << (e - u64::from(SUB_BITS))
    }

    #[inline]
    fn record(&mut self, ns: u64) {
        self.counts[Self::index(ns)] += 1;
        self.max = self.max.max(ns);
        self.n += 1;
    }

    fn merge(&mut self, other: &Hist) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.max = self.max.max(other.max);
        self.n += other.n;
    }

    fn quantile(&self, q: f64) -> u64 {
        let target = ((self.n as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= target {
                return Self::upper(i).min(self.max);
            }
        }
        self.max
    }
}

#[derive(Clone, Copy)]
struct Scenario {
    name: &'static str,
    /// Busy work while holding the lock.
    inside: Duration,
    /// Busy work between unlocking and locking again.
    outside: Duration,
}

#[inline]
fn busy(d: Duration) {
    if d.is_zero() {
        return;
    }
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

struct Outcome {
    hist: Hist,
    ops_per_sec: f64,
    /// Fewest lock acquisitions by one thread over most by one thread.
    fairness: f64,
}

fn measure<L: Lock>(threads: usize, secs: f64, s: Scenario) -> Outcome {
    let lock = L::new(0);
    let stop = AtomicBool::new(false);
    let start_line = Barrier::new(threads + 1);
    let mut hists = Vec::new();
    let mut elapsed = Duration::ZERO;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (lock, stop, start_line) = (&lock, &stop, &start_line);
                scope.spawn(move || {
                    let mut h = Hist::new();
                    start_line.wait();
                    while !stop.load(Ordering::Relaxed) {
                        let called = Instant::now();
                        let got = lock.with(|c| {
                            let got = Instant::now();
                            *c += 1;
                            busy(s.inside);
                            got
                        });
                        h.record((got - called).as_nanos() as u64);
                        busy(s.outside);
                    }
                    h
                })
            })
            .collect();
        start_line.wait();
        let t0 = Instant::now();
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        hists = workers.into_iter().map(|w| w.join().unwrap()).collect();
        elapsed = t0.elapsed();
    });
    let total = lock.with(|c| *c);
    assert_eq!(total, hists.iter().map(|h| h.n).sum::<u64>(), "lost update");
    summarise(&hists, elapsed)
}

fn noise_floor(threads: usize, secs: f64, s: Scenario) -> Outcome {
    let stop = AtomicBool::new(false);
    let start_line = Barrier::new(threads + 1);
    let mut hists = Vec::new();
    let mut elapsed = Duration::ZERO;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (stop, start_line) = (&stop, &start_line);
                scope.spawn(move || {
                    let mut h = Hist::new();
                    let mut count = 0u64;
                    start_line.wait();
                    let mut prev = Instant::now();
                    while !stop.load(Ordering::Relaxed) {
                        busy(s.inside);
                        count += 1;
                        busy(s.outside);
                        let now = Instant::now();
                        let gap = (now - prev).saturating_sub(s.inside + s.outside);
                        h.record(gap.as_nanos() as u64);
                        prev = now;
                    }
                    black_box(count);
                    h
                })
            })
            .collect();
        start_line.wait();
        let t0 = Instant::now();
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        hists = workers.into_iter().map(|w| w.join().unwrap()).collect();
        elapsed = t0.elapsed();
    });
    summarise(&hists, elapsed)
}

fn summarise(hists: &[Hist], elapsed: Duration) -> Outcome {
    let counts: Vec<u64> = hists.iter().map(|h| h.n).collect();
    let mut hist = Hist::new();
    for h in hists {
        hist.merge(h);
    }
    let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    Outcome {
        ops_per_sec: hist.n as f64 / elapsed.as_secs_f64(),
        hist,
        fairness: *min as f64 / (*max).max(1) as f64,
    }
}

fn fmt_ns(ns: u64) -> String {
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.2} ms", ns as f64 / 1e6)
    }
}

fn row(s: Scenario, threads: usize, trial: usize, name: &str, o: &Outcome) {
    let h = &o.hist;
    println!(
        "| {} | {threads} | {trial} | {name} | {:.2} | {} | {} | {} | {} | {} | {:.2} |",
        s.name,
        o.ops_per_sec / 1e6,
        fmt_ns(h.quantile(0.5)),
        fmt_ns(h.quantile(0.99)),
        fmt_ns(h.quantile(0.999)),
        fmt_ns(h.quantile(0.9999)),
        fmt_ns(h.max),
        o.fairness,
    );
}

fn main() {
    let mut secs = 2.0;
    let mut trials = 1;
    let mut threads_list = vec![2, 4];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--secs" => secs = args.next().and_then(|v| v.parse().ok()).expect("--secs S"),
            "--trials" => {
                trials = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--trials N")
            }
            "--threads" => {
                threads_list = args
                    .next()
                    .map(|v| {
                        v.split(',')
                            .map(|t| t.parse().expect("--threads 2,4"))
                            .collect()
                    })
                    .expect("--threads 2,4")
            }
            // `cargo bench` passes `--bench`; ignore it and anything else.
            _ => {}
        }
    }
    let scenarios = [
        Scenario {
            name: "tiny",
            inside: Duration::ZERO,
            outside: Duration::ZERO,
        },
        Scenario {
            name: "cs1us",
            inside: Duration::from_micros(1),
            outside: Duration::from_micros(1),
        },
        // Go's starvation test shape: every thread holds the lock for 20 µs
        // and asks for it again at once, so a sleeping waiter that is woken
        // finds it taken again unless the lock is fair.
        Scenario {
            name: "hog20us",
            inside: Duration::from_micros(20),
            outside: Duration::ZERO,
        },
    ];
    println!(
        "Mutex wait from calling lock to holding it; {secs} s per run, {trials} trial(s); {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("(\"no lock\" rows: the same loop without a lock; their figures are how long the OS");
    println!(
        "kept a thread off its CPU between iterations, the floor under any lock's worst wait)"
    );
    println!();
    println!("| scenario | threads | trial | lock | M locks/s | p50 | p99 | p99.9 | p99.99 | max | fairness |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut all: Vec<(Scenario, usize, &str, Outcome)> = Vec::new();
    for s in scenarios {
        for &threads in &threads_list {
            for trial in 1..=trials {
                let runs = [
                    (
                        "gosync",
                        measure::<gosync::sync::Mutex<u64>>(threads, secs, s),
                    ),
                    ("std", measure::<std::sync::Mutex<u64>>(threads, secs, s)),
                    (
                        "parking_lot",
                        measure::<parking_lot::Mutex<u64>>(threads, secs, s),
                    ),
                    ("no lock", noise_floor(threads, secs, s)),
                ];
                for (name, o) in runs {
                    row(s, threads, trial, name, &o);
                    all.push((s, threads, name, o));
                }
            }
        }
    }

    // Medians over the trials; the worst maximum beside the median one.
    println!();
    println!("Median of {trials} trial(s):");
    println!();
    println!("| scenario | threads | lock | M locks/s | p99 | p99.99 | max (median) | max (worst) | gosync max ÷ this |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for s in scenarios {
        for &threads in &threads_list {
            let pick = |name: &str| -> Vec<&Outcome> {
                all.iter()
                    .filter(|(sc, t, n, _)| sc.name == s.name && *t == threads && *n == name)
                    .map(|(.., o)| o)
                    .collect()
            };
            let med_max = |name: &str| median(pick(name).iter().map(|o| o.hist.max as f64));
            let gosync_max = med_max("gosync");
            for name in ["gosync", "std", "parking_lot", "no lock"] {
                let os = pick(name);
                let worst = os.iter().map(|o| o.hist.max).max().unwrap_or(0);
                println!(
                    "| {} | {threads} | {name} | {:.2} | {} | {} | {} | {} | {} |",
                    s.name,
                    median(os.iter().map(|o| o.ops_per_sec / 1e6)),
                    fmt_ns(median(os.iter().map(|o| o.hist.quantile(0.99) as f64)) as u64),
                    fmt_ns(median(os.iter().map(|o| o.hist.quantile(0.9999) as f64)) as u64),
                    fmt_ns(med_max(name) as u64),
                    fmt_ns(worst),
                    if name == "gosync" || name == "no lock" {
                        "—".to_string()
                    } else {
                        format!("{:.2}", gosync_max / med_max(name))
                    },
                );
            }
        }
    }
}

fn median(xs: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = xs.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
