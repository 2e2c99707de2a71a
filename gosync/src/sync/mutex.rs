//! `sync.Mutex`, holding the data it protects.

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::raw_mutex::RawMutex;
use crate::loom::loom_const_fn;

/// A mutual-exclusion lock protecting a `T`, with Go's `sync.Mutex` algorithm.
///
/// `lock` returns a guard; the lock is released when the guard is dropped,
/// including during a panic, and stays usable afterwards (there is no
/// poisoning, as in Go).
///
/// Fairness is Go's: in *normal mode* a woken waiter competes with newcomers,
/// which keeps throughput high; a waiter that fails to get the lock for more
/// than 1 ms switches the mutex to *starvation mode*, in which unlock hands
/// ownership directly to the longest waiter and newcomers queue behind it.
/// The uncontended path is one compare-and-swap to lock and one atomic
/// subtraction to unlock.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::sync::{Mutex, WaitGroup};
///
/// let counter = Arc::new(Mutex::new(0));
/// let wg = WaitGroup::new();
/// for _ in 0..10 {
///     let counter = counter.clone();
///     wg.go(move || *counter.lock() += 1);
/// }
/// wg.wait();
/// assert_eq!(*counter.lock(), 10);
/// ```
///
/// A `static` needs no lazy initialisation:
///
/// ```
/// use gosync::sync::Mutex;
///
/// static HITS: Mutex<u64> = Mutex::new(0);
/// *HITS.lock() += 1;
/// assert_eq!(*HITS.lock(), 1);
/// ```
///
/// # Differences from Go
///
/// The lock owns its data and only a guard unlocks, so "unlock of unlocked
/// mutex" cannot happen; unlocking from another goroutine than the one that
/// locked (legal in Go) is not possible with a guard, which is `!Send` like
/// std's:
///
/// ```compile_fail,E0277
/// fn assert_send<T: Send>(_: T) {}
/// let m = gosync::sync::Mutex::new(0);
/// assert_send(m.lock()); // error: `*const ()` cannot be sent between threads
/// ```
///
/// `Send` and `Sync` follow std's `Mutex`: a `Mutex<T>` is both when `T: Send`,
/// so data that must stay on one thread cannot be shared through it:
///
/// ```compile_fail,E0277
/// fn assert_sync<T: Sync>(_: &T) {}
/// assert_sync(&gosync::sync::Mutex::new(std::rc::Rc::new(0))); // error: Rc is not Send
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the Mutex owns a `T` and hands it to one thread at a time; moving it
// moves the `T`, so `T: Send` is all that is needed (as for std's Mutex).
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: sharing the Mutex lets any thread obtain `&mut T`, one at a time,
// through the lock; that is sending the `T` between threads, so `T: Send` (not
// `T: Sync`) is required, as for std's Mutex.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Proof that a [`Mutex`] is locked; unlocks it when dropped.
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// A guard must be dropped by the thread that locked, as std's.
    _not_send: std::marker::PhantomData<*const ()>,
}

// SAFETY: a `&MutexGuard` only gives `&T`, so sharing the guard is sharing
// `&T`, which needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T> Mutex<T> {
    loom_const_fn! {
        /// Creates an unlocked mutex holding `value`.
        pub fn new(value: T) -> Mutex<T> {
            Mutex {
                raw: RawMutex::new(),
                data: UnsafeCell::new(value),
            }
        }
    }

    /// Consumes the mutex and returns the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, waiting as long as it takes.
    ///
    /// Locking a mutex the caller already holds deadlocks, as in Go.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Mutex::new(vec![1]);
    /// m.lock().push(2);
    /// assert_eq!(*m.lock(), [1, 2]);
    /// ```
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        MutexGuard {
            mutex: self,
            _not_send: std::marker::PhantomData,
        }
    }

    /// Locks the mutex if it is free right now (Go's `TryLock`).
    ///
    /// Returns `None` if the mutex is held, or if it is in starvation mode
    /// (waiters are queued and are owed the lock first).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Mutex::new(0);
    /// let g = m.lock();
    /// assert!(m.try_lock().is_none());
    /// drop(g);
    /// assert!(m.try_lock().is_some());
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw.try_lock().then(|| MutexGuard {
            mutex: self,
            _not_send: std::marker::PhantomData,
        })
    }

    /// Returns the data; `&mut self` proves nobody else can lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks (for `Cond::wait`).
    pub(crate) fn mutex(&self) -> &'a Mutex<T> {
        self.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock, so no `&mut T` exists elsewhere.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock and is borrowed mutably, so this is
        // the only reference to the data.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: a guard exists only while its mutex is locked, and each
        // guard unlocks exactly once.
        unsafe { self.mutex.raw.unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[cfg(feature = "race")]
    #[test]
    fn lock_and_unlock_report_happens_before() {
        use crate::rt::hb::{record, Event};
        let m = Mutex::new(0);
        let key = &m.raw as *const RawMutex as usize;
        let ((), events) = record(|| {
            *m.lock() += 1;
            drop(m.try_lock());
        });
        assert_eq!(
            events,
            [
                Event::Acquire(key),
                Event::Release(key),
                Event::Acquire(key),
                Event::Release(key)
            ]
        );
    }

    #[test]
    fn send_and_sync_match_std() {
        fn send<T: Send>() {}
        fn sync<T: Sync>() {}
        // A Cell is Send but not Sync: the Mutex makes it shareable, as std's.
        send::<Mutex<std::cell::Cell<u8>>>();
        sync::<Mutex<std::cell::Cell<u8>>>();
        sync::<MutexGuard<'static, u8>>();
    }

    #[test]
    fn panic_in_critical_section_unlocks() {
        let m = Mutex::new(1);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut g = m.lock();
            *g = 2;
            panic!("boom");
        }));
        assert!(r.is_err());
        assert_eq!(*m.try_lock().expect("unlocked by the unwinding guard"), 2);
    }

    #[test]
    fn unsized_and_debug() {
        let m: &Mutex<[i32]> = &Mutex::new([1, 2, 3]);
        assert_eq!(m.lock().len(), 3);
        let m = Mutex::new(5);
        assert_eq!(format!("{m:?}"), "Mutex { data: 5, .. }");
        let g = m.lock();
        assert_eq!(format!("{m:?}"), "Mutex { data: <locked>, .. }");
        assert_eq!(format!("{g:?} {g}"), "5 5");
    }
}
