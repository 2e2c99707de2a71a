//! Busy-waiting, as Go's `runtime_canSpin` and `runtime_doSpin`.
//!
//! Spinning pays only when another processor is running the holder of what
//! we wait for; on one processor it just burns the holder's time slice.

use super::goroutine;

/// How many rounds of spinning a waiter may do before it parks (Go's `active_spin`).
const ACTIVE_SPIN: u32 = 4;

/// Pause instructions per round (Go's `active_spin_cnt`).
const ACTIVE_SPIN_CNT: u32 = 30;

/// Whether a waiter that has already spun `iter` rounds may spin once more.
#[inline]
pub(crate) fn can_spin(iter: u32) -> bool {
    // Under loom, spinning only multiplies the interleavings to explore.
    !cfg!(loom) && iter < ACTIVE_SPIN && goroutine::gomaxprocs() > 1
}

/// One round of spinning.
#[inline]
pub(crate) fn spin() {
    for _ in 0..ACTIVE_SPIN_CNT {
        std::hint::spin_loop();
    }
}
