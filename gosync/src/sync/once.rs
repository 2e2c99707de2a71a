//! `sync.Once`, `sync.OnceValue`, `sync.OnceFunc`.

use crate::loom::loom_const_fn;
use crate::loom::sync::atomic::{AtomicU8, Ordering};
use std::cell::UnsafeCell;
use std::fmt;
use std::mem::MaybeUninit;
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
    /// [`PENDING`], then (with Release) [`DONE`] when the action returned or
    /// [`PANICKED`] when it panicked. The fast path needs only this word. Its
    /// address names the `Once` to the race detector (the `Once`'s own
    /// address may be its mutex's).
    state: AtomicU8,
    /// Serialises the slow path, so that latecomers wait for the action.
    m: RawMutex,
}

/// The action has not run.
const PENDING: u8 = 0;
/// The action returned.
const DONE: u8 = 1;
/// The action panicked; the `Once` counts as done all the same (Go's rule).
const PANICKED: u8 = 2;

impl Once {
    loom_const_fn! {
        /// Creates a `Once` whose action has not run.
        pub fn new() -> Once {
            Once {
                state: AtomicU8::new(PENDING),
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
        if self.state.load(Ordering::Acquire) != PENDING {
            hb::acquire(&self.state);
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
        /// Marks the action done-by-panic if it unwinds.
        struct Unwinding<'a>(&'a Once);
        impl Drop for Unwinding<'_> {
            fn drop(&mut self) {
                self.0.finish(PANICKED);
            }
        }

        self.m.lock();
        let _unlock = Unlock(&self.m);
        // Relaxed: the mutex orders us after whoever set it.
        if self.state.load(Ordering::Relaxed) == PENDING {
            let unwinding = Unwinding(self);
            f();
            std::mem::forget(unwinding);
            self.finish(DONE);
        } else {
            hb::acquire(&self.state);
        }
    }

    /// Publishes the action's outcome.
    fn finish(&self, outcome: u8) {
        hb::release(&self.state);
        // Release: pairs with the fast path's Acquire.
        self.state.store(outcome, Ordering::Release);
    }

    /// Whether the action has run (returned or panicked).
    pub fn is_done(&self) -> bool {
        self.state.load(Ordering::Acquire) != PENDING
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

/// A value computed once, on first use, as Go's `sync.OnceValue`.
///
/// The function runs the first time [`get`](Self::get) is called; every
/// caller gets a reference to the same value. If the function panics, that
/// first `get` panics with it, and every later `get` panics with the same
/// message (Go's `OnceValue` re-panics with the same value). After the
/// first call, `get` is one atomic load, a compare, and the value's address.
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
    /// The function, until the action takes it.
    init: UnsafeCell<Option<F>>,
    /// Initialised exactly when `once`'s state is `DONE`.
    value: UnsafeCell<MaybeUninit<T>>,
    /// The panic message, set exactly when `once`'s state is `PANICKED`.
    panic: UnsafeCell<Option<String>>,
}

// SAFETY: the value is created on one thread and read by reference on many
// (`T: Sync`), and may be dropped on another than made it (`T: Send`); the
// function is moved to and run on whichever thread calls first (`F: Send`).
// The cells are written only inside `once`'s action (one writer, before the
// Release store of its outcome) and read only after that outcome has been
// seen with Acquire.
unsafe impl<T: Sync + Send, F: Send> Sync for OnceValue<T, F> {}

impl<T, F: FnOnce() -> T> OnceValue<T, F> {
    loom_const_fn! {
        /// Creates a value that `f` will compute on first use.
        pub fn new(f: F) -> OnceValue<T, F> {
            OnceValue {
                once: Once::new(),
                init: UnsafeCell::new(Some(f)),
                value: UnsafeCell::new(MaybeUninit::uninit()),
                panic: UnsafeCell::new(None),
            }
        }
    }

    /// Returns the value, computing it first if this is the first call.
    ///
    /// # Panics
    ///
    /// If the function panics: the first caller with the original panic,
    /// every later caller with a panic carrying the same message.
    #[inline]
    pub fn get(&self) -> &T {
        // Acquire: pairs with the Release store of DONE after the write.
        if self.once.state.load(Ordering::Acquire) == DONE {
            hb::acquire(&self.once.state);
            // SAFETY: DONE means `value` was written, before the store we
            // acquired, and it is never written again.
            return unsafe { (*self.value.get()).assume_init_ref() };
        }
        self.get_slow()
    }

    #[cold]
    fn get_slow(&self) -> &T {
        self.once.call(|| {
            // SAFETY: inside `once`'s action we are the only one to touch
            // the cells (see the `Sync` impl).
            let f = unsafe { (*self.init.get()).take() }.expect("the action runs once");
            match panic::catch_unwind(AssertUnwindSafe(f)) {
                // SAFETY: as above; `once` then publishes DONE.
                Ok(v) => unsafe {
                    (*self.value.get()).write(v);
                },
                Err(payload) => {
                    // SAFETY: as above; `once` then publishes PANICKED.
                    unsafe { *self.panic.get() = Some(panic_message(&*payload)) };
                    panic::resume_unwind(payload);
                }
            }
        });
        if self.once.state.load(Ordering::Acquire) == DONE {
            // SAFETY: as in `get`.
            return unsafe { (*self.value.get()).assume_init_ref() };
        }
        // SAFETY: the state is PANICKED (`call` returned, so not PENDING):
        // `panic` is written for good.
        let msg = unsafe { (*self.panic.get()).as_deref() };
        panic!("{}", msg.expect("a panicked OnceValue keeps its message"))
    }
}

impl<T, F> Drop for OnceValue<T, F> {
    fn drop(&mut self) {
        // `&mut self`: no other access exists, so Relaxed suffices (a load
        // rather than `get_mut`, which loom's mock lacks).
        if self.once.state.load(Ordering::Relaxed) == DONE {
            // SAFETY: DONE means `value` is initialised, and it is dropped
            // only here, once.
            unsafe { self.value.get_mut().assume_init_drop() };
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
        match self.once.state.load(Ordering::Acquire) {
            // SAFETY: DONE: the value is written for good.
            DONE => d.field("value", unsafe { (*self.value.get()).assume_init_ref() }),
            // SAFETY: PANICKED: the message is written for good.
            PANICKED => d.field(
                "panicked",
                unsafe { &*self.panic.get() }.as_ref().expect("set"),
            ),
            _ => d.field("value", &format_args!("<uninit>")),
        };
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
        // Keyed by the state word: the Once's own address is its mutex's.
        let key = &once.state as *const AtomicU8 as usize;
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
    fn once_value_drops_what_it_holds_exactly_once() {
        use std::sync::Arc;
        let token = Arc::new(());
        let held = token.clone();
        let v = OnceValue::new(move || held);
        drop(v); // never run: the function (and its capture) is dropped
        assert_eq!(Arc::strong_count(&token), 1);

        let held = token.clone();
        let v = OnceValue::new(move || held);
        assert_eq!(Arc::strong_count(v.get()), 2);
        drop(v); // run: the value is dropped
        assert_eq!(Arc::strong_count(&token), 1);
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
