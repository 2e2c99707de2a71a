//! The switch between std and loom.
//!
//! Built normally, this re-exports std. Built with `RUSTFLAGS="--cfg loom"`,
//! it re-exports loom's mocks, so that the loom tests (`*/tests/loom_*.rs`)
//! can explore every interleaving of the wait queues, the semaphore and the
//! `sync` state machines (tokio's pattern). Only the state that decides
//! behaviour goes through here: atomics, the wait-queue locks, parking, and
//! the `Arc`s that `atomic::Pointer` shares (their counts order a reader's
//! last look before the drop).

#[cfg(not(loom))]
pub(crate) mod sync {
    pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{
            fence, AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize,
            Ordering,
        };

        /// Atomics whose `SeqCst` accesses loom orders as `SeqCst` (see the
        /// loom version); built normally, std's.
        pub(crate) mod seq_cst {
            pub(crate) use std::sync::atomic::{AtomicPtr, AtomicUsize};

            /// Exclusive access to an atomic's value, as loom's atomics
            /// give it (loom checks that no access is concurrent with it).
            pub(crate) trait WithMut<V> {
                fn with_mut<R>(&mut self, f: impl FnOnce(&mut V) -> R) -> R;
            }

            impl<T> WithMut<*mut T> for AtomicPtr<T> {
                #[inline(always)]
                fn with_mut<R>(&mut self, f: impl FnOnce(&mut *mut T) -> R) -> R {
                    f(self.get_mut())
                }
            }
        }
    }
}

#[cfg(loom)]
pub(crate) mod sync {
    pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

    pub(crate) mod atomic {
        pub(crate) use loom::sync::atomic::{
            fence, AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize,
        };
        pub(crate) use std::sync::atomic::Ordering;

        /// loom's atomics, with `SeqCst` accesses ordered as `SeqCst`.
        ///
        /// loom 0.7 models a `SeqCst` access as `AcqRel` (its hook for
        /// sequential consistency is empty: "this may fail to model correct
        /// code, but will not silently allow bugs"), though it models
        /// `fence(SeqCst)`. What `SeqCst` accesses add to `AcqRel` that
        /// gosync relies on is store-load order: a `SeqCst` write followed,
        /// on its thread, by a `SeqCst` read of another location precedes
        /// it in the single total order, so of two threads that each write
        /// one location and then read the other, one sees the other's write
        /// (hazard pointers, Dekker). Here a `SeqCst` read (a load, or a
        /// read-modify-write) that follows a `SeqCst` write (a store, or a
        /// read-modify-write) on the same thread, with no such fence
        /// between, is preceded by `fence(SeqCst)`. Weaken either access
        /// and the fence goes, so a model still fails when one is missing.
        /// The fence orders more than the accesses it stands for (the
        /// thread's later plain acquire loads too, and it carries
        /// happens-before), so a weakened access just after another
        /// fenced one may go unnoticed.
        pub(crate) mod seq_cst {
            use std::cell::Cell;
            use std::sync::atomic::Ordering::{self, SeqCst};

            loom::thread_local! {
                /// Whether this thread made a `SeqCst` write that no fence
                /// orders before its later reads yet.
                static WROTE: Cell<bool> = Cell::new(false);
            }

            /// Before a read with `order`.
            fn read(order: Ordering) {
                if order == SeqCst && WROTE.try_with(|w| w.replace(false)).unwrap_or(false) {
                    loom::sync::atomic::fence(SeqCst);
                }
            }

            /// After a write with `order`.
            fn wrote(order: Ordering) {
                if order == SeqCst {
                    let _ = WROTE.try_with(|w| w.set(true));
                }
            }

            /// Exclusive access to an atomic's value (std's atomics give it
            /// through `get_mut`).
            pub(crate) trait WithMut<V> {
                fn with_mut<R>(&mut self, f: impl FnOnce(&mut V) -> R) -> R;
            }

            macro_rules! atomic {
                ($name:ident $(<$t:ident>)?, $v:ty) => {
                    pub(crate) struct $name$(<$t>)?(loom::sync::atomic::$name$(<$t>)?);

                    // std's methods, whether or not both types use each.
                    #[allow(dead_code)]
                    impl$(<$t>)? $name$(<$t>)? {
                        #[track_caller]
                        pub(crate) fn new(v: $v) -> Self {
                            Self(loom::sync::atomic::$name::new(v))
                        }

                        #[track_caller]
                        pub(crate) fn load(&self, order: Ordering) -> $v {
                            read(order);
                            self.0.load(order)
                        }

                        #[track_caller]
                        pub(crate) fn store(&self, v: $v, order: Ordering) {
                            self.0.store(v, order);
                            wrote(order);
                        }

                        #[track_caller]
                        pub(crate) fn swap(&self, v: $v, order: Ordering) -> $v {
                            read(order);
                            let old = self.0.swap(v, order);
                            wrote(order);
                            old
                        }

                        /// Fenced as a `SeqCst` read when `success` is
                        /// `SeqCst`, even if it fails with a weaker `failure`.
                        #[track_caller]
                        pub(crate) fn compare_exchange(
                            &self,
                            current: $v,
                            new: $v,
                            success: Ordering,
                            failure: Ordering,
                        ) -> Result<$v, $v> {
                            read(success);
                            let r = self.0.compare_exchange(current, new, success, failure);
                            if r.is_ok() {
                                wrote(success);
                            }
                            r
                        }

                        #[track_caller]
                        pub(crate) fn compare_exchange_weak(
                            &self,
                            current: $v,
                            new: $v,
                            success: Ordering,
                            failure: Ordering,
                        ) -> Result<$v, $v> {
                            self.compare_exchange(current, new, success, failure)
                        }
                    }

                    impl$(<$t>)? WithMut<$v> for $name$(<$t>)? {
                        #[track_caller]
                        fn with_mut<R>(&mut self, f: impl FnOnce(&mut $v) -> R) -> R {
                            self.0.with_mut(f)
                        }
                    }
                };
            }

            atomic!(AtomicUsize, usize);
            atomic!(AtomicPtr<T>, *mut T);
        }
    }
}

#[cfg(not(loom))]
pub(crate) mod thread {
    pub(crate) use std::thread::{current, park, park_timeout, Thread};
}

#[cfg(loom)]
pub(crate) mod thread {
    pub(crate) use loom::thread::{current, park, Thread};

    /// loom has no timed park; timed waits are not model-checked.
    pub(crate) fn park_timeout(_: std::time::Duration) {
        unreachable!("timed waits are not model-checked")
    }
}

/// Defines a `const fn` normally and a plain `fn` under loom, whose mocks
/// cannot be built in a constant.
macro_rules! loom_const_fn {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        $vis const fn $($rest)*

        #[cfg(loom)]
        $(#[$attr])*
        $vis fn $($rest)*
    };
}
pub(crate) use loom_const_fn;

/// Explores `f` under loom with a preemption bound that keeps the state
/// space small enough for CI (`LOOM_MAX_PREEMPTIONS` overrides it).
#[cfg(all(test, loom))]
pub(crate) fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = Some(3);
    }
    b.check(f);
}
