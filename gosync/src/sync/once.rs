//! `sync.Once`, `sync.OnceValue`, `sync.OnceFunc`.

use crate::loom::loom_const_fn;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use std::cell::UnsafeCell;
use std::fmt;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};

use super::raw_mutex::RawMutex;
use crate::rt::goroutine::panic_message;
use crate::rt::hb;

/// Performs exactly one action, as Go's `sync.Once`.
///
/// The first `call` runs its function; every other `call`, concurrent or
/// later, waits until that function has returned and then returns without
/// running its own. After completion `call` is a single atomic load.
///
/// If the function panics, the `Once` counts as done (as in Go): the panic
/// propagates to the first caller and later calls do nothing.
///
/// # Examples
///
/// ```
/// use gosync::sync::Once;
///
/// static INIT: Once = Once::new();
/// let mut runs = 0;
/// INIT.call(|| runs += 1);
/// INIT.call(|| runs += 1);
/// assert_eq!(runs, 1);
/// assert!(INIT.is_done());
/// ```
pub struct Once {
    /// Set, with Release, once the action has returned or panicked. The
    /// fast path needs only this flag. Its address names the `Once` to the
    /// race detector (the `Once`'s own address may be its mutex's).
    done: AtomicBool,
    /// Serialises the slow path, so that latecomers wait for the action.
    m: RawMutex,
}

impl Once {
    loom_const_fn! {
        /// Creates a `Once` whose action has not run.
        pub fn new() -> Once {
            Once {
                done: AtomicBool::new(false),
                m: RawMutex::new(),
            }
        }
    }

    /// Runs `f` if no `call` of this `Once` has run its function yet; in any
    /// case returns only after that function has returned.
    ///
    /// Calling `call` on the same `Once` from inside `f` deadlocks, as in Go.
    #[inline]
    pub fn call(&self, f: impl FnOnce()) {
        // Acquire: the action's effects are visible once we see it done.
        if self.done.load(Ordering::Acquire) {
            hb::acquire(&self.done);
            return;
        }
        self.call_slow(f);
    }

    #[cold]
    fn call_slow(&self, f: impl FnOnce()) {
        struct Unlock<'a>(&'a RawMutex);
        impl Drop for Unlock<'_> {
            fn drop(&mut self) {
                // SAFETY: locked by `call_slow` before this guard was made.
                unsafe { self.0.unlock() }
            }
        }
        /// Marks the action done when it returns *or* panics.
        struct Finish<'a>(&'a Once);
        impl Drop for Finish<'_> {
            fn drop(&mut self) {
                hb::release(&self.0.done);
                self.0.done.store(true, Ordering::Release);
            }
        }

        self.m.lock();
        let _unlock = Unlock(&self.m);
        // Relaxed: the mutex orders us after whoever set it.
        if !self.done.load(Ordering::Relaxed) {
            let _finish = Finish(self);
            f();
        } else {
            hb::acquire(&self.done);
        }
    }

    /// Whether the action has run (returned or panicked).
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}

impl Default for Once {
    fn default() -> Once {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once")
            .field("done", &self.is_done())
            .finish()
    }
}

/// What a [`OnceValue`] holds.
enum Slot<T, F> {
    Pending(F),
    Running,
    Ready(T),
    /// The function panicked with this message.
    Panicked(String),
}

/// A value computed once, on first use, as Go's `sync.OnceValue`.
///
/// The function runs the first time [`get`](Self::get) is called; every
/// caller gets a reference to the same value. If the function panics, that
/// first `get` panics with it, and every later `get` panics with the same
/// message (Go's `OnceValue` re-panics with the same value).
///
/// # Examples
///
/// ```
/// use gosync::sync::OnceValue;
///
/// static CONFIG: OnceValue<String> = OnceValue::new(|| "loaded".to_string());
/// assert_eq!(CONFIG.get(), "loaded");
/// assert_eq!(&*CONFIG, "loaded"); // it also derefs
/// ```
pub struct OnceValue<T, F = fn() -> T> {
    once: Once,
    /// Written only inside `once.call` (one writer, before `done` is set);
    /// read only after `once.call` has returned (after `done`, Acquire).
    slot: UnsafeCell<Slot<T, F>>,
}

// SAFETY: the value is created on one thread and read by reference on many
// (`T: Sync`), and may be dropped on another than made it (`T: Send`); the
// function is moved to and run on whichever thread calls first (`F: Send`).
// Access to `slot` is ordered by `once` as its field comment says.
unsafe impl<T: Sync + Send, F: Send> Sync for OnceValue<T, F> {}

impl<T, F: FnOnce() -> T> OnceValue<T, F> {
    loom_const_fn! {
        /// Creates a value that `f` will compute on first use.
        pub fn new(f: F) -> OnceValue<T, F> {
            OnceValue {
                once: Once::new(),
                slot: UnsafeCell::new(Slot::Pending(f)),
            }
        }
    }

    /// Returns the value, computing it first if this is the first call.
    ///
    /// # Panics
    ///
    /// If the function panics: the first caller with the original panic,
    /// every later caller with a panic carrying the same message.
    pub fn get(&self) -> &T {
        self.once.call(|| {
            // SAFETY: inside `once.call`'s action we are the only writer and
            // no reader exists yet (see the field comment).
            let slot = unsafe { &mut *self.slot.get() };
            let Slot::Pending(f) = std::mem::replace(slot, Slot::Running) else {
                unreachable!("the action runs once")
            };
            match panic::catch_unwind(AssertUnwindSafe(f)) {
                Ok(v) => *slot = Slot::Ready(v),
                Err(payload) => {
                    *slot = Slot::Panicked(panic_message(&*payload));
                    panic::resume_unwind(payload);
                }
            }
        });
        // SAFETY: `once.call` has returned, so the slot is written for good.
        match unsafe { &*self.slot.get() } {
            Slot::Ready(v) => v,
            Slot::Panicked(msg) => panic!("{msg}"),
            Slot::Pending(_) | Slot::Running => unreachable!("once.call returned"),
        }
    }
}

impl<T, F: FnOnce() -> T> Deref for OnceValue<T, F> {
    type Target = T;

    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T: fmt::Debug, F> fmt::Debug for OnceValue<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("OnceValue");
        if self.once.is_done() {
            // SAFETY: done, so the slot is no longer written.
            match unsafe { &*self.slot.get() } {
                Slot::Ready(v) => d.field("value", v),
                Slot::Panicked(msg) => d.field("panicked", msg),
                Slot::Pending(_) | Slot::Running => unreachable!("done"),
            };
        } else {
            d.field("value", &format_args!("<uninit>"));
        }
        d.finish()
    }
}

/// Returns a function that runs `f` only the first time it is called, as
/// Go's `sync.OnceFunc`. Every call returns only after `f` has returned.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// static RUNS: AtomicU32 = AtomicU32::new(0);
/// let init = gosync::sync::once_func(|| {
///     RUNS.fetch_add(1, Ordering::Relaxed);
/// });
/// init();
/// init();
/// assert_eq!(RUNS.load(Ordering::Relaxed), 1);
/// ```
///
/// # Panics
///
/// If `f` panics, the returned function panics with the same message on
/// every call.
pub fn once_func<F: FnOnce() + Send>(f: F) -> impl Fn() + Send + Sync {
    let value = OnceValue::new(f);
    move || *value.get()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[cfg(feature = "race")]
    #[test]
    fn completion_happens_before_every_return() {
        use crate::rt::hb::{record, Event};
        let once = Once::new();
        // Keyed by the flag: the Once's own address is its mutex's.
        let key = &once.done as *const AtomicBool as usize;
        let ((), events) = record(|| {
            once.call(|| {});
            once.call(|| {});
        });
        // The first call locks, releases the Once, unlocks; the second
        // acquires it on the fast path.
        let ours: Vec<_> = events
            .into_iter()
            .filter(|e| matches!(e, Event::Acquire(k) | Event::Release(k) if *k == key))
            .collect();
        assert_eq!(ours, [Event::Release(key), Event::Acquire(key)]);
    }

    #[test]
    fn once_value_repanics_with_the_same_message() {
        let v: OnceValue<u32, _> = OnceValue::new(|| panic!("no config"));
        for _ in 0..2 {
            let err = panic::catch_unwind(AssertUnwindSafe(|| *v.get())).unwrap_err();
            assert_eq!(panic_message(&*err), "no config");
        }
        assert_eq!(format!("{v:?}"), "OnceValue { panicked: \"no config\" }");
    }
}
