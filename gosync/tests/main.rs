//! gosync's integration tests, as one binary: linking one test executable
//! instead of one per file keeps builds fast on a 2-core machine.
//!
//! - `go`: ports of Go's own tests of package sync, one module per Go file.
//! - `goroutine`: `go`, `run` and the `runtime` functions.
//! - `stress`: no lost updates under contention, for every primitive.
//!
//! `stress` and `goroutine` are folders (`stress/mod.rs`) rather than
//! `tests/stress.rs`: Cargo builds every `tests/*.rs` as a test binary of its
//! own, which would run them twice and undo the single binary.

// Tests drive the primitives from plain OS threads on purpose (a primitive
// must work from any thread), and sleep briefly to encourage interleavings.
#![allow(clippy::disallowed_methods)]

use std::any::Any;
use std::time::Duration;

mod atomic;
mod chan;
mod go;
mod goroutine;
mod stress;
mod time;

/// `small` in debug builds, `big` in release ones (STYLE.md: counts scale
/// down for slow modes).
pub fn scaled(small: usize, big: usize) -> usize {
    if cfg!(debug_assertions) {
        small
    } else {
        big
    }
}

/// How long a test waits for something that must happen before it gives up
/// and fails instead of hanging. Not a measurement: a passing run never comes
/// near it; it turns a deadlock or a lost wake-up into a message.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The message a panic carried (`panic!` carries a `&str` or a `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    if let Some(s) = payload.downcast_ref::<&str>() {
        Some(s)
    } else {
        payload.downcast_ref::<String>().map(String::as_str)
    }
}

/// Runs `f` and returns the message of its panic, or `None` if it returned
/// (Go's `recover()`, in the deferred function of a test).
pub fn recover(f: impl FnOnce()) -> Option<String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .err()
        .map(|p| {
            panic_message(&*p)
                .unwrap_or("(non-string panic)")
                .to_owned()
        })
}
