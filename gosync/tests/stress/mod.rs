//! No lost updates under contention: many goroutines and threads hammer
//! each primitive, and the test checks an exact total at the end. A broken
//! lock shows as a short count (two holders' read-modify-writes interleaved),
//! a lost wake-up as a hang (bounded by [`PATIENCE`](crate::PATIENCE) where
//! the test can).

use std::collections::{HashMap, VecDeque};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use gosync::sync::{Cond, Mutex, Once, RwMutex, WaitGroup};

use crate::scaled;

/// A read-modify-write that is not atomic: a load, a pause, and a store. Two
/// holders of a broken lock would lose one of their increments.
fn increment(v: &mut u64) {
    let old = black_box(*v);
    std::hint::spin_loop();
    *v = old + 1;
}

/// The Go tour's `SafeCounter`: 100 goroutines each increment a map entry
/// 100 times under a `Mutex`; every increment counts.
#[test]
fn safe_counter() {
    struct SafeCounter {
        v: Mutex<HashMap<String, u64>>,
    }
    impl SafeCounter {
        fn inc(&self, key: &str) {
            let mut v = self.v.lock();
            increment(v.entry(key.to_owned()).or_default());
        }
        fn value(&self, key: &str) -> u64 {
            self.v.lock().get(key).copied().unwrap_or(0)
        }
    }

    let c = Arc::new(SafeCounter {
        v: Mutex::new(HashMap::new()),
    });
    let wg = WaitGroup::new();
    for _ in 0..100 {
        let c = c.clone();
        wg.go(move || {
            for _ in 0..100 {
                c.inc("somekey");
            }
        });
    }
    wg.wait();
    assert_eq!(c.value("somekey"), 10_000);
}

/// Plain OS threads, `lock` and `try_lock` mixed, on a `static` mutex.
#[test]
fn mutex_from_plain_threads() {
    static COUNTER: Mutex<u64> = Mutex::new(0);
    let threads = 8;
    let n = scaled(20_000, 100_000);
    let try_successes = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..threads {
            let try_successes = &try_successes;
            s.spawn(move || {
                for i in 0..n {
                    if t % 2 == 0 && i % 4 == 0 {
                        if let Some(mut g) = COUNTER.try_lock() {
                            increment(&mut g);
                            try_successes.fetch_add(1, Ordering::Relaxed);
                        }
                    } else {
                        increment(&mut COUNTER.lock());
                    }
                }
            });
        }
    });
    let locks = (threads / 2 * n + threads / 2 * (n - n.div_ceil(4))) as u64;
    assert_eq!(
        *COUNTER.lock(),
        locks + try_successes.load(Ordering::Relaxed)
    );
}

/// Writers increment two fields in separate steps; readers must never see
/// them differ (a torn write), and no increment may be lost.
#[test]
fn rwmutex_readers_and_writers() {
    let rw = Arc::new(RwMutex::new((0u64, 0u64)));
    let torn = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let writers = 4;
    let n = scaled(5_000, 50_000);
    let wg = WaitGroup::new();
    for _ in 0..writers {
        let rw = rw.clone();
        wg.go(move || {
            for _ in 0..n {
                let mut g = rw.lock();
                increment(&mut g.0);
                increment(&mut g.1);
            }
        });
    }
    for r in 0..8 {
        let (rw, torn, reads) = (rw.clone(), torn.clone(), reads.clone());
        wg.go(move || {
            for i in 0..n {
                let g = if r % 2 == 0 && i % 3 == 0 {
                    match rw.try_rlock() {
                        Some(g) => g,
                        None => continue,
                    }
                } else {
                    rw.rlock()
                };
                let (a, b) = *g;
                if a != b {
                    torn.store(true, Ordering::Relaxed);
                }
                reads.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    wg.wait();
    assert!(
        !torn.load(Ordering::Relaxed),
        "a reader saw a half-done write"
    );
    let total = (writers * n) as u64;
    assert_eq!(*rw.rlock(), (total, total));
    assert!(reads.load(Ordering::Relaxed) > 0);
}

/// Round after round on one reused `WaitGroup`: each round's goroutines all
/// finish (their work is visible) before `wait` returns, while other
/// goroutines wait on the same group.
#[test]
fn waitgroup_rounds() {
    let wg = Arc::new(WaitGroup::new());
    let rounds = scaled(100, 300);
    let per_round = 20;
    let work = Arc::new(AtomicU64::new(0));
    for round in 1..=rounds {
        wg.add(per_round as isize);
        for _ in 0..per_round {
            let (wg, work) = (wg.clone(), work.clone());
            gosync::go(move || {
                // Relaxed: `done` happens before `wait` returns.
                work.fetch_add(1, Ordering::Relaxed);
                wg.done();
            });
        }
        // A second waiter on the same group, itself counted by another group.
        let extra_waiter = WaitGroup::new();
        let inner = wg.clone();
        extra_waiter.go(move || inner.wait());
        wg.wait();
        assert_eq!(work.load(Ordering::Relaxed), (round * per_round) as u64);
        // Every wait of this round returns before the next round's add.
        extra_waiter.wait();
    }
}

/// Many `done`s from many threads at once on one group: the counter never
/// loses one (it would hang or go negative).
#[test]
fn waitgroup_many_done_at_once() {
    let threads = 16;
    let per_thread = scaled(500, 5_000);
    let wg = WaitGroup::new();
    wg.add((threads * per_thread) as isize);
    let start = Barrier::new(threads);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                start.wait();
                for _ in 0..per_thread {
                    wg.done();
                }
            });
        }
        wg.wait();
    });
    // Exactly zero now: one more `done` goes negative.
    assert_eq!(
        crate::recover(|| wg.done()).as_deref(),
        Some("sync: negative WaitGroup counter")
    );
}

/// Threads released together race to a fresh `Once` each round: exactly
/// one runs `f`, and all of them see its effect.
#[test]
fn once_races() {
    let threads = 8;
    let rounds = scaled(1_000, 5_000);
    let onces: Vec<Once> = (0..rounds).map(|_| Once::new()).collect();
    let values: Vec<AtomicUsize> = (0..rounds).map(|_| AtomicUsize::new(0)).collect();
    let runs = AtomicUsize::new(0);
    let stale = AtomicUsize::new(0);
    let start = Barrier::new(threads);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (onces, values, runs, stale, start) = (&onces, &values, &runs, &stale, &start);
            s.spawn(move || {
                start.wait();
                for r in 0..rounds {
                    onces[r].call(|| {
                        runs.fetch_add(1, Ordering::Relaxed);
                        values[r].store(t + 1, Ordering::Relaxed);
                    });
                    if values[r].load(Ordering::Relaxed) == 0 {
                        stale.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(
        runs.load(Ordering::Relaxed),
        rounds,
        "f ran more or less than once per Once"
    );
    assert_eq!(
        stale.load(Ordering::Relaxed),
        0,
        "a caller returned before f's write"
    );
    assert!(onces.iter().all(Once::is_done));
}

/// A bounded queue with two conditions, Go's classic `Cond` shape:
/// producers wait while it is full, consumers while it is empty. Every item
/// is consumed exactly once; a lost wake-up would hang it.
fn bounded_queue(broadcast: bool) {
    struct State {
        queue: VecDeque<u64>,
        consumed: usize,
        sum: u64,
    }
    const CAP: usize = 4;
    let producers = 4;
    let consumers = 4;
    let per_producer = scaled(2_000, 10_000);
    let total = producers * per_producer;
    let state = Arc::new(Mutex::new(State {
        queue: VecDeque::new(),
        consumed: 0,
        sum: 0,
    }));
    let not_empty = Arc::new(Cond::new());
    let not_full = Arc::new(Cond::new());
    let wake = move |c: &Cond| {
        if broadcast {
            c.broadcast();
        } else {
            c.signal();
        }
    };
    let wg = WaitGroup::new();
    for p in 0..producers {
        let (state, not_empty, not_full) = (state.clone(), not_empty.clone(), not_full.clone());
        wg.go(move || {
            for i in 0..per_producer {
                let mut s = state.lock();
                while s.queue.len() >= CAP {
                    s = not_full.wait(s);
                }
                s.queue.push_back((p * per_producer + i) as u64);
                wake(&not_empty);
            }
        });
    }
    for _ in 0..consumers {
        let (state, not_empty, not_full) = (state.clone(), not_empty.clone(), not_full.clone());
        wg.go(move || {
            let mut s = state.lock();
            loop {
                while s.queue.is_empty() && s.consumed < total {
                    s = not_empty.wait(s);
                }
                let Some(v) = s.queue.pop_front() else {
                    break; // everything is consumed
                };
                s.consumed += 1;
                s.sum += v;
                wake(&not_full);
                if s.consumed == total {
                    // Release the consumers still waiting for more.
                    not_empty.broadcast();
                }
            }
        });
    }
    wg.wait();
    let s = state.lock();
    assert_eq!(s.consumed, total);
    assert_eq!(s.sum, (total as u64) * (total as u64 - 1) / 2);
    assert!(s.queue.is_empty());
}

#[test]
fn cond_bounded_queue_signal() {
    bounded_queue(false);
}

#[test]
fn cond_bounded_queue_broadcast() {
    bounded_queue(true);
}

/// Many goroutines each take two mutexes in a fixed order and move a unit
/// from one account to another: the total is conserved.
#[test]
fn mutex_transfers_conserve_total() {
    let accounts: Arc<Vec<Mutex<i64>>> = Arc::new((0..8).map(|_| Mutex::new(1_000)).collect());
    let wg = WaitGroup::new();
    let n = scaled(5_000, 20_000);
    for g in 0..16 {
        let accounts = accounts.clone();
        wg.go(move || {
            for i in 0..n {
                let (a, b) = ((g + i) % 8, (g * 3 + i * 5 + 1) % 8);
                if a == b {
                    continue;
                }
                let (lo, hi) = (a.min(b), a.max(b));
                let mut lo = accounts[lo].lock();
                let mut hi = accounts[hi].lock();
                if a < b {
                    *lo -= 1;
                    *hi += 1;
                } else {
                    *hi -= 1;
                    *lo += 1;
                }
            }
        });
    }
    wg.wait();
    let total: i64 = accounts.iter().map(|a| *a.lock()).sum();
    assert_eq!(total, 8_000);
}
