//! `sync.Cond`.

use std::fmt;

use super::mutex::MutexGuard;
use crate::rt::{hb, parking};

/// A condition variable, as Go's `sync.Cond`: a rendezvous for goroutines
/// waiting for, or announcing, a change to state protected by a [`Mutex`].
///
/// [`wait`](Self::wait) atomically unlocks the mutex and sleeps; on waking it
/// re-locks before returning. Waiters wake in the order they began waiting.
/// As in Go, `wait` returns only after a `signal` or `broadcast` (no spurious
/// wake-ups), but the condition may have changed again by the time the mutex
/// is re-locked, so wait in a loop:
///
/// ```
/// use std::sync::Arc;
/// use gosync::sync::{Cond, Mutex};
///
/// let pair = Arc::new((Mutex::new(false), Cond::new()));
/// let p = pair.clone();
/// gosync::go(move || {
///     *p.0.lock() = true;
///     p.1.signal();
/// });
/// let (ready, cond) = &*pair;
/// let mut g = ready.lock();
/// while !*g {
///     g = cond.wait(g);
/// }
/// ```
///
/// # Differences from Go
///
/// Go's `Cond` holds its `Locker`; here `wait` takes the guard of whichever
/// [`Mutex`] protects the condition and gives it back re-locked. `signal` and
/// `broadcast` may be called with or without the mutex held, as in Go.
///
/// [`Mutex`]: super::Mutex
pub struct Cond {
    /// Gives every `Cond` its own address, which keys its wait queue.
    _key: u8,
}

impl Cond {
    /// Creates a condition variable with no waiters.
    pub const fn new() -> Cond {
        Cond { _key: 0 }
    }

    fn key(&self) -> usize {
        self as *const Cond as usize
    }

    /// Unlocks `guard`'s mutex, waits for `signal` or `broadcast`, and
    /// re-locks it.
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let mutex = guard.mutex();
        // Queue first, then unlock: a signal sent after the unlock finds us.
        let r = parking::park(
            self.key(),
            false,
            None,
            || true,
            move || drop(guard),
            |_| {},
        );
        debug_assert!(matches!(r, parking::ParkResult::Unparked(_)));
        hb::acquire(self);
        mutex.lock()
    }

    /// Wakes the longest-waiting goroutine, if any.
    pub fn signal(&self) {
        hb::release_merge(self);
        if parking::has_waiters(self.key()) {
            parking::unpark_one(self.key(), |_| parking::TOKEN_NORMAL);
        }
    }

    /// Wakes every waiting goroutine.
    pub fn broadcast(&self) {
        hb::release_merge(self);
        if parking::has_waiters(self.key()) {
            parking::unpark_all(self.key(), parking::TOKEN_NORMAL);
        }
    }
}

impl Default for Cond {
    fn default() -> Cond {
        Cond::new()
    }
}

impl fmt::Debug for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cond").finish_non_exhaustive()
    }
}
