//! `atomic.Pointer[T]`, on reference counts and hazard pointers.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::{self, NonNull};

use super::event;
use super::hazard::{self, Slot};
use crate::loom::loom_const_fn;
use crate::loom::sync::atomic::seq_cst::{AtomicPtr, WithMut};
use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Arc;

/// An atomic, shared `Option<Arc<T>>` (Go's `atomic.Pointer[T]`).
///
/// Readers never lock and never wait: [`load`](Self::load) and
/// [`peek`](Self::peek) see the value of the last [`store`](Self::store),
/// [`swap`](Self::swap) or successful
/// [`compare_and_swap`](Self::compare_and_swap), each atomically. A
/// replaced value is dropped once nobody can read it any more: at once if
/// no reader is looking at it, else when the last reader lets go; every
/// value the pointer still holds is dropped with the pointer. This is the
/// read-copy-update pattern (`atomic.Pointer[Config]`): readers take the
/// current configuration, a writer builds a new one and stores it.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::atomic::Pointer;
///
/// #[derive(Debug, PartialEq)]
/// struct Config {
///     timeout_ms: u64,
/// }
///
/// static CONFIG: Pointer<Config> = Pointer::new();
///
/// CONFIG.store(Some(Arc::new(Config { timeout_ms: 100 })));
/// let before = CONFIG.load().unwrap(); // keeps this version alive
/// CONFIG.store(Some(Arc::new(Config { timeout_ms: 250 })));
/// assert_eq!(before.timeout_ms, 100);
/// assert_eq!(CONFIG.peek().unwrap().timeout_ms, 250);
/// ```
///
/// # Two ways to read
///
/// - [`load`](Self::load) returns an `Arc<T>`, which the caller owns: keep
///   it, send it to another goroutine, hold it across blocking calls. Its
///   price is the `Arc`'s reference count: one atomic increment now and a
///   decrement when the `Arc` drops, on a count that every loading thread
///   shares, so loads from several threads at once contend on that cache
///   line.
/// - [`peek`](Self::peek) returns a [`Peek`], a guard that dereferences to
///   the value without touching its count: it publishes the address in a
///   per-thread slot instead (no shared write), so reads scale with
///   threads. Use it on hot read paths (read a field of the current config
///   per request) and drop it soon: while it lives, the value it shows is
///   not dropped even if replaced, and a thread has 8 such slots (a ninth
///   `Peek` held at once falls back to a counted reference, as `load`).
///
/// # Differences from Go
///
/// - The pointer owns a reference count of its value, as Go's garbage
///   collector keeps the target of an `atomic.Pointer` alive; the value is
///   an `Arc<T>`, and `None` is Go's `nil`.
/// - [`compare_and_swap`](Self::compare_and_swap) compares by identity
///   (`Arc::ptr_eq`), as Go compares pointers: an equal value in another
///   allocation does not match.
/// - `T` must be `Sized` (the pointer is one machine word).
///
/// `Send` and `Sync` follow `Arc<T>`'s: the pointer hands `Arc<T>`s to
/// other threads, so it is shareable only when `T: Send + Sync`:
///
/// ```compile_fail,E0277
/// fn assert_sync<T: Sync>(_: &T) {}
/// assert_sync(&gosync::atomic::Pointer::<std::cell::Cell<u8>>::new()); // Cell is not Sync
/// ```
pub struct Pointer<T> {
    /// Null for `None`; else from `Arc::into_raw`, owning one strong count.
    ptr: AtomicPtr<T>,
    /// Values replaced while a reader held them, each owning one strong
    /// count, waiting for the readers to let go.
    retired: AtomicPtr<Retired<T>>,
    /// The pointer shares `Arc<T>`s between threads: it is `Send` and
    /// `Sync` exactly when `Arc<T>` is (`T: Send + Sync`).
    _owns: PhantomData<Option<Arc<T>>>,
}

/// A replaced value, waiting in a pointer's retired list.
struct Retired<T> {
    /// From `Arc::into_raw`, owning one strong count.
    value: *const T,
    next: *mut Retired<T>,
}

impl<T> Pointer<T> {
    loom_const_fn! {
        /// Creates a pointer holding `None` (Go's zero `atomic.Pointer`).
        ///
        /// # Examples
        ///
        /// ```
        /// static CURRENT: gosync::atomic::Pointer<String> = gosync::atomic::Pointer::new();
        /// assert!(CURRENT.load().is_none());
        /// ```
        pub fn new() -> Pointer<T> {
            Pointer {
                ptr: AtomicPtr::new(ptr::null_mut()),
                retired: AtomicPtr::new(ptr::null_mut()),
                _owns: PhantomData,
            }
        }
    }

    /// Atomically loads the value, as a counted reference the caller owns
    /// (Go's `Pointer.Load`).
    ///
    /// See [two ways to read](Self#two-ways-to-read): [`peek`](Self::peek)
    /// is cheaper when the reference need not outlive a short look.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let p = gosync::atomic::Pointer::new();
    /// p.store(Some(Arc::new(7)));
    /// let v: Arc<i32> = p.load().unwrap();
    /// p.store(None);
    /// assert_eq!(*v, 7); // still ours
    /// ```
    pub fn load(&self) -> Option<Arc<T>> {
        let v = self.load_raw();
        event::load(self);
        v
    }

    /// Atomically loads the value and returns a guard through which to
    /// read it, without touching its reference count (see
    /// [two ways to read](Self#two-ways-to-read)).
    ///
    /// While the guard lives, the value stays allocated even if the
    /// pointer is changed; drop it soon.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let p = gosync::atomic::Pointer::new();
    /// assert!(p.peek().is_none());
    /// p.store(Some(Arc::new(String::from("v1"))));
    /// if let Some(v) = p.peek() {
    ///     assert_eq!(v.len(), 2);
    /// };
    /// ```
    #[inline]
    pub fn peek(&self) -> Option<Peek<'_, T>> {
        let v = self.peek_raw();
        event::load(self);
        v
    }

    /// Atomically stores `new` (Go's `Pointer.Store`); the value it
    /// replaces is dropped once no reader holds it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let p = gosync::atomic::Pointer::new();
    /// p.store(Some(Arc::new(1)));
    /// assert_eq!(p.load().as_deref(), Some(&1));
    /// ```
    pub fn store(&self, new: Option<Arc<T>>) {
        event::store(self);
        // SeqCst: a store of Go's; and the swap must precede the hazard
        // scan in the total order (see `hazard::is_protected`).
        let old = self.ptr.swap(into_raw(new), Ordering::SeqCst);
        self.retire(old);
    }

    /// Atomically stores `new` and returns the previous value (Go's
    /// `Pointer.Swap`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let p = gosync::atomic::Pointer::new();
    /// assert_eq!(p.swap(Some(Arc::new('a'))), None);
    /// assert_eq!(p.swap(None).as_deref(), Some(&'a'));
    /// ```
    pub fn swap(&self, new: Option<Arc<T>>) -> Option<Arc<T>> {
        let old = self.ptr.swap(into_raw(new), Ordering::SeqCst);
        event::rmw(self);
        if old.is_null() {
            return None;
        }
        if hazard::is_protected(old as usize) {
            // A reader holds it without a count: give the caller a count of
            // its own, and keep the pointer's until the reader is done.
            // SAFETY: `old` came from `Arc::into_raw` and its count, now
            // ours, keeps it alive.
            let mine = unsafe {
                Arc::increment_strong_count(old);
                Arc::from_raw(old)
            };
            self.push_retired(old);
            self.reclaim();
            Some(mine)
        } else {
            // Nobody reads it: the pointer's count is the caller's.
            // SAFETY: `old` came from `Arc::into_raw`, its count ours.
            Some(unsafe { Arc::from_raw(old) })
        }
    }

    /// Stores `new` if the pointer holds `current`, compared by identity
    /// (`Arc::ptr_eq`; `None` equals `None`), atomically; returns whether
    /// it did (Go's `Pointer.CompareAndSwap`). When it did not, `new` is
    /// dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let p = gosync::atomic::Pointer::new();
    /// let a = Arc::new(1);
    /// assert!(p.compare_and_swap(&None, Some(a.clone())));
    /// // Equal, but not the same allocation:
    /// assert!(!p.compare_and_swap(&Some(Arc::new(1)), None));
    /// assert!(p.compare_and_swap(&Some(a), None));
    /// assert!(p.load().is_none());
    /// ```
    pub fn compare_and_swap(&self, current: &Option<Arc<T>>, new: Option<Arc<T>>) -> bool {
        let current = current.as_ref().map_or(ptr::null(), Arc::as_ptr);
        let swapped = self.compare_and_swap_raw(current, new);
        if swapped {
            event::rmw(self);
        } else {
            event::load(self);
        }
        swapped
    }

    /// `compare_and_swap` on a raw current value, without events.
    pub(super) fn compare_and_swap_raw(&self, current: *const T, new: Option<Arc<T>>) -> bool {
        let new = into_raw(new);
        // SeqCst: Go's; and before the hazard scan (see `store`).
        match self
            .ptr
            .compare_exchange(current.cast_mut(), new, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(old) => {
                self.retire(old);
                true
            }
            Err(_) => {
                if !new.is_null() {
                    // SAFETY: `new` came from `Arc::into_raw` above and was
                    // never shared.
                    drop(unsafe { Arc::from_raw(new) });
                }
                false
            }
        }
    }

    /// `load` without events.
    pub(super) fn load_raw(&self) -> Option<Arc<T>> {
        let p = hazard::with_node(|node| {
            let slot = node.load_slot();
            let p = slot.protect(&self.ptr);
            if !p.is_null() {
                // SAFETY: `p` came from `Arc::into_raw` and the slot keeps it
                // allocated until cleared; we add the count the caller gets.
                unsafe { Arc::increment_strong_count(p) };
                slot.clear();
            }
            p
        });
        if p.is_null() {
            return None;
        }
        self.help_if_replaced(p);
        // SAFETY: we raised the count for this `Arc` above.
        Some(unsafe { Arc::from_raw(p) })
    }

    /// `peek` without events.
    #[inline]
    pub(super) fn peek_raw(&self) -> Option<Peek<'_, T>> {
        hazard::with_node(|node| {
            let Some(slot) = node.guard_slot() else {
                // Every slot is held: fall back to a counted reference.
                let value = self.load_raw()?;
                return Some(Peek {
                    // SAFETY: `Arc::into_raw` is never null.
                    value: unsafe { NonNull::new_unchecked(Arc::into_raw(value).cast_mut()) },
                    slot: None,
                    pointer: self,
                });
            };
            let p = NonNull::new(slot.protect(&self.ptr))?;
            Some(Peek {
                value: p,
                slot: Some(slot),
                pointer: self,
            })
        })
    }

    /// Disposes of the pointer's count of a value it no longer holds.
    fn retire(&self, old: *mut T) {
        if !old.is_null() {
            if hazard::is_protected(old as usize) {
                self.push_retired(old);
            } else {
                // SAFETY: `old` came from `Arc::into_raw` with the pointer's
                // count, now ours; no reader holds it without a count, and
                // a new one cannot start (it is no longer in `ptr`).
                drop(unsafe { Arc::from_raw(old) });
            }
        }
        self.reclaim();
    }

    fn push_retired(&self, value: *const T) {
        let node = Box::into_raw(Box::new(Retired {
            value,
            next: ptr::null_mut(),
        }));
        self.push_chain(node, node);
    }

    /// Pushes the chain `first..=last` onto the retired list.
    fn push_chain(&self, first: *mut Retired<T>, last: *mut Retired<T>) {
        let mut head = self.retired.load(Ordering::Relaxed);
        loop {
            // SAFETY: the chain is ours until the CAS publishes it.
            unsafe { (*last).next = head };
            // Release: publishes the nodes' contents to `reclaim`'s Acquire.
            match self.retired.compare_exchange_weak(
                head,
                first,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// Drops each retired value that no reader holds any more.
    fn reclaim(&self) {
        // Relaxed: a hint; the swap below is what synchronises.
        if self.retired.load(Ordering::Relaxed).is_null() {
            return;
        }
        // Acquire: the nodes' contents, pushed with Release.
        let mut node = self.retired.swap(ptr::null_mut(), Ordering::Acquire);
        let (mut keep, mut keep_last) = (ptr::null_mut(), ptr::null_mut());
        while !node.is_null() {
            // SAFETY: the swap gave us the whole chain; its nodes came from
            // `Box::into_raw` and nobody else reaches them now.
            let retired = unsafe { Box::from_raw(node) };
            node = retired.next;
            if hazard::is_protected(retired.value as usize) {
                let kept = Box::into_raw(retired);
                // SAFETY: `kept` is ours (above).
                unsafe { (*kept).next = keep };
                if keep.is_null() {
                    keep_last = kept;
                }
                keep = kept;
            } else {
                // SAFETY: the node owns one count of a value that left the
                // pointer and that no slot holds; new readers cannot reach it.
                drop(unsafe { Arc::from_raw(retired.value) });
            }
        }
        if !keep.is_null() {
            self.push_chain(keep, keep_last);
        }
    }

    /// After a reader lets go of `value`: if the pointer no longer holds it,
    /// a writer may have retired it while we held it; finish its drop.
    #[inline]
    fn help_if_replaced(&self, value: *const T) {
        // Relaxed: a hint. A writer that retires `value` after this check
        // rescans in its own `reclaim`; one that raced with our clear leaves
        // it for the next store, peek or drop of the pointer.
        if self.ptr.load(Ordering::Relaxed).cast_const() != value {
            self.reclaim();
        }
    }
}

fn into_raw<T>(v: Option<Arc<T>>) -> *mut T {
    v.map_or(ptr::null_mut(), |v| Arc::into_raw(v).cast_mut())
}

impl<T> Default for Pointer<T> {
    /// Go's zero value: `None`.
    fn default() -> Pointer<T> {
        Pointer::new()
    }
}

impl<T> From<Arc<T>> for Pointer<T> {
    /// A pointer holding `value`.
    fn from(value: Arc<T>) -> Pointer<T> {
        Pointer::from(Some(value))
    }
}

impl<T> From<Option<Arc<T>>> for Pointer<T> {
    /// A pointer holding `value`.
    fn from(value: Option<Arc<T>>) -> Pointer<T> {
        Pointer {
            ptr: AtomicPtr::new(into_raw(value)),
            retired: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for Pointer<T> {
    fn drop(&mut self) {
        let p = self.ptr.with_mut(|p| *p);
        if !p.is_null() {
            // SAFETY: the pointer owns one count of its value.
            drop(unsafe { Arc::from_raw(p) });
        }
        let mut node = self.retired.with_mut(|p| *p);
        while !node.is_null() {
            // SAFETY: `&mut self`: no `Peek` of this pointer lives (each
            // borrows it), so no slot holds a value for *this* pointer's
            // sake; a reader of another pointer holding the same value is
            // covered by that pointer's own count. The nodes are ours.
            let retired = unsafe { Box::from_raw(node) };
            node = retired.next;
            // SAFETY: as above; the node owns one count.
            drop(unsafe { Arc::from_raw(retired.value) });
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Pointer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A look for debugging: no event.
        match self.peek_raw() {
            Some(v) => f.debug_tuple("Pointer").field(&&*v).finish(),
            None => f.write_str("Pointer(None)"),
        }
    }
}

/// A look at the value of a [`Pointer`] or [`Value`](super::Value) that
/// does not touch its reference count; dereferences to the value.
///
/// Made by [`Pointer::peek`] and [`Value::peek`](super::Value::peek).
/// While it lives the value stays allocated, even if the pointer is given
/// a new one; the guard stays on the thread that made it (it is `!Send`:
/// it holds one of that thread's hazard slots). A `Peek` leaked with
/// `mem::forget` keeps its slot taken for good, and its value allocated
/// until the pointer is dropped.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::atomic::{Peek, Pointer};
///
/// let p = Pointer::new();
/// p.store(Some(Arc::new(vec![1, 2, 3])));
/// let v = p.peek().unwrap();
/// p.store(None); // `v` still shows the old value
/// assert_eq!(v.len(), 3);
/// let kept: Arc<Vec<i32>> = Peek::to_arc(&v); // outlives the guard
/// drop(v);
/// assert_eq!(kept[0], 1);
/// ```
#[must_use = "a Peek is only useful to read through"]
pub struct Peek<'a, T> {
    /// The value; alive while `slot` holds its address, or, when `slot`
    /// is `None`, through a strong count this guard owns.
    value: NonNull<T>,
    slot: Option<&'static Slot>,
    pointer: &'a Pointer<T>,
}

// SAFETY: a `&Peek` gives `&T` and, through `to_arc`, an `Arc<T>` on the
// borrowing thread, which may drop the value there: the same as sharing an
// `Arc<T>`, which needs `T: Send + Sync`. The guard itself, whose drop
// clears the owning thread's slot, is not `Send`.
unsafe impl<T: Send + Sync> Sync for Peek<'_, T> {}

impl<T> Peek<'_, T> {
    /// The value's address, as `Arc::as_ptr` gives it.
    pub(super) fn as_ptr(this: &Self) -> *const T {
        this.value.as_ptr().cast_const()
    }

    /// A counted reference to the value, which may outlive the guard.
    ///
    /// An associated function, so that it does not hide a method of `T`.
    pub fn to_arc(this: &Self) -> Arc<T> {
        let p = this.value.as_ptr().cast_const();
        // SAFETY: `p` came from `Arc::into_raw` and is alive while the guard
        // lives (see `value`); we add the count we return.
        unsafe {
            Arc::increment_strong_count(p);
            Arc::from_raw(p)
        }
    }
}

impl<T> Deref for Peek<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: alive while the guard lives (see `value`); shared access
        // only, as through an `Arc`.
        unsafe { self.value.as_ref() }
    }
}

impl<T> Drop for Peek<'_, T> {
    #[inline]
    fn drop(&mut self) {
        match self.slot {
            Some(slot) => {
                slot.clear();
                self.pointer.help_if_replaced(self.value.as_ptr());
            }
            // SAFETY: this guard owns one count (see `value`).
            None => drop(unsafe { Arc::from_raw(self.value.as_ptr()) }),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Peek<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for Peek<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::atomic::hazard::GUARD_SLOTS;

    #[test]
    fn send_and_sync_follow_arc() {
        fn both<T: Send + Sync>() {}
        both::<Pointer<u8>>();
        both::<Pointer<std::sync::Mutex<u8>>>();
    }

    #[test]
    fn more_peeks_than_slots_fall_back_to_counts() {
        let p = Pointer::from(Arc::new(5));
        let peeks: Vec<_> = (0..GUARD_SLOTS + 3).map(|_| p.peek().unwrap()).collect();
        assert!(peeks.iter().all(|v| **v == 5));
        let counted = peeks.iter().filter(|v| v.slot.is_none()).count();
        assert!(counted >= 3, "{counted} of {} counted", peeks.len());
        let arc = p.load().unwrap();
        assert_eq!(Arc::strong_count(&arc), 2 + counted);
        drop(peeks);
        assert_eq!(Arc::strong_count(&arc), 2);
    }

    #[test]
    fn a_peeked_value_waits_in_the_retired_list() {
        let first = Arc::new(1);
        let p = Pointer::from(first.clone());
        let peek = p.peek().unwrap();
        p.store(Some(Arc::new(2)));
        assert_eq!(Arc::strong_count(&first), 2, "the pointer's count waits");
        assert!(!p.retired.load(Ordering::Relaxed).is_null());
        assert_eq!(*peek, 1);
        drop(peek);
        assert_eq!(Arc::strong_count(&first), 1, "the peek's drop finished it");
        assert!(p.retired.load(Ordering::Relaxed).is_null());
    }

    #[test]
    fn drop_frees_the_retired_list() {
        let first = Arc::new(1);
        let p = Pointer::from(first.clone());
        let peek = p.peek().unwrap();
        let slot = peek.slot.expect("a fresh thread has free slots");
        p.store(None);
        // Leave the slot held past the pointer's drop (`forget` is safe).
        std::mem::forget(peek);
        assert_eq!(Arc::strong_count(&first), 2);
        drop(p);
        assert_eq!(Arc::strong_count(&first), 1);
        slot.clear();
    }

    #[cfg(feature = "race")]
    #[test]
    fn operations_report_their_edges() {
        use crate::rt::hb::{record, Event};
        let p = Pointer::new();
        let key = &p as *const Pointer<i32> as usize;
        let a = Arc::new(1);
        let ((), events) = record(|| {
            p.store(Some(a.clone()));
            let _ = p.load();
            let _ = p.peek();
            let _ = p.swap(None);
            assert!(p.compare_and_swap(&None, Some(a.clone())));
            assert!(!p.compare_and_swap(&None, None));
            let _ = format!("{p:?}");
        });
        let (ac, r, m) = (
            Event::Acquire(key),
            Event::Release(key),
            Event::ReleaseMerge(key),
        );
        assert_eq!(events, [r, ac, ac, ac, m, ac, m, ac]);
    }
}
