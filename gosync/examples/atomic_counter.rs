//! A counter that 100 goroutines bump without a lock: `atomic::Int64`.
//!
//! The Go original:
//!
//! ```go
//! type AtomicCounter struct {
//!     value atomic.Int64
//! }
//!
//! func (c *AtomicCounter) Increment() { c.value.Add(1) }
//! func (c *AtomicCounter) Value() int64 { return c.value.Load() }
//!
//! var c AtomicCounter
//! var wg sync.WaitGroup
//! for i := 0; i < 100; i++ {
//!     wg.Add(1)
//!     go func() {
//!         defer wg.Done()
//!         for j := 0; j < 1000; j++ {
//!             c.Increment()
//!         }
//!     }()
//! }
//! wg.Wait()
//! fmt.Println(c.Value()) // 100000
//! ```
//!
//! `Add` is one indivisible read-modify-write, so no increment is lost the
//! way a plain `counter++` loses them (see the `mutex_counter` stop), and it
//! needs no lock. Like every operation of Go's `sync/atomic`, gosync's are
//! sequentially consistent: `wg.wait()` returning orders every `add` before
//! the final `load`.
//!
//! Run it: `cargo run -p gosync --example atomic_counter`

use std::sync::Arc;

use gosync::atomic::Int64;
use gosync::sync::WaitGroup;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "100 goroutines increment an atomic::Int64 1000 times each; no lock, no lost update.";

const GOROUTINES: i64 = 100;
const INCREMENTS: i64 = 1000;

/// A counter safe to share: every method is one atomic operation.
#[derive(Default)]
struct AtomicCounter {
    value: Int64,
}

impl AtomicCounter {
    fn increment(&self) {
        self.value.add(1);
    }

    fn value(&self) -> i64 {
        self.value.load()
    }
}

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let counter = Arc::new(AtomicCounter::default());
    let wg = WaitGroup::new();
    for _ in 0..GOROUTINES {
        let counter = counter.clone();
        wg.go(move || {
            for _ in 0..INCREMENTS {
                counter.increment();
            }
        });
    }
    wg.wait();
    let total = counter.value();
    assert_eq!(
        total,
        GOROUTINES * INCREMENTS,
        "an atomic add is never lost"
    );
    format!("{GOROUTINES} goroutines x {INCREMENTS} increments: counter = {total}")
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
