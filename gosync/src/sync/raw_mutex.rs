//! Go's mutex algorithm (`sync/mutex.go`), without the data it protects.

use crate::loom::loom_const_fn;
use crate::loom::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use crate::rt::{clock, hb, sema::Sema, spin};

/// The lock is held.
const LOCKED: i32 = 1 << 0;
/// A waiter is awake (spinning, or woken and about to compete), so unlock
/// need not wake another.
const WOKEN: i32 = 1 << 1;
/// Starvation mode: unlock hands the lock to the waiter at the head of the
/// queue; newcomers neither take it nor spin, they queue at the tail.
const STARVING: i32 = 1 << 2;
/// The rest of the state word counts waiters blocked in `sema`.
const WAITER_SHIFT: u32 = 3;
const ONE_WAITER: i32 = 1 << WAITER_SHIFT;

/// A waiter that has waited this long switches the mutex to starvation mode.
const STARVATION_THRESHOLD: Duration = Duration::from_millis(1);

/// A mutual-exclusion lock with Go's fairness: the lock word, and the
/// semaphore its waiters sleep on.
///
/// `state`, as Go's:
///
/// | bits  | name      | meaning                                               |
/// |-------|-----------|-------------------------------------------------------|
/// | 0     | `LOCKED`  | held                                                  |
/// | 1     | `WOKEN`   | a waiter is awake; unlock must not wake another       |
/// | 2     | `STARVING`| unlock hands ownership to the queue's head            |
/// | 3..32 | waiters   | waiters asleep on `sema` (or about to be)             |
///
/// **Normal mode**: waiters queue FIFO, but a woken waiter competes with
/// newcomers, which already run on a CPU and usually win; this is what makes
/// the mutex fast under contention. A woken waiter that loses queues at the
/// *front*. **Starvation mode**: a waiter that fails to get the lock for more
/// than 1 ms sets `STARVING`; from then on unlock hands the lock directly to
/// the head waiter (which is woken with `LOCKED` clear and must set it
/// itself), and newcomers queue at the tail. The head waiter returns the mutex
/// to normal mode when it is the last waiter or waited less than 1 ms.
///
/// Transitions: `LOCKED` is set by whoever acquires (a CAS from a state
/// without `LOCKED | STARVING`, or the handed-off waiter's add) and cleared
/// only by the holder's unlock. The waiter count moves by CAS only.
#[derive(Debug)]
pub(crate) struct RawMutex {
    state: AtomicI32,
    sema: Sema,
}

impl RawMutex {
    loom_const_fn! {
        pub(crate) fn new() -> RawMutex {
            RawMutex {
                state: AtomicI32::new(0),
                sema: Sema::new(),
            }
        }
    }

    /// Acquires the lock, waiting as long as needed.
    #[inline]
    pub(crate) fn lock(&self) {
        // Acquire: what the previous holder wrote is visible to us.
        if self
            .state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
        hb::acquire(self);
    }

    /// Acquires the lock if that needs no waiting (Go's `TryLock`).
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        let old = self.state.load(Ordering::Relaxed);
        if old & (LOCKED | STARVING) != 0 {
            return false;
        }
        // Not LOCKED even in starvation mode would mean a handoff is in
        // flight; STARVING is checked above so we never steal one.
        let ok = self
            .state
            .compare_exchange(old, old | LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok();
        if ok {
            hb::acquire(self);
        }
        ok
    }

    /// Releases the lock.
    ///
    /// # Safety
    ///
    /// The caller holds the lock (a guard owns it).
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        hb::release(self);
        // Release: our writes are visible to the next holder.
        let new = self.state.fetch_sub(LOCKED, Ordering::Release) - LOCKED;
        if new != 0 {
            self.unlock_slow(new);
        }
    }

    #[cold]
    fn lock_slow(&self) {
        let mut wait_start = None;
        let mut starving = false;
        let mut awoke = false;
        let mut iter = 0;
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            // Spin only in normal mode and while the lock is held: in
            // starvation mode ownership goes to waiters, so we could not get it.
            if old & (LOCKED | STARVING) == LOCKED && spin::can_spin(iter) {
                // Setting WOKEN tells unlock not to wake a sleeper while we
                // are about to take the lock ourselves.
                if !awoke
                    && old & WOKEN == 0
                    && old >> WAITER_SHIFT != 0
                    && self
                        .state
                        .compare_exchange_weak(
                            old,
                            old | WOKEN,
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                {
                    awoke = true;
                }
                spin::spin(iter, || self.state.load(Ordering::Relaxed) & LOCKED == 0);
                iter += 1;
                old = self.state.load(Ordering::Relaxed);
                continue;
            }
            let mut new = old;
            // Newcomers do not take a starving mutex: they queue.
            if old & STARVING == 0 {
                new |= LOCKED;
            }
            if old & (LOCKED | STARVING) != 0 {
                new += ONE_WAITER;
            }
            // Switch to starvation mode, unless the lock was just released
            // (unlock expects waiters in starvation mode; none may remain).
            if starving && old & LOCKED != 0 {
                new |= STARVING;
            }
            if awoke {
                // We were woken (or claimed WOKEN while spinning): clear it,
                // whatever we do next.
                assert!(new & WOKEN != 0, "sync: inconsistent mutex state");
                new &= !WOKEN;
            }
            // Acquire: if this CAS takes the lock, the previous holder's
            // writes are visible.
            match self
                .state
                .compare_exchange_weak(old, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => {
                    if old & (LOCKED | STARVING) == 0 {
                        return; // locked by the CAS
                    }
                    // A waiter that already waited goes to the front.
                    let lifo = wait_start.is_some();
                    let start = *wait_start.get_or_insert_with(clock::now);
                    self.sema.acquire(lifo);
                    starving = starving || clock::now() - start > STARVATION_THRESHOLD;
                    old = self.state.load(Ordering::Relaxed);
                    if old & STARVING != 0 {
                        // Ownership was handed to us, but LOCKED is clear and
                        // we are still counted as a waiter: fix both.
                        assert!(
                            old & (LOCKED | WOKEN) == 0 && old >> WAITER_SHIFT != 0,
                            "sync: inconsistent mutex state"
                        );
                        let mut delta = LOCKED - ONE_WAITER;
                        if !starving || old >> WAITER_SHIFT == 1 {
                            // Leave starvation mode while we can: it is slow,
                            // and with no waiter left nobody would clear it.
                            delta -= STARVING;
                        }
                        // Acquire: the handing-off unlock's writes are visible.
                        self.state.fetch_add(delta, Ordering::Acquire);
                        return;
                    }
                    awoke = true;
                    iter = 0;
                }
                Err(cur) => old = cur,
            }
        }
    }

    #[cold]
    fn unlock_slow(&self, new: i32) {
        assert!(
            (new + LOCKED) & LOCKED != 0,
            "sync: unlock of unlocked mutex"
        );
        if new & STARVING != 0 {
            // Hand the lock and our time slice to the head waiter. LOCKED
            // stays clear; with STARVING set, newcomers will not take it.
            self.sema.release(true);
            return;
        }
        let mut old = new;
        loop {
            // Nobody to wake, or someone already took the lock, or a waiter
            // is already awake, or a newcomer switched to starvation mode.
            if old >> WAITER_SHIFT == 0 || old & (LOCKED | WOKEN | STARVING) != 0 {
                return;
            }
            // Claim the right to wake one waiter.
            let new = (old - ONE_WAITER) | WOKEN;
            match self
                .state
                .compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    self.sema.release(false);
                    return;
                }
                Err(cur) => old = cur,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
// These tests drive the lock from plain threads on purpose.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::sync::Arc;

    /// A hog re-locks in a tight loop, holding the lock 20 µs each time, so a
    /// sleeping waiter that wakes always finds it held again. In normal mode
    /// the waiter would lose every race; starvation mode must hand it the
    /// lock. The bound is in hog iterations (about 2 s of hogging), far above
    /// the ~1 ms after which starvation mode engages.
    #[test]
    fn starving_waiter_gets_the_lock_from_a_hog() {
        use std::sync::atomic::AtomicBool;
        const LIMIT: u32 = 100_000;
        let m = Arc::new(RawMutex::new());
        let acquired = Arc::new(AtomicBool::new(false));
        m.lock();
        let waiter = {
            let (m, acquired) = (m.clone(), acquired.clone());
            std::thread::spawn(move || {
                m.lock();
                acquired.store(true, Ordering::SeqCst);
                // SAFETY: locked just above.
                unsafe { m.unlock() };
            })
        };
        while m.state.load(Ordering::Relaxed) >> WAITER_SHIFT == 0 {
            std::thread::yield_now();
        }
        let mut iterations = 0;
        while !acquired.load(Ordering::SeqCst) {
            assert!(
                iterations < LIMIT,
                "the waiter starved for {LIMIT} hog iterations"
            );
            let hold_until = clock::now() + Duration::from_micros(20);
            while clock::now() < hold_until {
                std::hint::spin_loop();
            }
            // SAFETY: locked by this thread.
            unsafe { m.unlock() };
            m.lock();
            iterations += 1;
        }
        // SAFETY: locked by this thread.
        unsafe { m.unlock() };
        waiter.join().unwrap();
        assert_eq!(
            m.state.load(Ordering::Relaxed),
            0,
            "no waiter, no mode, unlocked"
        );
    }

    #[test]
    fn no_lost_updates_under_contention() {
        let m = Arc::new(RawMutex::new());
        let counter = Arc::new(AtomicU64::new(0));
        let n = if cfg!(debug_assertions) {
            5_000
        } else {
            50_000
        };
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (m, counter) = (m.clone(), counter.clone());
                std::thread::spawn(move || {
                    for _ in 0..n {
                        m.lock();
                        // A non-atomic read-modify-write under the lock.
                        let v = counter.load(Ordering::Relaxed);
                        counter.store(v + 1, Ordering::Relaxed);
                        // SAFETY: locked just above.
                        unsafe { m.unlock() };
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(counter.load(Ordering::Relaxed), 4 * n);
        assert_eq!(m.state.load(Ordering::Relaxed), 0);
    }
}
