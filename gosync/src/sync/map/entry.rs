//! One key of a [`Map`](super::Map) and the state machine of its value.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use crossbeam_epoch::Guard;

use crate::rt::hb;

/// A value, where readers find it through [`Entry::p`]: the entry's own
/// [`Entry::first`], or a slot of its own on the heap.
///
/// Aligned to at least 2 so that no `Slot` lives at address 1, which
/// [`expunged`] takes as its mark (a zero-sized `Slot` sits at its
/// alignment, 2 or more).
#[repr(align(2))]
pub(super) struct Slot<V> {
    value: V,
}

impl<V> Slot<V> {
    pub(super) fn boxed(value: V) -> *mut Slot<V> {
        Box::into_raw(Box::new(Slot { value }))
    }
}

/// Takes back a slot that was never published (a failed store), and its value.
///
/// # Safety
///
/// `slot` came from [`Slot::boxed`] and no other thread has seen it.
pub(super) unsafe fn unbox<V>(slot: *mut Slot<V>) -> V {
    // SAFETY: the caller's contract: we own the allocation alone.
    unsafe { Box::from_raw(slot) }.value
}

/// The mark of a deleted entry that the dirty table does not hold (Go's
/// `expunged`): address 1, where no [`Slot`] can be.
fn expunged<V>() -> *mut Slot<V> {
    ptr::null_mut::<Slot<V>>().wrapping_byte_add(1)
}

fn is_live<V>(p: *mut Slot<V>) -> bool {
    !p.is_null() && p != expunged()
}

/// One key and its current value, shared (through `Arc`) by the read-only
/// snapshot and the dirty table of a [`Map`](super::Map), as Go's `*entry`.
///
/// `p`, the value pointer, is Go's `entry.p`:
///
/// | `p`           | meaning                               | changes                                      |
/// |---------------|---------------------------------------|----------------------------------------------|
/// | a [`Slot`]    | the key holds this value              | to another slot or to null, by anyone, by CAS |
/// | null          | deleted; if a dirty table exists, it holds this entry | to a slot by anyone; to expunged only under the map's lock |
/// | [`expunged`]  | deleted, and the dirty table does not hold this entry | back to null only under the map's lock, which then adds the entry to the dirty table |
///
/// So an entry that is not expunged is in the dirty table whenever there is
/// one, and an update of a key that the read-only snapshot holds needs no
/// lock unless the entry is expunged.
///
/// The first value lives in the entry itself ([`Entry::first`]), so that a
/// load of a key written once touches one cache line fewer; later values
/// get heap slots. `p` never points back at `first` once it has left it.
/// A value that is replaced is dropped (and a heap slot freed) through the
/// epoch, once no reader can hold it, or at once when the entry itself is
/// dropped (no reader can reach the entry then).
pub(super) struct Entry<K, V> {
    /// `key`'s hash under the map's hasher, kept so that building a table
    /// from another needs no rehashing.
    pub(super) hash: u64,
    pub(super) key: K,
    /// See the table above. Owns the heap slot it points to; `first`'s
    /// value is owned by whoever moved `p` off it, or by the entry while
    /// `p` points at it.
    p: AtomicPtr<Slot<V>>,
    /// The value the entry was made with. Dropped in place: by the epoch
    /// after `p` has left it, or with the entry while `p` still points at
    /// it.
    first: UnsafeCell<ManuallyDrop<Slot<V>>>,
    /// The entry owns `V`s (through `p`), for auto traits and drop check.
    _owns: PhantomData<V>,
}

/// What [`Entry::try_load_or_store`] did.
pub(super) enum LoadOrStore<'g, V> {
    /// The key held this value, which stays.
    Loaded(&'g V),
    /// The key held no value; now it holds this one, the caller's.
    Stored(&'g V),
}

impl<K, V> Entry<K, V> {
    /// An entry holding `value`, in place.
    pub(super) fn new(hash: u64, key: K, value: V) -> Arc<Entry<K, V>> {
        let e = Arc::new(Entry {
            hash,
            key,
            p: AtomicPtr::new(ptr::null_mut()),
            first: UnsafeCell::new(ManuallyDrop::new(Slot { value })),
            _owns: PhantomData,
        });
        // The first value is written (Go's `newEntry` stores it atomically)
        // before a reader that finds it through a snapshot, with no lock,
        // acquires the entry.
        e.hb_release();
        // Relaxed: the entry is not shared yet; it is published under the
        // map's lock or through a snapshot (Release).
        e.p.store(e.first_slot(), Ordering::Relaxed);
        e
    }

    /// A write to `p` happens before the reads that observe it: reported
    /// on the entry's address (methods called on an `&Arc` still name the
    /// entry, not the `Arc`).
    fn hb_release(&self) {
        hb::release(self);
    }

    /// This read observed a write to `p`.
    fn hb_acquire(&self) {
        hb::acquire(self);
    }

    /// Where `first` is (`ManuallyDrop` is `repr(transparent)`).
    fn first_slot(&self) -> *mut Slot<V> {
        self.first.get().cast()
    }

    /// The current value, if any (Go's `entry.load`).
    pub(super) fn load<'g>(&'g self, guard: &'g Guard) -> Option<&'g V> {
        // Acquire: the slot's contents were written before it was published.
        let p = self.p.load(Ordering::Acquire);
        if !is_live(p) {
            return None;
        }
        // Observing a value is after the write that stored it.
        self.hb_acquire();
        // SAFETY: `p` is live, and slots are freed only through the epoch
        // after being unpublished, or with the entry, which `&self` keeps.
        Some(unsafe { slot_ref(p, guard) })
    }

    /// Stores the value that `value` holds unless the key holds one, which
    /// it returns then (Go's `tryLoadOrStore`); `None` if the entry is
    /// expunged. A value it does not store stays in `value`, for the caller
    /// to drop where it may.
    pub(super) fn try_load_or_store<'g>(
        &'g self,
        value: &mut Option<V>,
        guard: &'g Guard,
    ) -> Option<LoadOrStore<'g, V>> {
        // Acquire: as `load`.
        let p = self.p.load(Ordering::Acquire);
        if p == expunged() {
            return None;
        }
        if !p.is_null() {
            self.hb_acquire();
            // SAFETY: `p` is live; see `load`.
            return Some(LoadOrStore::Loaded(unsafe { slot_ref(p, guard) }));
        }
        let slot = Slot::boxed(value.take().expect("a value to store"));
        self.hb_release();
        // A strong CAS: failing, it reports a non-null value, so Go's retry
        // loop is not needed. AcqRel: publish our slot (Release); on
        // failure, read the winner's (Acquire).
        match self
            .p
            .compare_exchange(ptr::null_mut(), slot, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: we just published `slot`; the guard keeps it until it
            // is dropped, even if another thread replaces it at once.
            Ok(_) => Some(LoadOrStore::Stored(unsafe { slot_ref(slot, guard) })),
            Err(cur) => {
                // SAFETY: `slot` was never published.
                *value = Some(unsafe { unbox(slot) });
                if cur == expunged() {
                    return None;
                }
                self.hb_acquire();
                // SAFETY: `cur` is live; see `load`.
                Some(LoadOrStore::Loaded(unsafe { slot_ref(cur, guard) }))
            }
        }
    }

    /// Replaces the value with `slot` unless the entry is expunged, and
    /// returns the previous value (Go's `trySwap`). Hands `slot` back if the
    /// entry is expunged.
    pub(super) fn try_swap<'g>(
        self: &'g Arc<Self>,
        slot: *mut Slot<V>,
        guard: &'g Guard,
    ) -> Result<Option<&'g V>, *mut Slot<V>>
    where
        K: Send + 'static,
        V: Send + 'static,
    {
        self.hb_release();
        // Relaxed: only a guess for the CAS, which reads it again.
        let mut p = self.p.load(Ordering::Relaxed);
        loop {
            if p == expunged() {
                return Err(slot);
            }
            // AcqRel: publish `slot` (Release), and read the old value
            // that we hand back (Acquire).
            match self
                .p
                .compare_exchange_weak(p, slot, Ordering::AcqRel, Ordering::Relaxed)
            {
                // SAFETY: `p` was the published value until now.
                Ok(_) => return Ok(unsafe { self.retired(p, guard) }),
                Err(cur) => p = cur,
            }
        }
    }

    /// Replaces the value with `slot` and returns the previous value (Go's
    /// `swapLocked`): the map's lock is held, so the entry is not expunged.
    pub(super) fn swap_locked<'g>(
        self: &'g Arc<Self>,
        slot: *mut Slot<V>,
        guard: &'g Guard,
    ) -> Option<&'g V>
    where
        K: Send + 'static,
        V: Send + 'static,
    {
        self.hb_release();
        // AcqRel: publish `slot`, read the old value.
        let p = self.p.swap(slot, Ordering::AcqRel);
        debug_assert!(p != expunged(), "only the lock holder expunges");
        // SAFETY: `p` was the published value until now.
        unsafe { self.retired(p, guard) }
    }

    /// Deletes the value and returns it (Go's `entry.delete`).
    pub(super) fn delete<'g>(self: &'g Arc<Self>, guard: &'g Guard) -> Option<&'g V>
    where
        K: Send + 'static,
        V: Send + 'static,
    {
        // Acquire: we hand back the value.
        let mut p = self.p.load(Ordering::Acquire);
        self.hb_release();
        loop {
            if !is_live(p) {
                return None;
            }
            // Release: the deletion is seen after what preceded it;
            // Acquire on failure: as the load above.
            match self.p.compare_exchange_weak(
                p,
                ptr::null_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                // SAFETY: `p` was the published value until now.
                Ok(_) => return unsafe { self.retired(p, guard) },
                Err(cur) => p = cur,
            }
        }
    }

    /// Replaces the value with `new` if it equals `old` (Go's
    /// `tryCompareAndSwap`); hands `new` back if not, for the caller to drop
    /// where it may.
    pub(super) fn try_compare_and_swap(
        self: &Arc<Self>,
        old: &V,
        new: V,
        guard: &Guard,
    ) -> Result<(), V>
    where
        K: Send + 'static,
        V: PartialEq + Send + 'static,
    {
        // Acquire: we read the value to compare it.
        let mut p = self.p.load(Ordering::Acquire);
        // SAFETY: `p` is live when dereferenced; see `load`.
        if !is_live(p) || unsafe { slot_ref(p, guard) } != old {
            return Err(new);
        }
        self.hb_acquire();
        let slot = Slot::boxed(new);
        self.hb_release();
        loop {
            // AcqRel: publish `slot`; on failure read the value to compare.
            match self
                .p
                .compare_exchange_weak(p, slot, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    // SAFETY: `p` was the published value until now.
                    unsafe { self.retired(p, guard) };
                    return Ok(());
                }
                Err(cur) => {
                    p = cur;
                    // SAFETY: `p` is live when dereferenced; see `load`.
                    if !is_live(p) || unsafe { slot_ref(p, guard) } != old {
                        // SAFETY: `slot` was never published.
                        return Err(unsafe { unbox(slot) });
                    }
                }
            }
        }
    }

    /// Deletes the value if it equals `old` (the loop of Go's
    /// `CompareAndDelete`).
    pub(super) fn compare_and_delete(self: &Arc<Self>, old: &V, guard: &Guard) -> bool
    where
        K: Send + 'static,
        V: PartialEq + Send + 'static,
    {
        // Acquire: we read the value to compare it.
        let mut p = self.p.load(Ordering::Acquire);
        loop {
            // SAFETY: `p` is live when dereferenced; see `load`.
            if !is_live(p) || unsafe { slot_ref(p, guard) } != old {
                return false;
            }
            self.hb_acquire();
            self.hb_release();
            // AcqRel: publish the deletion; on failure read the value to
            // compare.
            match self.p.compare_exchange_weak(
                p,
                ptr::null_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // SAFETY: `p` was the published value until now.
                    unsafe { self.retired(p, guard) };
                    return true;
                }
                Err(cur) => p = cur,
            }
        }
    }

    /// Turns an expunged entry back into a deleted one (Go's
    /// `unexpungeLocked`); the caller, holding the map's lock, must then
    /// add it to the dirty table. Returns whether it was expunged.
    pub(super) fn unexpunge_locked(&self) -> bool {
        // Relaxed: expunged and null carry no data; the map's lock orders
        // this with the expunging.
        self.p
            .compare_exchange(
                expunged(),
                ptr::null_mut(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Marks a deleted entry expunged, before a new dirty table is built
    /// without it (Go's `tryExpungeLocked`). Returns whether the entry is
    /// expunged now.
    pub(super) fn try_expunge_locked(&self) -> bool {
        // Relaxed: only the null/expunged states are decided here; a value
        // stored meanwhile is simply kept, and the table is built under the
        // map's lock.
        let mut p = self.p.load(Ordering::Relaxed);
        while p.is_null() {
            match self.p.compare_exchange_weak(
                ptr::null_mut(),
                expunged(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(cur) => p = cur,
            }
        }
        p == expunged()
    }

    /// Whether the entry is expunged (for tests of the map's states).
    #[cfg(test)]
    pub(super) fn is_expunged(&self) -> bool {
        self.p.load(Ordering::Relaxed) == expunged()
    }

    /// Deletes the value and frees it at once, for a map that is being
    /// dropped: `&mut` on the map proves no reader can hold the value.
    pub(super) fn free_now(&self) {
        // Relaxed: the caller has exclusive access to the map.
        let p = self.p.swap(ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: `p` was the published value and is unpublished now; no
        // reader exists (the caller's contract).
        unsafe { self.drop_value(p) };
    }

    /// Drops the value `p` points at: in place if it is `first`, else with
    /// its heap slot.
    ///
    /// # Safety
    ///
    /// `p` is not published and no reader can hold it; it is dropped once.
    unsafe fn drop_value(&self, p: *mut Slot<V>) {
        if p == self.first_slot() {
            // SAFETY: the caller's contract; `p` leaves `first` only once,
            // so `first` is dropped once.
            unsafe { ManuallyDrop::drop(&mut *self.first.get()) }
        } else if is_live(p) {
            // SAFETY: the caller's contract; a live `p` that is not `first`
            // came from `Slot::boxed`.
            drop(unsafe { Box::from_raw(p) });
        }
    }

    /// Schedules the value `p`, just unpublished, to be dropped once no
    /// reader can hold it, and returns it for the caller to read until
    /// `guard` goes.
    ///
    /// # Safety
    ///
    /// `p` was this entry's value and has just been replaced by the caller's
    /// successful CAS or swap, so the caller alone retires it.
    unsafe fn retired<'g>(self: &Arc<Self>, p: *mut Slot<V>, guard: &'g Guard) -> Option<&'g V>
    where
        K: Send + 'static,
        V: Send + 'static,
    {
        if !is_live(p) {
            return None;
        }
        self.hb_acquire();
        // Whichever closure is deferred: `p` is unpublished and never
        // published again, so only readers pinned now can hold it, and the
        // epoch runs the closure after they unpin. It may run on another
        // thread (K, V: Send) at any later time, after the map has gone
        // (K, V: 'static).
        if p == self.first_slot() {
            // The closure keeps the entry, in which `p` lives.
            let entry = self.clone();
            // SAFETY: see above; the entry drops `first` only through this
            // closure now that `p` has left it.
            unsafe { guard.defer_unchecked(move || entry.drop_value(p)) };
        } else {
            // SAFETY: see above; `p` is a heap slot from `Slot::boxed`,
            // freed only here.
            unsafe { guard.defer_unchecked(move || drop(Box::from_raw(p))) };
        }
        // SAFETY: the guard was pinned before the caller read `p`, so the
        // deferred drop cannot run while it lives.
        Some(unsafe { slot_ref(p, guard) })
    }
}

impl<K, V> Drop for Entry<K, V> {
    fn drop(&mut self) {
        let p = *self.p.get_mut();
        // SAFETY: the last `Arc` of the entry is gone: every reader reaches
        // an entry through a table that holds an `Arc` of it, either under
        // the map's lock or pinned in the epoch before a snapshot holding it
        // was retired, and a pending drop of a value holds one too. So no
        // reader can hold the current value, which the entry owns; a `first`
        // that `p` has left was dropped by its pending drop, which ran.
        unsafe { self.drop_value(p) };
    }
}

/// A slot's value, for as long as `guard` is pinned.
///
/// # Safety
///
/// `p` is a live slot that was published (or owned) when `guard` was
/// already pinned, so it is freed, if ever, only after `guard` unpins.
unsafe fn slot_ref<V>(p: *mut Slot<V>, _guard: &Guard) -> &V {
    // SAFETY: the caller's contract.
    unsafe { &(*p).value }
}
