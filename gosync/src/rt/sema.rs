//! Go's runtime semaphore (`runtime/sema.go`): the sleep/wake-up primitive
//! that Go's `sync` package is built on, and so ours.
//!
//! A [`Sema`] is a count. [`Sema::acquire`] takes one unit, waiting for one to
//! be released if there is none; [`Sema::release`] adds one and wakes a waiter.
//! Because the count remembers a release that comes before its acquire, the
//! algorithms above never lose a wake-up, whatever the interleaving.

use crate::loom::loom_const_fn;
use crate::loom::sync::atomic::{AtomicU32, Ordering};

use super::parking::{self, ParkResult, TOKEN_HANDOFF, TOKEN_NORMAL};

/// A counting semaphore whose waiters queue in the runtime's wait table,
/// keyed by its address.
#[derive(Debug)]
pub(crate) struct Sema {
    count: AtomicU32,
}

impl Sema {
    loom_const_fn! {
        pub(crate) fn new() -> Sema {
            Sema {
                count: AtomicU32::new(0),
            }
        }
    }

    fn key(&self) -> usize {
        self as *const Sema as usize
    }

    /// Takes a unit if one is available (Go's `cansemacquire`).
    ///
    /// SeqCst: this read of the count pairs with the SeqCst count of waiters
    /// in the wait table (see `release`).
    #[inline]
    fn try_acquire(&self) -> bool {
        let mut v = self.count.load(Ordering::SeqCst);
        while v != 0 {
            match self
                .count
                .compare_exchange_weak(v, v - 1, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return true,
                Err(cur) => v = cur,
            }
        }
        false
    }

    /// Takes one unit, waiting until one is released (Go's `semacquire1`).
    ///
    /// `lifo` queues the waiter at the head instead of the tail: for a waiter
    /// that already waited once and must not lose its place.
    pub(crate) fn acquire(&self, lifo: bool) {
        if self.try_acquire() {
            return;
        }
        loop {
            let r = parking::park(
                self.key(),
                lifo,
                None,
                || !self.try_acquire(),
                || {},
                |_| {},
            );
            match r {
                // `validate` found a unit and took it.
                ParkResult::Invalid => return,
                // The releaser took the unit on our behalf.
                ParkResult::Unparked(TOKEN_HANDOFF) => return,
                // A plain wake-up: compete for the unit; if a newcomer got
                // there first, wait again.
                ParkResult::Unparked(_) => {
                    if self.try_acquire() {
                        return;
                    }
                }
                ParkResult::TimedOut => unreachable!("no deadline was given"),
            }
        }
    }

    /// As [`acquire`](Self::acquire), spinning first while a unit may come
    /// soon: for waits that last one short critical section (an
    /// `RwMutex` reader behind a writer, a writer behind the readers that
    /// were inside), where parking an OS thread and waking it costs more
    /// than the wait. Go parks at once here, but a parked goroutine costs
    /// Go a switch, not two kernel round trips. The spin is the channels'
    /// (active rounds, then yields while they pay), and a goroutine whose
    /// worker has others ready does not spin at all.
    pub(crate) fn acquire_spinning(&self) {
        let mut iter = 0;
        while super::spin::can_spin_waiting(iter) {
            if self.try_acquire() {
                return;
            }
            super::spin::spin_waiting(iter, || self.count.load(Ordering::Relaxed) != 0);
            iter += 1;
        }
        self.acquire(false);
    }

    /// Adds one unit and wakes a waiter (Go's `semrelease1`).
    ///
    /// With `handoff`, the unit goes straight to the woken waiter, which then
    /// need not compete with newcomers for it.
    pub(crate) fn release(&self, handoff: bool) {
        // SeqCst pairs with the waiter's SeqCst increment of the table's
        // waiter count: either we see the waiter, or it sees our unit.
        self.count.fetch_add(1, Ordering::SeqCst);
        if !parking::has_waiters(self.key()) {
            return;
        }
        parking::unpark_one(self.key(), |r| {
            if r.unparked && handoff && self.try_acquire() {
                TOKEN_HANDOFF
            } else {
                TOKEN_NORMAL
            }
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn release_before_acquire_is_remembered() {
        let s = Sema::new();
        s.release(false);
        s.release(true);
        s.acquire(false);
        s.acquire(true);
        assert_eq!(s.count.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn every_release_wakes_exactly_one_acquire() {
        let n = if cfg!(debug_assertions) {
            2_000
        } else {
            20_000
        };
        let s = Arc::new(Sema::new());
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let s = s.clone();
                std::thread::spawn(move || {
                    for _ in 0..n {
                        if i % 2 == 0 {
                            s.acquire(i == 0);
                        } else {
                            s.release(i == 1);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(s.count.load(Ordering::SeqCst), 0);
    }
}
