//! What Go's garbage collector does for `atomic.Pointer` and
//! `atomic.Value`, and `Pointer` does by itself: a replaced value is
//! dropped exactly once, never while a reader holds it, and none is kept
//! for ever; and compare-and-swap compares identities.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use gosync::atomic::{Peek, Pointer, Value};
use gosync::runtime::gosched;
use gosync::sync::WaitGroup;

use super::go_together;
use crate::scaled;

const UNBORN: u8 = 0;
const ALIVE: u8 = 1;
const DROPPED: u8 = 2;

/// The life of every tracked value, by id: a reader checks that the value
/// it holds is still alive, and the end of a test that each was dropped
/// exactly once.
struct Ledger {
    states: Vec<AtomicU8>,
    next: AtomicUsize,
}

impl Ledger {
    fn new(capacity: usize) -> Arc<Ledger> {
        Arc::new(Ledger {
            states: (0..capacity).map(|_| AtomicU8::new(UNBORN)).collect(),
            next: AtomicUsize::new(0),
        })
    }

    fn make(self: &Arc<Ledger>) -> Tracked {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.states[id].store(ALIVE, Ordering::Relaxed);
        Tracked {
            id,
            check: id as u64 ^ 0xA5A5_A5A5_A5A5_A5A5,
            ledger: self.clone(),
        }
    }

    fn made(&self) -> usize {
        self.next.load(Ordering::Relaxed)
    }

    fn alive(&self) -> usize {
        self.states[..self.made()]
            .iter()
            .filter(|s| s.load(Ordering::Acquire) == ALIVE)
            .count()
    }

    fn assert_all_dropped(&self) {
        for (id, s) in self.states[..self.made()].iter().enumerate() {
            assert_eq!(
                s.load(Ordering::Acquire),
                DROPPED,
                "value {id} never dropped"
            );
        }
    }
}

struct Tracked {
    id: usize,
    /// A function of `id`: a value read after its drop (and reuse) would
    /// likely show a mismatch, besides the ledger's state.
    check: u64,
    ledger: Arc<Ledger>,
}

impl Tracked {
    /// Asserts, while the caller holds the value, that it was not dropped.
    fn assert_alive(&self) {
        assert_eq!(
            self.check,
            self.id as u64 ^ 0xA5A5_A5A5_A5A5_A5A5,
            "corrupt value"
        );
        assert_eq!(
            self.ledger.states[self.id].load(Ordering::Acquire),
            ALIVE,
            "value {} was dropped while a reader held it",
            self.id
        );
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let was = self.ledger.states[self.id].swap(DROPPED, Ordering::Release);
        assert_eq!(was, ALIVE, "value {} dropped twice", self.id);
    }
}

/// Readers that load, peek, hold peeks across their next reads, and
/// writers that store, swap and compare-and-swap, all at once, from plain
/// threads; then from goroutines, which share the scheduler's worker
/// threads (and so their hazard slots) and hold peeks across `gosched`.
fn churn(on_goroutines: bool) {
    let writes = scaled(2_000, 20_000);
    let writers = 2;
    let readers = 3;
    // A lost compare-and-swap makes one value more; two more at the ends.
    let ledger = Ledger::new(2 * writers * writes + 2);
    let p = Arc::new(Pointer::new());
    p.store(Some(Arc::new(ledger.make())));
    let stop = Arc::new(AtomicBool::new(false));
    let writing = Arc::new(AtomicUsize::new(writers));

    let reader = {
        let (p, stop) = (p.clone(), stop.clone());
        move |yield_now: fn()| {
            let mut held: Vec<Peek<'_, Tracked>> = Vec::new();
            let mut kept: Vec<Arc<Tracked>> = Vec::new();
            let mut round = 0usize;
            while !stop.load(Ordering::Acquire) {
                round += 1;
                let v = p.load().expect("never None");
                v.assert_alive();
                if round % 7 == 0 {
                    kept.push(v); // outlives its replacement
                }
                if let Some(peek) = p.peek() {
                    peek.assert_alive();
                    held.push(peek); // held across the next reads
                }
                for h in &held {
                    h.assert_alive();
                }
                if held.len() > 5 {
                    // Keep three: some peeks live across the yields below.
                    held.drain(..3);
                }
                if kept.len() > 5 {
                    kept.remove(0).assert_alive();
                }
                if round % 4 == 0 {
                    yield_now();
                }
            }
            for h in held.iter() {
                h.assert_alive();
            }
            for k in kept.iter() {
                k.assert_alive();
            }
        }
    };
    let writer = {
        let (p, stop, writing, ledger) = (p.clone(), stop.clone(), writing.clone(), ledger.clone());
        move |w: usize, yield_now: fn()| {
            for i in 0..writes {
                let new = Some(Arc::new(ledger.make()));
                match (w + i) % 3 {
                    0 => p.store(new),
                    1 => {
                        let old = p.swap(new).expect("never None");
                        old.assert_alive();
                    }
                    _ => {
                        let cur = p.load();
                        if !p.compare_and_swap(&cur, new) {
                            // Lost to another writer: the value was dropped
                            // unstored; make up for it with a store.
                            p.store(Some(Arc::new(ledger.make())));
                        }
                    }
                }
                if i % 4 == 0 {
                    yield_now();
                }
            }
            if writing.fetch_sub(1, Ordering::AcqRel) == 1 {
                stop.store(true, Ordering::Release);
            }
        }
    };

    if on_goroutines {
        let (reader, writer) = (reader.clone(), writer.clone());
        go_together(readers + writers, move |i| {
            if i < readers {
                reader(gosched)
            } else {
                writer(i - readers, gosched)
            }
        })
        .wait();
    } else {
        let start = Barrier::new(readers + writers);
        std::thread::scope(|s| {
            for _ in 0..readers {
                let (reader, start) = (reader.clone(), &start);
                s.spawn(move || {
                    start.wait();
                    reader(std::thread::yield_now);
                });
            }
            for w in 0..writers {
                let (writer, start) = (writer.clone(), &start);
                s.spawn(move || {
                    start.wait();
                    writer(w, std::thread::yield_now);
                });
            }
        });
    }
    drop((reader, writer));

    // Every reader is done: one more store reclaims whatever a reader's
    // last look kept waiting, leaving only the current value and the new.
    p.store(Some(Arc::new(ledger.make())));
    assert_eq!(ledger.alive(), 1, "replaced values still alive");
    let p = Arc::try_unwrap(p).unwrap_or_else(|_| panic!("pointer still shared"));
    drop(p);
    ledger.assert_all_dropped();
}

#[test]
fn values_are_dropped_once_and_never_under_a_reader_threads() {
    churn(false);
}

#[test]
fn values_are_dropped_once_and_never_under_a_reader_goroutines() {
    churn(true);
}

/// A value replaced while peeked stays alive until the peek is dropped,
/// then is dropped by that drop; one not peeked is dropped by the store.
#[test]
fn a_replaced_value_lives_exactly_as_long_as_its_readers() {
    let ledger = Ledger::new(4);
    let p = Pointer::from(Arc::new(ledger.make()));
    let peek = p.peek().unwrap();
    p.store(Some(Arc::new(ledger.make())));
    peek.assert_alive();
    assert_eq!(ledger.alive(), 2);
    drop(peek);
    assert_eq!(ledger.alive(), 1, "the peek's drop frees the old value");
    p.store(Some(Arc::new(ledger.make())));
    assert_eq!(ledger.alive(), 1, "unpeeked: freed by the store");
    let loaded = p.load().unwrap();
    p.store(None);
    loaded.assert_alive();
    drop(loaded);
    assert_eq!(ledger.alive(), 0);
    drop(p);
    ledger.assert_all_dropped();
}

/// Dropping a pointer drops its value and whatever waits in its retired
/// list, even with another thread still peeking at an equal clone.
#[test]
fn dropping_the_pointer_drops_everything_it_kept() {
    let ledger = Ledger::new(8);
    let a = Pointer::new();
    let b = Pointer::new();
    let shared = Arc::new(ledger.make());
    a.store(Some(shared.clone()));
    b.store(Some(shared.clone()));
    drop(shared);
    let peek_b = b.peek().unwrap();
    a.store(Some(Arc::new(ledger.make()))); // `shared` is peeked through b
    a.store(None);
    drop(a); // drops a's count of `shared`; b still holds one
    peek_b.assert_alive();
    drop(peek_b);
    assert_eq!(ledger.alive(), 1);
    drop(b);
    ledger.assert_all_dropped();
}

/// `Value` keeps its values the same way.
#[test]
fn value_drops_what_it_replaced() {
    let ledger = Ledger::new(4);
    let v = Value::new();
    v.store(ledger.make());
    let held = v.load().unwrap();
    let old = v.swap(ledger.make()).unwrap();
    assert!(Arc::ptr_eq(&held, &old));
    drop((held, old));
    v.store(ledger.make());
    assert_eq!(ledger.alive(), 1);
    drop(v);
    ledger.assert_all_dropped();
}

/// Go compares `atomic.Pointer` by address: an equal value elsewhere is a
/// different pointer.
#[test]
fn compare_and_swap_is_by_identity() {
    let p = Pointer::new();
    let one = Arc::new(String::from("same"));
    let other = Arc::new(String::from("same"));
    assert_eq!(one, other);
    p.store(Some(one.clone()));
    assert!(!p.compare_and_swap(&Some(other.clone()), None));
    assert!(Arc::ptr_eq(&p.load().unwrap(), &one));
    assert!(!p.compare_and_swap(&None, Some(other.clone())));
    assert!(p.compare_and_swap(&Some(one.clone()), Some(other.clone())));
    assert!(Arc::ptr_eq(&p.load().unwrap(), &other));
    // The loser of a compare-and-swap drops its `new`.
    let loser = Arc::new(String::from("loser"));
    assert!(!p.compare_and_swap(&Some(one), Some(loser.clone())));
    assert_eq!(Arc::strong_count(&loser), 1);
}

/// The read-copy-update pattern: readers peek at the current config while
/// a writer replaces it; a reader sees each config whole (its two fields
/// were written together).
#[test]
fn read_copy_update() {
    #[derive(Debug)]
    struct Config {
        version: u64,
        double: u64,
    }
    let rounds = scaled(2_000, 50_000) as u64;
    let cfg = Arc::new(Pointer::from(Arc::new(Config {
        version: 0,
        double: 0,
    })));
    let wg = WaitGroup::new();
    for _ in 0..4 {
        let cfg = cfg.clone();
        wg.go(move || {
            let mut last = 0;
            while last < rounds {
                let c = cfg.peek().unwrap();
                assert_eq!(c.double, 2 * c.version, "torn config {c:?}");
                assert!(c.version >= last, "went back from {last} to {}", c.version);
                last = c.version;
                drop(c);
                gosched();
            }
        });
    }
    for version in 1..=rounds {
        let next = Config {
            version,
            double: 2 * version,
        };
        cfg.store(Some(Arc::new(next)));
        if version % 8 == 0 {
            gosched();
        }
    }
    wg.wait();
}
