//! Port of `src/sync/mutex_test.go`.
//!
//! Ports: `TestMutex` (with `HammerMutex` and its `TryLock` checks),
//! `TestMutexMisuse` (what is left of it; see there), `TestMutexFairness`.
//! Not ported: `TestSemaphore` (the runtime semaphore is internal here; the
//! crate's unit tests cover it), the benchmarks (see `benches/`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gosync::sync::{Mutex, WaitGroup};

use super::{make, Chan};
use crate::{recover, scaled};

/// Go's `HammerMutex`, counting: each `lock` adds one, and so does each
/// `try_lock` that succeeds (also tallied in `acquired_by_try`).
fn hammer_mutex(m: &Mutex<u64>, loops: usize, acquired_by_try: &AtomicU64, cdone: &Chan<bool>) {
    for i in 0..loops {
        if i % 3 == 0 {
            if let Some(mut g) = m.try_lock() {
                *g += 1;
                acquired_by_try.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        }
        *m.lock() += 1;
    }
    cdone.send(true);
}

#[test]
fn test_mutex() {
    let m = Arc::new(Mutex::new(0));

    let g = m.lock();
    assert!(
        m.try_lock().is_none(),
        "TryLock succeeded with mutex locked"
    );
    drop(g);
    assert!(m.try_lock().is_some(), "TryLock failed with mutex unlocked");

    let c = make(0);
    let tries = Arc::new(AtomicU64::new(0));
    let loops = scaled(1000, 10_000);
    for _ in 0..10 {
        go!(m, tries, c, { hammer_mutex(&m, loops, &tries, &c) });
    }
    for _ in 0..10 {
        c.recv();
    }
    // Go's test only checks that nothing deadlocks; the count also catches
    // two holders at once (a lost increment).
    let locks = 10 * (loops - loops.div_ceil(3)) as u64;
    assert_eq!(*m.lock(), locks + tries.load(Ordering::Relaxed));
}

/// Go's `TestMutexMisuse` runs each of "unlock an unlocked mutex" and
/// "unlock twice" in a child process and expects a fatal error. With guards
/// neither can be written: only a `MutexGuard` unlocks, it exists only while
/// the lock is held, and dropping it consumes it. What remains is the
/// contract that makes them impossible: a guard unlocks exactly once, when it
/// is dropped, and a forgotten guard leaves the mutex locked (Go's "forgot to
/// Unlock") rather than unlocking it behind the owner's back.
#[test]
fn test_mutex_misuse() {
    let m = Mutex::new(());
    let g = m.lock();
    assert!(m.try_lock().is_none());
    drop(g);
    let g = m.try_lock().expect("a dropped guard unlocks");
    drop(g);
    assert!(m.try_lock().is_some(), "and unlocks only once");

    let forgotten = Mutex::new(());
    std::mem::forget(forgotten.lock());
    assert!(
        forgotten.try_lock().is_none(),
        "a forgotten guard never unlocks"
    );
}

/// One goroutine holds the lock for about 100 µs at a time in a tight loop;
/// another must still get it 10 times. Go bounds the test with a 10 s
/// timeout; here the hog gives up after `LIMIT` iterations and the verdict is
/// whether the other goroutine finished first. With Go's starvation mode it
/// needs about a dozen hog iterations per acquisition (a waiter starves after
/// 1 ms); without it, it can lose every race.
#[test]
fn test_mutex_fairness() {
    const ROUNDS: usize = 10;
    const LIMIT: u64 = 20_000;
    let mu = Arc::new(Mutex::new(()));
    let stop = Arc::new(AtomicBool::new(false));
    let hog_iterations = make(1);
    go!(mu, stop, hog_iterations, {
        let mut n = 0;
        while n < LIMIT && !stop.load(Ordering::SeqCst) {
            let g = mu.lock();
            std::thread::sleep(Duration::from_micros(100));
            drop(g);
            n += 1;
        }
        hog_iterations.send(n);
    });
    let done = make(1);
    go!(mu, stop, done, {
        for _ in 0..ROUNDS {
            std::thread::sleep(Duration::from_micros(100));
            drop(mu.lock());
        }
        stop.store(true, Ordering::SeqCst);
        done.send(());
    });
    let n = hog_iterations.recv();
    assert!(
        n < LIMIT,
        "can't acquire Mutex in {LIMIT} iterations of a goroutine that holds it 100 µs at a time"
    );
    done.recv();
}

// Beyond Go's file: guarantees that Go gives with `defer mu.Unlock()` and
// that gosync's guards must keep.

/// A panic inside a critical section (caught in its goroutine) unlocks the
/// mutex: the lock stays usable, there is no poisoning, and the writes made
/// before the panic stay.
#[test]
fn panic_in_critical_section_leaves_mutex_usable() {
    let m = Mutex::new(Vec::new());
    let msg = recover(|| {
        gosync::run(|| {
            let mut g = m.lock();
            g.push(1);
            panic!("boom");
        })
    });
    assert_eq!(msg.as_deref(), Some("boom"));
    let g = m.try_lock().expect("the unwinding guard unlocked");
    assert_eq!(*g, [1]);
    drop(g);

    // Under contention: every third goroutine panics while holding the
    // lock and catches its own panic; the others keep counting.
    let m = Arc::new(Mutex::new(0u64));
    let panics = Arc::new(AtomicU64::new(0));
    let wg = WaitGroup::new();
    let n = scaled(30, 90);
    for i in 0..n {
        let (m, panics) = (m.clone(), panics.clone());
        wg.go(move || {
            for _ in 0..100 {
                let r = recover(|| {
                    let mut g = m.lock();
                    *g += 1;
                    if i % 3 == 0 {
                        panic!("boom in goroutine {i}");
                    }
                });
                if r.is_some() {
                    panics.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    wg.wait();
    assert_eq!(*m.lock(), 100 * n as u64);
    assert_eq!(panics.load(Ordering::Relaxed), 100 * n.div_ceil(3) as u64);
}

/// The zero value is usable (`var mu sync.Mutex`): `new` is `const`, so a
/// `static` needs no lazy initialisation; `get_mut` and `into_inner` hand
/// the data back without locking.
#[test]
fn const_new_get_mut_into_inner() {
    static HITS: Mutex<u64> = Mutex::new(0);
    let wg = WaitGroup::new();
    for _ in 0..8 {
        wg.go(|| *HITS.lock() += 1);
    }
    wg.wait();
    assert_eq!(*HITS.lock(), 8);

    let mut m = Mutex::new(vec![1]);
    m.get_mut().push(2);
    assert_eq!(m.into_inner(), [1, 2]);
}

/// `try_lock` fails while another goroutine holds the lock, and succeeds
/// once it lets go.
#[test]
fn try_lock_sees_another_goroutines_lock() {
    let m = Arc::new(Mutex::new(0));
    let locked = make(0);
    let release = make::<()>(0);
    go!(m, locked, release, {
        let mut g = m.lock();
        *g = 1;
        locked.send(());
        release.recv();
        *g = 2;
    });
    locked.recv();
    assert!(
        m.try_lock().is_none(),
        "TryLock succeeded with mutex locked"
    );
    release.send(());
    // Blocks until the holder's guard is gone; then the write is visible.
    assert_eq!(*m.lock(), 2);
    assert_eq!(*m.try_lock().expect("unlocked"), 2);
}
