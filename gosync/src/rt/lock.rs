//! The runtime's own lock, for short internal critical sections (a
//! channel's state), as Go's runtime `lock`/`unlock` beside `sync.Mutex`.
//!
//! It spins briefly, then sleeps in the wait table. It reports no
//! happens-before events: the primitives built on it report their own, at
//! the points their semantics define (a channel's send and receive), so the
//! race detector does not see edges that Go's memory model does not promise.

use super::parking;
use super::spin;
use crate::loom::sync::atomic::{AtomicU8, Ordering};

/// Free.
const UNLOCKED: u8 = 0;
/// Held, nobody asleep.
const LOCKED: u8 = 1;
/// Held, and a waiter may be asleep in the wait table: unlock must wake one.
const CONTENDED: u8 = 2;

/// A raw lock word with the three states above (Drepper's futex mutex).
#[derive(Debug)]
pub struct RawLock {
    state: AtomicU8,
    /// Under loom, the creation order: see [`order`](Self::order).
    #[cfg(loom)]
    seq: usize,
}

impl RawLock {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> RawLock {
        RawLock {
            state: AtomicU8::new(UNLOCKED),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> RawLock {
        std::thread_local! {
            static NEXT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        }
        RawLock {
            state: AtomicU8::new(UNLOCKED),
            seq: NEXT.with(|n| {
                n.set(n.get() + 1);
                n.get()
            }),
        }
    }

    fn key(&self) -> usize {
        self as *const RawLock as usize
    }

    /// The global order in which code that holds several of these locks
    /// takes them (a select): the address. Under loom, the order of
    /// creation instead, which is the same in every execution of a model,
    /// as loom requires; addresses are not.
    pub(crate) fn order(&self) -> usize {
        #[cfg(loom)]
        return self.seq;
        #[cfg(not(loom))]
        self.key()
    }

    /// Acquires the lock.
    #[inline]
    pub(crate) fn lock(&self) {
        // Acquire: the previous holder's writes are visible.
        if self
            .state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
    }

    #[cold]
    fn lock_slow(&self) {
        let mut iter = 0;
        while spin::can_spin(iter) {
            spin::spin(iter, || self.state.load(Ordering::Relaxed) == UNLOCKED);
            if self
                .state
                .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
            iter += 1;
        }
        // Mark the lock contended; whoever we take it from, our unlock must
        // then wake a possible sleeper, so we take it as CONTENDED too.
        while self.state.swap(CONTENDED, Ordering::Acquire) != UNLOCKED {
            parking::park(
                self.key(),
                false,
                None,
                || self.state.load(Ordering::Relaxed) == CONTENDED,
                || {},
                |_| {},
            );
        }
    }

    /// Releases the lock.
    ///
    /// # Safety
    ///
    /// The caller holds the lock.
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        // Release: our writes are visible to the next holder.
        if self.state.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            self.wake();
        }
    }

    #[cold]
    fn wake(&self) {
        parking::unpark_one(self.key(), |_| parking::TOKEN_NORMAL);
    }
}
