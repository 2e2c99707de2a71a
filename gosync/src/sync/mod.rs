//! Go's `sync` package: mutual exclusion, waiting, and one-time actions.
//!
//! | Go                    | gosync                                  |
//! |-----------------------|-----------------------------------------|
//! | `sync.Mutex`          | [`Mutex<T>`] (owns its data; guard)     |
//! | `sync.RWMutex`        | [`RwMutex<T>`]                          |
//! | `sync.WaitGroup`      | [`WaitGroup`]                           |
//! | `sync.Once`           | [`Once`]                                |
//! | `sync.OnceValue`      | [`OnceValue`]                           |
//! | `sync.OnceFunc`       | [`once_func`]                           |
//! | `sync.Cond`           | [`Cond`]                                |
//! | `sync.Map`            | [`Map<K, V>`] (lock-free reads)         |
//!
//! Every blocking operation parks through the runtime seam, so these work
//! the same from goroutines and from plain threads.

mod cond;
#[cfg(not(loom))] // crossbeam-epoch's atomics are invisible to loom
mod map;
mod mutex;
mod once;
mod pool;
mod raw_mutex;
mod raw_rwmutex;
mod rwmutex;
mod waitgroup;

#[cfg(all(test, loom))]
mod tests;

pub use cond::Cond;
#[cfg(not(loom))]
pub use map::Map;
pub use mutex::{Mutex, MutexGuard};
pub use once::{once_func, Once, OnceValue};
pub use pool::Pool;
pub use rwmutex::{RwMutex, RwMutexReadGuard, RwMutexWriteGuard};
pub use waitgroup::WaitGroup;
