//! Busy-waiting, as Go's `runtime_canSpin` and `runtime_doSpin`.
//!
//! Spinning pays only when another processor is running the holder of what
//! we wait for; on one processor it just burns the holder's time slice.

use super::goroutine;

/// Rounds of active spinning a waiter may do before it parks (Go's `active_spin`).
const ACTIVE_SPIN: u32 = 4;

/// Pause instructions per round of active spinning (Go's `active_spin_cnt`).
const ACTIVE_SPIN_CNT: u32 = 30;

/// Rounds of passive spinning (yielding the processor) after the active
/// ones, as Go's runtime lock does for its OS threads (`passive_spin`): when
/// there are more threads than processors, the holder may be waiting for
/// ours, and sleeping costs a kernel round trip each way.
const PASSIVE_SPIN: u32 = 3;

/// Whether a waiter that has already spun `iter` rounds may spin once more.
#[inline]
pub(crate) fn can_spin(iter: u32) -> bool {
    // Under loom, spinning only multiplies the interleavings to explore.
    !cfg!(loom) && iter < ACTIVE_SPIN + PASSIVE_SPIN && goroutine::gomaxprocs() > 1
}

/// Spin round `iter` (counting from 0): busy-wait, then yield. An active
/// round ends early once `free()` says what we wait for is available: Go's
/// 30 pauses assume a pause of a few cycles, but on recent x86 a pause
/// costs tens of nanoseconds, so a blind round can outlast a short critical
/// section.
#[inline]
pub(crate) fn spin(iter: u32, free: impl Fn() -> bool) {
    if iter < ACTIVE_SPIN {
        for i in 1..=ACTIVE_SPIN_CNT {
            std::hint::spin_loop();
            if i % PAUSES_PER_CHECK == 0 && free() {
                return;
            }
        }
    } else {
        goroutine::gosched();
    }
}

/// How many pauses an active round does between looks at the lock.
const PAUSES_PER_CHECK: u32 = 15;

/// Exponential backoff for lock-free retry loops: `spin` after losing a
/// race (the winner is making progress), `snooze` while waiting for another
/// thread to finish a step it has started. Under loom every call yields to
/// the model, which cannot see a busy-wait end otherwise.
pub(crate) struct Backoff {
    #[cfg(not(loom))]
    inner: crossbeam_utils::Backoff,
}

impl Backoff {
    #[inline]
    pub(crate) fn new() -> Backoff {
        Backoff {
            #[cfg(not(loom))]
            inner: crossbeam_utils::Backoff::new(),
        }
    }

    #[inline]
    pub(crate) fn spin(&mut self) {
        #[cfg(not(loom))]
        self.inner.spin();
        #[cfg(loom)]
        loom::thread::yield_now();
    }

    /// Whether backing off has gone on long enough that the caller should
    /// block instead. Always under loom, which explores the blocking path.
    #[inline]
    pub(crate) fn is_completed(&self) -> bool {
        #[cfg(not(loom))]
        return self.inner.is_completed();
        #[cfg(loom)]
        true
    }

    #[inline]
    pub(crate) fn snooze(&mut self) {
        #[cfg(not(loom))]
        self.inner.snooze();
        #[cfg(loom)]
        loom::thread::yield_now();
    }
}
