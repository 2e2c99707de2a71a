//! Channels on crossbeam-channel's own benchmark shapes (its
//! `benchmarks/README.md`), side by side: gosync, crossbeam-channel, flume
//! and `std::sync::mpsc`. `benchmarks/chan/go/main.go` runs the same shapes
//! on Go's channels, and `benchmarks/chan/run.sh` runs both and reports.
//!
//! Shapes, with `N` messages and `T` = 4 threads (crossbeam's choice):
//! - `seq`: one thread sends `N`, then receives `N` (buffered only).
//! - `spsc`: one thread sends `N`, another receives them.
//! - `mpsc`: `T` threads send `N / T` each; one thread receives `N`.
//! - `mpmc`: `T` threads send `N / T` each; `T` others receive `N / T` each.
//! - `select_rx`: `T` threads each send `N / T` on a channel of their own;
//!   one thread receives `N` by selecting over the `T` channels.
//! - `select_both`: `T` threads each send `N / T` by selecting over `T`
//!   channels; `T` others each receive `N / T` by selecting over them.
//!
//! Each shape runs with capacity 0 (`bounded0`: unbuffered, Go's
//! `make(chan T)`), 1 (`bounded1`) and `N` (`boundedN`, room for every
//! message). Go has no unbounded channel, so crossbeam's `unbounded` rows are
//! left out. `std::sync::mpsc` (`sync_channel`) has one receiver and no
//! select, so it runs `seq`, `spsc` and `mpsc` only. flume's `Selector`
//! hangs in `select_both`, which is left out for flume.
//!
//! Every select is written with a fixed four arms: gosync's `select!` and
//! crossbeam's `select!` macros, flume's `Selector` with four operations,
//! and Go's `select` statement with four cases, so every library does the
//! same work. (gosync's dynamic `chan::Select`, like crossbeam's `Select`
//! builder, would serve a run-time count of channels.)
//!
//! Every library runs on plain std threads, started and joined inside the
//! timed region, as in crossbeam's harness. `gosync-go` is gosync's
//! channels with goroutines instead: the shape runs inside `gosync::run`
//! and its senders and receivers are `gosync::go` goroutines on the M:N
//! scheduler, as Go's are (`seq` has no workers and is the same as
//! `gosync`'s).
//!
//! Output: one tab-separated line per run, `shape library messages seconds`,
//! for `benchmarks/chan/summary.py`.
//!
//! Run: `cargo bench -p gosync --bench chan -- [--messages N] [--handoff M]
//! [--libs gosync,gosync-go,crossbeam-channel,flume,std-mpsc] [--shapes SUBSTRING]
//! [--threads T] [--rotate K]`.
//! `--messages` is `N` for `boundedN` (default 5,000,000, crossbeam's);
//! `--handoff` is `N` for `bounded0` and `bounded1` (default 100,000), where
//! threads park on nearly every message at tens of microseconds each on a
//! small VM. `--threads` is `T` (default 4); `select_rx` keeps one sender
//! per channel of its four-way select whatever `T` is. `--rotate K` runs
//! the libraries of each shape in their usual order rotated by `K` places:
//! the first library of a shape runs right after the last shape's threads
//! and allocations, and that costs it (`boundedN_seq`, the same code run
//! twice in a row: 15-25% slower the first time), so `run.sh` rotates by
//! the pass number and each library goes first as often as the others.

// This binary deliberately uses std threads and reads the clock directly.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::thread;
use std::time::Instant;

/// Senders (and receivers) per shape: crossbeam's `THREADS`, 4, unless
/// `--threads T` says otherwise (for scaling runs on bigger machines).
static THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(4);

fn threads() -> usize {
    THREADS.load(std::sync::atomic::Ordering::Relaxed)
}

/// One word, as crossbeam's `Message` and Go's `uintptr`.
type Msg = usize;

/// A bounded channel as each library spells it.
trait Flavor {
    const NAME: &'static str;
    type Tx: Clone + Send;
    type Rx: Send;
    fn new(cap: usize) -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, m: Msg);
    fn recv(rx: &Self::Rx) -> Msg;
}

/// A library with a select over four channels.
trait Select4: Flavor {
    fn select_recv(rx: &[Self::Rx; 4]) -> Msg;
    fn select_send(tx: &[Self::Tx; 4], m: Msg);
}

struct Gosync;

impl Flavor for Gosync {
    const NAME: &'static str = "gosync";
    type Tx = gosync::chan::Chan<Msg>;
    type Rx = gosync::chan::Chan<Msg>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        let c = gosync::chan::Chan::new(cap);
        (c.clone(), c)
    }
    #[inline]
    fn send(tx: &Self::Tx, m: Msg) {
        tx.send(m);
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Msg {
        rx.recv().expect("open")
    }
}

impl Select4 for Gosync {
    #[inline]
    fn select_recv(rx: &[Self::Rx; 4]) -> Msg {
        gosync::select! {
            recv(&rx[0]) -> v => v,
            recv(&rx[1]) -> v => v,
            recv(&rx[2]) -> v => v,
            recv(&rx[3]) -> v => v,
        }
        .expect("open")
    }
    #[inline]
    fn select_send(tx: &[Self::Tx; 4], m: Msg) {
        gosync::select! {
            send(&tx[0], m) => {},
            send(&tx[1], m) => {},
            send(&tx[2], m) => {},
            send(&tx[3], m) => {},
        }
    }
}

struct Crossbeam;

impl Flavor for Crossbeam {
    const NAME: &'static str = "crossbeam-channel";
    type Tx = crossbeam_channel::Sender<Msg>;
    type Rx = crossbeam_channel::Receiver<Msg>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        crossbeam_channel::bounded(cap)
    }
    #[inline]
    fn send(tx: &Self::Tx, m: Msg) {
        tx.send(m).expect("open");
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Msg {
        rx.recv().expect("open")
    }
}

impl Select4 for Crossbeam {
    #[inline]
    fn select_recv(rx: &[Self::Rx; 4]) -> Msg {
        crossbeam_channel::select! {
            recv(rx[0]) -> v => v,
            recv(rx[1]) -> v => v,
            recv(rx[2]) -> v => v,
            recv(rx[3]) -> v => v,
        }
        .expect("open")
    }
    #[inline]
    fn select_send(tx: &[Self::Tx; 4], m: Msg) {
        crossbeam_channel::select! {
            send(tx[0], m) -> r => r,
            send(tx[1], m) -> r => r,
            send(tx[2], m) -> r => r,
            send(tx[3], m) -> r => r,
        }
        .expect("open")
    }
}

struct Flume;

impl Flavor for Flume {
    const NAME: &'static str = "flume";
    type Tx = flume::Sender<Msg>;
    type Rx = flume::Receiver<Msg>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        flume::bounded(cap)
    }
    #[inline]
    fn send(tx: &Self::Tx, m: Msg) {
        tx.send(m).expect("open");
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Msg {
        rx.recv().expect("open")
    }
}

impl Select4 for Flume {
    #[inline]
    fn select_recv(rx: &[Self::Rx; 4]) -> Msg {
        flume::Selector::new()
            .recv(&rx[0], |v| v)
            .recv(&rx[1], |v| v)
            .recv(&rx[2], |v| v)
            .recv(&rx[3], |v| v)
            .wait()
            .expect("open")
    }
    #[inline]
    fn select_send(tx: &[Self::Tx; 4], m: Msg) {
        flume::Selector::new()
            .send(&tx[0], m, |r| r)
            .send(&tx[1], m, |r| r)
            .send(&tx[2], m, |r| r)
            .send(&tx[3], m, |r| r)
            .wait()
            .expect("open")
    }
}

struct StdMpsc;

impl Flavor for StdMpsc {
    const NAME: &'static str = "std-mpsc";
    type Tx = std::sync::mpsc::SyncSender<Msg>;
    type Rx = std::sync::mpsc::Receiver<Msg>;
    fn new(cap: usize) -> (Self::Tx, Self::Rx) {
        std::sync::mpsc::sync_channel(cap)
    }
    #[inline]
    fn send(tx: &Self::Tx, m: Msg) {
        tx.send(m).expect("open");
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> Msg {
        rx.recv().expect("open")
    }
}

fn seq<F: Flavor>(cap: usize, n: usize) {
    let (tx, rx) = F::new(cap);
    for i in 0..n {
        F::send(&tx, i);
    }
    for _ in 0..n {
        black_box(F::recv(&rx));
    }
}

/// Where a shape's workers run: scoped OS threads, or goroutines inside
/// `gosync::run`. The main part runs on the calling thread (or in the
/// `run` goroutine) while the workers run.
trait Exec {
    fn exec(workers: Vec<Box<dyn FnOnce() + Send>>, main: impl FnOnce() + Send);
}

struct Threads;

impl Exec for Threads {
    fn exec(workers: Vec<Box<dyn FnOnce() + Send>>, main: impl FnOnce() + Send) {
        thread::scope(|s| {
            for w in workers {
                s.spawn(w);
            }
            main();
        });
    }
}

struct Goroutines;

impl Exec for Goroutines {
    fn exec(workers: Vec<Box<dyn FnOnce() + Send>>, main: impl FnOnce() + Send) {
        gosync::run(|| {
            let wg = gosync::sync::WaitGroup::new();
            for w in workers {
                wg.go(w);
            }
            main();
            wg.wait();
        });
    }
}

fn senders<F: Flavor>(txs: Vec<F::Tx>, n: usize) -> Vec<Box<dyn FnOnce() + Send>>
where
    F::Tx: 'static,
{
    txs.into_iter()
        .map(|tx| -> Box<dyn FnOnce() + Send> {
            Box::new(move || {
                for i in 0..n {
                    F::send(&tx, i);
                }
            })
        })
        .collect()
}

fn spsc<F: Flavor, E: Exec>(cap: usize, n: usize)
where
    F::Tx: 'static,
{
    let (tx, rx) = F::new(cap);
    E::exec(senders::<F>(vec![tx], n), move || {
        for _ in 0..n {
            black_box(F::recv(&rx));
        }
    });
}

fn mpsc<F: Flavor, E: Exec>(cap: usize, n: usize)
where
    F::Tx: 'static,
{
    let (tx, rx) = F::new(cap);
    E::exec(
        senders::<F>(vec![tx; threads()], n / threads()),
        move || {
            for _ in 0..n / threads() * threads() {
                black_box(F::recv(&rx));
            }
        },
    );
}

fn mpmc<F: Flavor, E: Exec>(cap: usize, n: usize)
where
    F::Tx: 'static,
    F::Rx: Clone + 'static,
{
    let (tx, rx) = F::new(cap);
    let mut workers = senders::<F>(vec![tx; threads()], n / threads());
    for _ in 0..threads() {
        let rx = rx.clone();
        workers.push(Box::new(move || {
            for _ in 0..n / threads() {
                black_box(F::recv(&rx));
            }
        }));
    }
    E::exec(workers, || {});
}

fn four<F: Flavor>(cap: usize) -> ([F::Tx; 4], [F::Rx; 4]) {
    let [a, b, c, d] = [(); 4].map(|()| F::new(cap));
    ([a.0, b.0, c.0, d.0], [a.1, b.1, c.1, d.1])
}

fn select_rx<F: Select4, E: Exec>(cap: usize, n: usize)
where
    F::Tx: 'static,
{
    // One sender per channel, whatever `--threads` says: the select is
    // four-way.
    let (txs, rxs) = four::<F>(cap);
    E::exec(senders::<F>(txs.to_vec(), n / 4), move || {
        for _ in 0..n / 4 * 4 {
            black_box(F::select_recv(&rxs));
        }
    });
}

fn select_both<F: Select4, E: Exec>(cap: usize, n: usize)
where
    F::Tx: 'static,
    F::Rx: Clone + 'static,
{
    let (txs, rxs) = four::<F>(cap);
    let mut workers: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
    for _ in 0..threads() {
        let txs = txs.clone();
        workers.push(Box::new(move || {
            for i in 0..n / threads() {
                F::select_send(&txs, i);
            }
        }));
    }
    for _ in 0..threads() {
        let rxs = rxs.clone();
        workers.push(Box::new(move || {
            for _ in 0..n / threads() {
                black_box(F::select_recv(&rxs));
            }
        }));
    }
    E::exec(workers, || {});
}

type Shape = fn(usize, usize);

const SHAPES: [&str; 6] = ["seq", "spsc", "mpsc", "mpmc", "select_rx", "select_both"];

/// Every shape, for a multi-consumer library with a select, its workers
/// run by `E`.
fn all_shapes<F: Select4, E: Exec>() -> [Option<Shape>; 6]
where
    F::Tx: 'static,
    F::Rx: Clone + 'static,
{
    [
        Some(seq::<F>),
        Some(spsc::<F, E>),
        Some(mpsc::<F, E>),
        Some(mpmc::<F, E>),
        Some(select_rx::<F, E>),
        Some(select_both::<F, E>),
    ]
}

/// flume: every shape but `select_both`. flume 0.12's `Selector` hung
/// there (sends and receives both by `Selector`, four threads each) at every
/// capacity, even with 2,000 messages; see BENCHMARKS.md.
fn flume_shapes() -> [Option<Shape>; 6] {
    let mut shapes = all_shapes::<Flume, Threads>();
    shapes[5] = None;
    shapes
}

/// The single-consumer shapes without select.
fn mpsc_shapes<F: Flavor>() -> [Option<Shape>; 6]
where
    F::Tx: 'static,
{
    [
        Some(seq::<F>),
        Some(spsc::<F, Threads>),
        Some(mpsc::<F, Threads>),
        None,
        None,
        None,
    ]
}

fn count(v: Option<String>, what: &str) -> usize {
    // Allow 1_000_000.
    v.and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or_else(|| panic!("expected {what}"))
}

fn main() {
    let mut messages: usize = 5_000_000;
    let mut handoff: usize = 100_000;
    let mut libs_wanted: Option<Vec<String>> = None;
    let mut shape_filter = String::new();
    let mut rotate = 0;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--messages" => messages = count(args.next(), "--messages N"),
            "--handoff" => handoff = count(args.next(), "--handoff N"),
            "--libs" => {
                libs_wanted = Some(
                    args.next()
                        .expect("--libs a,b")
                        .split(',')
                        .map(String::from)
                        .collect(),
                )
            }
            "--threads" => THREADS.store(
                count(args.next(), "--threads T").max(1),
                std::sync::atomic::Ordering::Relaxed,
            ),
            "--shapes" => shape_filter = args.next().expect("--shapes SUBSTRING"),
            "--rotate" => rotate = count(args.next(), "--rotate K"),
            // `cargo bench` passes `--bench`; ignore it and anything else.
            _ => {}
        }
    }
    // Every sender sends N / T: keep N a multiple of T so counts match.
    let messages = messages / threads() * threads();
    let handoff = handoff / threads() * threads();

    let mut libs: [(&str, [Option<Shape>; 6]); 5] = [
        (Gosync::NAME, all_shapes::<Gosync, Threads>()),
        ("gosync-go", all_shapes::<Gosync, Goroutines>()),
        (Crossbeam::NAME, all_shapes::<Crossbeam, Threads>()),
        (Flume::NAME, flume_shapes()),
        (StdMpsc::NAME, mpsc_shapes::<StdMpsc>()),
    ];
    let n_libs = libs.len();
    libs.rotate_left(rotate % n_libs);

    println!("# shape\tlibrary\tmessages\tseconds");
    // crossbeam's order: by capacity, then shape; all libraries back to back.
    for (prefix, cap, n) in [
        ("bounded0", 0, handoff),
        ("bounded1", 1, handoff),
        ("boundedN", messages, messages),
    ] {
        for (s, shape) in SHAPES.iter().enumerate() {
            // seq sends everything before receiving: it needs room for it all.
            if *shape == "seq" && cap < n {
                continue;
            }
            let name = format!("{prefix}_{shape}");
            if !name.contains(&shape_filter) {
                continue;
            }
            for (lib, shapes) in &libs {
                let Some(f) = shapes[s] else { continue };
                if libs_wanted
                    .as_ref()
                    .is_some_and(|w| !w.iter().any(|l| l == lib))
                {
                    continue;
                }
                let start = Instant::now();
                f(cap, n);
                let secs = start.elapsed().as_secs_f64();
                println!("{name}\t{lib}\t{n}\t{secs:.6}");
            }
        }
    }
}
