//! A buffered channel's values: a bounded lock-free ring (Vyukov's
//! array queue, the design of crossbeam-channel's `bounded`).
//!
//! Go keeps a channel's buffer under the channel lock. Here the buffer sits
//! outside it, so a send into free space or a receive of a buffered value
//! touches no lock at all; the lock guards only the queues of blocked
//! operations (see `hchan`).
//!
//! Each slot has a *stamp*. A position is `lap | index` (plus a mark bit in
//! `tail` once the channel is closed). Slot `index` is free for the sender
//! at position `p` when its stamp equals `p`, and holds a value for the
//! receiver at position `p` when its stamp equals `p + 1`; the receiver
//! frees it for the next lap by storing `p + one_lap`.
//!
//! The stamps carry Go's memory model for buffered channels: a send stores
//! its value and then the stamp (Release), and the receive that loads that
//! stamp (Acquire) sees the value, so the send happens before the receive
//! completes; the receive's stamp store (Release) is what the sender a lap
//! later waits for (Acquire), so the k-th receive happens before the
//! (k + cap)-th send completes.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering};
use crate::rt::spin::Backoff;

struct Slot<T> {
    /// The stamp minus the slot's index, so that a zeroed slot is free for
    /// lap 0 and a new ring needs no writes (see `Ring::zeroed_slots`).
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> Slot<T> {
    /// The slot's stamp (Acquire), for slot number `index`.
    #[inline]
    fn stamp(&self, index: usize) -> usize {
        self.stamp.load(Ordering::Acquire).wrapping_add(index)
    }

    /// Stores the slot's stamp (Release), for slot number `index`.
    #[inline]
    fn set_stamp(&self, index: usize, stamp: usize) {
        self.stamp
            .store(stamp.wrapping_sub(index), Ordering::Release);
    }
}

/// Slots per 4 KiB page (at least 1): the stride of [`Ring::touch`].
#[allow(non_snake_case)]
const fn PAGE_SLOTS<T>() -> usize {
    let n = 4096 / std::mem::size_of::<Slot<T>>();
    if n == 0 {
        1
    } else {
        n
    }
}

/// Rings up to this size (1 GiB) are faulted in when made; see
/// [`Ring::touch`].
const EAGER_BYTES: usize = 1 << 30;

/// A ring of zero-sized values closes by this bit of `tail`; below it,
/// `tail` is the number of values buffered.
const ZST_MARK: usize = 1 << (usize::BITS - 1);

/// Why a push did not happen.
pub(crate) enum PushError<T> {
    Full(T),
    Closed(T),
}

/// Why a pop did not happen.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PopError {
    Empty,
    /// Closed and drained.
    Closed,
}

pub(crate) struct Ring<T> {
    /// The next position to receive from.
    head: CachePadded<AtomicUsize>,
    /// The next position to send to, with `mark_bit` set once closed.
    tail: CachePadded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    cap: usize,
    /// Above every index: `(cap + 1).next_power_of_two()`.
    mark_bit: usize,
    /// `2 * mark_bit`: adding it moves a position to the next lap.
    one_lap: usize,
}

// SAFETY: the ring moves `T`s between threads (`T: Send`); a slot's value
// is touched only by the one thread whose CAS on `head` or `tail` won its
// position, and the stamps order those accesses (module docs).
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// A ring of `cap` slots, allocated now as Go allocates a channel's
    /// whole buffer in `make`, but zeroed, so the OS provides the pages as
    /// they are first used. Panics with Go's message if that cannot be.
    pub(crate) fn new(cap: usize) -> Ring<T> {
        assert!(cap > 0, "a ring has room for at least one value");
        let (mark_bit, slots) = if Self::COUNTS {
            // Zero-sized values need no slots: `tail` counts them, below
            // this mark (Go allows any capacity for `chan struct{}`).
            (ZST_MARK, Box::default())
        } else {
            let mark_bit = cap
                .checked_add(1)
                .and_then(usize::checked_next_power_of_two)
                .filter(|m| m.checked_mul(2).is_some())
                .unwrap_or_else(|| panic!("makechan: size out of range"));
            (mark_bit, Self::zeroed_slots(cap))
        };
        let ring = Ring {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            slots,
            cap: if Self::COUNTS {
                cap.min(ZST_MARK - 1)
            } else {
                cap
            },
            mark_bit,
            one_lap: mark_bit.wrapping_mul(2),
        };
        // Fault the buffer in now, while one thread does it undisturbed,
        // unless it is so large that Go's lazy way is the better deal.
        let eager = if cap.saturating_mul(std::mem::size_of::<Slot<T>>()) <= EAGER_BYTES {
            cap
        } else {
            1
        };
        for index in (0..eager).step_by(PAGE_SLOTS::<T>()) {
            ring.touch(index);
        }
        ring
    }

    /// Makes the page of slot `index` (if there is one) writable memory.
    ///
    /// A zeroed ring's pages are the kernel's shared zero page until first
    /// written. `new` writes them all when the buffer is at most
    /// [`EAGER_BYTES`]: faulting pages in while the channel is in use slows
    /// senders and receivers (`boundedN_spsc`, 5M slots: 45 ns per message
    /// lazily against 32 ns eagerly, medians of 6 runs). A larger buffer is
    /// left to fault in as used, as Go's would; there, a receiver that looks
    /// at a slot before any sender wrote to it (an empty channel) would map
    /// the zero page, and the sender's first write would then replace it on
    /// every CPU: a TLB shootdown, microseconds each (it made
    /// `boundedN_spsc` 2.5x slower). So the first lap writes one page ahead
    /// of the senders, with a CAS that leaves the stamp as it is (x86 writes
    /// the line even when the CAS fails).
    #[inline]
    fn touch(&self, index: usize) {
        if !cfg!(loom) && !Self::COUNTS && index < self.cap {
            // A CAS that stores what is there: LLVM turns an idempotent
            // `fetch_add(0)` into a plain load, which would not do.
            let stamp = &self.slots[index].stamp;
            let _ = stamp.compare_exchange(0, 0, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// Whether values are zero-sized, and the ring merely counts them.
    const COUNTS: bool = std::mem::size_of::<T>() == 0;

    #[cfg(not(loom))]
    fn zeroed_slots(cap: usize) -> Box<[Slot<T>]> {
        let layout = std::alloc::Layout::array::<Slot<T>>(cap)
            .unwrap_or_else(|_| panic!("makechan: size out of range"));
        // SAFETY: the layout has a nonzero size (`cap > 0`, and a slot holds
        // at least its stamp).
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<Slot<T>>();
        if ptr.is_null() {
            panic!("makechan: size out of range");
        }
        // SAFETY: `ptr` is a fresh allocation of `cap` slots with the
        // global allocator's layout for `[Slot<T>]`, and all-zero bytes are
        // a valid slot: stamp 0 (free for lap 0, see `stamp`), no value.
        unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, cap)) }
    }

    #[cfg(loom)]
    fn zeroed_slots(cap: usize) -> Box<[Slot<T>]> {
        (0..cap)
            .map(|_| Slot {
                stamp: AtomicUsize::new(0),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect()
    }

    /// The position after `pos` (same lap, or index 0 of the next lap).
    #[inline]
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.mark_bit - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// Appends `value`, unless the ring is full or closed.
    #[inline]
    pub(crate) fn push(&self, value: T) -> Result<(), PushError<T>> {
        if Self::COUNTS {
            return self.push_count(value);
        }
        let mut backoff = Backoff::new();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.mark_bit != 0 {
                return Err(PushError::Closed(value));
            }
            let index = tail & (self.mark_bit - 1);
            let slot = &self.slots[index];
            let stamp = slot.stamp(index);
            if stamp == tail {
                // Free for this lap: claim the position.
                match self.tail.compare_exchange_weak(
                    tail,
                    self.next(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: winning the CAS made this position ours,
                        // and the stamp says its last value was taken.
                        unsafe { (*slot.value.get()).write(value) };
                        slot.set_stamp(index, tail + 1);
                        if tail < self.one_lap && index % PAGE_SLOTS::<T>() == 0 {
                            self.touch(index + PAGE_SLOTS::<T>());
                        }
                        return Ok(());
                    }
                    Err(t) => {
                        tail = t;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // The slot still holds last lap's value: full, unless a
                // receiver has moved on since we read `tail`.
                fence(Ordering::SeqCst);
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.one_lap) == tail {
                    return Err(PushError::Full(value));
                }
                backoff.spin();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another sender took this position and has not written
                // yet, or we read a stale tail: look again.
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Takes the oldest value, unless the ring is empty.
    #[inline]
    pub(crate) fn pop(&self) -> Result<T, PopError> {
        if Self::COUNTS {
            return self.pop_count();
        }
        let mut backoff = Backoff::new();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let index = head & (self.mark_bit - 1);
            let slot = &self.slots[index];
            let stamp = slot.stamp(index);
            if stamp == head + 1 {
                // Written for this lap: claim the position.
                match self.head.compare_exchange_weak(
                    head,
                    self.next(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: winning the CAS made this position ours,
                        // and the stamp says its value is written.
                        let value = unsafe { (*slot.value.get()).assume_init_read() };
                        slot.set_stamp(index, head.wrapping_add(self.one_lap));
                        return Ok(value);
                    }
                    Err(h) => {
                        head = h;
                        backoff.spin();
                    }
                }
            } else if stamp == head {
                // Not written this lap: empty, unless a sender has moved on
                // since we read `head`.
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Relaxed);
                if tail & !self.mark_bit == head {
                    return Err(if tail & self.mark_bit != 0 {
                        PopError::Closed
                    } else {
                        PopError::Empty
                    });
                }
                backoff.spin();
                head = self.head.load(Ordering::Relaxed);
            } else {
                // A sender claimed the position and is still writing, or
                // we read a stale head: look again.
                backoff.snooze();
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// `push` for zero-sized values: one CAS on the count.
    fn push_count(&self, value: T) -> Result<(), PushError<T>> {
        let mut backoff = Backoff::new();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & ZST_MARK != 0 {
                return Err(PushError::Closed(value));
            }
            if tail >= self.cap {
                // SeqCst, as the ring's full check (the service protocol
                // in `hchan` relies on it).
                fence(Ordering::SeqCst);
                let again = self.tail.load(Ordering::Relaxed);
                if again != tail {
                    tail = again;
                    continue;
                }
                return Err(PushError::Full(value));
            }
            match self.tail.compare_exchange_weak(
                tail,
                tail + 1,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    // The count stands for the value; `pop_count` makes it
                    // anew (a zero-sized value has no bytes to keep).
                    std::mem::forget(value);
                    return Ok(());
                }
                Err(t) => {
                    tail = t;
                    backoff.spin();
                }
            }
        }
    }

    /// `pop` for zero-sized values.
    fn pop_count(&self) -> Result<T, PopError> {
        let mut backoff = Backoff::new();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & !ZST_MARK == 0 {
                // SeqCst, as the ring's empty check (the service protocol
                // in `hchan` relies on it).
                fence(Ordering::SeqCst);
                let again = self.tail.load(Ordering::Relaxed);
                if again != tail {
                    tail = again;
                    continue;
                }
                return Err(if tail & ZST_MARK != 0 {
                    PopError::Closed
                } else {
                    PopError::Empty
                });
            }
            match self.tail.compare_exchange_weak(
                tail,
                tail - 1,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                // SAFETY: a zero-sized value is read from any aligned
                // pointer, and the count said one was pushed (and forgotten).
                Ok(_) => return Ok(unsafe { std::ptr::NonNull::<T>::dangling().as_ptr().read() }),
                Err(t) => {
                    tail = t;
                    backoff.spin();
                }
            }
        }
    }

    /// Marks the ring closed: every later push fails. Returns false if it
    /// already was.
    pub(crate) fn close(&self) -> bool {
        self.tail.fetch_or(self.mark_bit, Ordering::SeqCst) & self.mark_bit == 0
    }

    /// How many values are buffered (a snapshot).
    pub(crate) fn len(&self) -> usize {
        if Self::COUNTS {
            return self.tail.load(Ordering::SeqCst) & !ZST_MARK;
        }
        loop {
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            // A consistent pair: tail did not move while we read head.
            if self.tail.load(Ordering::SeqCst) == tail {
                let hix = head & (self.mark_bit - 1);
                let tix = tail & (self.mark_bit - 1);
                return if hix < tix {
                    tix - hix
                } else if hix > tix {
                    self.cap - hix + tix
                } else if tail & !self.mark_bit == head {
                    0
                } else {
                    self.cap
                };
            }
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        if !std::mem::needs_drop::<T>() {
            return;
        }
        let len = self.len();
        if Self::COUNTS {
            for _ in 0..len {
                // SAFETY: a zero-sized value is read from any aligned
                // pointer; `len` values were pushed and not popped.
                drop(unsafe { std::ptr::NonNull::<T>::dangling().as_ptr().read() });
            }
            return;
        }
        let head = self.head.load(Ordering::Relaxed) & (self.mark_bit - 1);
        for i in 0..len {
            let index = (head + i) % self.cap;
            // SAFETY: we have `&mut self`; the `len` slots from `head` on
            // hold values written and not taken.
            unsafe { (*self.slots[index].value.get()).assume_init_drop() };
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_wraps_and_reports_full_and_empty() {
        let r = Ring::new(3);
        for lap in 0..5 {
            for i in 0..3 {
                assert!(r.push(lap * 10 + i).is_ok());
            }
            assert!(matches!(r.push(99), Err(PushError::Full(99))));
            assert_eq!(r.len(), 3);
            for i in 0..3 {
                assert_eq!(r.pop(), Ok(lap * 10 + i));
            }
            assert_eq!(r.pop(), Err(PopError::Empty));
            assert_eq!(r.len(), 0);
        }
    }

    #[test]
    fn close_stops_pushes_and_drains() {
        let r = Ring::new(2);
        r.push(1).ok().unwrap();
        assert!(r.close());
        assert!(!r.close());
        assert!(matches!(r.push(2), Err(PushError::Closed(2))));
        assert_eq!(r.pop(), Ok(1));
        assert_eq!(r.pop(), Err(PopError::Closed));
    }

    #[test]
    fn drop_frees_what_is_left() {
        use std::sync::Arc;
        let v = Arc::new(());
        let r = Ring::new(4);
        for _ in 0..6 {
            // Wrap around so the live values straddle the end.
            r.push(Arc::clone(&v)).ok().unwrap();
            if Arc::strong_count(&v) > 4 {
                drop(r.pop().unwrap());
            }
        }
        assert_eq!(Arc::strong_count(&v), 4);
        drop(r);
        assert_eq!(Arc::strong_count(&v), 1);
    }

    #[test]
    fn zero_sized_values_are_counted() {
        let r = Ring::<()>::new(usize::MAX);
        for _ in 0..3 {
            assert!(r.push(()).is_ok());
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.pop(), Ok(()));
        assert!(r.close());
        assert!(matches!(r.push(()), Err(PushError::Closed(()))));
        assert_eq!(
            (r.pop(), r.pop(), r.pop()),
            (Ok(()), Ok(()), Err(PopError::Closed))
        );

        let small = Ring::<()>::new(1);
        assert!(small.push(()).is_ok());
        assert!(matches!(small.push(()), Err(PushError::Full(()))));
    }

    #[test]
    fn huge_capacity_panics_like_go() {
        let err = std::panic::catch_unwind(|| Ring::<u64>::new(usize::MAX / 2))
            .err()
            .expect("no such buffer can be allocated");
        let msg = err.downcast_ref::<&str>().copied().map(str::to_owned);
        let msg = msg.or_else(|| err.downcast_ref::<String>().cloned());
        assert_eq!(msg.as_deref(), Some("makechan: size out of range"));
    }
}
