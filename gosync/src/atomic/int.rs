//! `atomic.Int32`, `Int64`, `Uint32`, `Uint64`, `Uintptr` and `Bool`.
//!
//! Each is the std atomic of its width used with `Ordering::SeqCst` and
//! nothing else: a sequentially consistent operation is what Go's memory
//! model gives every `sync/atomic` call, and the std atomic is already the
//! cheapest correct code for it. The happens-before events (see
//! [`event`](super::event)) compile to nothing without the `race` feature.
//!
//! The std atomics are used directly, not through `crate::loom`: these are
//! the user's own atomics, whose semantics is one hardware instruction,
//! not a protocol of this crate for loom to explore.

use std::fmt;
use std::sync::atomic::{
    AtomicBool, AtomicI32, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering::SeqCst,
};

use super::event;

macro_rules! atomic_int {
    (
        $(#[$attr:meta])*
        $name:ident, $go:literal, $t:ty, $std:ty,
        one = $one:literal, max = $max:literal
    ) => {
        $(#[$attr])*
        ///
        /// # Examples
        ///
        /// A counter shared by goroutines (the Go tour's `AtomicCounter`):
        ///
        /// ```
        #[doc = concat!("use gosync::atomic::", stringify!($name), ";")]
        /// use gosync::sync::WaitGroup;
        ///
        #[doc = concat!("static OPS: ", stringify!($name), " = ", stringify!($name), "::new(0);")]
        /// let wg = WaitGroup::new();
        /// for _ in 0..50 {
        ///     wg.go(|| {
        ///         for _ in 0..100 {
        #[doc = concat!("            OPS.add(", $one, ");")]
        ///         }
        ///     });
        /// }
        /// wg.wait();
        /// assert_eq!(OPS.load(), 5000);
        /// ```
        ///
        /// # Differences from Go
        ///
        /// None in behaviour. Go forbids copying an atomic after first use
        /// (`go vet`'s copylocks); here the type is neither `Copy` nor
        /// `Clone`, so it is shared by reference or in an `Arc`.
        #[repr(transparent)]
        pub struct $name {
            v: $std,
        }

        impl $name {
            #[doc = concat!("Creates an atomic holding `v` (Go's zero value is `", stringify!($name), "::new(0)`).")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("static HITS: gosync::atomic::", stringify!($name), " = gosync::atomic::", stringify!($name), "::new(", $one, ");")]
            #[doc = concat!("assert_eq!(HITS.load(), ", $one, ");")]
            /// ```
            #[inline]
            pub const fn new(v: $t) -> Self {
                Self { v: <$std>::new(v) }
            }

            #[doc = concat!("Atomically loads the value (Go's `", $go, ".Load`).")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = gosync::atomic::", stringify!($name), "::new(", $one, ");")]
            #[doc = concat!("assert_eq!(x.load(), ", $one, ");")]
            /// ```
            #[inline]
            pub fn load(&self) -> $t {
                let v = self.v.load(SeqCst);
                event::load(self);
                v
            }

            #[doc = concat!("Atomically stores `v` (Go's `", $go, ".Store`).")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = gosync::atomic::", stringify!($name), "::new(0);")]
            #[doc = concat!("x.store(", $max, ");")]
            #[doc = concat!("assert_eq!(x.load(), ", $max, ");")]
            /// ```
            #[inline]
            pub fn store(&self, v: $t) {
                event::store(self);
                self.v.store(v, SeqCst);
            }

            #[doc = concat!("Atomically stores `new` and returns the previous value (Go's `", $go, ".Swap`).")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = gosync::atomic::", stringify!($name), "::new(", $one, ");")]
            #[doc = concat!("assert_eq!(x.swap(0), ", $one, ");")]
            /// assert_eq!(x.load(), 0);
            /// ```
            #[inline]
            pub fn swap(&self, new: $t) -> $t {
                let old = self.v.swap(new, SeqCst);
                event::rmw(self);
                old
            }

            /// Stores `new` if the value is `old`, atomically; returns
            #[doc = concat!("whether it did (Go's `", $go, ".CompareAndSwap`).")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = gosync::atomic::", stringify!($name), "::new(", $one, ");")]
            #[doc = concat!("assert!(!x.compare_and_swap(0, ", $max, "));")]
            #[doc = concat!("assert!(x.compare_and_swap(", $one, ", ", $max, "));")]
            #[doc = concat!("assert_eq!(x.load(), ", $max, ");")]
            /// ```
            #[inline]
            pub fn compare_and_swap(&self, old: $t, new: $t) -> bool {
                let swapped = self.v.compare_exchange(old, new, SeqCst, SeqCst).is_ok();
                if swapped {
                    event::rmw(self);
                } else {
                    // A failed CAS is a load that saw another value.
                    event::load(self);
                }
                swapped
            }

            /// Atomically adds `delta`, wrapping around on overflow as Go's
            #[doc = concat!("integers do, and returns the **new** value (Go's `", $go, ".Add`).")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = gosync::atomic::", stringify!($name), "::new(", $max, ");")]
            #[doc = concat!("assert_eq!(x.add(", $one, "), ", stringify!($t), "::MIN); // wraps")]
            /// ```
            #[inline]
            pub fn add(&self, delta: $t) -> $t {
                let new = self.v.fetch_add(delta, SeqCst).wrapping_add(delta);
                event::rmw(self);
                new
            }

            /// Atomically clears the bits that are clear in `mask` and
            #[doc = concat!("returns the **old** value (Go 1.23's `", $go, ".And`).")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = gosync::atomic::", stringify!($name), "::new(0b1110);")]
            /// assert_eq!(x.and(0b0111), 0b1110);
            /// assert_eq!(x.load(), 0b0110);
            /// ```
            #[inline]
            pub fn and(&self, mask: $t) -> $t {
                let old = self.v.fetch_and(mask, SeqCst);
                event::rmw(self);
                old
            }

            /// Atomically sets the bits that are set in `mask` and returns
            #[doc = concat!("the **old** value (Go 1.23's `", $go, ".Or`).")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let x = gosync::atomic::", stringify!($name), "::new(0b0100);")]
            /// assert_eq!(x.or(0b0011), 0b0100);
            /// assert_eq!(x.load(), 0b0111);
            /// ```
            #[inline]
            pub fn or(&self, mask: $t) -> $t {
                let old = self.v.fetch_or(mask, SeqCst);
                event::rmw(self);
                old
            }
        }

        impl Default for $name {
            /// Go's zero value: `0`.
            fn default() -> Self {
                Self::new(0)
            }
        }

        impl From<$t> for $name {
            fn from(v: $t) -> Self {
                Self::new(v)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // A look for debugging, not a synchronisation: no event.
                fmt::Debug::fmt(&self.v.load(SeqCst), f)
            }
        }
    };
}

atomic_int! {
    /// An `i32` that goroutines may read and write at once (Go's `atomic.Int32`).
    Int32, "Int32", i32, AtomicI32, one = "1", max = "i32::MAX"
}
atomic_int! {
    /// An `i64` that goroutines may read and write at once (Go's `atomic.Int64`).
    Int64, "Int64", i64, AtomicI64, one = "1", max = "i64::MAX"
}
atomic_int! {
    /// A `u32` that goroutines may read and write at once (Go's `atomic.Uint32`).
    ///
    /// To subtract `c`, add its two's complement, `c.wrapping_neg()` (Go's
    /// `x.Add(^uint32(c-1))`).
    Uint32, "Uint32", u32, AtomicU32, one = "1", max = "u32::MAX"
}
atomic_int! {
    /// A `u64` that goroutines may read and write at once (Go's `atomic.Uint64`).
    ///
    /// To subtract `c`, add its two's complement, `c.wrapping_neg()` (Go's
    /// `x.Add(^uint64(c-1))`).
    Uint64, "Uint64", u64, AtomicU64, one = "1", max = "u64::MAX"
}
atomic_int! {
    /// A `usize` that goroutines may read and write at once (Go's
    /// `atomic.Uintptr`).
    ///
    /// To subtract `c`, add its two's complement, `c.wrapping_neg()`.
    Uintptr, "Uintptr", usize, AtomicUsize, one = "1", max = "usize::MAX"
}

/// A `bool` that goroutines may read and write at once (Go's `atomic.Bool`).
///
/// # Examples
///
/// Only the first goroutine to get there does the work:
///
/// ```
/// use std::sync::Arc;
/// use gosync::atomic::{Bool, Int32};
/// use gosync::sync::WaitGroup;
///
/// let started = Arc::new(Bool::new(false));
/// let winners = Arc::new(Int32::new(0));
/// let wg = WaitGroup::new();
/// for _ in 0..10 {
///     let (started, winners) = (started.clone(), winners.clone());
///     wg.go(move || {
///         if started.compare_and_swap(false, true) {
///             winners.add(1);
///         }
///     });
/// }
/// wg.wait();
/// assert_eq!(winners.load(), 1);
/// ```
///
/// # Differences from Go
///
/// None in behaviour; as for the integers, the type is neither `Copy` nor
/// `Clone`.
#[repr(transparent)]
pub struct Bool {
    v: AtomicBool,
}

impl Bool {
    /// Creates an atomic holding `v` (Go's zero value is `Bool::new(false)`).
    ///
    /// # Examples
    ///
    /// ```
    /// static SHUTDOWN: gosync::atomic::Bool = gosync::atomic::Bool::new(false);
    /// assert!(!SHUTDOWN.load());
    /// ```
    #[inline]
    pub const fn new(v: bool) -> Bool {
        Bool {
            v: AtomicBool::new(v),
        }
    }

    /// Atomically loads the value (Go's `Bool.Load`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gosync::atomic::Bool::new(true).load());
    /// ```
    #[inline]
    pub fn load(&self) -> bool {
        let v = self.v.load(SeqCst);
        event::load(self);
        v
    }

    /// Atomically stores `v` (Go's `Bool.Store`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = gosync::atomic::Bool::new(false);
    /// b.store(true);
    /// assert!(b.load());
    /// ```
    #[inline]
    pub fn store(&self, v: bool) {
        event::store(self);
        self.v.store(v, SeqCst);
    }

    /// Atomically stores `new` and returns the previous value (Go's
    /// `Bool.Swap`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = gosync::atomic::Bool::new(false);
    /// assert!(!b.swap(true));
    /// assert!(b.swap(true));
    /// ```
    #[inline]
    pub fn swap(&self, new: bool) -> bool {
        let old = self.v.swap(new, SeqCst);
        event::rmw(self);
        old
    }

    /// Stores `new` if the value is `old`, atomically; returns whether it
    /// did (Go's `Bool.CompareAndSwap`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = gosync::atomic::Bool::new(false);
    /// assert!(b.compare_and_swap(false, true));
    /// assert!(!b.compare_and_swap(false, true));
    /// ```
    #[inline]
    pub fn compare_and_swap(&self, old: bool, new: bool) -> bool {
        let swapped = self.v.compare_exchange(old, new, SeqCst, SeqCst).is_ok();
        if swapped {
            event::rmw(self);
        } else {
            event::load(self);
        }
        swapped
    }
}

impl Default for Bool {
    /// Go's zero value: `false`.
    fn default() -> Bool {
        Bool::new(false)
    }
}

impl From<bool> for Bool {
    fn from(v: bool) -> Bool {
        Bool::new(v)
    }
}

impl fmt::Debug for Bool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A look for debugging, not a synchronisation: no event.
        fmt::Debug::fmt(&self.v.load(SeqCst), f)
    }
}

#[cfg(all(test, feature = "race", not(loom)))]
mod tests {
    use super::*;
    use crate::rt::hb::{record, Event};

    #[test]
    fn integer_operations_report_their_edges() {
        let x = Int64::new(0);
        let key = &x as *const Int64 as usize;
        let ((), events) = record(|| {
            x.load();
            x.store(1);
            x.swap(2);
            x.add(1);
            x.and(1);
            x.or(2);
            assert!(x.compare_and_swap(3, 4));
            assert!(!x.compare_and_swap(3, 5));
        });
        let (a, r, m) = (
            Event::Acquire(key),
            Event::Release(key),
            Event::ReleaseMerge(key),
        );
        assert_eq!(
            events,
            [
                a, // load
                r, // store
                a, m, // swap
                a, m, // add
                a, m, // and
                a, m, // or
                a, m, // successful CAS
                a, // failed CAS
            ]
        );
    }

    #[test]
    fn every_integer_type_reports() {
        fn check(key: usize, f: impl FnOnce()) {
            let ((), events) = record(f);
            assert_eq!(
                events,
                [
                    Event::Release(key),
                    Event::Acquire(key),
                    Event::ReleaseMerge(key),
                    Event::Acquire(key),
                ]
            );
        }
        let a = Int32::new(0);
        check(&a as *const _ as usize, || {
            a.store(1);
            a.add(1);
            a.load();
        });
        let b = Uint32::new(0);
        check(&b as *const _ as usize, || {
            b.store(1);
            b.or(1);
            b.load();
        });
        let c = Uint64::new(0);
        check(&c as *const _ as usize, || {
            c.store(1);
            c.and(1);
            c.load();
        });
        let d = Uintptr::new(0);
        check(&d as *const _ as usize, || {
            d.store(1);
            d.swap(1);
            d.load();
        });
    }

    #[test]
    fn bool_operations_report_their_edges() {
        let b = Bool::new(false);
        let key = &b as *const Bool as usize;
        let ((), events) = record(|| {
            b.store(true);
            b.load();
            b.swap(false);
            assert!(b.compare_and_swap(false, true));
            assert!(!b.compare_and_swap(false, true));
        });
        let (a, r, m) = (
            Event::Acquire(key),
            Event::Release(key),
            Event::ReleaseMerge(key),
        );
        assert_eq!(events, [r, a, a, m, a, m, a]);
    }

    #[test]
    fn debug_reports_nothing() {
        let x = Int32::new(7);
        let (s, events) = record(|| format!("{x:?} {:?}", Bool::new(true)));
        assert_eq!(s, "7 true");
        assert!(events.is_empty());
    }
}
