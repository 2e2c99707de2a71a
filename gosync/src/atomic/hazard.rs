//! Hazard pointers: how a reader of a [`Pointer`](super::Pointer) keeps the
//! value it is looking at alive without touching its reference count.
//!
//! Each thread that reads owns a [`Node`] of hazard slots. To read a
//! pointer `src`, a thread publishes the address it loaded in one of its
//! slots, then loads `src` again: if the address is still there, a writer
//! that replaces it later will find the slot and not drop the value while
//! the slot holds it (Maged Michael's hazard pointers, 2004). A writer that
//! replaces a value scans every slot of every node; a value nobody is
//! reading is dropped at once, one that somebody is reading waits in its
//! pointer's retired list until no slot holds it.
//!
//! Why this and not an epoch scheme (crossbeam-epoch) or arc-swap's
//! debts: a hazard names one object, so a replaced value is dropped as soon
//! as its last reader is done, not when every thread has passed an epoch,
//! and every retired value belongs to its pointer, so dropping the pointer
//! drops them all (an epoch collector keeps them in global garbage, and
//! requires `T: 'static`). Writers only *read* the slots, so a reader never
//! receives a reference count from a writer and cannot mistake what a slot
//! meant (arc-swap's payments rely on one address never naming objects of
//! two types in turn). The read path is one `SeqCst` store and two loads;
//! releasing is a plain store.
//!
//! Slots hold addresses as `usize`, `0` meaning free. Only the thread that
//! owns a node writes an address into a slot (`protect`); a slot is cleared
//! by whoever holds the guard that filled it, which for the `!Send` guards
//! of this module is the same thread, or a thread that owned the node
//! before and is exiting. Nodes are never freed: a thread hands its node
//! back when it exits, and a new thread takes it over, so their number is
//! the largest number of threads that read at once.
//!
//! The protocol is model-checked with loom (`atomic/tests/loom_pointer.rs`:
//! `RUSTFLAGS="--cfg loom" cargo test -p gosync --lib --release loom`),
//! with `SeqCst` accesses ordered as such (`crate::loom`'s `seq_cst`).

use std::cell::Cell;
use std::ptr;

use crate::loom::sync::atomic::seq_cst::{AtomicPtr, AtomicUsize};
use crate::loom::sync::atomic::{AtomicBool, Ordering};

/// Slots for guards ([`Peek`](super::Peek)) a thread may hold at once;
/// one more guard falls back to a counted reference.
pub(super) const GUARD_SLOTS: usize = 8;

/// The slot that `Pointer::load` uses for the few instructions between
/// loading the address and raising the count: never held across user code,
/// so it is always free when `load` starts.
const LOAD_SLOT: usize = GUARD_SLOTS;

/// One hazard: the address this thread is reading, or 0.
pub(super) struct Slot(AtomicUsize);

/// A thread's hazard slots. Aligned so that two threads' slots never share
/// a cache line: a reader writes its slots on every read.
#[repr(align(128))]
pub(super) struct Node {
    slots: [Slot; GUARD_SLOTS + 1],
    /// Whether a thread owns the node.
    in_use: AtomicBool,
    /// The next node of the global list; written once, before the node is
    /// published.
    next: *const Node,
}

/// The head of the list of every node ever made.
#[cfg(not(loom))]
static NODES: AtomicPtr<Node> = AtomicPtr::new(ptr::null_mut());

// loom's atomics live as long as one execution of a model: each gets a list
// of its own, which it frees when it ends (every thread it started has been
// joined; none reads a node after). The `&'static Node`s handed out are
// `'static` for that execution only, as loom's `lazy_static` values are.
#[cfg(loom)]
loom::lazy_static! {
    static ref NODES: Nodes = Nodes(AtomicPtr::new(ptr::null_mut()));
}

#[cfg(loom)]
struct Nodes(AtomicPtr<Node>);

#[cfg(loom)]
impl std::ops::Deref for Nodes {
    type Target = AtomicPtr<Node>;

    fn deref(&self) -> &AtomicPtr<Node> {
        &self.0
    }
}

#[cfg(loom)]
impl Drop for Nodes {
    fn drop(&mut self) {
        use crate::loom::sync::atomic::seq_cst::WithMut;
        if std::thread::panicking() {
            return; // a model failed, and loom's state may be gone: leak
        }
        let mut p = self.0.with_mut(|p| *p);
        while !p.is_null() {
            // SAFETY: a node of this execution's list, from `Box::leak` in
            // `claim`; the execution is over, so nobody uses it.
            let node = unsafe { Box::from_raw(p) };
            p = node.next.cast_mut();
        }
    }
}

#[cfg(not(loom))]
thread_local! {
    /// This thread's node, once it has read a `Pointer`. Const and without
    /// a destructor, so reaching it costs no lazy-initialisation check.
    static NODE: Cell<Option<&'static Node>> = const { Cell::new(None) };
    /// Hands the node back when the thread exits (registered on claim).
    static OWNER: Owner = const { Owner };
}

// The same, per thread of a loom execution (loom's macro takes no `const`).
// loom takes a thread's locals out before it drops them, so `Owner` could
// find no node there, and it may drop them outside the model after a
// failure: a loom thread never hands its node on.
#[cfg(loom)]
loom::thread_local! {
    static NODE: Cell<Option<&'static Node>> = Cell::new(None);
    static OWNER: Owner = Owner;
}

struct Owner;

#[cfg(not(loom))]
impl Drop for Owner {
    fn drop(&mut self) {
        if let Ok(Some(node)) = NODE.try_with(Cell::take) {
            node.release();
        }
    }
}

/// Runs `f` with this thread's node.
#[inline]
pub(super) fn with_node<R>(f: impl FnOnce(&'static Node) -> R) -> R {
    match NODE.try_with(Cell::get) {
        Ok(Some(node)) => f(node),
        _ => with_new_node(f),
    }
}

#[cold]
fn with_new_node<R>(f: impl FnOnce(&'static Node) -> R) -> R {
    let node = Node::claim();
    if OWNER.try_with(|_| ()).is_ok() && NODE.try_with(|n| n.set(Some(node))).is_ok() {
        return f(node);
    }
    // The thread is exiting and its destructors have run: borrow a node
    // for this one call.
    struct Lend(&'static Node);
    impl Drop for Lend {
        fn drop(&mut self) {
            self.0.release();
        }
    }
    let lend = Lend(node);
    f(lend.0)
}

/// The nodes, oldest last.
fn nodes() -> impl Iterator<Item = &'static Node> {
    // SeqCst: a writer scans after the SeqCst swap that took a value out of
    // its pointer, and must find the node of every reader that may still be
    // reading it. A reader publishes its node (`claim`, SeqCst) before its
    // first slot store; so if this load misses the node, it precedes that
    // publication in the total order, hence the reader's confirming load in
    // `protect`, which then sees the swap and retries. With Acquire nothing
    // orders this load after the publication: the writer could scan a stale
    // list, miss the slot and drop a value being read (loom found it). Also
    // an acquire: pairs with the CAS that published the head, and through
    // the CAS chain on `NODES` with every earlier one, so each node's `next`
    // is visible.
    let mut p = NODES.load(Ordering::SeqCst).cast_const();
    std::iter::from_fn(move || {
        // SAFETY: a non-null pointer in the list is a leaked node, never
        // freed (under loom, not before the execution ends), whose `next`
        // was written before it was published.
        let node = unsafe { p.as_ref()? };
        p = node.next;
        Some(node)
    })
}

/// Whether any thread's slot holds `addr`: whether a value at `addr` that
/// has left its pointer may still be read.
pub(super) fn is_protected(addr: usize) -> bool {
    // SeqCst: the writer's swap of the pointer comes before this scan in
    // the single total order, and a reader's publication comes before its
    // confirming load; so a reader whose confirmation saw the old value has
    // its slot seen here (the store-load pairing of hazard pointers). It is
    // also an acquire: a slot read as cleared orders the reader's accesses
    // before the drop that follows.
    nodes().any(|node| {
        node.slots
            .iter()
            .any(|slot| slot.0.load(Ordering::SeqCst) == addr)
    })
}

impl Node {
    /// Takes a free node, or makes one.
    fn claim() -> &'static Node {
        for node in nodes() {
            // Acquire: the previous owner's use of the slots is before ours.
            if !node.in_use.load(Ordering::Relaxed)
                && node
                    .in_use
                    .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return node;
            }
        }
        let node: &'static mut Node = Box::leak(Box::new(Node {
            slots: std::array::from_fn(|_| Slot(AtomicUsize::new(0))),
            in_use: AtomicBool::new(true),
            next: ptr::null(),
        }));
        let mut head = NODES.load(Ordering::Relaxed);
        loop {
            node.next = head;
            // SeqCst: publishes the node's fields with it (a release), and
            // puts the node in the total order before this thread's first
            // slot store, as `nodes` needs (a node handed on was published
            // before its old owner's release, so before its new owner's
            // slot stores too). Once per thread.
            match NODES.compare_exchange_weak(head, node, Ordering::SeqCst, Ordering::Relaxed) {
                Ok(_) => return node,
                Err(now) => head = now,
            }
        }
    }

    fn release(&self) {
        // Release: our slot writes are before the next owner's.
        self.in_use.store(false, Ordering::Release);
    }

    /// A free guard slot, if any.
    #[inline]
    pub(super) fn guard_slot(&'static self) -> Option<&'static Slot> {
        // Relaxed: only this thread fills its slots, so a free slot it
        // sees stays free until it fills it; a stale "taken" only skips it.
        self.slots[..GUARD_SLOTS]
            .iter()
            .find(|slot| slot.0.load(Ordering::Relaxed) == 0)
    }

    /// The slot for `Pointer::load`'s short protection.
    #[inline]
    pub(super) fn load_slot(&'static self) -> &'static Slot {
        &self.slots[LOAD_SLOT]
    }
}

impl Slot {
    /// Loads `src` and protects the value it points to: on return, a
    /// non-null result stays allocated until [`clear`](Self::clear) (it
    /// was in `src`, which owned a reference, when the slot was visible to
    /// every writer). A null result leaves the slot free.
    #[inline]
    pub(super) fn protect<T>(&self, src: &AtomicPtr<T>) -> *mut T {
        // SeqCst: the loads and the publication are in the total order
        // that `is_protected` relies on; Acquire, as part of that, makes the
        // pointee's contents visible.
        let mut p = src.load(Ordering::SeqCst);
        loop {
            if p.is_null() {
                return p;
            }
            self.0.store(p as usize, Ordering::SeqCst);
            let now = src.load(Ordering::SeqCst);
            if now == p {
                return p;
            }
            if now.is_null() {
                self.clear();
            }
            p = now;
        }
    }

    /// Lets go of the value this slot protected.
    #[inline]
    pub(super) fn clear(&self) {
        // Release: our reads of the value come before a writer's drop of it
        // (its scan reads this 0 with an acquire).
        self.0.store(0, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
// These tests start plain threads on purpose: nodes belong to OS threads.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    #[test]
    fn exited_threads_hand_their_nodes_on() {
        let before = nodes().count();
        for _ in 0..100 {
            std::thread::spawn(|| with_node(|node| assert!(node.guard_slot().is_some())))
                .join()
                .unwrap();
        }
        // Each thread hands its node back before `join` returns, so the
        // next one takes it over; only threads of tests running alongside
        // may have needed nodes of their own meanwhile.
        let grown = nodes().count() - before;
        assert!(grown <= 20, "{grown} nodes for 100 threads in turn");
    }

    #[test]
    fn a_slot_protects_until_cleared() {
        let value = Box::into_raw(Box::new(7u64));
        let src = AtomicPtr::new(value);
        with_node(|node| {
            let slot = node.guard_slot().unwrap();
            assert_eq!(slot.protect(&src), value);
            assert!(is_protected(value as usize));
            slot.clear();
            assert!(!is_protected(value as usize));
            src.store(ptr::null_mut(), Ordering::Relaxed);
            assert!(slot.protect(&src).is_null());
            assert!(node.guard_slot().is_some());
        });
        // SAFETY: from `Box::into_raw` above, and no longer shared.
        drop(unsafe { Box::from_raw(value) });
    }
}
