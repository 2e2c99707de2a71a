//! The clock. Primitives read time only through here, so that the model
//! checker can substitute virtual time.

use std::time::Instant;

/// The current instant of the monotonic clock.
#[cfg(not(loom))]
#[inline]
pub(crate) fn now() -> Instant {
    Instant::now()
}

/// Under loom, virtual time: each read on a thread advances that thread's
/// clock by 1 ms, so an execution replays exactly and a waiter that waits
/// twice crosses the mutex's 1 ms starvation threshold.
#[cfg(loom)]
pub(crate) fn now() -> Instant {
    use std::cell::Cell;
    use std::time::Duration;
    loom::lazy_static! {
        static ref BASE: Instant = Instant::now();
    }
    loom::thread_local! {
        static TICKS: Cell<u32> = Cell::new(0);
    }
    let ticks = TICKS.with(|t| {
        t.set(t.get() + 1);
        t.get()
    });
    *BASE + Duration::from_millis(u64::from(ticks))
}
