//! `SafeCounter`: a map that many goroutines update, guarded by a Mutex.
//!
//! The Go original (A Tour of Go, "sync.Mutex"):
//!
//! ```go
//! // SafeCounter is safe to use concurrently.
//! type SafeCounter struct {
//!     mu sync.Mutex
//!     v  map[string]int
//! }
//!
//! // Inc increments the counter for the given key.
//! func (c *SafeCounter) Inc(key string) {
//!     c.mu.Lock()
//!     // Lock so only one goroutine at a time can access the map c.v.
//!     c.v[key]++
//!     c.mu.Unlock()
//! }
//!
//! // Value returns the current value of the counter for the given key.
//! func (c *SafeCounter) Value(key string) int {
//!     c.mu.Lock()
//!     defer c.mu.Unlock()
//!     return c.v[key]
//! }
//! ```
//!
//! A Go map written by two goroutines at once can crash the program
//! ("concurrent map writes"); in Rust it does not compile. In both, the
//! cure is the same lock. Here the `Mutex` owns the map, so the map cannot
//! be reached without locking, and the guard's drop is Go's `defer Unlock`.
//!
//! Run it: `cargo run -p gosync --example safe_counter`

use std::collections::HashMap;
use std::sync::Arc;

use gosync::sync::{Mutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A map inside a Mutex lets 100 goroutines count into it without losing an increment.";

const GOROUTINES: usize = 100;
const INCREMENTS: usize = 100;

/// A map of counters that is safe to use concurrently.
#[derive(Default)]
struct SafeCounter {
    v: Mutex<HashMap<String, usize>>,
}

impl SafeCounter {
    /// Increments the counter for `key`.
    fn inc(&self, key: &str) {
        // Lock so only one goroutine at a time can touch the map.
        *self.v.lock().entry(key.to_string()).or_default() += 1;
    }

    /// The counter for `key` now.
    fn value(&self, key: &str) -> usize {
        self.v.lock().get(key).copied().unwrap_or(0)
    }
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let c = Arc::new(SafeCounter::default());
    let wg = WaitGroup::new();
    for _ in 0..GOROUTINES {
        let c = c.clone();
        wg.go(move || {
            for _ in 0..INCREMENTS {
                c.inc("somekey");
            }
        });
    }
    wg.wait();

    let got = c.value("somekey");
    assert_eq!(got, GOROUTINES * INCREMENTS);
    format!("c.value(\"somekey\") = {got} ({GOROUTINES} goroutines x {INCREMENTS} increments)")
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
