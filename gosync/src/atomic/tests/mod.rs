//! Model-checked tests of `Pointer`'s reclamation (loom; see `crate::loom`).

mod loom_pointer;
