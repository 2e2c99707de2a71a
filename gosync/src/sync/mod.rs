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
//!
//! Every blocking operation parks through the runtime seam, so these work
//! the same from goroutines and from plain threads.

mod cond;
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
pub use mutex::{Mutex, MutexGuard};
pub use once::{once_func, Once, OnceValue};
pub use pool::Pool;
pub use rwmutex::{RwMutex, RwMutexReadGuard, RwMutexWriteGuard};
pub use waitgroup::WaitGroup;
