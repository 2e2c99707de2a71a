//! Go's `sync/atomic`: typed atomic values, `Pointer` and `Value`.
//!
//! | Go                          | gosync                                   |
//! |-----------------------------|------------------------------------------|
//! | `atomic.Int32`, `Int64`     | [`Int32`], [`Int64`]                     |
//! | `atomic.Uint32`, `Uint64`   | [`Uint32`], [`Uint64`]                   |
//! | `atomic.Uintptr`            | [`Uintptr`] (a `usize`)                  |
//! | `atomic.Bool`               | [`Bool`]                                 |
//! | `atomic.Pointer[T]`         | [`Pointer<T>`] (holds an `Option<Arc<T>>`) |
//! | `atomic.Value`              | [`Value<T>`] (typed by generics)         |
//!
//! Every operation is sequentially consistent, as the Go memory model makes
//! Go's: all atomic operations of a program appear in one total order that
//! each goroutine's program order agrees with, and an operation that
//! observes another's effect happens after it. So the classic publication
//! pattern works, here from a goroutine to the test's thread:
//!
//! ```
//! use std::sync::Arc;
//! use gosync::atomic::{Bool, Pointer};
//!
//! let data = Arc::new(Pointer::<String>::new());
//! let ready = Arc::new(Bool::new(false));
//! let (d, r) = (data.clone(), ready.clone());
//! gosync::go(move || {
//!     d.store(Some(Arc::new("hello".to_owned())));
//!     r.store(true);
//! });
//! while !ready.load() {
//!     gosync::runtime::gosched();
//! }
//! assert_eq!(data.load().as_deref().map(String::as_str), Some("hello"));
//! ```
//!
//! The integer types and [`Bool`] compile to exactly the instructions of
//! the std atomic of the same width with `Ordering::SeqCst` (they are that
//! atomic, plus happens-before hooks that compile to nothing without the
//! `race` feature). [`Pointer`] and [`Value`] hold reference-counted values
//! and reclaim replaced ones safely; their reads take no lock (see
//! [`Pointer`] for the two ways to read and what each costs).

mod hazard;
mod int;
mod pointer;
mod value;

#[cfg(all(test, loom))]
mod tests;

pub use int::{Bool, Int32, Int64, Uint32, Uint64, Uintptr};
pub use pointer::{Peek, Pointer};
pub use value::Value;

/// The happens-before events of atomic operations, in one place, on the
/// address of the atomic. An operation that observes another is after it
/// (Go's memory model); each kind reports as Go's race runtime does for
/// `sync/atomic`:
///
/// | operation                                   | events                        |
/// |---------------------------------------------|-------------------------------|
/// | load, failed compare-and-swap               | `acquire` (after the load)     |
/// | store                                       | `release` (before the store: a store replaces, as tsan's `ReleaseStore`) |
/// | swap, add, and, or, successful CAS          | `acquire` then `release_merge` (after the operation) |
///
/// The events and the operation are separate steps, so a detector that
/// needs the pair to be atomic (tsan holds the object's clock lock across
/// both) can do that here without touching the types.
mod event {
    use crate::rt::hb;

    /// After a load that may have observed a store.
    #[inline(always)]
    pub(super) fn load<T: ?Sized>(obj: *const T) {
        hb::acquire(obj);
    }

    /// Before a store that later loads may observe.
    #[inline(always)]
    pub(super) fn store<T: ?Sized>(obj: *const T) {
        hb::release(obj);
    }

    /// After a read-modify-write: it observed the previous operations and
    /// later ones observe it, without cutting off earlier writers (merge).
    #[inline(always)]
    pub(super) fn rmw<T: ?Sized>(obj: *const T) {
        hb::acquire(obj);
        hb::release_merge(obj);
    }
}
