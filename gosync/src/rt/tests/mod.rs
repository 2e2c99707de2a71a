//! Model-checked tests of the runtime's internals (loom; see `crate::loom`).

mod loom_parking;
mod loom_sema;
