//! The `select` engine (Go's `selectgo`), which every channel operation
//! uses: a plain send or receive is a select of one case.
//!
//! 1. Lock every channel of the select, in address order (so two selects
//!    never deadlock on each other's locks).
//! 2. Poll the cases in a random order; the first that can proceed does, so
//!    among ready cases each is chosen with equal probability.
//! 3. Otherwise (unless non-blocking), queue an entry on every channel, all
//!    pointing at one shared [`Waiting`], unlock, and sleep. A counterpart
//!    that completes one entry claims the `Waiting` by CAS first, so exactly
//!    one case happens; entries it finds already claimed are stale and dropped.
//! 4. On waking, lock again and take the other entries out of their queues.
//!
//! Because a select queues its entries only while holding every lock, a
//! select that is polling can never itself be claimed; the only race is
//! between claimers, and the CAS settles it.

use std::sync::Arc;
use std::time::Instant;

use super::hchan::{Channel, Entry, Received, Sent, Waiting, Wake};
use crate::rt::lock::RawLock;
use crate::rt::spin::Backoff;
use crate::rt::waiter::Waiter;
use crate::rt::{clock, hb, rand, spin};

/// What polling or completing a case came to.
#[doc(hidden)]
pub enum Poll {
    Ready,
    Pending,
    /// A send case met a closed channel: panic once the locks are released.
    SendOnClosed,
}

/// One case of a select, type-erased so cases of different element types
/// can be mixed. Public only for `select!` (through `chan::__private`).
pub trait Case {
    /// The channel's lock; `None` for a nil channel, which is never ready.
    #[doc(hidden)]
    fn lock(&self) -> Option<&RawLock>;
    /// Completes the case now if possible.
    ///
    /// # Safety
    ///
    /// The caller holds the channel's lock.
    #[doc(hidden)]
    unsafe fn poll(&mut self, wake: &mut Wake) -> Poll;
    /// Completes the case now without any lock, if its channel allows
    /// that (a buffered channel with room or a value): `Pending` means
    /// "not without the lock", not "not ready".
    #[doc(hidden)]
    fn poll_fast(&mut self) -> Poll;
    /// Whether [`poll_fast`](Self::poll_fast) can decide readiness alone:
    /// a buffered or nil channel.
    #[doc(hidden)]
    fn lock_free(&self) -> bool;
    /// Queues an entry for `waiting` as case `index` (and, for a buffered
    /// channel, looks at the ring once more; what that completes is woken
    /// through `wake`).
    ///
    /// # Safety
    ///
    /// The caller holds the channel's lock.
    #[doc(hidden)]
    unsafe fn enqueue(&mut self, waiting: &Arc<Waiting>, index: usize, wake: &mut Wake);
    /// Takes our entry out of its queue, unclaimed.
    ///
    /// # Safety
    ///
    /// The caller holds the channel's lock, and `waiting` was not claimed
    /// for this case.
    #[doc(hidden)]
    unsafe fn dequeue(&mut self);
    /// Collects the outcome after `waiting` was claimed for this case.
    ///
    /// # Safety
    ///
    /// `waiting` was claimed for this case and is done.
    #[doc(hidden)]
    unsafe fn claimed(&mut self, closed: bool) -> Poll;
}

/// A send of `value` on `chan`.
#[doc(hidden)]
pub struct SendCase<'a, T> {
    chan: Option<&'a Channel<T>>,
    value: Option<T>,
    entry: Option<Arc<Entry<T>>>,
}

impl<'a, T> SendCase<'a, T> {
    pub(crate) fn new(chan: Option<&'a Channel<T>>, value: T) -> SendCase<'a, T> {
        SendCase {
            chan,
            value: Some(value),
            entry: None,
        }
    }

    /// The value, if it was not sent.
    pub fn into_unsent(self) -> Option<T> {
        self.value
    }

    /// Whether this case was the one that happened.
    pub fn happened(&self) -> bool {
        self.value.is_none()
    }
}

impl<T> Case for SendCase<'_, T> {
    fn lock(&self) -> Option<&RawLock> {
        self.chan.map(Channel::raw_lock)
    }

    unsafe fn poll(&mut self, wake: &mut Wake) -> Poll {
        let chan = self.chan.expect("nil channels are never polled");
        let value = self.value.take().expect("polled once");
        hb::release_merge(chan);
        // SAFETY: the caller holds the channel's lock (`poll`'s contract).
        match unsafe { chan.try_send(value, wake) } {
            Sent::Done => Poll::Ready,
            Sent::Full(v) => {
                self.value = Some(v);
                Poll::Pending
            }
            Sent::Closed(v) => {
                self.value = Some(v);
                Poll::SendOnClosed
            }
        }
    }

    fn poll_fast(&mut self) -> Poll {
        let Some(chan) = self.chan.filter(|c| c.is_buffered()) else {
            return Poll::Pending;
        };
        let value = self.value.take().expect("polled once");
        hb::release_merge(chan);
        match chan.send_fast(value) {
            Sent::Done => Poll::Ready,
            Sent::Full(v) => {
                self.value = Some(v);
                Poll::Pending
            }
            Sent::Closed(v) => {
                self.value = Some(v);
                Poll::SendOnClosed
            }
        }
    }

    fn lock_free(&self) -> bool {
        self.chan.is_none_or(Channel::is_buffered)
    }

    unsafe fn enqueue(&mut self, waiting: &Arc<Waiting>, index: usize, wake: &mut Wake) {
        let Some(chan) = self.chan else { return };
        let entry = chan.entry(waiting, index, self.value.take());
        self.entry = Some(Arc::clone(&entry));
        // SAFETY: the caller holds the channel's lock (`enqueue`'s contract).
        unsafe { chan.enqueue_send(entry, wake) };
    }

    unsafe fn dequeue(&mut self) {
        if let (Some(chan), Some(entry)) = (self.chan, self.entry.take()) {
            // SAFETY: the caller holds the channel's lock (`dequeue`'s contract).
            unsafe { chan.dequeue(&entry) };
            // SAFETY: we own the entry, now out of the queue, and it was
            // not claimed for this case: nobody else touches its slot.
            self.value = unsafe { entry.take() };
            chan.recycle(entry);
        }
    }

    unsafe fn claimed(&mut self, closed: bool) -> Poll {
        let entry = self.entry.take().expect("a claimed case was queued");
        let chan = self.chan.expect("queued");
        if closed {
            // SAFETY: we own the entry and saw `done`; close left the value.
            self.value = unsafe { entry.take() };
            chan.recycle(entry);
            return Poll::SendOnClosed;
        }
        chan.recycle(entry);
        hb::acquire(chan);
        Poll::Ready
    }
}

/// A receive on `chan`.
#[doc(hidden)]
pub struct RecvCase<'a, T> {
    chan: Option<&'a Channel<T>>,
    /// `Some(Some(v))`: received `v`; `Some(None)`: the channel is closed.
    result: Option<Option<T>>,
    entry: Option<Arc<Entry<T>>>,
}

impl<'a, T> RecvCase<'a, T> {
    pub(crate) fn new(chan: Option<&'a Channel<T>>) -> RecvCase<'a, T> {
        RecvCase {
            chan,
            result: None,
            entry: None,
        }
    }

    /// The received value (`None`: closed). Panics if the case did not happen.
    pub fn into_result(self) -> Option<T> {
        self.result.expect("the case was chosen")
    }

    /// Whether this case was the one that happened.
    pub fn happened(&self) -> bool {
        self.result.is_some()
    }
}

impl<T> RecvCase<'_, T> {
    fn received(&mut self, chan: &Channel<T>, r: Received<T>) -> Poll {
        match r {
            Received::Value(v) => self.result = Some(Some(v)),
            Received::Closed => self.result = Some(None),
            Received::Empty => return Poll::Pending,
        }
        hb::acquire(chan);
        Poll::Ready
    }
}

impl<T> Case for RecvCase<'_, T> {
    fn lock(&self) -> Option<&RawLock> {
        self.chan.map(Channel::raw_lock)
    }

    unsafe fn poll(&mut self, wake: &mut Wake) -> Poll {
        let chan = self.chan.expect("nil channels are never polled");
        // SAFETY: the caller holds the channel's lock (`poll`'s contract).
        let r = unsafe { chan.try_recv(wake) };
        self.received(chan, r)
    }

    fn poll_fast(&mut self) -> Poll {
        match self.chan.filter(|c| c.is_buffered()) {
            Some(chan) => self.received(chan, chan.recv_fast()),
            None => Poll::Pending,
        }
    }

    fn lock_free(&self) -> bool {
        self.chan.is_none_or(Channel::is_buffered)
    }

    unsafe fn enqueue(&mut self, waiting: &Arc<Waiting>, index: usize, wake: &mut Wake) {
        let Some(chan) = self.chan else { return };
        let entry = chan.entry(waiting, index, None);
        self.entry = Some(Arc::clone(&entry));
        // SAFETY: the caller holds the channel's lock (`enqueue`'s contract).
        unsafe { chan.enqueue_recv(entry, wake) };
    }

    unsafe fn dequeue(&mut self) {
        if let (Some(chan), Some(entry)) = (self.chan, self.entry.take()) {
            // SAFETY: the caller holds the channel's lock (`dequeue`'s contract).
            unsafe { chan.dequeue(&entry) };
            chan.recycle(entry);
        }
    }

    unsafe fn claimed(&mut self, closed: bool) -> Poll {
        let entry = self.entry.take().expect("a claimed case was queued");
        let chan = self.chan.expect("queued");
        self.result = Some(if closed {
            None
        } else {
            // SAFETY: we own the entry and saw `done` for its case.
            unsafe { entry.take() }
        });
        chan.recycle(entry);
        hb::acquire(chan);
        Poll::Ready
    }
}

/// How long a select may wait.
#[derive(Clone, Copy)]
#[doc(hidden)]
pub enum Block {
    /// Never wait (a select with `default`).
    No,
    /// Wait as long as it takes.
    Forever,
    /// Wait until the instant.
    Until(Instant),
}

/// The distinct locks of a select's channels, in address order. Up to
/// [`INLINE`] live on the stack, so a plain send or receive (and most
/// selects) allocates nothing for them.
enum Locks {
    Inline([*const RawLock; INLINE], usize),
    Heap(Vec<*const RawLock>),
}

const INLINE: usize = 4;

/// Where a lock of a select's cases comes in the global locking order.
fn lock_order(l: *const RawLock) -> usize {
    // SAFETY: each lock belongs to a channel the cases borrow, so it
    // outlives the select.
    unsafe { &*l }.order()
}

impl Locks {
    fn of(cases: &[&mut dyn Case]) -> Locks {
        let mut locks = if cases.len() <= INLINE {
            Locks::Inline([std::ptr::null(); INLINE], 0)
        } else {
            Locks::Heap(Vec::with_capacity(cases.len()))
        };
        for l in cases.iter().filter_map(|c| c.lock()) {
            match &mut locks {
                Locks::Inline(a, n) => {
                    a[*n] = l;
                    *n += 1;
                }
                Locks::Heap(v) => v.push(l),
            }
        }
        let (slice, len) = match &mut locks {
            Locks::Inline(a, n) => (&mut a[..*n], n),
            Locks::Heap(v) => {
                v.sort_unstable_by_key(|&l| lock_order(l));
                v.dedup();
                return locks;
            }
        };
        slice.sort_unstable_by_key(|&l| lock_order(l));
        // Dedup in place: one channel in several cases is locked once.
        let mut kept = 0;
        for i in 0..slice.len() {
            if kept == 0 || slice[i] != slice[kept - 1] {
                slice[kept] = slice[i];
                kept += 1;
            }
        }
        *len = kept;
        locks
    }

    fn as_slice(&self) -> &[*const RawLock] {
        match self {
            Locks::Inline(a, n) => &a[..*n],
            Locks::Heap(v) => v,
        }
    }

    fn lock_all(&self) {
        for &l in self.as_slice() {
            // SAFETY: each lock belongs to a channel the cases borrow, so it
            // outlives the select.
            unsafe { &*l }.lock();
        }
    }

    fn unlock_all(&self) {
        for &l in self.as_slice().iter().rev() {
            // SAFETY: as in `lock_all`; every lock was locked by `lock_all`.
            unsafe { (*l).unlock() };
        }
    }

    fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }
}

fn wake_all(wake: Wake) {
    wake.wake_all();
}

/// A uniformly random order of a select's cases (Fisher-Yates). Up to 16
/// cases it is a row of 4-bit indices in one register: built and read
/// without touching memory, where an array on the stack, written a word at
/// a time and then copied, cost a store-forwarding stall on every select
/// (a quarter of `select`'s samples in `boundedN_select_both`).
enum Order {
    Small { perm: u64, n: usize },
    Heap(Vec<usize>),
}

impl Order {
    fn random(n: usize) -> Order {
        if n <= 16 {
            let mut perm = 0u64;
            for i in 1..n {
                // Inside-out Fisher-Yates: put i at a random position among
                // the first i + 1, moving what was there to position i.
                let j = rand::below(i + 1);
                let there = (perm >> (4 * j)) & 0xf;
                perm |= there << (4 * i);
                perm = (perm & !(0xf << (4 * j))) | ((i as u64) << (4 * j));
            }
            return Order::Small { perm, n };
        }
        let mut v = vec![0; n];
        for i in 1..n {
            let j = rand::below(i + 1);
            v[i] = v[j];
            v[j] = i;
        }
        Order::Heap(v)
    }

    /// How many cases.
    #[inline]
    fn len(&self) -> usize {
        match self {
            Order::Small { n, .. } => *n,
            Order::Heap(v) => v.len(),
        }
    }

    /// The case polled `k`-th.
    #[inline]
    fn get(&self, k: usize) -> usize {
        match self {
            Order::Small { perm, .. } => ((perm >> (4 * k)) & 0xf) as usize,
            Order::Heap(v) => v[k],
        }
    }

    /// The cases' indices, in this order.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).map(|k| self.get(k))
    }
}

/// How a select ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub enum Selected {
    /// Case `i` happened.
    Case(usize),
    /// Case `i`, a send, met a closed channel (Go panics; `try_send` does not).
    SendOnClosed(usize),
    /// No case happened within the time allowed.
    Nothing,
}

/// Runs a select over `cases`.
pub fn select(cases: &mut [&mut dyn Case], block: Block) -> Selected {
    let order = Order::random(cases.len());
    // When every channel is buffered (or nil), each case can be decided
    // without a lock, so try them all that way first, in the random order.
    // With an unbuffered channel among them this would favour the buffered
    // cases, so then only the locked poll below runs, over all of them.
    if cases.iter().all(|c| c.lock_free()) {
        if let Some(done) = poll_lock_free(cases, &order, block) {
            return done;
        }
    }
    select_locked(cases, block, order)
}

/// A plain send or receive: its one case's lock-free attempts, then the
/// locked engine.
pub(crate) fn select_one(case: &mut dyn Case, block: Block) -> Selected {
    if case.lock_free() && case.lock().is_some() {
        let done = backoff_poll(block, || match case.poll_fast() {
            Poll::Pending => None,
            Poll::Ready => Some(Selected::Case(0)),
            Poll::SendOnClosed => Some(Selected::SendOnClosed(0)),
        });
        if let Some(done) = done {
            return done;
        }
    }
    select_single(case, block)
}

/// The engine for one case (Go's `chansend`/`chanrecv` beside `selectgo`):
/// the same steps as [`select_locked`] without a lock list, an order or a
/// second pass over other cases.
fn select_single(case: &mut dyn Case, block: Block) -> Selected {
    let Some(lock) = case.lock().map(|l| l as *const RawLock) else {
        // A nil channel: nothing can ever happen.
        return park_until(block);
    };
    // SAFETY: the lock belongs to the channel the case borrows, which
    // outlives this call.
    let lock = unsafe { &*lock };
    let mut wake = Wake::default();
    lock.lock();
    // SAFETY: the channel's lock is held.
    let polled = unsafe { case.poll(&mut wake) };
    let deadline = match (polled, block) {
        (Poll::Pending, Block::Forever) => None,
        (Poll::Pending, Block::Until(d)) => Some(d),
        (polled, _) => {
            // SAFETY: locked above.
            unsafe { lock.unlock() };
            wake.wake_all();
            return match polled {
                Poll::Ready => Selected::Case(0),
                Poll::SendOnClosed => Selected::SendOnClosed(0),
                Poll::Pending => Selected::Nothing,
            };
        }
    };
    let waiting = Waiting::new(true);
    // SAFETY: the channel's lock is held.
    unsafe { case.enqueue(&waiting, 0, &mut wake) };
    // SAFETY: locked above.
    unsafe { lock.unlock() };
    wake.wake_all();

    let gave_up = !wait_done(&waiting, deadline, || {
        lock.lock();
        let timed_out = waiting.time_out();
        if timed_out {
            // SAFETY: locked; we timed out, so the case was not claimed.
            unsafe { case.dequeue() };
        }
        // SAFETY: locked above.
        unsafe { lock.unlock() };
        timed_out
    });
    if gave_up {
        return Selected::Nothing;
    }
    let (_, closed) = waiting.chosen();
    // SAFETY: `waiting` was claimed for our one case and is done; its
    // entry left the queue when claimed.
    let r = unsafe { case.claimed(closed) };
    Waiting::recycle(waiting);
    match r {
        Poll::Ready => Selected::Case(0),
        Poll::SendOnClosed => Selected::SendOnClosed(0),
        Poll::Pending => unreachable!("a claimed case has happened"),
    }
}

/// Waits until `waiting` is done. A counterpart often arrives within
/// microseconds, and sleeping in the kernel and being woken costs more than
/// that, so it spins a little on its own state first (crossbeam's Backoff,
/// Go's runtime lock), then parks. An OS thread whose recent yields gave
/// its processor away for a time slice (a busy machine) skips the yields
/// and parks sooner (`spin::yields_pay`). Once `deadline` has passed it calls
/// `time_out`, which under the select's locks either takes the operation's
/// entries out (true: this returns false) or finds a case claimed just in
/// time, completed under a lock it now held (false: wait on, done at once).
fn wait_done(
    waiting: &Waiting,
    deadline: Option<Instant>,
    mut time_out: impl FnMut() -> bool,
) -> bool {
    let mut iter = 0;
    while !waiting.is_done() {
        if spin::can_spin_waiting(iter) {
            spin::spin_waiting(iter, || waiting.is_done());
            iter += 1;
            continue;
        }
        if !Waiter::park(deadline) && time_out() {
            return false;
        }
    }
    true
}

/// A select with only nil channels: it waits out `block`, and nothing
/// happens.
fn park_until(block: Block) -> Selected {
    let deadline = match block {
        Block::No => return Selected::Nothing,
        Block::Forever => None,
        Block::Until(d) => Some(d),
    };
    while Waiter::park(deadline) {}
    Selected::Nothing
}

/// Polls lock-free cases without locks, in `order`. A select that may
/// wait polls again with backoff for a while (crossbeam's approach): on a
/// buffered channel the counterpart usually frees a slot or sends a value
/// within a microsecond, far sooner than queueing, parking and being woken.
/// `None`: take the locked path.
fn poll_lock_free(cases: &mut [&mut dyn Case], order: &Order, block: Block) -> Option<Selected> {
    backoff_poll(block, || {
        for i in order.iter() {
            // A nil channel's case is Pending here, as every time.
            match cases[i].poll_fast() {
                Poll::Pending => {}
                Poll::Ready => return Some(Selected::Case(i)),
                Poll::SendOnClosed => return Some(Selected::SendOnClosed(i)),
            }
        }
        None
    })
}

/// Runs `round` (one lock-free poll of every case; `Some` when one
/// happened) until it succeeds, `block` says not to wait, or backing off has
/// gone on long enough (`None`: take the locked path).
fn backoff_poll(block: Block, mut round: impl FnMut() -> Option<Selected>) -> Option<Selected> {
    let mut backoff = Backoff::new();
    loop {
        if let Some(done) = round() {
            return Some(done);
        }
        if let Block::No = block {
            return Some(Selected::Nothing);
        }
        if backoff.is_completed() {
            return None;
        }
        if let Block::Until(d) = block {
            if clock::now() >= d {
                return Some(Selected::Nothing);
            }
        }
        backoff.snooze();
    }
}

/// The engine proper: poll under every channel's lock, then queue and wait.
fn select_locked(cases: &mut [&mut dyn Case], block: Block, order: Order) -> Selected {
    let locks = Locks::of(cases);
    let n = cases.len();
    let mut wake = Wake::default();

    // Go's pollorder: a uniformly random permutation, so that each ready
    // case is equally likely to be found first, whatever the others are.
    locks.lock_all();
    if n > 0 {
        for i in order.iter() {
            if cases[i].lock().is_none() {
                continue;
            }
            // SAFETY: every channel's lock is held (`lock_all`).
            match unsafe { cases[i].poll(&mut wake) } {
                Poll::Pending => {}
                Poll::Ready => {
                    locks.unlock_all();
                    wake_all(wake);
                    return Selected::Case(i);
                }
                Poll::SendOnClosed => {
                    locks.unlock_all();
                    wake_all(wake);
                    return Selected::SendOnClosed(i);
                }
            }
        }
    }
    let deadline = match block {
        Block::No => {
            locks.unlock_all();
            // Polling a buffered channel services its queues, which may
            // have completed other operations.
            wake_all(wake);
            return Selected::Nothing;
        }
        Block::Forever => None,
        Block::Until(d) => Some(d),
    };
    if locks.is_empty() {
        // Only nil channels: nothing can ever happen.
        return park_until(block);
    }

    let waiting = Waiting::new(locks.as_slice().len() == 1);
    // Queue in the random order too: when several cases share a channel, a
    // counterpart takes whichever is queued first, and that must not
    // always be the first-listed one.
    for i in order.iter() {
        // SAFETY: every channel's lock is held (`lock_all`).
        unsafe { cases[i].enqueue(&waiting, i, &mut wake) };
    }
    locks.unlock_all();
    wake_all(std::mem::take(&mut wake));

    let gave_up = !wait_done(&waiting, deadline, || {
        locks.lock_all();
        let timed_out = waiting.time_out();
        if timed_out {
            for case in cases.iter_mut() {
                // SAFETY: locks held; we timed out, so no case was claimed.
                unsafe { case.dequeue() };
            }
        }
        locks.unlock_all();
        timed_out
    });
    if gave_up {
        return Selected::Nothing;
    }

    let (chosen, closed) = waiting.chosen();
    if n > 1 {
        // Take the other cases' entries out of their queues. (A plain send
        // or receive has none: its one entry left its queue when claimed.)
        locks.lock_all();
        for (i, case) in cases.iter_mut().enumerate() {
            if i != chosen {
                // SAFETY: locks held; `waiting` was claimed for `chosen` only.
                unsafe { case.dequeue() };
            }
        }
        locks.unlock_all();
    }
    // SAFETY: `waiting` was claimed for `chosen` and is done.
    let r = unsafe { cases[chosen].claimed(closed) };
    Waiting::recycle(waiting);
    match r {
        Poll::Ready => Selected::Case(chosen),
        Poll::SendOnClosed => Selected::SendOnClosed(chosen),
        Poll::Pending => unreachable!("a claimed case has happened"),
    }
}

#[cfg(all(test, not(loom)))]
// These tests drive channels from plain threads on purpose.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use crate::chan::Chan;

    fn recv2<T>(a: &Chan<T>, b: &Chan<T>, block: Block) -> (Selected, Option<T>) {
        let mut ca = RecvCase::new(a.raw());
        let mut cb = RecvCase::new(b.raw());
        let r = select(&mut [&mut ca, &mut cb], block);
        let v = match r {
            Selected::Case(0) => ca.into_result(),
            Selected::Case(1) => cb.into_result(),
            _ => None,
        };
        (r, v)
    }

    #[test]
    fn picks_the_ready_case_and_skips_nil() {
        let (a, b) = (Chan::new(1), Chan::new(1));
        b.send(2);
        assert_eq!(recv2(&a, &b, Block::No), (Selected::Case(1), Some(2)));
        assert_eq!(recv2(&a, &b, Block::No), (Selected::Nothing, None));
        let nil = Chan::nil();
        a.send(1);
        assert_eq!(
            recv2(&nil, &a, Block::Forever),
            (Selected::Case(1), Some(1))
        );
    }

    /// Every order is a permutation, and for 4 cases each of the 24 comes
    /// up about equally often; a 20-case order (heap) is a permutation too.
    #[test]
    fn orders_are_uniform_permutations() {
        let mut counts = std::collections::HashMap::new();
        for _ in 0..48_000 {
            let o: Vec<usize> = Order::random(4).iter().collect();
            let mut sorted = o.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2, 3]);
            *counts.entry(o).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), 24);
        // 2,000 expected each; outside 1,600..2,400 is a >9-sigma event.
        assert!(
            counts.values().all(|&c| (1_600..=2_400).contains(&c)),
            "{counts:?}"
        );
        for n in [0, 1, 16, 20] {
            let mut o: Vec<usize> = Order::random(n).iter().collect();
            o.sort_unstable();
            assert_eq!(o, (0..n).collect::<Vec<_>>());
        }
    }

    /// Go's TestSelectFairness, by counts: with both cases always ready,
    /// each is chosen about half the time.
    #[test]
    fn ready_cases_are_chosen_uniformly() {
        let (a, b) = (Chan::new(1), Chan::new(1));
        let mut counts = [0u32; 2];
        for _ in 0..10_000 {
            a.try_send(0).ok();
            b.try_send(1).ok();
            match recv2(&a, &b, Block::No).0 {
                Selected::Case(i) => counts[i] += 1,
                other => panic!("{other:?}"),
            }
        }
        // 10,000 fair coin flips: outside 4,000..6,000 is a >20-sigma event.
        assert!(
            counts.iter().all(|&c| (4_000..=6_000).contains(&c)),
            "{counts:?}"
        );
    }

    /// A blocked select over two channels, each with a sender racing to
    /// complete it: the select takes exactly one value, and the other is
    /// still there for a plain receive (were it taken too, that receive
    /// would find nothing and fail after `PATIENCE`).
    #[test]
    fn a_blocked_select_completes_exactly_one_case() {
        const PATIENCE: Duration = Duration::from_secs(60);
        for _ in 0..200 {
            let (a, b) = (Chan::new(0), Chan::new(0));
            let senders: Vec<_> = [(a.clone(), 1), (b.clone(), 2)]
                .into_iter()
                .map(|(ch, v)| std::thread::spawn(move || ch.send(v)))
                .collect();
            let (r, v) = recv2(&a, &b, Block::Forever);
            let (other, left) = match r {
                Selected::Case(0) => (&b, 2),
                Selected::Case(1) => (&a, 1),
                other => panic!("{other:?}"),
            };
            assert_eq!(v, Some(3 - left));
            assert_eq!(other.recv_timeout(PATIENCE), Ok(left));
            for t in senders {
                t.join().unwrap();
            }
        }
    }

    /// The same channel in a send case and a receive case of one select
    /// (TestSelectDuplicateChannel): a select never pairs with itself.
    #[test]
    fn duplicate_channel_in_one_select() {
        let c = Chan::<i32>::new(0);
        let mut send = SendCase::new(c.raw(), 1);
        let mut recv = RecvCase::new(c.raw());
        let r = select(
            &mut [&mut send, &mut recv],
            Block::Until(crate::rt::clock::now() + Duration::from_millis(10)),
        );
        assert_eq!(r, Selected::Nothing);
        assert_eq!(send.into_unsent(), Some(1), "the unsent value comes back");
        // And the queues are clean: a plain exchange still works.
        let tx = c.clone();
        let t = std::thread::spawn(move || tx.send(3));
        assert_eq!(c.recv(), Some(3));
        t.join().unwrap();
    }

    #[test]
    fn send_case_on_closed_channel_is_reported() {
        let (a, b) = (Chan::new(0), Chan::<u8>::new(0));
        a.close();
        let mut s = SendCase::new(a.raw(), 1u8);
        let mut r = RecvCase::new(b.raw());
        assert_eq!(
            select(&mut [&mut s, &mut r], Block::Forever),
            Selected::SendOnClosed(0)
        );
    }

    use std::time::Duration;
}
