//! Goroutines themselves, side by side: starting and finishing goroutines
//! (gosync on the M:N scheduler, `std::thread::spawn`, and Go's `go` in
//! `benchmarks/goroutine/go/main.go`), and an unbuffered ping-pong between
//! two parties (gosync goroutines, gosync channels between two OS threads,
//! crossbeam-channel between two OS threads, and Go).
//!
//! - `spawn`: start `N` goroutines that do nothing and wait for all of
//!   them (a WaitGroup), inside `gosync::run`; for std, `N` threads spawned
//!   and then joined.
//! - `pingpong`: one party sends on an unbuffered channel, the other
//!   receives and answers on a second one; `N` round trips.
//! - `workers`: CPU-bound jobs through a pool. A feeder goroutine sends `N`
//!   jobs on an unbuffered channel to [`WORKERS`] workers; each job is
//!   [`WORK`] rounds of xorshift (tens of microseconds), and its result
//!   goes back on a second unbuffered channel to the `run` goroutine. The
//!   other side of the scheduler's trade: handoffs want goroutines on one
//!   worker, and this wants them spread over all of them. `gosync` starts
//!   the workers with `gosync::go`, `gosync-spread` with
//!   `gosync::go_spread`, which queues each on the least busy worker.
//! - `pipeline`: `N` values through four stages joined by unbuffered
//!   channels, each stage doing a quarter of a job's work: spreading
//!   stages that each keep a CPU busy (`gosync-spread`: the stages started
//!   with `gosync::go_spread`).
//!
//! Output: one tab-separated line per run, `shape library count seconds`,
//! for `benchmarks/goroutine/run.sh`.
//!
//! Run: `cargo bench -p gosync --bench goroutine -- [--spawn N]
//! [--threads N] [--pingpong N] [--jobs N] [--libs gosync,std-thread,...]`.

// This binary deliberately uses std threads and reads the clock directly.
#![allow(clippy::disallowed_methods)]

use std::thread;
use std::time::Instant;

use gosync::chan::Chan;
use gosync::sync::WaitGroup;

fn spawn_gosync(n: usize) {
    gosync::run(|| {
        let wg = WaitGroup::new();
        for _ in 0..n {
            wg.go(|| {});
        }
        wg.wait();
    });
}

fn spawn_std(n: usize) {
    let handles: Vec<_> = (0..n).map(|_| thread::spawn(|| {})).collect();
    for h in handles {
        h.join().unwrap();
    }
}

fn pingpong_gosync_goroutines(n: usize) {
    gosync::run(|| {
        let (ping, pong) = (Chan::new(0), Chan::new(0));
        {
            let (ping, pong) = (ping.clone(), pong.clone());
            gosync::go(move || {
                for v in &ping {
                    pong.send(v);
                }
            });
        }
        for i in 0..n {
            ping.send(i);
            assert_eq!(pong.recv(), Some(i));
        }
        ping.close();
    });
}

fn pingpong_gosync_threads(n: usize) {
    let (ping, pong) = (Chan::new(0), Chan::new(0));
    let t = {
        let (ping, pong) = (ping.clone(), pong.clone());
        thread::spawn(move || {
            for v in &ping {
                pong.send(v);
            }
        })
    };
    for i in 0..n {
        ping.send(i);
        assert_eq!(pong.recv(), Some(i));
    }
    ping.close();
    t.join().unwrap();
}

fn pingpong_crossbeam(n: usize) {
    let (ping_tx, ping_rx) = crossbeam_channel::bounded(0);
    let (pong_tx, pong_rx) = crossbeam_channel::bounded(0);
    let t = thread::spawn(move || {
        for v in ping_rx {
            pong_tx.send(v).unwrap();
        }
    });
    for i in 0..n {
        ping_tx.send(i).unwrap();
        assert_eq!(pong_rx.recv(), Ok(i));
    }
    drop(ping_tx);
    t.join().unwrap();
}

/// A shape, a library, its count and the function that runs it.
type Run = (&'static str, &'static str, usize, fn(usize));

/// Goroutines in the `workers` pool.
const WORKERS: usize = 8;
/// Rounds of xorshift in one job (the same in `go/main.go`).
const WORK: u32 = 10_000;

/// A job: CPU work the compiler cannot skip (each round depends on the
/// last).
fn work(seed: u64, rounds: u32) -> u64 {
    let mut x = seed | 1;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// Starts `f` as a goroutine, spread over the workers or not.
fn start(spread: bool, f: impl FnOnce() + Send + 'static) {
    if spread {
        gosync::go_spread(f);
    } else {
        gosync::go(f);
    }
}

fn workers_gosync(n: usize) {
    workers(n, false);
}

fn workers_gosync_spread(n: usize) {
    workers(n, true);
}

/// The `workers` shape, its pool started with `go_spread` if `spread`.
fn workers(n: usize, spread: bool) {
    let sum = gosync::run(|| {
        let (jobs, results) = (Chan::new(0), Chan::new(0));
        for _ in 0..WORKERS {
            let (jobs, results) = (jobs.receiver(), results.sender());
            start(spread, move || {
                for j in &jobs {
                    results.send(work(j, WORK));
                }
            });
        }
        {
            let jobs = jobs.sender();
            gosync::go(move || {
                for i in 0..n as u64 {
                    jobs.send(i);
                }
                jobs.close();
            });
        }
        (0..n).fold(0u64, |s, _| s.wrapping_add(results.recv().unwrap()))
    });
    std::hint::black_box(sum);
}

fn pipeline_gosync(n: usize) {
    pipeline(n, false);
}

fn pipeline_gosync_spread(n: usize) {
    pipeline(n, true);
}

/// The `pipeline` shape, its stages started with `go_spread` if `spread`.
fn pipeline(n: usize, spread: bool) {
    const STAGES: usize = 4;
    let sum = gosync::run(|| {
        let first = Chan::new(0);
        let mut input = first.receiver();
        for _ in 0..STAGES {
            let output = Chan::new(0);
            let (rx, tx) = (input, output.sender());
            start(spread, move || {
                for v in &rx {
                    tx.send(work(v, WORK / STAGES as u32));
                }
                tx.close();
            });
            input = output.receiver();
        }
        {
            let first = first.sender();
            gosync::go(move || {
                for i in 0..n as u64 {
                    first.send(i);
                }
                first.close();
            });
        }
        input.iter().fold(0u64, |s, v| s.wrapping_add(v))
    });
    std::hint::black_box(sum);
}

fn count(v: Option<String>, what: &str) -> usize {
    v.and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or_else(|| panic!("expected {what}"))
}

fn main() {
    let (mut spawn, mut threads, mut pingpong, mut jobs) = (100_000, 10_000, 100_000, 10_000);
    let mut libs: Option<Vec<String>> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--spawn" => spawn = count(args.next(), "--spawn N"),
            "--threads" => threads = count(args.next(), "--threads N"),
            "--pingpong" => pingpong = count(args.next(), "--pingpong N"),
            "--jobs" => jobs = count(args.next(), "--jobs N"),
            "--libs" => {
                let list = args.next().expect("--libs a,b");
                libs = Some(list.split(',').map(str::to_owned).collect());
            }
            _ => {}
        }
    }
    let runs: [Run; 9] = [
        ("spawn", "gosync", spawn, spawn_gosync),
        ("spawn", "std-thread", threads, spawn_std),
        ("pingpong", "gosync", pingpong, pingpong_gosync_goroutines),
        (
            "pingpong",
            "gosync-threads",
            pingpong,
            pingpong_gosync_threads,
        ),
        (
            "pingpong",
            "crossbeam-channel",
            pingpong,
            pingpong_crossbeam,
        ),
        ("workers", "gosync", jobs, workers_gosync),
        ("workers", "gosync-spread", jobs, workers_gosync_spread),
        ("pipeline", "gosync", jobs, pipeline_gosync),
        ("pipeline", "gosync-spread", jobs, pipeline_gosync_spread),
    ];
    println!("# shape\tlibrary\tcount\tseconds");
    for (shape, lib, n, f) in runs {
        if libs.as_ref().is_some_and(|l| !l.iter().any(|x| x == lib)) {
            continue;
        }
        let start = Instant::now();
        f(n);
        let secs = start.elapsed().as_secs_f64();
        println!("{shape}\t{lib}\t{n}\t{secs:.6}");
    }
}
