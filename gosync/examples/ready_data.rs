//! Publishing plain data with an atomic flag: the store of `ready` happens
//! before the load that sees it, and so does every write before that store.
//!
//! The Go original:
//!
//! ```go
//! var data string
//! var ready atomic.Bool
//!
//! go func() {
//!     data = "hello, world" // a plain write
//!     ready.Store(true)     // publish it
//! }()
//!
//! for !ready.Load() {
//!     runtime.Gosched()
//! }
//! fmt.Println(data) // always "hello, world"
//! ```
//!
//! With a plain `bool` for `ready` this program is a data race and may print
//! nothing, or loop forever. With an atomic it is correct, because Go's
//! memory model makes atomics sequentially consistent: the `Load` that
//! observes `true` is after the `Store`, and the write to `data` came before
//! the `Store` in its goroutine.
//!
//! Rust has no plain shared variable in safe code, so `data` is an
//! `UnsafeCell`, and the one `unsafe` read below is sound for exactly the
//! reason Go's program is correct: it comes after a load that saw the flag.
//!
//! Run it: `cargo run -p gosync --example ready_data`

use std::cell::UnsafeCell;
use std::sync::Arc;

use gosync::atomic::Bool;
use gosync::sync::WaitGroup;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A plain write published by an atomic::Bool store is seen by whoever loads true.";

/// A value written once, then published by `ready`.
struct Published {
    data: UnsafeCell<String>,
    ready: Bool,
}

// SAFETY: `data` is written only by `publish`, before `ready` is stored true,
// and read only by `read`, after `ready` was loaded true. The SeqCst store
// and load order the write before every read, so no access races.
unsafe impl Sync for Published {}

impl Published {
    fn new() -> Published {
        Published {
            data: UnsafeCell::new(String::new()),
            ready: Bool::new(false),
        }
    }

    /// Writes the data and publishes it. Call at most once.
    fn publish(&self, s: &str) {
        assert!(!self.ready.load(), "published twice");
        // SAFETY: no reader touches `data` before `ready` is true, and this
        // is the only writer (called once, asserted above).
        unsafe { (*self.data.get()).push_str(s) };
        self.ready.store(true);
    }

    /// The data, once published.
    fn read(&self) -> Option<&str> {
        if !self.ready.load() {
            return None;
        }
        // SAFETY: `ready` was true, so the one write to `data` happened
        // before this point and no write follows.
        Some(unsafe { (*self.data.get()).as_str() })
    }
}

const READERS: usize = 20;

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let p = Arc::new(Published::new());
    let wg = WaitGroup::new();
    let seen = Arc::new(gosync::sync::Mutex::new(Vec::new()));
    for _ in 0..READERS {
        let (p, seen) = (p.clone(), seen.clone());
        wg.go(move || {
            let mut spins = 0u64;
            let data = loop {
                if let Some(d) = p.read() {
                    break d.to_string();
                }
                spins += 1;
                gosync::runtime::gosched();
            };
            seen.lock().push((data, spins));
        });
    }
    let writer = p.clone();
    gosync::go(move || writer.publish("hello, world"));
    wg.wait();
    let seen = seen.lock();
    assert_eq!(seen.len(), READERS);
    for (data, _) in seen.iter() {
        assert_eq!(
            data, "hello, world",
            "a reader that saw ready sees the data"
        );
    }
    let waited = seen.iter().filter(|(_, spins)| *spins > 0).count();
    format!(
        "{READERS} readers all read {:?} after seeing ready ({waited} of them waited for it)",
        seen[0].0
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
