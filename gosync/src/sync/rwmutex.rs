//! `sync.RWMutex`, holding the data it protects.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use super::raw_rwmutex::RawRwMutex;
use crate::loom::loom_const_fn;

/// A reader/writer lock protecting a `T`, with Go's `sync.RWMutex` algorithm.
///
/// Any number of readers, or one writer, hold it at a time. Writers are
/// preferred as in Go: once a writer waits, new readers wait behind it, so a
/// steady stream of readers cannot starve writers; readers already inside
/// finish first. Guards release the lock when dropped, also during a panic;
/// there is no poisoning.
///
/// # Examples
///
/// ```
/// use gosync::sync::RwMutex;
///
/// let cache = RwMutex::new(std::collections::HashMap::new());
/// cache.lock().insert("go", 2009);
/// assert_eq!(cache.rlock().get("go"), Some(&2009));
/// ```
///
/// # Differences from Go
///
/// Because writers are preferred, a goroutine that takes a read lock it
/// already holds can deadlock if a writer arrives in between (Go documents
/// the same: "recursive read locking is prohibited").
///
/// `Send` and `Sync` follow std's `RwLock`: readers share `&T` across
/// threads, so sharing the lock needs `T: Send + Sync`:
///
/// ```compile_fail,E0277
/// fn assert_sync<T: Sync>(_: &T) {}
/// assert_sync(&gosync::sync::RwMutex::new(std::cell::Cell::new(0))); // error: Cell is not Sync
/// ```
///
/// and guards stay on the thread that locked:
///
/// ```compile_fail,E0277
/// fn assert_send<T: Send>(_: T) {}
/// let rw = gosync::sync::RwMutex::new(0);
/// assert_send(rw.rlock()); // error: `*const ()` cannot be sent between threads
/// ```
pub struct RwMutex<T: ?Sized> {
    raw: RawRwMutex,
    data: UnsafeCell<T>,
}

// SAFETY: moving the lock moves the `T`.
unsafe impl<T: ?Sized + Send> Send for RwMutex<T> {}
// SAFETY: readers share `&T` across threads (needs `T: Sync`) and a writer
// gets `&mut T` from any thread (needs `T: Send`), as for std's RwLock.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwMutex<T> {}

/// Proof of a read lock on an [`RwMutex`]; releases it when dropped.
#[must_use = "if unused the RwMutex will immediately unlock"]
pub struct RwMutexReadGuard<'a, T: ?Sized> {
    lock: &'a RwMutex<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: the guard gives only `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwMutexReadGuard<'_, T> {}

/// Proof of the write lock on an [`RwMutex`]; releases it when dropped.
#[must_use = "if unused the RwMutex will immediately unlock"]
pub struct RwMutexWriteGuard<'a, T: ?Sized> {
    lock: &'a RwMutex<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: a shared reference to the guard gives only `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwMutexWriteGuard<'_, T> {}

impl<T> RwMutex<T> {
    loom_const_fn! {
        /// Creates an unlocked lock holding `value`.
        pub fn new(value: T) -> RwMutex<T> {
            RwMutex {
                raw: RawRwMutex::new(),
                data: UnsafeCell::new(value),
            }
        }
    }

    /// Consumes the lock and returns the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwMutex<T> {
    /// Locks for reading (Go's `RLock`), waiting while a writer holds the
    /// lock or waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::sync::RwMutex::new(1);
    /// let (a, b) = (rw.rlock(), rw.rlock()); // readers share
    /// assert_eq!(*a + *b, 2);
    /// ```
    #[inline]
    pub fn rlock(&self) -> RwMutexReadGuard<'_, T> {
        self.raw.rlock();
        RwMutexReadGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// Locks for writing (Go's `Lock`), waiting for readers and writers.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::sync::RwMutex::new(1);
    /// *rw.lock() += 1;
    /// assert_eq!(*rw.rlock(), 2);
    /// ```
    #[inline]
    pub fn lock(&self) -> RwMutexWriteGuard<'_, T> {
        self.raw.lock();
        RwMutexWriteGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// Locks for reading if no writer holds or waits for the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::sync::RwMutex::new(0);
    /// let w = rw.lock();
    /// assert!(rw.try_rlock().is_none());
    /// drop(w);
    /// assert!(rw.try_rlock().is_some());
    /// ```
    #[inline]
    pub fn try_rlock(&self) -> Option<RwMutexReadGuard<'_, T>> {
        self.raw.try_rlock().then(|| RwMutexReadGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    /// Locks for writing if nobody holds the lock in any mode.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = gosync::sync::RwMutex::new(0);
    /// let r = rw.rlock();
    /// assert!(rw.try_lock().is_none());
    /// drop(r);
    /// assert!(rw.try_lock().is_some());
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<RwMutexWriteGuard<'_, T>> {
        self.raw.try_lock().then(|| RwMutexWriteGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    /// Returns the data; `&mut self` proves nobody else can lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwMutex<T> {
    fn default() -> RwMutex<T> {
        RwMutex::new(T::default())
    }
}

impl<T> From<T> for RwMutex<T> {
    fn from(value: T) -> RwMutex<T> {
        RwMutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwMutex");
        match self.try_rlock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

impl<T: ?Sized> Deref for RwMutexReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a read lock is held, so no writer has `&mut T`.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwMutexReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this guard holds one read lock and releases it once.
        unsafe { self.lock.raw.runlock() }
    }
}

impl<T: ?Sized> Deref for RwMutexWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the write lock is held, so no other reference exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwMutexWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write lock is held and the guard is borrowed mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwMutexWriteGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this guard holds the write lock and releases it once.
        unsafe { self.lock.raw.unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwMutexReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwMutexWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[cfg(feature = "race")]
    #[test]
    fn reports_go_race_annotations() {
        use crate::rt::hb::{record, Event};
        let rw = RwMutex::new(0);
        let ((), events) = record(|| {
            drop(rw.rlock());
            drop(rw.lock());
        });
        // Go: RLock acquires readerSem, RUnlock release-merges writerSem,
        // Lock acquires both, Unlock releases readerSem (and its inner mutex
        // reports its own pair).
        let acq = |e: &Event| matches!(e, Event::Acquire(_));
        assert!(matches!(events[0], Event::Acquire(_)));
        assert!(matches!(events[1], Event::ReleaseMerge(_)));
        assert_eq!(events.iter().filter(|e| acq(e)).count(), 4);
        assert_eq!(events.len(), 7);
    }

    #[test]
    fn send_and_sync_match_std() {
        fn send<T: Send>() {}
        fn sync<T: Sync>() {}
        send::<RwMutex<std::cell::Cell<u8>>>();
        sync::<RwMutex<Vec<u8>>>();
        sync::<RwMutexReadGuard<'static, u8>>();
        sync::<RwMutexWriteGuard<'static, u8>>();
    }

    #[test]
    fn panic_under_write_lock_leaves_it_usable() {
        let rw = RwMutex::new(0);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _g = rw.lock();
            panic!("boom");
        }));
        assert!(r.is_err());
        assert!(rw.try_lock().is_some());
        assert!(rw.try_rlock().is_some());
    }
}
