//! `sync.WaitGroup`.

use crate::loom::loom_const_fn;
use crate::loom::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::fmt;
use std::ptr;
use std::sync::Arc;

use crate::rt::{goroutine, hb, sema::Sema};

/// Waits for a collection of goroutines to finish, as Go's `sync.WaitGroup`.
///
/// `add` raises a counter, `done` lowers it, `wait` blocks until it is zero.
/// [`WaitGroup::go`] does all three steps' bookkeeping for one goroutine (Go
/// 1.25's `wg.Go`). Any number of goroutines may wait at once, and the group
/// may be reused once every `wait` has returned.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use gosync::sync::WaitGroup;
///
/// let done = Arc::new(AtomicUsize::new(0));
/// let wg = WaitGroup::new();
/// for _ in 0..8 {
///     let done = done.clone();
///     wg.go(move || {
///         done.fetch_add(1, Ordering::Relaxed);
///     });
/// }
/// wg.wait();
/// assert_eq!(done.load(Ordering::Relaxed), 8);
/// ```
///
/// # Panics
///
/// - `add` or `done` that takes the counter below zero: "sync: negative
///   WaitGroup counter".
/// - `add` of a positive delta from zero racing with `wait`: "sync: WaitGroup
///   misuse: Add called concurrently with Wait".
/// - A new round of `add` before a previous `wait` has returned: that `wait`
///   panics with "sync: WaitGroup is reused before previous Wait has returned".
///
/// # Differences from Go
///
/// The counter lives in a small shared allocation made on first use, so that
/// `go` can hand it to the goroutine it starts without borrowing the group;
/// `new` is still `const`, so a `static WaitGroup` works.
pub struct WaitGroup {
    /// Null until first use; then an `Arc<State>` turned into a raw pointer,
    /// owned by the group (one strong count) until it is dropped.
    state: AtomicPtr<State>,
}

/// The counter and the semaphore its waiters sleep on.
///
/// `word`, as Go's: the high 32 bits are the counter, the low 32 bits the
/// number of waiters. Waiters are added only while the counter is positive;
/// the `add` that takes the counter to zero resets the word to 0 and wakes
/// every counted waiter.
struct State {
    word: AtomicU64,
    sema: Sema,
}

impl State {
    fn add(&self, delta: isize) {
        if delta < 0 {
            // `done` happens before the `wait` it releases.
            hb::release_merge(self);
        }
        let d = (delta as i64 as u64) << 32;
        // AcqRel: a `done` publishes the goroutine's work; the last one
        // acquires all earlier ones' before waking the waiters.
        let word = self.word.fetch_add(d, Ordering::AcqRel).wrapping_add(d);
        let v = (word >> 32) as i32;
        let w = word as u32;
        if v < 0 {
            panic!("sync: negative WaitGroup counter");
        }
        if w != 0 && delta > 0 && v as i64 == delta as i64 {
            panic!("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        if v > 0 || w == 0 {
            return;
        }
        // The counter is zero and there are waiters: nobody may change the
        // word now (adding waiters needs a positive counter, and a new add
        // would be misuse), so check it, reset it, and wake them.
        if self.word.load(Ordering::Relaxed) != word {
            panic!("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        // Release: a `wait` that arrives now and reads this 0 must see every
        // goroutine's work, which this thread acquired through the counter's
        // RMW chain. (Found by loom: with Relaxed it would see stale data.)
        self.word.store(0, Ordering::Release);
        for _ in 0..w {
            self.sema.release(false);
        }
    }

    fn wait(&self) {
        let mut word = self.word.load(Ordering::Acquire);
        loop {
            if word >> 32 == 0 {
                hb::acquire(self);
                return;
            }
            // Count ourselves as a waiter.
            match self.word.compare_exchange_weak(
                word,
                word + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.sema.acquire(false);
                    if self.word.load(Ordering::Acquire) != 0 {
                        panic!("sync: WaitGroup is reused before previous Wait has returned");
                    }
                    hb::acquire(self);
                    return;
                }
                Err(cur) => word = cur,
            }
        }
    }
}

impl WaitGroup {
    loom_const_fn! {
        /// Creates a group with a zero counter.
        pub fn new() -> WaitGroup {
            WaitGroup {
                state: AtomicPtr::new(ptr::null_mut()),
            }
        }
    }

    #[inline]
    fn state(&self) -> &State {
        let p = self.state.load(Ordering::Acquire);
        if p.is_null() {
            return self.init();
        }
        // SAFETY: a non-null pointer came from `Arc::into_raw` in `init`, and
        // the group holds that strong count until it is dropped, which cannot
        // happen while `&self` is borrowed.
        unsafe { &*p }
    }

    #[cold]
    fn init(&self) -> &State {
        let new = Arc::into_raw(Arc::new(State {
            word: AtomicU64::new(0),
            sema: Sema::new(),
        }))
        .cast_mut();
        // AcqRel: publishes the new state (Release); on failure, sees the
        // winner's (Acquire).
        match self
            .state
            .compare_exchange(ptr::null_mut(), new, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: `new` is live and now owned by the group (see `state`).
            Ok(_) => unsafe { &*new },
            Err(winner) => {
                // SAFETY: `new` came from `Arc::into_raw` just above and was
                // never shared: we give back the only strong count.
                drop(unsafe { Arc::from_raw(new) });
                // SAFETY: as in `state`, for the winner's pointer.
                unsafe { &*winner }
            }
        }
    }

    /// A strong reference to the state, for a goroutine to keep.
    fn share(&self) -> Arc<State> {
        let state: *const State = self.state();
        // SAFETY: `state` came from `Arc::into_raw` and the group keeps its
        // count alive while borrowed; we add one count for the new owner.
        unsafe {
            Arc::increment_strong_count(state);
            Arc::from_raw(state)
        }
    }

    /// Adds `delta` (which may be negative) to the counter. When the counter
    /// reaches zero, every goroutine blocked in [`wait`](Self::wait) is released.
    ///
    /// Calls with a positive delta that start from zero must happen before
    /// the `wait` they are meant for, as in Go.
    ///
    /// # Panics
    ///
    /// "sync: negative WaitGroup counter" if the counter goes below zero.
    pub fn add(&self, delta: isize) {
        self.state().add(delta);
    }

    /// Lowers the counter by one.
    ///
    /// # Panics
    ///
    /// "sync: negative WaitGroup counter" if the counter goes below zero.
    pub fn done(&self) {
        self.state().add(-1);
    }

    /// Blocks until the counter is zero.
    ///
    /// # Panics
    ///
    /// "sync: WaitGroup is reused before previous Wait has returned" if
    /// another round of `add` began before this `wait` woke.
    pub fn wait(&self) {
        self.state().wait();
    }

    /// Runs `f` in a new goroutine, counted by the group: `add(1)`, then
    /// `done()` when `f` returns (Go 1.25's `WaitGroup.Go`).
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gosync::sync::WaitGroup::new();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// wg.go(move || tx.send(42).unwrap());
    /// wg.wait();
    /// assert_eq!(rx.recv().unwrap(), 42);
    /// ```
    pub fn go<F: FnOnce() + Send + 'static>(&self, f: F) {
        self.add(1);
        let state = self.share();
        goroutine::go(move || {
            f();
            state.add(-1);
        });
    }

    /// As [`go`](Self::go), but the goroutine starts where
    /// [`crate::go_spread`] puts it: on the least busy worker. For a pool
    /// of goroutines that compute; goroutines that mostly hand values to
    /// each other are faster started with [`go`](Self::go), near their
    /// spawner.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    ///
    /// let wg = gosync::sync::WaitGroup::new();
    /// let total = Arc::new(AtomicU64::new(0));
    /// for part in 0..4u64 {
    ///     let total = total.clone();
    ///     wg.go_spread(move || {
    ///         let sum: u64 = (part * 1000..(part + 1) * 1000).sum();
    ///         total.fetch_add(sum, Ordering::Relaxed);
    ///     });
    /// }
    /// wg.wait();
    /// assert_eq!(total.load(Ordering::Relaxed), (0..4000).sum());
    /// ```
    pub fn go_spread<F: FnOnce() + Send + 'static>(&self, f: F) {
        self.add(1);
        let state = self.share();
        goroutine::go_spread(move || {
            f();
            state.add(-1);
        });
    }
}

impl Default for WaitGroup {
    fn default() -> WaitGroup {
        WaitGroup::new()
    }
}

impl Drop for WaitGroup {
    fn drop(&mut self) {
        // `&mut self`: no other access exists, so Relaxed suffices (a load
        // rather than `get_mut`, which loom's mock lacks).
        let p = self.state.load(Ordering::Relaxed);
        if !p.is_null() {
            // SAFETY: the group owns one strong count of the `Arc` behind
            // `p` (see `state`), given back exactly once, here.
            drop(unsafe { Arc::from_raw(p) });
        }
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.state().word.load(Ordering::Relaxed);
        f.debug_struct("WaitGroup")
            .field("counter", &((word >> 32) as i32))
            .field("waiters", &(word as u32))
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
// These tests drive the group from plain threads on purpose.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "sync: WaitGroup is reused before previous Wait has returned")]
    fn woken_waiter_detects_reuse() {
        // The state a waiter finds when, between the last `done` waking it and
        // its running again, someone started a new round with `add(1)`.
        let wg = WaitGroup::new();
        let s = wg.state();
        s.word.store(1 << 32, Ordering::Relaxed);
        s.sema.release(false);
        wg.wait();
    }

    #[test]
    fn state_is_shared_by_go_and_freed() {
        let wg = WaitGroup::new();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        wg.go(move || {
            let _ = rx.recv();
        });
        let weak = Arc::downgrade(&wg.share());
        drop(tx);
        wg.wait();
        drop(wg);
        // The goroutine may still be dropping its handle; wait it out.
        while weak.strong_count() != 0 {
            std::thread::yield_now();
        }
    }

    #[cfg(feature = "race")]
    #[test]
    fn done_releases_and_wait_acquires() {
        use crate::rt::hb::{record, Event};
        let wg = WaitGroup::new();
        wg.add(1);
        let key = wg.state() as *const State as usize;
        let ((), events) = record(|| {
            wg.done();
            wg.wait();
        });
        assert_eq!(events, [Event::ReleaseMerge(key), Event::Acquire(key)]);
    }
}
