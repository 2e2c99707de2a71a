//! "Only the first goroutine": a compare-and-swap on an `atomic::Bool`.
//!
//! The Go original:
//!
//! ```go
//! var started atomic.Bool
//!
//! func startOnce(id int) {
//!     if started.CompareAndSwap(false, true) {
//!         fmt.Println("goroutine", id, "starts the service")
//!         return
//!     }
//!     // everyone else: already started, nothing to do
//! }
//!
//! for i := 0; i < 10; i++ {
//!     go startOnce(i)
//! }
//! ```
//!
//! `CompareAndSwap(false, true)` succeeds for exactly one caller: the test
//! and the set are one indivisible step. The tempting
//! `if !started.Load() { started.Store(true); ... }` is two steps, and two
//! goroutines can both pass the test before either stores. (When the winner
//! must also finish the work before the others go on, that is `sync.Once`.)
//!
//! Run it: `cargo run -p gosync --example first_flag`

use std::sync::Arc;

use gosync::atomic::{Bool, Int64};
use gosync::sync::WaitGroup;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "atomic::Bool compare_and_swap(false, true) lets exactly one of 100 goroutines win.";

const GOROUTINES: i64 = 100;

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let started = Arc::new(Bool::new(false));
    let winners = Arc::new(Int64::new(0));
    let winner_id = Arc::new(Int64::new(-1));
    let wg = WaitGroup::new();
    for id in 0..GOROUTINES {
        let (started, winners, winner_id) = (started.clone(), winners.clone(), winner_id.clone());
        wg.go(move || {
            if started.compare_and_swap(false, true) {
                winners.add(1);
                winner_id.store(id);
            }
        });
    }
    wg.wait();
    assert!(started.load());
    assert_eq!(winners.load(), 1, "exactly one compare_and_swap succeeds");
    format!(
        "{GOROUTINES} goroutines raced for the flag: 1 winner (goroutine #{}), {} saw it taken",
        winner_id.load(),
        GOROUTINES - 1
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
