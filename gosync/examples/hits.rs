//! `Hits`: a struct that carries its own mutex.
//!
//! The Go original embeds the mutex, so the struct itself has `Lock` and
//! `Unlock`:
//!
//! ```go
//! type Hits struct {
//!     sync.Mutex
//!     n int
//! }
//!
//! func (h *Hits) Inc() {
//!     h.Lock()
//!     h.n++
//!     h.Unlock()
//! }
//! ```
//!
//! In Go the mutex sits *beside* `n` and nothing stops code from touching
//! `n` without it. In Rust the mutex *holds* the data (`Mutex<u64>`), so the
//! only way to `n` is through `lock`. Go's zero value is ready to use; here
//! `Mutex::new` is `const`, so `Hits::new` is too and a
//! `static HITS: Hits = Hits::new();` needs no lazy initialisation.
//!
//! Run it: `cargo run -p gosync --example hits`

use std::sync::Arc;

use gosync::sync::{Mutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "Hits keeps its count inside a Mutex<u64>, Rust's form of a Go struct embedding sync.Mutex.";

const VISITORS: u64 = 50;
const PAGES: u64 = 20;

/// A hit counter that is safe to use concurrently.
struct Hits {
    n: Mutex<u64>,
}

impl Hits {
    const fn new() -> Hits {
        Hits { n: Mutex::new(0) }
    }

    fn inc(&self) {
        *self.n.lock() += 1;
    }

    fn get(&self) -> u64 {
        *self.n.lock()
    }
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    // As Go's `var hits Hits` at package level would be, but owned here so
    // that running the example twice starts from zero.
    let hits = Arc::new(Hits::new());
    let wg = WaitGroup::new();
    for _ in 0..VISITORS {
        let hits = hits.clone();
        wg.go(move || {
            for _ in 0..PAGES {
                hits.inc();
            }
        });
    }
    wg.wait();

    let n = hits.get();
    assert_eq!(n, VISITORS * PAGES);
    format!("hits = {n} ({VISITORS} goroutines x {PAGES} hits)")
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
