//! The switch between std and loom.
//!
//! Built normally, this re-exports std. Built with `RUSTFLAGS="--cfg loom"`,
//! it re-exports loom's mocks, so that the loom tests (`*/tests/loom_*.rs`)
//! can explore every interleaving of the wait queues, the semaphore and the
//! `sync` state machines (tokio's pattern). Only the state that decides
//! behaviour goes through here: atomics, the wait-queue locks, and parking.

#[cfg(not(loom))]
pub(crate) mod sync {
    pub(crate) use std::sync::{Mutex, MutexGuard};

    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{
            fence, AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize,
            Ordering,
        };
    }
}

#[cfg(loom)]
pub(crate) mod sync {
    pub(crate) use loom::sync::{Mutex, MutexGuard};

    pub(crate) mod atomic {
        pub(crate) use loom::sync::atomic::{
            fence, AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize,
        };
        pub(crate) use std::sync::atomic::Ordering;
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
