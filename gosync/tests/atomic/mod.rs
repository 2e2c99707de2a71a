//! `gosync::atomic`: ports of Go's tests of package `sync/atomic` (the
//! typed API), one module per Go file, and tests of what Go's garbage
//! collector gives for free and `Pointer` must do itself: reclaim replaced
//! values, none too early and all eventually.
//!
//! - `atomic_test`: `src/sync/atomic/atomic_test.go`, the `...Method` tests
//!   of the typed integers, `Bool` and `Pointer`, and the hammers.
//! - `value_test`: `src/sync/atomic/value_test.go`.
//! - `reclaim`: drop counting under concurrent loads, peeks and stores,
//!   from threads and goroutines; `Pointer` compare-and-swap by identity.

mod atomic_test;
mod reclaim;
mod value_test;

use std::sync::Arc;

use gosync::sync::WaitGroup;

/// Runs `f(0)` .. `f(n - 1)` in `n` goroutines that start together, and
/// returns the group to wait for them with.
///
/// Each goroutine first reports in and waits for the others. The tests
/// that use this spin with `gosched` until another goroutine moves, and
/// this scheduler runs goroutines that yield before it starts new ones
/// (Go's `Gosched` puts the caller on the global queue, which lets new
/// goroutines start); so every goroutine must be running, parked at the
/// gate, before any spins.
pub fn go_together(n: usize, f: impl Fn(usize) + Send + Sync + 'static) -> WaitGroup {
    let f = Arc::new(f);
    let arrived = Arc::new(WaitGroup::new());
    arrived.add(n as isize);
    let gate = Arc::new(WaitGroup::new());
    gate.add(1);
    let wg = WaitGroup::new();
    for i in 0..n {
        let (f, arrived, gate) = (f.clone(), arrived.clone(), gate.clone());
        wg.go(move || {
            arrived.done();
            gate.wait();
            f(i);
        });
    }
    arrived.wait();
    gate.done();
    wg
}
