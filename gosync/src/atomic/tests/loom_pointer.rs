//! `Pointer`'s hazard pointers under loom: readers `load` and `peek` while
//! writers `store` and `compare_and_swap`.
//!
//! Every value is a [`Probe`]. Readers read its cell through what they got
//! from the pointer; its drop writes the cell and counts itself. So loom
//! reports a drop that is not ordered after a read (a use after free) as a
//! race on the cell, a read ordered after the drop sees `DROPPED`, and the
//! counts say that every value is dropped exactly once, not before the
//! pointer has let go of it and not after the pointer is gone.
//!
//! Together they fail if a reader's publication in `protect` or its
//! confirming load is weakened from `SeqCst`, or `protect` skips the
//! re-check; if `store`, `swap` or `compare_and_swap` swaps with `AcqRel`;
//! if the hazard scan is `Relaxed` or a slot is cleared with `Relaxed`; if
//! a retire or reclaim ignores the hazards, or the retired list loses a
//! value; or if the node list is read with `Acquire` (the bug they found). They cannot tell the scan's `SeqCst` from `Acquire`, nor
//! the node's publication's from `Release`: `crate::loom`'s stand-in for
//! `SeqCst` accesses is a loom fence, which orders more than they do.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

use crate::atomic::Pointer;
use crate::loom::model;

/// A drop count.
type Drops = std::sync::Arc<AtomicUsize>;

/// What a dropped probe's cell holds.
const DROPPED: u32 = u32::MAX;

/// A value whose reads and drop loom sees.
struct Probe {
    cell: UnsafeCell<u32>,
    /// How many times it was dropped: std's, outside the model (loom runs
    /// one thread at a time, so it is exact, and adds no interleavings).
    drops: Drops,
}

// SAFETY: the cell is written only by `drop`, which has `&mut self`; shared
// references only read it.
unsafe impl Sync for Probe {}

impl Probe {
    /// A probe holding `v`, and its drop count.
    fn new(v: u32) -> (Arc<Probe>, Drops) {
        let drops = Drops::default();
        let probe = Probe {
            cell: UnsafeCell::new(v),
            drops: drops.clone(),
        };
        (Arc::new(probe), drops)
    }

    fn read(&self) -> u32 {
        // SAFETY: a shared read; loom checks it against the drop's write.
        let v = self.cell.with(|p| unsafe { *p });
        assert_ne!(v, DROPPED, "a value was read after its drop");
        v
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return; // a model failed; loom's state may be gone
        }
        self.cell.with_mut(|p| {
            // SAFETY: `&mut self`; loom checks that no read is concurrent.
            unsafe {
                assert_ne!(*p, DROPPED, "a value was dropped twice");
                *p = DROPPED;
            }
        });
        self.drops.fetch_add(1, Relaxed);
    }
}

fn drops(d: &AtomicUsize) -> usize {
    d.load(Relaxed)
}

/// A `load` racing a `store`: the reader's `Arc` keeps what it loaded
/// alive, and each value is dropped once, the last with the pointer.
#[test]
fn load_racing_store() {
    model(|| {
        let (a, a_drops) = Probe::new(1);
        let (b, b_drops) = Probe::new(2);
        let p = Arc::new(Pointer::from(a));
        let reader = {
            let p = p.clone();
            thread::spawn(move || {
                let v = p.load().unwrap();
                let seen = v.read();
                // The store may have replaced it meanwhile; still ours.
                thread::yield_now();
                assert_eq!(v.read(), seen);
                seen
            })
        };
        p.store(Some(b));
        let seen = reader.join().unwrap();
        assert!(seen == 1 || seen == 2, "read {seen}");
        assert!(drops(&a_drops) <= 1);
        assert_eq!(drops(&b_drops), 0, "the pointer's value was dropped");
        drop(p);
        assert_eq!((drops(&a_drops), drops(&b_drops)), (1, 1));
    });
}

/// A `peek` racing a `store`: the guard's hazard slot keeps the value alive
/// without a count until it is dropped; each value is dropped once, the
/// replaced one by the store, the guard's drop or the pointer's drop.
#[test]
fn peek_racing_store() {
    model(|| {
        let (a, a_drops) = Probe::new(1);
        let (b, b_drops) = Probe::new(2);
        let p = Arc::new(Pointer::from(a));
        let reader = {
            let p = p.clone();
            thread::spawn(move || {
                let g = p.peek().unwrap();
                let seen = g.read();
                thread::yield_now();
                assert_eq!(g.read(), seen);
                seen
            })
        };
        p.store(Some(b));
        let seen = reader.join().unwrap();
        assert!(seen == 1 || seen == 2, "read {seen}");
        assert!(drops(&a_drops) <= 1);
        assert_eq!(drops(&b_drops), 0, "the pointer's value was dropped");
        drop(p);
        assert_eq!((drops(&a_drops), drops(&b_drops)), (1, 1));
    });
}

/// `compare_and_swap` racing a `store`, whose thread peeks the value it is
/// about to replace and reads it after: `B`, installed by the swap, may be
/// the value peeked and replaced, or, when the swap lost, is dropped by it.
#[test]
fn compare_and_swap_racing_store() {
    model(|| {
        let (a, a_drops) = Probe::new(1);
        let (b, b_drops) = Probe::new(2);
        let (c, c_drops) = Probe::new(3);
        let p = Arc::new(Pointer::from(a.clone()));
        let swapper = {
            let p = p.clone();
            thread::spawn(move || p.compare_and_swap(&Some(a), Some(b)))
        };
        let g = p.peek().unwrap();
        let before = g.read();
        p.store(Some(c));
        assert_eq!(g.read(), before);
        drop(g);
        let swapped = swapper.join().unwrap();
        if !swapped {
            assert_eq!(drops(&b_drops), 1, "a failed swap drops its value");
        }
        assert!(before == 1 || (before == 2 && swapped), "read {before}");
        assert_eq!(p.peek().unwrap().read(), 3, "the store came last");
        assert!(drops(&a_drops) <= 1 && drops(&b_drops) <= 1);
        assert_eq!(drops(&c_drops), 0);
        drop(p);
        let all = (drops(&a_drops), drops(&b_drops), drops(&c_drops));
        assert_eq!(all, (1, 1, 1));
    });
}

/// A `swap` racing a `peek`: the swapper gets the old value as an `Arc` of
/// its own whether or not a guard holds it, and the guard's value lives.
#[test]
fn swap_racing_peek() {
    model(|| {
        let (a, a_drops) = Probe::new(1);
        let (b, b_drops) = Probe::new(2);
        let p = Arc::new(Pointer::from(a));
        let reader = {
            let p = p.clone();
            thread::spawn(move || {
                let g = p.peek().unwrap();
                let seen = g.read();
                thread::yield_now();
                assert_eq!(g.read(), seen);
                seen
            })
        };
        let old = p.swap(Some(b)).unwrap();
        assert_eq!(old.read(), 1);
        drop(old);
        let seen = reader.join().unwrap();
        assert!(seen == 1 || seen == 2, "read {seen}");
        assert!(drops(&a_drops) <= 1);
        drop(p);
        assert_eq!((drops(&a_drops), drops(&b_drops)), (1, 1));
    });
}

/// Two readers, one loading and one peeking, while a writer stores twice:
/// replaced values pile up in the retired list and leave it as the readers
/// let go, whichever thread finishes them.
#[test]
fn two_readers_racing_two_stores() {
    model(|| {
        let (a, a_drops) = Probe::new(1);
        let (b, b_drops) = Probe::new(2);
        let (c, c_drops) = Probe::new(3);
        let p = Arc::new(Pointer::from(a));
        let loader = {
            let p = p.clone();
            thread::spawn(move || p.load().unwrap().read())
        };
        let peeker = {
            let p = p.clone();
            thread::spawn(move || p.peek().unwrap().read())
        };
        p.store(Some(b));
        p.store(Some(c));
        for seen in [loader.join().unwrap(), peeker.join().unwrap()] {
            assert!((1..=3).contains(&seen), "read {seen}");
        }
        assert!(drops(&a_drops) <= 1 && drops(&b_drops) <= 1);
        assert_eq!(drops(&c_drops), 0);
        drop(p);
        let all = (drops(&a_drops), drops(&b_drops), drops(&c_drops));
        assert_eq!(all, (1, 1, 1));
    });
}

/// A reader letting go of its guard while a writer retires the value (the
/// known lag of `Peek`'s drop): the writer's scan may still see the slot,
/// and the reader's look at the pointer may still see the old value, so
/// neither drops it. It then waits in the retired list, and the next store
/// drops it; never leaked, never dropped twice.
#[test]
fn release_racing_retire() {
    static LAGGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    model(|| {
        let (a, a_drops) = Probe::new(1);
        let (b, b_drops) = Probe::new(2);
        let p = Arc::new(Pointer::from(a));
        let reader = {
            let p = p.clone();
            thread::spawn(move || {
                let g = p.peek().unwrap();
                g.read();
            })
        };
        p.store(Some(b));
        reader.join().unwrap();
        if drops(&a_drops) == 0 {
            LAGGED.store(true, Relaxed);
        }
        // Nobody reads now: the next store finishes every retired value.
        p.store(None);
        assert_eq!((drops(&a_drops), drops(&b_drops)), (1, 1));
        drop(p);
        assert_eq!((drops(&a_drops), drops(&b_drops)), (1, 1));
    });
    assert!(LAGGED.load(Relaxed), "the model never reached the lag");
}
