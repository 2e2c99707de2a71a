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
        spin_active(free);
    } else {
        goroutine::gosched();
    }
}

/// One round of active spinning (see [`spin`]).
#[inline]
fn spin_active(free: impl Fn() -> bool) {
    for i in 1..=ACTIVE_SPIN_CNT {
        std::hint::spin_loop();
        if i % PAUSES_PER_CHECK == 0 && free() {
            return;
        }
    }
}

/// As [`can_spin`], for a channel operation that waits for its counterpart
/// (after queueing itself): its passive rounds also need the thread's
/// [`yields_pay`].
#[inline]
pub(crate) fn can_spin_waiting(iter: u32) -> bool {
    can_spin(iter) && (iter < ACTIVE_SPIN || yields_pay())
}

/// As [`spin`], for a channel operation that waits for its counterpart: its
/// yields are timed, for [`yields_pay`].
#[inline]
pub(crate) fn spin_waiting(iter: u32, free: impl Fn() -> bool) {
    if iter < ACTIVE_SPIN {
        spin_active(free);
    } else {
        timed_yield();
    }
}

// Adaptive yielding, for OS threads waiting on a channel.
//
// A waiter's yield (`sched_yield`) is cheap when the thread's processor
// has nothing else to run, or hands it to the counterpart, which then
// shows up: a few microseconds. When every processor is taken by other
// work (a CPU-bound process beside us), the kernel gives the processor to
// that work for a whole time slice: a millisecond or more, against the
// tens of microseconds of parking and being woken. Measured on the channel
// shapes (`benchmarks/chan/busy.sh`), yields on an idle machine took under
// 50 µs (nearly all under 10 µs), and under load about half took over 1 ms
// (4 ms on average). Active spinning, by contrast, still paid under load:
// most waits that ended while spinning ended in the first rounds, after
// about half a microsecond, and a round that fails costs a few.
//
// So each OS thread remembers whether its recent yields paid: a yield that
// took longer than `SLOW_YIELD` did not, and then the thread's channel
// waits skip their yields (and park, or queue and park, at once) for the
// next `penalty` chances to yield; the penalty doubles with every slow
// yield that follows a skipped spell, up to `MAX_PENALTY`, and a quick
// yield clears it. The state is per thread, not per channel: what makes a
// yield slow is the load on the machine, which every channel the thread
// uses sees alike, and a per-thread cell costs no shared cache line (a
// per-channel one would be written by every waiter of a contended channel).
// Goroutines are left alone: their yields go to their worker's other
// goroutines, and they do not spin at all while those are ready.

/// A yield slower than this gave the processor away for a time slice.
#[cfg(not(loom))]
const SLOW_YIELD: std::time::Duration = std::time::Duration::from_micros(100);

/// Chances to yield skipped after the first slow yield.
#[cfg(not(loom))]
const MIN_PENALTY: u32 = 16;

/// The most chances to yield skipped after a slow yield.
#[cfg(not(loom))]
const MAX_PENALTY: u32 = 1024;

/// A thread's recent experience of yielding (see above).
#[cfg(not(loom))]
struct YieldHistory {
    /// Chances to yield still to skip.
    skip: std::cell::Cell<u32>,
    /// The skip that the next slow yield sets (0: none was slow lately).
    penalty: std::cell::Cell<u32>,
}

#[cfg(not(loom))]
std::thread_local! {
    static YIELDS: YieldHistory = const {
        YieldHistory {
            skip: std::cell::Cell::new(0),
            penalty: std::cell::Cell::new(0),
        }
    };
}

/// Whether a channel waiter on this thread may yield now: false while its
/// recent yields were slow (each call then uses up one skipped chance).
/// Always true in a goroutine.
#[inline]
pub(crate) fn yields_pay() -> bool {
    #[cfg(not(loom))]
    {
        if in_goroutine() {
            return true;
        }
        YIELDS.with(|y| match y.skip.get() {
            0 => true,
            n => {
                y.skip.set(n - 1);
                false
            }
        })
    }
    #[cfg(loom)]
    true
}

/// Yields, and on an OS thread records whether that was slow.
#[inline]
fn timed_yield() {
    #[cfg(not(loom))]
    if !in_goroutine() {
        let start = super::clock::now();
        goroutine::gosched();
        record_yield(super::clock::now() - start > SLOW_YIELD);
        return;
    }
    goroutine::gosched();
}

/// Records how this thread's last yield went: a slow one sets the next
/// spell of skipped yields, a quick one clears the penalty.
#[cfg(not(loom))]
fn record_yield(slow: bool) {
    YIELDS.with(|y| {
        if slow {
            let p = match y.penalty.get() {
                0 => MIN_PENALTY,
                p => (p * 2).min(MAX_PENALTY),
            };
            y.penalty.set(p);
            y.skip.set(p);
        } else {
            y.penalty.set(0);
        }
    });
}

/// Whether this thread is running a goroutine.
#[cfg(not(loom))]
#[inline]
fn in_goroutine() -> bool {
    super::sched::current_id().is_some()
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
    /// at once in a goroutine whose worker has others ready to run; once
    /// spinning is over, on a thread whose recent yields did not pay
    /// ([`yields_pay`]).
    #[inline]
    pub(crate) fn is_completed(&self) -> bool {
        #[cfg(not(loom))]
        return self.step > YIELD_LIMIT
            || others_ready()
            || (self.step > SPIN_LIMIT && !yields_pay());
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
                timed_yield();
            }
            if self.step <= YIELD_LIMIT {
                self.step += 1;
            }
        }
        #[cfg(loom)]
        loom::thread::yield_now();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Chances to yield that this thread skips from now on.
    fn skipped() -> u32 {
        let mut n = 0;
        while !yields_pay() {
            n += 1;
        }
        n
    }

    #[test]
    fn slow_yields_skip_more_and_more_until_a_quick_one() {
        // A fresh thread, so no earlier yields count.
        std::thread::spawn(|| {
            assert_eq!(skipped(), 0);
            record_yield(true);
            assert_eq!(skipped(), MIN_PENALTY);
            // The probe after the spell is slow again: twice as long.
            record_yield(true);
            assert_eq!(skipped(), 2 * MIN_PENALTY);
            for _ in 0..20 {
                record_yield(true);
            }
            assert_eq!(skipped(), MAX_PENALTY);
            // A quick yield clears the penalty: the next slow one starts over.
            record_yield(false);
            assert_eq!(skipped(), 0);
            record_yield(true);
            assert_eq!(skipped(), MIN_PENALTY);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn backoff_gives_up_after_spinning_while_yields_do_not_pay() {
        std::thread::spawn(|| {
            let mut b = Backoff::new();
            for _ in 0..=SPIN_LIMIT {
                assert!(!b.is_completed());
                b.snooze();
            }
            // Yields pay (none was slow): backing off goes on to yield.
            assert!(!b.is_completed());
            record_yield(true);
            // Now it stops where the yields would begin.
            assert!(b.is_completed());
            let mut b = Backoff::new();
            for _ in 0..=SPIN_LIMIT {
                assert!(!b.is_completed());
                b.snooze();
            }
            assert!(b.is_completed());
            assert!(can_spin_waiting(0) || goroutine::gomaxprocs() == 1);
            assert!(!can_spin_waiting(ACTIVE_SPIN));
        })
        .join()
        .unwrap();
    }
}
