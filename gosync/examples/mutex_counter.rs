//! The racing `counter++`, and the Mutex that fixes it.
//!
//! The Go original:
//!
//! ```go
//! var (
//!     counter int
//!     mu      sync.Mutex
//!     wg      sync.WaitGroup
//! )
//! for i := 0; i < 1000; i++ {
//!     wg.Add(1)
//!     go func() {
//!         defer wg.Done()
//!         mu.Lock()   // without these two lines, `go run -race` reports
//!         counter++   // a DATA RACE and the total comes out short
//!         mu.Unlock()
//!     }()
//! }
//! wg.Wait()
//! fmt.Println(counter) // 1000
//! ```
//!
//! `counter++` is three steps: load, add, store. Two goroutines that load
//! the same value both store value + 1, and one increment is lost. Safe Rust
//! will not compile a plain shared `int` written from many goroutines, so the
//! racy half below spells the steps out with an atomic load and a separate
//! store (`Relaxed`: no data race in Rust's sense, but exactly Go's lost
//! update), and yields between them, as Go's classic race demos do with
//! `runtime.Gosched()`, so the window is wide enough to see on any machine. The fixed half is the Go program above: the increment under a
//! `Mutex`.
//!
//! Run it: `cargo run -p gosync --example mutex_counter`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gosync::sync::{Mutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "counter++ from 1000 goroutines loses updates; under a Mutex, every one counts.";

const GOROUTINES: u64 = 1000;

/// The racy version: each goroutine's `counter++` is a load, then a store.
fn racy() -> u64 {
    let counter = Arc::new(AtomicU64::new(0));
    let wg = WaitGroup::new();
    for _ in 0..GOROUTINES {
        let counter = counter.clone();
        wg.go(move || {
            let v = counter.load(Ordering::Relaxed);
            gosync::runtime::gosched(); // let another goroutine load the same v
            counter.store(v + 1, Ordering::Relaxed);
        });
    }
    wg.wait();
    counter.load(Ordering::Relaxed)
}

/// The fixed version: the increment happens with the mutex held.
fn fixed() -> u64 {
    let counter = Arc::new(Mutex::new(0));
    let wg = WaitGroup::new();
    for _ in 0..GOROUTINES {
        let counter = counter.clone();
        wg.go(move || *counter.lock() += 1);
    }
    wg.wait();
    let n = *counter.lock();
    n
}

/// Runs both versions; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let n = GOROUTINES;
    let got = fixed();
    assert_eq!(got, n, "the Mutex must not lose an increment");

    // Not asserted: how many increments a race loses depends on the run.
    let raced = racy();
    let lost = match n - raced {
        0 => "this run happened to lose none; the race is still there".to_string(),
        n => format!("{n} lost"),
    };
    format!("{n} goroutines: with a Mutex, counter = {got}; racy load+store, counter = {raced} ({lost})")
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
