//! Wait queues keyed by address: where blocked waiters wait.
//!
//! A primitive that must block calls [`park`] with its own address as the key;
//! one that releases calls [`unpark_one`] or [`unpark_all`] with the same key.
//! The queues live in a fixed table of buckets, so a primitive carries no
//! queue of its own and `Mutex::new` stays `const` (Go's `semtable`,
//! parking_lot's parking lot).
//!
//! Three properties make it a sound base for every primitive:
//!
//! - **No lost wake-up.** [`park`]'s `validate` runs under the bucket's lock,
//!   after the waiter has been counted in the bucket's `nwait`, and the waiter
//!   is queued before that lock is released. A waker that changes the
//!   primitive's state and then looks for waiters therefore either makes
//!   `validate` fail or finds the waiter queued.
//! - **Handoff.** [`unpark_one`]'s hook runs under the bucket's lock, knowing
//!   whether it woke someone and whether more wait; its return value reaches
//!   the woken waiter as its [`Token`]. Go's starvation-mode mutex hands the
//!   lock over this way.
//! - **FIFO with an escape.** Waiters queue at the tail; `lifo` queues at the
//!   head, for a waiter that was woken, lost the race, and must not lose its
//!   place (Go's `queueLifo`).
//!
//! Callbacks run under a bucket lock and must not park, unpark, or panic.

use std::collections::VecDeque;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use super::waiter::Waiter;
use crate::loom::loom_const_fn;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::{Mutex, MutexGuard};

/// A value the waker hands to the waiter it wakes.
pub(crate) type Token = usize;

/// The waker passes nothing: the waiter retries on its own.
pub(crate) const TOKEN_NORMAL: Token = 0;

/// The waker has handed ownership to the waiter.
pub(crate) const TOKEN_HANDOFF: Token = 1;

/// How a [`park`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParkResult {
    /// Woken by [`unpark_one`] or [`unpark_all`], with the waker's token.
    Unparked(Token),
    /// `validate` returned `false`; the waiter never slept.
    Invalid,
    /// The deadline passed first; `timed_out` has run.
    TimedOut,
}

/// What [`unpark_one`] found, as its hook sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UnparkResult {
    /// A waiter was dequeued and is being woken.
    pub(crate) unparked: bool,
    /// More waiters remain on the same key.
    pub(crate) have_more: bool,
}

/// One waiter's entry in a queue. Shared between the waiter and the queue,
/// so either side may outlive the other without unsafe code.
struct Node {
    key: usize,
    waiter: Waiter,
    /// Written by the waker before `unparked`; read by the waiter after.
    token: AtomicUsize,
    /// Set (Release) by the waker once the node has left the queue.
    unparked: AtomicBool,
}

struct Bucket {
    /// Waiters queued here, over all keys, plus those inside `validate`.
    /// Read without the lock so a waker with nobody to wake skips the lock.
    nwait: AtomicUsize,
    /// FIFO of waiters; keys that hash here share it.
    queue: Mutex<VecDeque<Arc<Node>>>,
}

impl Bucket {
    loom_const_fn! {
        fn new() -> Bucket {
            Bucket {
                nwait: AtomicUsize::new(0),
                queue: Mutex::new(VecDeque::new()),
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Arc<Node>>> {
        // Callbacks do not panic, so poison can only come from an allocation
        // failure mid-push; the queue is still consistent then.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(not(loom))]
fn bucket(key: usize) -> &'static Bucket {
    use crossbeam_utils::CachePadded;

    const BUCKET_BITS: u32 = 9;

    static TABLE: [CachePadded<Bucket>; 1 << BUCKET_BITS] =
        [const { CachePadded::new(Bucket::new()) }; 1 << BUCKET_BITS];

    // Fibonacci hashing: addresses differ in their middle bits.
    let h = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - BUCKET_BITS);
    &TABLE[h as usize]
}

/// Under loom, one bucket that every key shares: the smallest state space,
/// and it exercises keys sharing a queue.
#[cfg(loom)]
fn bucket(_key: usize) -> &'static Bucket {
    loom::lazy_static! {
        static ref BUCKET: Bucket = Bucket::new();
    }
    &BUCKET
}

/// Parks the current waiter on `key`.
///
/// Under the bucket's lock: counts the waiter, runs `validate` (if it returns
/// `false`, returns [`ParkResult::Invalid`] at once) and queues the waiter
/// (at the head if `lifo`). Then, with the lock released, runs `before_sleep`
/// and sleeps until woken or until `deadline`. On timeout the waiter leaves
/// the queue and `timed_out` runs under the lock with whether it was the last
/// waiter on `key`.
pub(crate) fn park(
    key: usize,
    lifo: bool,
    deadline: Option<Instant>,
    validate: impl FnOnce() -> bool,
    before_sleep: impl FnOnce(),
    timed_out: impl FnOnce(bool),
) -> ParkResult {
    let b = bucket(key);
    let node = {
        let mut q = b.lock();
        // SeqCst pairs with the SeqCst load in `has_waiters`: either the waker
        // sees us counted, or `validate` sees the waker's state change.
        b.nwait.fetch_add(1, Ordering::SeqCst);
        if !validate() {
            b.nwait.fetch_sub(1, Ordering::Relaxed);
            return ParkResult::Invalid;
        }
        let node = Arc::new(Node {
            key,
            waiter: Waiter::current(),
            token: AtomicUsize::new(TOKEN_NORMAL),
            unparked: AtomicBool::new(false),
        });
        if lifo {
            q.push_front(Arc::clone(&node));
        } else {
            q.push_back(Arc::clone(&node));
        }
        node
    };
    before_sleep();
    loop {
        // Acquire pairs with the waker's Release store: the token and
        // everything the waker did before waking us are visible.
        if node.unparked.load(Ordering::Acquire) {
            return ParkResult::Unparked(node.token.load(Ordering::Relaxed));
        }
        if !Waiter::park(deadline) {
            let mut q = b.lock();
            if node.unparked.load(Ordering::Acquire) {
                // The waker dequeued us just as the deadline passed: its wake
                // (and any handoff it carried) stands.
                return ParkResult::Unparked(node.token.load(Ordering::Relaxed));
            }
            let at = q
                .iter()
                .position(|n| Arc::ptr_eq(n, &node))
                .expect("a waiter not yet woken is still queued");
            q.remove(at);
            b.nwait.fetch_sub(1, Ordering::Relaxed);
            timed_out(!q.iter().any(|n| n.key == key));
            return ParkResult::TimedOut;
        }
    }
}

/// Whether a waiter may be queued on `key` (or on a key sharing its bucket).
///
/// The caller has just published a state change with a SeqCst operation; the
/// waiter counted itself (SeqCst) before checking that state in `validate`.
/// With SeqCst on all four accesses, at least one side sees the other's
/// write (the store-buffering outcome is forbidden), so a `false` here means
/// the waiter's `validate` will see the change and not sleep.
#[inline]
pub(crate) fn has_waiters(key: usize) -> bool {
    let nwait = &bucket(key).nwait;
    #[cfg(not(loom))]
    let n = nwait.load(Ordering::SeqCst);
    // loom models SeqCst as AcqRel, under which the argument above does not
    // go through. A read-modify-write always reads the latest count, and if
    // the waiter counts itself later, its RMW synchronises with ours and its
    // `validate` sees our change: the same guarantee, provable under loom.
    #[cfg(loom)]
    let n = nwait.fetch_add(0, Ordering::SeqCst);
    n != 0
}

/// Wakes the longest-waiting waiter on `key`, if any.
///
/// `hook` runs under the bucket's lock with what was found; its return value
/// is the woken waiter's token (ignored if nobody was woken).
pub(crate) fn unpark_one(key: usize, hook: impl FnOnce(UnparkResult) -> Token) -> UnparkResult {
    let b = bucket(key);
    let mut q = b.lock();
    let Some(at) = q.iter().position(|n| n.key == key) else {
        let result = UnparkResult {
            unparked: false,
            have_more: false,
        };
        hook(result);
        return result;
    };
    let node = q.remove(at).expect("position is in bounds");
    b.nwait.fetch_sub(1, Ordering::Relaxed);
    let result = UnparkResult {
        unparked: true,
        have_more: q.range(at..).any(|n| n.key == key),
    };
    let token = hook(result);
    node.token.store(token, Ordering::Relaxed);
    // Release: the token and the waker's prior writes travel with the wake.
    node.unparked.store(true, Ordering::Release);
    drop(q);
    node.waiter.unpark();
    result
}

/// Wakes every waiter on `key`, each with `token`. Returns how many.
pub(crate) fn unpark_all(key: usize, token: Token) -> usize {
    let b = bucket(key);
    let mut woken = Vec::new();
    {
        let mut q = b.lock();
        q.retain(|n| {
            if n.key != key {
                return true;
            }
            n.token.store(token, Ordering::Relaxed);
            n.unparked.store(true, Ordering::Release);
            woken.push(Arc::clone(n));
            false
        });
        b.nwait.fetch_sub(woken.len(), Ordering::Relaxed);
    }
    for n in &woken {
        n.waiter.unpark();
    }
    woken.len()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::time::Duration;

    fn key_of<T>(x: &T) -> usize {
        x as *const T as usize
    }

    #[test]
    fn invalid_when_validate_fails() {
        let k = 0u64;
        let r = park(key_of(&k), false, None, || false, || {}, |_| {});
        assert_eq!(r, ParkResult::Invalid);
        assert!(!unpark_one(key_of(&k), |_| 0).unparked);
    }

    #[test]
    fn timeout_leaves_queue_and_reports_last() {
        let k = 0u64;
        let mut last = None;
        let deadline = super::super::clock::now() + Duration::from_millis(5);
        let r = park(
            key_of(&k),
            false,
            Some(deadline),
            || true,
            || {},
            |l| last = Some(l),
        );
        assert_eq!(r, ParkResult::TimedOut);
        assert_eq!(last, Some(true));
        let found = unpark_one(key_of(&k), |_| 0);
        assert!(!found.unparked, "a timed-out waiter must not stay queued");
    }

    #[test]
    fn handoff_token_reaches_waiter_and_order_is_fifo() {
        static KEY: u8 = 0;
        let key = &KEY as *const u8 as usize;
        let order = Arc::new(Mutex::new(Vec::new()));
        let queued = Arc::new(AtomicU32::new(0));
        let mut threads = Vec::new();
        for i in 0..3 {
            let (order, queued) = (order.clone(), queued.clone());
            threads.push(std::thread::spawn(move || {
                // Queue strictly in order i = 0, 1, 2.
                while queued.load(Ordering::SeqCst) != i {
                    std::thread::yield_now();
                }
                let r = park(
                    key,
                    false,
                    None,
                    || {
                        queued.fetch_add(1, Ordering::SeqCst);
                        true
                    },
                    || {},
                    |_| {},
                );
                order.lock().unwrap().push((i, r));
            }));
        }
        while queued.load(Ordering::SeqCst) != 3 {
            std::thread::yield_now();
        }
        let r = unpark_one(key, |r| {
            assert!(r.unparked && r.have_more);
            TOKEN_HANDOFF
        });
        assert_eq!(
            r,
            UnparkResult {
                unparked: true,
                have_more: true
            }
        );
        while order.lock().unwrap().len() != 1 {
            std::thread::yield_now();
        }
        assert_eq!(unpark_all(key, 7), 2);
        for t in threads {
            t.join().unwrap();
        }
        let order = order.lock().unwrap();
        assert_eq!(order[0], (0, ParkResult::Unparked(TOKEN_HANDOFF)));
        let mut rest: Vec<_> = order[1..].to_vec();
        rest.sort_by_key(|e| e.0);
        assert_eq!(
            rest,
            vec![(1, ParkResult::Unparked(7)), (2, ParkResult::Unparked(7))]
        );
        assert!(!has_waiters(key) || !unpark_one(key, |_| 0).unparked);
    }

    #[test]
    fn lifo_goes_to_the_head() {
        static KEY: u8 = 0;
        let key = &KEY as *const u8 as usize;
        let queued = Arc::new(AtomicU32::new(0));
        let first = Arc::new(Mutex::new(None));
        let mut threads = Vec::new();
        for (i, lifo) in [(0u32, false), (1, true)] {
            let (queued, first) = (queued.clone(), first.clone());
            threads.push(std::thread::spawn(move || {
                while queued.load(Ordering::SeqCst) != i {
                    std::thread::yield_now();
                }
                let r = park(
                    key,
                    lifo,
                    None,
                    || {
                        queued.fetch_add(1, Ordering::SeqCst);
                        true
                    },
                    || {},
                    |_| {},
                );
                if r == ParkResult::Unparked(TOKEN_HANDOFF) {
                    *first.lock().unwrap() = Some(i);
                }
            }));
        }
        while queued.load(Ordering::SeqCst) != 2 {
            std::thread::yield_now();
        }
        unpark_one(key, |_| TOKEN_HANDOFF);
        unpark_one(key, |_| TOKEN_NORMAL);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(
            *first.lock().unwrap(),
            Some(1),
            "the lifo waiter is woken first"
        );
    }
}
