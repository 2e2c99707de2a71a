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
    !cfg!(loom)
        && iter < ACTIVE_SPIN + PASSIVE_SPIN
        && goroutine::gomaxprocs() > 1
        && !others_ready()
}

/// Whether this is a goroutine whose worker has others to run instead.
#[inline]
fn others_ready() -> bool {
    #[cfg(not(loom))]
    return super::sched::others_ready();
    #[cfg(loom)]
    false
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

/// Exponential backoff for lock-free retry loops (crossbeam-utils'
/// `Backoff`, goroutine-aware): `spin` after losing a race (the winner is
/// making progress), `snooze` while waiting for another thread to finish a
/// step it has started; `snooze` yields once spinning has gone on, and in a
/// goroutine it yields to the worker's other goroutines, not the thread.
/// Under loom every call yields to the model, which cannot see a busy-wait
/// end otherwise.
pub(crate) struct Backoff {
    #[cfg_attr(loom, allow(dead_code))]
    step: u32,
}

/// Up to this step, backing off spins (2^step pauses).
#[cfg(not(loom))]
const SPIN_LIMIT: u32 = 6;
/// After this step, the caller should block instead.
#[cfg(not(loom))]
const YIELD_LIMIT: u32 = 10;

impl Backoff {
    #[inline]
    pub(crate) fn new() -> Backoff {
        Backoff { step: 0 }
    }

    #[inline]
    pub(crate) fn spin(&mut self) {
        #[cfg(not(loom))]
        {
            for _ in 0..1u32 << self.step.min(SPIN_LIMIT) {
                std::hint::spin_loop();
            }
            if self.step <= SPIN_LIMIT {
                self.step += 1;
            }
        }
        #[cfg(loom)]
        loom::thread::yield_now();
    }

    /// Whether backing off has gone on long enough that the caller should
    /// block instead. Always under loom, which explores the blocking path;
    /// at once in a goroutine whose worker has others ready to run.
    #[inline]
    pub(crate) fn is_completed(&self) -> bool {
        #[cfg(not(loom))]
        return self.step > YIELD_LIMIT || others_ready();
        #[cfg(loom)]
        true
    }

    #[inline]
    pub(crate) fn snooze(&mut self) {
        #[cfg(not(loom))]
        {
            if self.step <= SPIN_LIMIT {
                for _ in 0..1u32 << self.step {
                    std::hint::spin_loop();
                }
            } else {
                goroutine::gosched();
            }
            if self.step <= YIELD_LIMIT {
                self.step += 1;
            }
        }
        #[cfg(loom)]
        loom::thread::yield_now();
    }
}
