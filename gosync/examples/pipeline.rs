//! A producer–consumer pipeline — generate, square on three workers, merge —
//! that shuts down gracefully: `close` flows downstream, `done` upstream.
//!
//! The Go original (the Go blog's "Pipelines and cancellation"):
//!
//! ```go
//! func gen(done <-chan struct{}, nums ...int) <-chan int {
//!     out := make(chan int)
//!     go func() {
//!         defer close(out)
//!         for _, n := range nums {
//!             select {
//!             case out <- n:
//!             case <-done:
//!                 return
//!             }
//!         }
//!     }()
//!     return out
//! }
//!
//! func sq(done <-chan struct{}, in <-chan int) <-chan int {
//!     out := make(chan int)
//!     go func() {
//!         defer close(out)
//!         for n := range in {
//!             select {
//!             case out <- n * n:
//!             case <-done:
//!                 return
//!             }
//!         }
//!     }()
//!     return out
//! }
//!
//! func merge(done <-chan struct{}, cs ...<-chan int) <-chan int {
//!     var wg sync.WaitGroup
//!     out := make(chan int)
//!     output := func(c <-chan int) {
//!         defer wg.Done()
//!         for n := range c {
//!             select {
//!             case out <- n:
//!             case <-done:
//!                 return
//!             }
//!         }
//!     }
//!     wg.Add(len(cs))
//!     for _, c := range cs {
//!         go output(c)
//!     }
//!     go func() { wg.Wait(); close(out) }()
//!     return out
//! }
//!
//! func main() {
//!     done := make(chan struct{})
//!     defer close(done)
//!     in := gen(done, 1, 2, /* ... */ 1000)
//!     c1, c2, c3 := sq(done, in), sq(done, in), sq(done, in) // fan out
//!     sum := 0
//!     for n := range merge(done, c1, c2, c3) {                // fan in
//!         sum += n
//!     }
//!     fmt.Println(sum) // 333833500
//! }
//! ```
//!
//! Two ways to stop, both without losing or stranding anything:
//!
//! - Downstream, by `close`: when `gen` runs out it closes its channel;
//!   each `sq`'s `range` ends, so it closes its own; `merge`'s outputs end,
//!   its `WaitGroup` reaches zero, it closes the merged channel, and the
//!   consumer's `range` ends. Every stage closes what it owns and only that.
//! - Upstream, by `close(done)`: a consumer that wants no more closes
//!   `done`. Every stage waits on its send *or* on `done`, so each one
//!   returns (closing its output on the way) instead of blocking forever on
//!   a send that nobody will receive — a leaked goroutine, in Go's terms.
//!
//! Rust has no `defer`; each stage closes its output after its loop, on
//! both the normal and the `done` path. The port also counts every stage
//! goroutine on one more `WaitGroup`, so the tour proves that all of them
//! returned after an early `close(done)`.
//!
//! Run it: `cargo run -p gosync --example pipeline`

use std::collections::HashSet;
use std::sync::Arc;

use gosync::chan::{Chan, Receiver};
use gosync::select;
use gosync::sync::WaitGroup;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "gen -> 3 x sq -> merge: close flows down the pipeline to end it, close(done) flows up to cancel it.";

const N: u64 = 1000;
const WORKERS: usize = 3;
/// How many squares the cancelling consumer takes before closing `done`.
const TAKE: usize = 10;

/// Sends `v` on `out` unless `done` closes first; false if it did.
fn send_or_done(out: &Chan<u64>, v: u64, done: &Receiver<()>) -> bool {
    select! {
        send(out, v) => true,
        recv(done) -> _ => false,
    }
}

/// Emits 1..=n, then closes its output.
fn gen(stages: &WaitGroup, done: &Receiver<()>, n: u64) -> Receiver<u64> {
    let out = Chan::new(0);
    let (o, done) = (out.clone(), done.clone());
    stages.go(move || {
        for v in 1..=n {
            if !send_or_done(&o, v, &done) {
                break;
            }
        }
        o.close(); // defer close(out)
    });
    out.receiver()
}

/// Squares what arrives on `input` until it closes, then closes its output.
fn sq(stages: &WaitGroup, done: &Receiver<()>, input: Receiver<u64>) -> Receiver<u64> {
    let out = Chan::new(0);
    let (o, done) = (out.clone(), done.clone());
    stages.go(move || {
        for v in &input {
            if !send_or_done(&o, v * v, &done) {
                break;
            }
        }
        o.close();
    });
    out.receiver()
}

/// Fans `cs` in to one channel, closed once every one of `cs` is.
fn merge(stages: &WaitGroup, done: &Receiver<()>, cs: Vec<Receiver<u64>>) -> Receiver<u64> {
    let out = Chan::new(0);
    let wg = Arc::new(WaitGroup::new());
    wg.add(cs.len() as isize);
    for c in cs {
        let (o, done, wg) = (out.clone(), done.clone(), wg.clone());
        stages.go(move || {
            for v in &c {
                if !send_or_done(&o, v, &done) {
                    break;
                }
            }
            wg.done();
        });
    }
    let o = out.clone();
    stages.go(move || {
        wg.wait();
        o.close();
    });
    out.receiver()
}

/// Builds the whole pipeline over 1..=N.
fn pipeline(stages: &WaitGroup, done: &Receiver<()>) -> Receiver<u64> {
    let input = gen(stages, done, N);
    let squares = (0..WORKERS)
        .map(|_| sq(stages, done, input.clone()))
        .collect();
    merge(stages, done, squares)
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    // 1. Run to the end: the close of gen's channel reaches the consumer.
    let stages = WaitGroup::new();
    let done = Chan::new(0);
    let sum: u64 = pipeline(&stages, &done.receiver()).iter().sum();
    done.close(); // defer close(done): nothing is listening any more
    stages.wait();
    assert_eq!(sum, N * (N + 1) * (2 * N + 1) / 6, "every square once");

    // 2. Stop early: take TAKE squares, then close(done); every stage returns.
    let stages = WaitGroup::new();
    let done = Chan::new(0);
    let taken: Vec<u64> = pipeline(&stages, &done.receiver())
        .iter()
        .take(TAKE)
        .collect();
    done.close();
    stages.wait(); // hangs if any stage were stuck on a send

    let distinct: HashSet<u64> = taken.iter().copied().collect();
    assert_eq!(distinct.len(), TAKE, "no square delivered twice");
    for &v in &taken {
        let r = (1..=N).find(|r| r * r >= v).expect("in range");
        assert_eq!(r * r, v, "{v} is the square of a number in 1..={N}");
    }

    let goroutines = 1 + WORKERS + WORKERS + 1;
    format!(
        "sum of squares 1..={N} = {sum} through gen -> {WORKERS} x sq -> merge; \
         after taking {TAKE}, close(done) stopped all {goroutines} stage goroutines"
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
