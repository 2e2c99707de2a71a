//! Who waits: a handle on a thread of execution that can be parked and unparked.
//!
//! Parking is permit-based, like [`std::thread::park`]: an `unpark` that
//! arrives before the matching `park` makes that `park` return at once, and a
//! `park` may also return spuriously. Callers therefore always park in a loop
//! around their own wake-up condition (see [`super::parking`]), which is what
//! makes the same protocol work for a goroutine, whose "park" is a switch to
//! its scheduler and whose "unpark" puts it back on a run queue.

use crate::loom::thread::{self, Thread};
use std::time::Instant;

use super::clock;

/// A parkable thread of execution: a goroutine or a plain thread. No
/// primitive looks inside.
#[derive(Clone, Debug)]
pub struct Waiter {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Thread(Thread),
    #[cfg(not(loom))]
    Goroutine(std::sync::Arc<super::sched::G>),
}

impl Waiter {
    /// The waiter that is running this code.
    #[inline]
    pub(crate) fn current() -> Waiter {
        #[cfg(not(loom))]
        if let Some(g) = super::sched::current() {
            return Waiter {
                kind: Kind::Goroutine(g),
            };
        }
        Waiter {
            kind: Kind::Thread(thread::current()),
        }
    }

    /// Whether `self` is the goroutine running this code. (Only goroutines
    /// are checked: asking a thread's identity costs as much as the clone
    /// this saves; threads answer false.)
    #[inline]
    pub(crate) fn is_current(&self) -> bool {
        match &self.kind {
            Kind::Thread(_) => false,
            #[cfg(not(loom))]
            Kind::Goroutine(g) => super::sched::is_current(g),
        }
    }

    /// Blocks the current waiter until it is unparked, `deadline` passes, or
    /// spuriously. Returns `false` once `deadline` has passed.
    pub(crate) fn park(deadline: Option<Instant>) -> bool {
        #[cfg(not(loom))]
        if let Some(r) = super::sched::park_current(deadline) {
            return r;
        }
        match deadline {
            None => {
                thread::park();
                true
            }
            Some(deadline) => {
                let now = clock::now();
                if now >= deadline {
                    return false;
                }
                thread::park_timeout(deadline - now);
                true
            }
        }
    }

    /// Makes `self` runnable: its current or next `park` returns.
    #[inline]
    pub(crate) fn unpark(&self) {
        match &self.kind {
            Kind::Thread(t) => t.unpark(),
            #[cfg(not(loom))]
            Kind::Goroutine(g) => super::sched::unpark(g),
        }
    }
}
