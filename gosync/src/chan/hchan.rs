//! A channel's state, as Go's `hchan`: the values in flight and two queues
//! of blocked operations, behind the runtime's internal lock.
//!
//! An unbuffered channel (`cap == 0`) is Go's design unchanged: every
//! transfer goes directly between a sender and a receiver, under the lock.
//!
//! A buffered channel keeps its values in a lock-free [`Ring`] outside the
//! lock, so a send into free space or a receive of a buffered value takes no
//! lock (crossbeam-channel's design; Go locks for these too). The lock
//! guards only the queues of operations that found the ring full or empty.
//! The two meet through two counters and a *service* step:
//!
//! - an operation that queues itself publishes the queue's new length in
//!   `recv_waiting` or `send_waiting`, then (SeqCst fence) looks at the ring
//!   again by servicing it;
//! - a lock-free push or pop, whose claim of a position is a SeqCst CAS,
//!   then reads the counter of the other side (SeqCst), and only if it is
//!   nonzero takes the lock and services.
//!
//! In the single order of SeqCst operations and fences, either the reader
//! of the counter comes after the queuer's fence and sees its entry, or the
//! CAS comes before that fence, and the queuer's look at the ring (which
//! reads `head` or `tail` only after a SeqCst fence of its own, in `Ring`)
//! sees the new value or space: no wake-up is lost. On x86 this costs the
//! lock-free path nothing beyond its CAS. *Service*
//! (under the lock) moves queued senders' values into free space, in queue
//! order, and hands buffered values to queued receivers, in queue order.
//! To do so without ever taking a value it could not deliver, it *reserves*
//! an entry's operation first, then pushes or pops, then commits the claim,
//! or undoes the reservation if the ring turned out full or empty.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ptr::NonNull;
use std::sync::Arc;

use super::ring::{PopError, PushError, Ring};
use crate::loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use crate::rt::lock::RawLock;
use crate::rt::spin::Backoff;
use crate::rt::waiter::Waiter;

/// A blocked operation of one goroutine: a plain send or receive, or a whole
/// `select`. Every queue entry of that operation points here, and whoever
/// completes one of them first *claims* it, so exactly one case happens.
pub struct Waiting {
    waiter: Waiter,
    /// [`UNCLAIMED`], then the index of the case completed for the waiter,
    /// or [`TIMED_OUT`] if the waiter gave up first. Settles once; on the way
    /// it may pass through [`RESERVED`] and back to [`UNCLAIMED`].
    claim: AtomicUsize,
    /// The claimed case completed because its channel was closed.
    closed: AtomicBool,
    /// Set (Release) by the claimer once the transfer is complete; the
    /// waiter reads its entry's slot only after seeing it (Acquire).
    done: AtomicBool,
    /// Every entry of the operation is on one channel, so every claim of it
    /// is made under that channel's lock (by a counterpart, by `close`, or
    /// by the waiter timing out), and settling needs no compare-and-swap.
    one_lock: bool,
}

pub(crate) const UNCLAIMED: usize = usize::MAX;
pub(crate) const TIMED_OUT: usize = usize::MAX - 1;
/// A buffered channel's service step holds the claim while it tries the
/// ring (module docs); it either commits to one case or puts `UNCLAIMED`
/// back. Others who want the claim wait the few instructions that takes.
const RESERVED: usize = usize::MAX - 2;

std::thread_local! {
    /// A finished operation's `Waiting`, kept for the thread's next one:
    /// most blocking operations would otherwise allocate one each.
    static SPARE: std::cell::Cell<Option<Arc<Waiting>>> = const { std::cell::Cell::new(None) };
}

/// [`Arc::get_mut`] without its compare-and-swap, for the recycled
/// `Waiting`s and entries, of which no `Weak` is ever made: with no weak
/// references, a strong count of one means this `Arc` is the only handle,
/// and nobody can make another from nothing. A handoff recycles two or
/// three of them, and a locked instruction costs 3-6 ns (BENCHMARKS.md,
/// "Scaling", S1).
#[cfg(not(loom))]
fn unique<X>(a: &mut Arc<X>) -> Option<&mut X> {
    if Arc::strong_count(a) != 1 {
        return None;
    }
    // Pairs with the Release decrement of whoever dropped the other
    // handles: their uses of the value happen before ours.
    std::sync::atomic::fence(Ordering::Acquire);
    // SAFETY: ours is the only handle (no `Weak` of these types exists, and
    // the count is one), so no other reference to the value can exist or
    // appear while `a` is mutably borrowed. The pointer comes from the
    // `Arc`'s own allocation, which it owns mutably.
    Some(unsafe { &mut *Arc::as_ptr(a).cast_mut() })
}

impl Waiting {
    /// A new operation's `Waiting`; `one_lock` if all its entries are on
    /// one channel (see the field).
    pub(crate) fn new(one_lock: bool) -> Arc<Waiting> {
        // Under loom, objects must not outlive the execution that made them.
        #[cfg(not(loom))]
        if let Some(mut spare) = SPARE.with(std::cell::Cell::take) {
            // Unique (Acquire): every entry that pointed here is gone.
            if let Some(w) = unique(&mut spare) {
                // The same goroutine's last operation: keep its handle
                // rather than drop one reference and take another.
                if !w.waiter.is_current() {
                    w.waiter = Waiter::current();
                }
                w.claim.store(UNCLAIMED, Ordering::Relaxed);
                w.closed.store(false, Ordering::Relaxed);
                w.done.store(false, Ordering::Relaxed);
                w.one_lock = one_lock;
                return spare;
            }
        }
        Arc::new(Waiting {
            waiter: Waiter::current(),
            claim: AtomicUsize::new(UNCLAIMED),
            closed: AtomicBool::new(false),
            done: AtomicBool::new(false),
            one_lock,
        })
    }

    /// Keeps a finished operation's `Waiting` for the thread's next one, if
    /// nothing else refers to it any more.
    pub(crate) fn recycle(this: Arc<Waiting>) {
        if !cfg!(loom) && Arc::strong_count(&this) == 1 {
            SPARE.with(|s| s.set(Some(this)));
        }
    }

    /// Whether the claimer has finished (Acquire: its transfer is visible).
    pub(crate) fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Moves the claim from `UNCLAIMED` to `to`; false if it is settled
    /// otherwise. Waits out a reservation in progress.
    fn settle(&self, to: usize) -> bool {
        if self.one_lock {
            // Under the one lock every claim is made under, nobody else
            // reads or writes the claim between our load and store, and
            // nobody sees `RESERVED` but its reserver: a load and a store
            // do, one locked instruction fewer per handoff (S1). Release:
            // as the CAS below, for the waiter's read after `done`.
            if self.claim.load(Ordering::Relaxed) != UNCLAIMED {
                return false;
            }
            self.claim.store(to, Ordering::Release);
            return true;
        }
        let mut backoff = Backoff::new();
        loop {
            match self
                .claim
                .compare_exchange(UNCLAIMED, to, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(RESERVED) => backoff.snooze(),
                Err(_) => return false,
            }
        }
    }

    /// The waiter gives up (deadline passed). Fails if a case was claimed.
    pub(crate) fn time_out(&self) -> bool {
        self.settle(TIMED_OUT)
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
    /// `None` only while the entry waits in its channel's spare slot.
    waiting: Option<Arc<Waiting>>,
    /// Which case of the waiter's operation this is.
    case: usize,
    /// A sender's value until it is taken; the value a receiver was given.
    /// Touched by the owner before queueing and after `done` (or after
    /// leaving the queue unclaimed), and otherwise only by the one claimer
    /// or reserver, under the channel's lock.
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
            waiting: Some(Arc::clone(waiting)),
            case,
            slot: UnsafeCell::new(value),
        })
    }

    fn w(&self) -> &Waiting {
        self.waiting
            .as_deref()
            .expect("a queued entry has its operation")
    }

    /// Claims the waiter for this entry's case; false if another case (or
    /// its deadline) got there first, which makes this entry stale.
    fn claim(&self) -> bool {
        self.w().settle(self.case)
    }

    /// Reserves the waiter for this entry's case: nobody else can claim it
    /// until [`commit`](Self::commit) or [`release`](Self::release). False
    /// if the entry is stale.
    fn reserve(&self) -> bool {
        self.w().settle(RESERVED)
    }

    /// Turns a reservation into the claim for this entry's case.
    fn commit(&self) {
        self.w().claim.store(self.case, Ordering::Release);
    }

    /// Gives a reservation up: the operation is unclaimed again.
    fn release(&self) {
        self.w().claim.store(UNCLAIMED, Ordering::Release);
    }

    /// Finishes a claimed entry, just taken off its queue: publishes the
    /// transfer and schedules the waiter's wake-up for after the channel is
    /// unlocked. The queue's reference to the entry goes to `wake`, which
    /// wakes the waiter through it: the entry keeps its `Waiting`, and so
    /// the waiter's handle, alive until then, with no clone of the handle
    /// (two locked instructions fewer per wake-up, S1).
    fn complete(self: Arc<Self>, closed: bool, wake: &mut Wake) {
        self.w().closed.store(closed, Ordering::Relaxed);
        self.w().done.store(true, Ordering::Release);
        wake.push(Completed::new(self));
    }

    /// Takes the slot's value back.
    ///
    /// # Safety
    ///
    /// The caller owns the entry's slot: it is the entry's owner and either
    /// saw `done` for this entry's case, or the entry is out of every queue
    /// without having been claimed for its case; or it holds the channel's
    /// lock and the entry's reservation.
    pub(crate) unsafe fn take(&self) -> Option<T> {
        // SAFETY: exclusive access, by the caller's contract.
        unsafe { (*self.slot.get()).take() }
    }

    /// Puts a value in the slot.
    ///
    /// # Safety
    ///
    /// As for [`take`](Self::take).
    unsafe fn put(&self, value: T) {
        // SAFETY: exclusive access, by the caller's contract.
        unsafe { *self.slot.get() = Some(value) };
    }
}

/// The waiters an operation completed, to wake once the channel locks are
/// released. The first is kept inline: one is the common case, and a plain
/// handoff then allocates nothing for it.
#[doc(hidden)]
#[derive(Default)]
pub struct Wake {
    first: Option<Completed>,
    rest: Vec<Completed>,
}

impl Wake {
    fn push(&mut self, c: Completed) {
        if self.first.is_none() {
            self.first = Some(c);
        } else {
            self.rest.push(c);
        }
    }

    /// Wakes them all, in the order they completed.
    pub(crate) fn wake_all(self) {
        // Dropping wakes: `first`, then `rest` in order.
        drop(self);
    }
}

/// A completed entry whose waiter is to be woken: the reference to it that
/// its queue held, with its type erased, since one select completes
/// entries of channels of different types. Dropping it wakes the waiter and
/// lets the reference go, so a completion is never lost, even on unwinding.
struct Completed {
    /// From `Arc::into_raw` of an `Arc<Entry<T>>`.
    entry: NonNull<()>,
    /// `wake_entry::<T>` for that `T`.
    wake: unsafe fn(NonNull<()>),
}

impl Completed {
    fn new<T>(entry: Arc<Entry<T>>) -> Completed {
        let p = Arc::into_raw(entry).cast_mut().cast::<()>();
        Completed {
            // SAFETY: `Arc::into_raw` never returns null.
            entry: unsafe { NonNull::new_unchecked(p) },
            wake: wake_entry::<T>,
        }
    }
}

impl Drop for Completed {
    fn drop(&mut self) {
        // SAFETY: `wake` is `wake_entry` for the type `entry` was made
        // from, and this is the one call for it. A `Wake` lives only for the
        // channel operation that filled it, within which the channel, and
        // so any lifetime in its `T`, is alive.
        unsafe { (self.wake)(self.entry) }
    }
}

/// Wakes the waiter of the entry `p` refers to and drops that reference.
///
/// # Safety
///
/// `p` is from `Arc::into_raw` of an `Arc<Entry<T>>` (this `T`), and is
/// used once.
unsafe fn wake_entry<T>(p: NonNull<()>) {
    // SAFETY: by the caller's contract.
    let e = unsafe { Arc::from_raw(p.as_ptr().cast_const().cast::<Entry<T>>()) };
    e.w().waiter.unpark();
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

impl<T> Drop for Channel<T> {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        {
            let p = *self.spare.get_mut();
            if !p.is_null() {
                // SAFETY: as in `entry`; nobody else can reach the channel.
                drop(unsafe { Arc::from_raw(p) });
            }
        }
    }
}

/// loom models SeqCst loads as Acquire, so it cannot see that a SeqCst CAS
/// followed by a SeqCst load is ordered against the queuer's fence (module
/// docs); under loom, a fence between them states the same order in a form
/// it checks. Nothing, otherwise.
#[inline(always)]
fn seq_cst_fence_for_loom() {
    #[cfg(loom)]
    fence(Ordering::SeqCst);
}

/// The channel proper.
pub(crate) struct Channel<T> {
    lock: RawLock,
    cap: usize,
    /// The buffer of a buffered channel (`cap > 0`); lock-free.
    ring: Option<Ring<T>>,
    /// Length of `recvq` (buffered channels), for lock-free senders to see
    /// whether anyone needs service. Written under the lock.
    recv_waiting: AtomicUsize,
    /// Length of `sendq` (buffered channels), likewise for receivers.
    send_waiting: AtomicUsize,
    /// Guarded by `lock`.
    state: UnsafeCell<State<T>>,
    /// A finished entry (from `Arc::into_raw`), kept for the next blocked
    /// operation on this channel, or null: most would otherwise allocate
    /// one each.
    #[cfg(not(loom))]
    spare: std::sync::atomic::AtomicPtr<Entry<T>>,
}

// SAFETY: a channel moves `T`s between threads (`T: Send`); its state is
// only touched under `lock`, and the ring is `Sync` for `T: Send`.
unsafe impl<T: Send> Send for Channel<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Channel<T> {}

pub(crate) struct State<T> {
    closed: bool,
    recvq: VecDeque<Arc<Entry<T>>>,
    sendq: VecDeque<Arc<Entry<T>>>,
}

impl<T> Channel<T> {
    pub(crate) fn new(cap: usize) -> Channel<T> {
        Channel {
            lock: RawLock::new(),
            cap,
            ring: (cap > 0).then(|| Ring::new(cap)),
            recv_waiting: AtomicUsize::new(0),
            send_waiting: AtomicUsize::new(0),
            state: UnsafeCell::new(State {
                closed: false,
                recvq: VecDeque::new(),
                sendq: VecDeque::new(),
            }),
            #[cfg(not(loom))]
            spare: std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// An entry for a blocked operation on this channel: the spare one if
    /// there is one, else a new one.
    pub(crate) fn entry(
        &self,
        waiting: &Arc<Waiting>,
        case: usize,
        value: Option<T>,
    ) -> Arc<Entry<T>> {
        #[cfg(not(loom))]
        {
            let p = self.spare.swap(std::ptr::null_mut(), Ordering::Acquire);
            if !p.is_null() {
                // SAFETY: `spare` holds a reference made by `Arc::into_raw`
                // in `recycle`; the swap made it ours.
                let mut e = unsafe { Arc::from_raw(p) };
                if let Some(m) = unique(&mut e) {
                    m.waiting = Some(Arc::clone(waiting));
                    m.case = case;
                    *m.slot.get_mut() = value;
                    return e;
                }
            }
        }
        Entry::new(waiting, case, value)
    }

    /// Keeps a finished entry as this channel's spare, if nothing else
    /// refers to it any more (its claimer may still hold it for a moment).
    #[cfg_attr(loom, allow(unused_mut))]
    pub(crate) fn recycle(&self, mut e: Arc<Entry<T>>) {
        #[cfg(not(loom))]
        if let Some(m) = unique(&mut e) {
            // Let go of the operation (its `Waiting` may be reused too).
            m.waiting = None;
            *m.slot.get_mut() = None;
            let old = self
                .spare
                .swap(Arc::into_raw(e).cast_mut(), Ordering::AcqRel);
            if !old.is_null() {
                // SAFETY: as in `entry`: the swap handed us that reference.
                drop(unsafe { Arc::from_raw(old) });
            }
        }
        #[cfg(loom)]
        drop(e);
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// Whether sends and receives can take the lock-free path.
    pub(crate) fn is_buffered(&self) -> bool {
        self.ring.is_some()
    }

    pub(crate) fn raw_lock(&self) -> &RawLock {
        &self.lock
    }

    /// Runs `f` with the state, under the lock.
    fn with<R>(&self, f: impl FnOnce(&mut State<T>) -> R) -> R {
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
    unsafe fn locked(&self) -> &mut State<T> {
        // SAFETY: by the caller's contract.
        unsafe { &mut *self.state.get() }
    }

    /// Values buffered now.
    pub(crate) fn len(&self) -> usize {
        self.ring.as_ref().map_or(0, Ring::len)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.with(|st| st.closed)
    }

    // --- The lock-free path (buffered channels) ---------------------------

    /// Sends without the lock if there is room and no sender is queued
    /// (a queued sender goes first). `Full` means: take the locked path.
    pub(crate) fn send_fast(&self, value: T) -> Sent<T> {
        let ring = self.ring.as_ref().expect("a buffered channel");
        if self.send_waiting.load(Ordering::Relaxed) != 0 {
            return Sent::Full(value);
        }
        match ring.push(value) {
            Ok(()) => {
                // SeqCst, after the push's SeqCst CAS on `tail`: pairs with
                // the fence in `enqueue_recv` (module docs).
                seq_cst_fence_for_loom();
                if self.recv_waiting.load(Ordering::SeqCst) != 0 {
                    self.service_now();
                }
                Sent::Done
            }
            Err(PushError::Full(v)) => Sent::Full(v),
            Err(PushError::Closed(v)) => Sent::Closed(v),
        }
    }

    /// Receives without the lock if a value is buffered (or the channel is
    /// closed and drained). `Empty` means: take the locked path.
    pub(crate) fn recv_fast(&self) -> Received<T> {
        let ring = self.ring.as_ref().expect("a buffered channel");
        match ring.pop() {
            Ok(v) => {
                // SeqCst, after the pop's SeqCst CAS on `head`: pairs with
                // the fence in `enqueue_send` (module docs).
                seq_cst_fence_for_loom();
                if self.send_waiting.load(Ordering::SeqCst) != 0 {
                    self.service_now();
                }
                Received::Value(v)
            }
            Err(PopError::Closed) => Received::Closed,
            Err(PopError::Empty) => Received::Empty,
        }
    }

    /// Takes the lock to service the queues, then wakes whom that completed.
    #[cold]
    fn service_now(&self) {
        let mut wake = Wake::default();
        self.lock.lock();
        // SAFETY: we hold the lock.
        unsafe { self.service(&mut wake) };
        // SAFETY: locked just above.
        unsafe { self.lock.unlock() };
        wake.wake_all();
    }

    /// Moves queued senders' values into free space and hands buffered
    /// values to queued receivers, each in queue order, until neither can
    /// go on; drops stale entries met on the way. Buffered channels only.
    ///
    /// # Safety
    ///
    /// The caller holds the lock.
    unsafe fn service(&self, wake: &mut Wake) {
        let Some(ring) = &self.ring else { return };
        // SAFETY: the caller holds the lock.
        let st = unsafe { self.locked() };
        loop {
            let mut progress = false;
            while let Some(entry) = st.sendq.front() {
                if !entry.reserve() {
                    st.sendq.pop_front();
                    continue;
                }
                // SAFETY: we hold the lock and the reservation.
                let v = unsafe { entry.take() }.expect("a queued sender holds its value");
                match ring.push(v) {
                    Ok(()) => {
                        entry.commit();
                        let entry = st.sendq.pop_front().expect("the entry just served");
                        entry.complete(false, wake);
                        progress = true;
                    }
                    Err(PushError::Full(v) | PushError::Closed(v)) => {
                        // SAFETY: as above.
                        unsafe { entry.put(v) };
                        entry.release();
                        break;
                    }
                }
            }
            while let Some(entry) = st.recvq.front() {
                if !entry.reserve() {
                    st.recvq.pop_front();
                    continue;
                }
                match ring.pop() {
                    Ok(v) => {
                        // SAFETY: we hold the lock and the reservation.
                        unsafe { entry.put(v) };
                        entry.commit();
                        let entry = st.recvq.pop_front().expect("the entry just served");
                        entry.complete(false, wake);
                        progress = true;
                    }
                    Err(_) => {
                        entry.release();
                        break;
                    }
                }
            }
            if !progress {
                break;
            }
        }
        self.publish_waiting(st);
    }

    fn publish_waiting(&self, st: &State<T>) {
        if self.ring.is_some() {
            self.recv_waiting.store(st.recvq.len(), Ordering::Relaxed);
            self.send_waiting.store(st.sendq.len(), Ordering::Relaxed);
        }
    }

    // --- The locked path ---------------------------------------------------

    /// Sends now if that needs no waiting (Go's `chansend` up to blocking).
    ///
    /// # Safety
    ///
    /// The caller holds the lock.
    pub(crate) unsafe fn try_send(&self, value: T, wake: &mut Wake) -> Sent<T> {
        // SAFETY: the caller holds the lock.
        let st = unsafe { self.locked() };
        if st.closed {
            return Sent::Closed(value);
        }
        let Some(ring) = &self.ring else {
            // Unbuffered: hand the value to the first live receiver.
            while let Some(entry) = st.recvq.pop_front() {
                if entry.claim() {
                    // SAFETY: we claimed the entry, under the channel's lock.
                    unsafe { entry.put(value) };
                    entry.complete(false, wake);
                    return Sent::Done;
                }
                // Stale: its operation completed elsewhere; drop it.
            }
            return Sent::Full(value);
        };
        // SAFETY: the caller holds the lock.
        unsafe { self.service(wake) };
        if !st.sendq.is_empty() {
            // Still full, with senders queued ahead of us.
            return Sent::Full(value);
        }
        match ring.push(value) {
            Ok(()) => {
                // A receiver may be queued (the ring was empty).
                // SAFETY: the caller holds the lock.
                unsafe { self.service(wake) };
                Sent::Done
            }
            Err(PushError::Full(v)) => Sent::Full(v),
            Err(PushError::Closed(v)) => Sent::Closed(v),
        }
    }

    /// Receives now if that needs no waiting (Go's `chanrecv` up to blocking).
    ///
    /// # Safety
    ///
    /// The caller holds the lock.
    pub(crate) unsafe fn try_recv(&self, wake: &mut Wake) -> Received<T> {
        // SAFETY: the caller holds the lock.
        let st = unsafe { self.locked() };
        let Some(ring) = &self.ring else {
            // Unbuffered: take the first live sender's value.
            while let Some(entry) = st.sendq.pop_front() {
                if entry.claim() {
                    // SAFETY: we claimed the entry, under the channel's lock.
                    let v = unsafe { entry.take() }.expect("a queued sender holds its value");
                    entry.complete(false, wake);
                    return Received::Value(v);
                }
            }
            return if st.closed {
                Received::Closed
            } else {
                Received::Empty
            };
        };
        // SAFETY: the caller holds the lock.
        unsafe { self.service(wake) };
        match ring.pop() {
            Ok(v) => {
                // A sender may be queued (the ring was full).
                // SAFETY: the caller holds the lock.
                unsafe { self.service(wake) };
                Received::Value(v)
            }
            Err(PopError::Closed) => Received::Closed,
            Err(PopError::Empty) => Received::Empty,
        }
    }

    /// Closes the channel, completing every queued operation. Returns
    /// `false` if it was already closed.
    pub(crate) fn close(&self, wake: &mut Wake) -> bool {
        self.with(|st| {
            if st.closed {
                return false;
            }
            st.closed = true;
            if let Some(ring) = &self.ring {
                // From here every push fails; receivers drain what is left.
                ring.close();
                // Values pushed just before the mark still go to queued
                // receivers; queued senders can no longer be served.
                // SAFETY: we hold the lock (`with`).
                unsafe { self.service(wake) };
            }
            // Receivers get "closed"; senders wake to panic. Their values
            // stay in their slots, for their owners to drop.
            for entry in st.recvq.drain(..).chain(st.sendq.drain(..)) {
                if entry.claim() {
                    entry.complete(true, wake);
                }
            }
            self.publish_waiting(st);
            true
        })
    }

    /// Queues a blocked send.
    ///
    /// # Safety
    ///
    /// The caller holds the lock.
    pub(crate) unsafe fn enqueue_send(&self, entry: Arc<Entry<T>>, wake: &mut Wake) {
        // SAFETY: the caller holds the lock.
        let st = unsafe { self.locked() };
        st.sendq.push_back(entry);
        if self.ring.is_some() {
            self.publish_waiting(st);
            // Pairs with the fence in `recv_fast` (module docs): a receive
            // that missed our count has made room we now see.
            fence(Ordering::SeqCst);
            // SAFETY: the caller holds the lock.
            unsafe { self.service(wake) };
        }
    }

    /// Queues a blocked receive.
    ///
    /// # Safety
    ///
    /// The caller holds the lock.
    pub(crate) unsafe fn enqueue_recv(&self, entry: Arc<Entry<T>>, wake: &mut Wake) {
        // SAFETY: the caller holds the lock.
        let st = unsafe { self.locked() };
        st.recvq.push_back(entry);
        if self.ring.is_some() {
            self.publish_waiting(st);
            // Pairs with the fence in `send_fast` (module docs).
            fence(Ordering::SeqCst);
            // SAFETY: the caller holds the lock.
            unsafe { self.service(wake) };
        }
    }

    /// Removes `entry` from whichever queue holds it, if any.
    ///
    /// # Safety
    ///
    /// The caller holds the lock.
    pub(crate) unsafe fn dequeue(&self, entry: &Arc<Entry<T>>) {
        // SAFETY: the caller holds the lock.
        let st = unsafe { self.locked() };
        st.sendq.retain(|e| !Arc::ptr_eq(e, entry));
        st.recvq.retain(|e| !Arc::ptr_eq(e, entry));
        self.publish_waiting(st);
    }
}
