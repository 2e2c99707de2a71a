//! The runtime seam.
//!
//! Every operation that blocks, wakes, spawns, reads the clock, spins, or
//! creates a happens-before edge goes through this module and nowhere else.
//! The primitives in [`crate::sync`] are written against it, which is what
//! lets the same `Mutex` run at full speed in a normal build, report its
//! synchronisation to the race detector under the `race` feature, and (in a
//! later stage) hand every scheduling decision to the model checker.
//!
//! The pieces:
//!
//! - [`waiter`]: *who* waits. A [`Waiter`](waiter::Waiter) is a handle on the
//!   current thread of execution that can be parked and unparked: a
//!   goroutine (parking switches to its scheduler) or a plain thread.
//!   Nothing above this module knows which.
//! - [`parking`]: *where* they wait. Wait queues keyed by the address of the
//!   primitive (Go's `semtable`, parking_lot's parking lot), with a validation
//!   step under the queue's lock so no wake-up is lost, optional deadlines,
//!   and a wake hook that can hand ownership straight to the woken waiter.
//! - [`sema`]: Go's runtime semaphore (`semacquire`/`semrelease`), on which
//!   Go's `sync` package (and so ours) is built.
//! - [`goroutine`]: `go`, `run`, goroutine ids, `GOMAXPROCS`; [`sched`]:
//!   the M:N scheduler that runs goroutines as coroutines on worker
//!   threads, and `stack`, their stacks.
//! - [`clock`], [`spin`]: time and busy-waiting.
//! - [`hb`]: happens-before hooks, compiled to nothing without `race`.

// The seam is the one place allowed to touch the OS primitives that the
// workspace's clippy.toml forbids elsewhere.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub(crate) mod clock;
pub(crate) mod goroutine;
pub(crate) mod hb;
pub(crate) mod lock;
pub(crate) mod parking;
pub(crate) mod rand;
#[cfg(not(loom))]
pub(crate) mod sched;
pub(crate) mod sema;
pub(crate) mod spin;
#[cfg(not(loom))]
mod stack;
#[cfg(not(loom))]
pub(crate) use stack::{set_stack_size, stack_size};
pub(crate) mod timer;
pub(crate) mod waiter;

#[cfg(all(test, loom))]
mod tests;
