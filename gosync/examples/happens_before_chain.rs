//! Happens-before is transitive: A writes and signals B, B signals C, and
//! C sees A's write although A and C never touch the same channel.
//!
//! The Go original:
//!
//! ```go
//! var x int
//!
//! func main() {
//!     ab := make(chan struct{})
//!     bc := make(chan struct{})
//!     result := make(chan int)
//!
//!     go func() { // A
//!         x = 1
//!         ab <- struct{}{}
//!     }()
//!     go func() { // B
//!         <-ab
//!         bc <- struct{}{}
//!     }()
//!     go func() { // C
//!         <-bc
//!         result <- x // 1, always
//!     }()
//!     fmt.Println(<-result)
//! }
//! ```
//!
//! The edges: A's write comes before A's send (program order); A's send
//! happens before B's receive completes (the channel rule); B's receive
//! comes before B's send; B's send happens before C's receive; C's receive
//! comes before C's read. Chained, A's write happens before C's read, so C
//! must see 1. No single edge links A and C; the order is the chain's.
//!
//! `x` is an `AtomicU32` used with `Ordering::Relaxed`, Rust's nearest sound
//! stand-in for Go's plain variable: a relaxed access orders nothing by
//! itself, so C seeing A's write is entirely the work of the two channels'
//! release/acquire pairs, composed (see the `happens_before` example).
//!
//! Run it: `cargo run -p gosync --example happens_before_chain`

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use gosync::chan::Chan;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A writes and signals B, B signals C: C sees A's write, because happens-before is transitive.";

/// How many times the chain runs, each with fresh goroutines and channels.
const ROUNDS: usize = if cfg!(debug_assertions) { 200 } else { 1000 };

/// One run of the chain; returns what C read.
fn chain() -> u32 {
    let x = Arc::new(AtomicU32::new(0));
    let (ab, bc, result) = (Chan::new(0), Chan::new(0), Chan::new(0));

    // Start them in reverse, so that the order they were started in does
    // not line them up: only the channels do.
    {
        let (x, bc, result) = (x.clone(), bc.clone(), result.clone());
        gosync::go(move || {
            // C
            bc.recv().expect("B signals");
            result.send(x.load(Ordering::Relaxed));
        });
    }
    {
        let (ab, bc) = (ab.clone(), bc.clone());
        gosync::go(move || {
            // B
            ab.recv().expect("A signals");
            bc.send(());
        });
    }
    gosync::go(move || {
        // A
        x.store(1, Ordering::Relaxed);
        ab.send(());
    });

    result.recv().expect("C reports")
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    for round in 0..ROUNDS {
        assert_eq!(chain(), 1, "round {round}: C must see A's write");
    }
    format!("{ROUNDS} runs of A -> B -> C: C saw A's write (x = 1) every time")
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
