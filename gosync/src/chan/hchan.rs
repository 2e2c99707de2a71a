//! A channel's state, as Go's `hchan`: a ring buffer of `cap` values and
//! two queues of blocked operations, behind the runtime's internal lock.
//!
//! One structure serves both kinds of channel: with `cap == 0` nothing is
//! ever buffered and every transfer goes directly between a sender and a
//! receiver (rendezvous); with `cap > 0` values wait in the buffer. Keeping
//! them together, as Go does, lets one `select` engine drive every kind.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::sync::Arc;

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::rt::lock::RawLock;
use crate::rt::waiter::Waiter;

/// A blocked operation of one goroutine: a plain send or receive, or a whole
/// `select`. Every queue entry of that operation points here, and whoever
/// completes one of them first *claims* it, so exactly one case happens.
pub struct Waiting {
    waiter: Waiter,
    /// [`UNCLAIMED`], then the index of the case completed for the waiter,
    /// or [`TIMED_OUT`] if the waiter gave up first. Changes once, by CAS.
    claim: AtomicUsize,
    /// The claimed case completed because its channel was closed.
    closed: AtomicBool,
    /// Set (Release) by the claimer once the transfer is complete; the
    /// waiter reads its entry's slot only after seeing it (Acquire).
    done: AtomicBool,
}

pub(crate) const UNCLAIMED: usize = usize::MAX;
pub(crate) const TIMED_OUT: usize = usize::MAX - 1;

impl Waiting {
    pub(crate) fn new() -> Arc<Waiting> {
        Arc::new(Waiting {
            waiter: Waiter::current(),
            claim: AtomicUsize::new(UNCLAIMED),
            closed: AtomicBool::new(false),
            done: AtomicBool::new(false),
        })
    }

    /// Whether the claimer has finished (Acquire: its transfer is visible).
    pub(crate) fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// The waiter gives up (deadline passed). Fails if a case was claimed.
    pub(crate) fn time_out(&self) -> bool {
        self.claim
            .compare_exchange(UNCLAIMED, TIMED_OUT, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The claimed case, once done.
    pub(crate) fn chosen(&self) -> (usize, bool) {
        (
            self.claim.load(Ordering::Acquire),
            self.closed.load(Ordering::Relaxed),
        )
    }
}

/// A queued operation on one channel (Go's `sudog`).
pub(crate) struct Entry<T> {
    waiting: Arc<Waiting>,
    /// Which case of the waiter's operation this is.
    case: usize,
    /// A sender's value until a receiver takes it; the value a receiver was
    /// given. Touched by the owner before queueing and after `done` (or after
    /// leaving the queue unclaimed), and otherwise only by the one claimer,
    /// under the channel's lock.
    slot: UnsafeCell<Option<T>>,
}

// SAFETY: the slot moves a `T` between threads (`T: Send`); the claim
// protocol documented on `slot` gives one thread access at a time.
unsafe impl<T: Send> Send for Entry<T> {}
// SAFETY: as above: shared references never touch the slot concurrently.
unsafe impl<T: Send> Sync for Entry<T> {}

impl<T> Entry<T> {
    pub(crate) fn new(waiting: &Arc<Waiting>, case: usize, value: Option<T>) -> Arc<Entry<T>> {
        Arc::new(Entry {
            waiting: Arc::clone(waiting),
            case,
            slot: UnsafeCell::new(value),
        })
    }

    /// Claims the waiter for this entry's case; false if another case (or
    /// its deadline) got there first, which makes this entry stale.
    fn claim(&self) -> bool {
        self.waiting
            .claim
            .compare_exchange(UNCLAIMED, self.case, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Finishes a claimed entry: publishes the transfer and schedules the
    /// waiter's wake-up for after the channel is unlocked.
    fn complete(&self, closed: bool, wake: &mut Vec<Waiter>) {
        self.waiting.closed.store(closed, Ordering::Relaxed);
        self.waiting.done.store(true, Ordering::Release);
        wake.push(self.waiting.waiter.clone());
    }

    /// Takes the slot's value back.
    ///
    /// # Safety
    ///
    /// The caller owns the entry's slot: it is the entry's owner and either
    /// saw `done` for this entry's case, or the entry is out of every queue
    /// without having been claimed for its case.
    pub(crate) unsafe fn take(&self) -> Option<T> {
        // SAFETY: exclusive access, by the caller's contract.
        unsafe { (*self.slot.get()).take() }
    }
}

/// What a receive found.
pub(crate) enum Received<T> {
    Value(T),
    Closed,
    Empty,
}

/// What a send found.
pub(crate) enum Sent<T> {
    Done,
    Full(T),
    Closed(T),
}

/// The channel proper.
pub(crate) struct Channel<T> {
    lock: RawLock,
    cap: usize,
    /// Guarded by `lock`.
    state: UnsafeCell<State<T>>,
}

// SAFETY: a channel moves `T`s between threads (`T: Send`); its state is
// only touched under `lock`.
unsafe impl<T: Send> Send for Channel<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Channel<T> {}

pub(crate) struct State<T> {
    buf: VecDeque<T>,
    closed: bool,
    recvq: VecDeque<Arc<Entry<T>>>,
    sendq: VecDeque<Arc<Entry<T>>>,
}

impl<T> Channel<T> {
    pub(crate) fn new(cap: usize) -> Channel<T> {
        Channel {
            lock: RawLock::new(),
            cap,
            state: UnsafeCell::new(State {
                // Go allocates the whole buffer up front; so do we, bounded,
                // so that a huge capacity costs memory only as it fills.
                buf: VecDeque::with_capacity(cap.min(1024)),
                closed: false,
                recvq: VecDeque::new(),
                sendq: VecDeque::new(),
            }),
        }
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    pub(crate) fn raw_lock(&self) -> &RawLock {
        &self.lock
    }

    /// Runs `f` with the state, under the lock.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State<T>) -> R) -> R {
        self.lock.lock();
        // SAFETY: we hold the lock, which guards `state`.
        let r = f(unsafe { &mut *self.state.get() });
        // SAFETY: locked just above.
        unsafe { self.lock.unlock() };
        r
    }

    /// The state, for a caller that holds the lock.
    ///
    /// # Safety
    ///
    /// The caller holds `raw_lock()` for as long as it uses the reference,
    /// and takes no other reference to the state meanwhile.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn locked(&self) -> &mut State<T> {
        // SAFETY: by the caller's contract.
        unsafe { &mut *self.state.get() }
    }
}

impl<T> State<T> {
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Sends now if that needs no waiting (Go's `chansend` up to blocking):
    /// to a waiting receiver directly, else into the buffer.
    pub(crate) fn try_send(&mut self, cap: usize, value: T, wake: &mut Vec<Waiter>) -> Sent<T> {
        if self.closed {
            return Sent::Closed(value);
        }
        while let Some(entry) = self.recvq.pop_front() {
            if entry.claim() {
                // SAFETY: we claimed the entry, under the channel's lock.
                unsafe { *entry.slot.get() = Some(value) };
                entry.complete(false, wake);
                return Sent::Done;
            }
            // Stale: its operation completed elsewhere; drop it.
        }
        if self.buf.len() < cap {
            self.buf.push_back(value);
            return Sent::Done;
        }
        Sent::Full(value)
    }

    /// Receives now if that needs no waiting (Go's `chanrecv` up to blocking).
    pub(crate) fn try_recv(&mut self, cap: usize, wake: &mut Vec<Waiter>) -> Received<T> {
        if self.closed && self.buf.is_empty() {
            return Received::Closed;
        }
        while let Some(entry) = self.sendq.pop_front() {
            if entry.claim() {
                // SAFETY: we claimed the entry, under the channel's lock.
                let v = unsafe { entry.take() }.expect("a queued sender holds its value");
                entry.complete(false, wake);
                if cap == 0 {
                    return Received::Value(v);
                }
                // A sender waits only when the buffer is full: take the
                // oldest value and queue the sender's behind the rest.
                let head = self
                    .buf
                    .pop_front()
                    .expect("a sender waits only on a full buffer");
                self.buf.push_back(v);
                return Received::Value(head);
            }
        }
        match self.buf.pop_front() {
            Some(v) => Received::Value(v),
            None => Received::Empty,
        }
    }

    /// Closes the channel, completing every queued operation. Returns
    /// `false` if it was already closed.
    pub(crate) fn close(&mut self, wake: &mut Vec<Waiter>) -> bool {
        if self.closed {
            return false;
        }
        self.closed = true;
        // Receivers get "closed"; senders wake to panic. Their values stay
        // in their slots, for their owners to drop.
        for entry in self.recvq.drain(..).chain(self.sendq.drain(..)) {
            if entry.claim() {
                entry.complete(true, wake);
            }
        }
        true
    }

    pub(crate) fn enqueue_send(&mut self, entry: Arc<Entry<T>>) {
        self.sendq.push_back(entry);
    }

    pub(crate) fn enqueue_recv(&mut self, entry: Arc<Entry<T>>) {
        self.recvq.push_back(entry);
    }

    /// Removes `entry` from whichever queue holds it, if any.
    pub(crate) fn dequeue(&mut self, entry: &Arc<Entry<T>>) {
        self.sendq.retain(|e| !Arc::ptr_eq(e, entry));
        self.recvq.retain(|e| !Arc::ptr_eq(e, entry));
    }
}
