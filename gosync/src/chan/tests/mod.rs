//! Model-checked tests of the channel protocol (loom; see `crate::loom`).

mod loom_chan;
