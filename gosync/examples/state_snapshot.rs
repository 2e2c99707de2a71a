//! A `State` that hands out a `Snapshot`: copy under the lock, read outside.
//!
//! The Go original:
//!
//! ```go
//! type State struct {
//!     mu     sync.Mutex
//!     counts map[string]int
//! }
//!
//! func (s *State) Inc(key string) {
//!     s.mu.Lock()
//!     s.counts[key]++
//!     s.mu.Unlock()
//! }
//!
//! // Snapshot returns a copy: the caller may range over it at leisure
//! // while the State goes on changing.
//! func (s *State) Snapshot() map[string]int {
//!     s.mu.Lock()
//!     defer s.mu.Unlock()
//!     cp := make(map[string]int, len(s.counts))
//!     for k, v := range s.counts {
//!         cp[k] = v
//!     }
//!     return cp
//! }
//! ```
//!
//! The classic bug is `return s.counts`: the lock protects the map only
//! while it is held, and the caller then ranges over a map that others are
//! writing (a data race, and in Go "concurrent map iteration and map
//! write"). In Rust the guard's lifetime makes that mistake a compile error;
//! the copy is the fix in both languages. Every snapshot is one consistent
//! moment: here, the sum of its counts is always a whole number of rounds.
//!
//! Run it: `cargo run -p gosync --example state_snapshot`

use std::collections::BTreeMap;
use std::sync::Arc;

use gosync::sync::{Mutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "State::snapshot copies the map under the Mutex, so a reader ranges over one consistent moment.";

const KEYS: [&str; 3] = ["get", "put", "delete"];
const WORKERS: usize = 8;
const ROUNDS: usize = 500;

#[derive(Default)]
struct State {
    counts: Mutex<BTreeMap<String, usize>>,
}

impl State {
    /// One round: every key once, in one critical section.
    fn round(&self) {
        let mut counts = self.counts.lock();
        for k in KEYS {
            *counts.entry(k.to_string()).or_default() += 1;
        }
    }

    fn snapshot(&self) -> BTreeMap<String, usize> {
        self.counts.lock().clone()
    }
}

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let state = Arc::new(State::default());
    let wg = WaitGroup::new();
    for _ in 0..WORKERS {
        let state = state.clone();
        wg.go(move || {
            for _ in 0..ROUNDS {
                state.round();
                gosync::runtime::gosched();
            }
        });
    }
    // Snapshots taken while the workers run: each is one moment.
    let mut taken = 0;
    loop {
        let snap = state.snapshot();
        let rounds = snap.get("get").copied().unwrap_or(0);
        assert!(
            snap.values().all(|&n| n == rounds),
            "a snapshot never shows half a round: {snap:?}"
        );
        taken += 1;
        if rounds == WORKERS * ROUNDS {
            break;
        }
        gosync::runtime::gosched();
    }
    wg.wait();
    let last = state.snapshot();
    let line: Vec<String> = last.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{taken} snapshots, each consistent; final counts: {}",
        line.join(" ")
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
