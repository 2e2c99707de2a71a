//! Model-checked tests of the `sync` state machines (loom; see `crate::loom`).
//!
//! The "protected data" in each test is a loom atomic accessed with
//! `Relaxed` loads and stores: if a primitive's own orderings were too weak
//! to carry happens-before, loom would let a load see a stale value.

mod loom_cond;
mod loom_mutex;
mod loom_once;
mod loom_rwmutex;
mod loom_waitgroup;
