//! Port of `src/sync/rwmutex_test.go`.
//!
//! Ports: `TestParallelReaders` (`doTestParallelReaders`), `TestRWMutex`
//! (its `TryLock`/`TryRLock` checks and `HammerRWMutex`, `reader`, `writer`),
//! `TestRLocker` (as far as it means something with guards; see there).
//! Go runs the hammer and the parallel readers under several `GOMAXPROCS`
//! values; goroutines are OS threads here and `GOMAXPROCS` is process-wide
//! (it only decides whether waiters spin), so the ports keep the reader
//! counts and drop the `GOMAXPROCS` sweep.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gosync::sync::RwMutex;

use super::{make, Chan};
use crate::{recover, scaled};

fn parallel_reader(
    m: &RwMutex<()>,
    clocked: &Chan<bool>,
    cunlock: &Chan<bool>,
    cdone: &Chan<bool>,
) {
    let g = m.rlock();
    clocked.send(true);
    cunlock.recv();
    drop(g);
    cdone.send(true);
}

fn do_test_parallel_readers(num_readers: usize) {
    let m = Arc::new(RwMutex::new(()));
    let clocked = make(0);
    let cunlock = make(0);
    let cdone = make(0);
    for _ in 0..num_readers {
        go!(m, clocked, cunlock, cdone, {
            parallel_reader(&m, &clocked, &cunlock, &cdone)
        });
    }
    // Wait for all parallel RLock()s to succeed: each reader reports while
    // still holding its read lock, so this completes only if they overlap.
    for _ in 0..num_readers {
        clocked.recv();
    }
    assert!(m.try_lock().is_none(), "a writer got in among readers");
    assert!(m.try_rlock().is_some(), "one more reader is welcome");
    for _ in 0..num_readers {
        cunlock.send(true);
    }
    // Wait for the goroutines to finish.
    for _ in 0..num_readers {
        cdone.recv();
    }
    assert!(m.try_lock().is_some(), "every reader has left");
}

#[test]
fn test_parallel_readers() {
    do_test_parallel_readers(1);
    do_test_parallel_readers(3);
    do_test_parallel_readers(4);
}

/// What the hammer saw: a value of `activity` that mutual exclusion forbids.
#[derive(Default)]
struct Violation(AtomicI32);

impl Violation {
    fn record(&self, n: i32) {
        let _ = self
            .0
            .compare_exchange(0, n, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// Go panics with `wlock(n)` inside the goroutine; here the goroutine
/// records the first bad value and the test reports it.
fn reader(rwm: &RwMutex<()>, num_iterations: usize, activity: &AtomicI32, bad: &Violation) {
    for _ in 0..num_iterations {
        let g = rwm.rlock();
        let n = activity.fetch_add(1, Ordering::SeqCst) + 1;
        if !(1..10000).contains(&n) {
            bad.record(n);
        }
        for _ in 0..100 {
            std::hint::spin_loop();
        }
        activity.fetch_sub(1, Ordering::SeqCst);
        drop(g);
    }
}

fn writer(rwm: &RwMutex<()>, num_iterations: usize, activity: &AtomicI32, bad: &Violation) {
    for _ in 0..num_iterations {
        let g = rwm.lock();
        let n = activity.fetch_add(10000, Ordering::SeqCst) + 10000;
        if n != 10000 {
            bad.record(n);
        }
        for _ in 0..100 {
            std::hint::spin_loop();
        }
        activity.fetch_sub(10000, Ordering::SeqCst);
        drop(g);
    }
}

fn hammer_rwmutex(num_readers: usize, num_iterations: usize) {
    // Number of active readers + 10000 * number of active writers.
    let activity = Arc::new(AtomicI32::new(0));
    let rwm = Arc::new(RwMutex::new(()));
    let bad = Arc::new(Violation::default());
    let cdone = make(0);
    go!(rwm, activity, bad, cdone, {
        writer(&rwm, num_iterations, &activity, &bad);
        cdone.send(true);
    });
    let mut i = 0;
    while i < num_readers / 2 {
        go!(rwm, activity, bad, cdone, {
            reader(&rwm, num_iterations, &activity, &bad);
            cdone.send(true);
        });
        i += 1;
    }
    go!(rwm, activity, bad, cdone, {
        writer(&rwm, num_iterations, &activity, &bad);
        cdone.send(true);
    });
    while i < num_readers {
        go!(rwm, activity, bad, cdone, {
            reader(&rwm, num_iterations, &activity, &bad);
            cdone.send(true);
        });
        i += 1;
    }
    // Wait for the 2 writers and all readers to finish.
    for _ in 0..2 + num_readers {
        cdone.recv();
    }
    let n = bad.0.load(Ordering::SeqCst);
    assert_eq!(n, 0, "wlock({n}): readers and writers overlapped");
    assert_eq!(activity.load(Ordering::SeqCst), 0);
}

#[test]
fn test_rwmutex() {
    let m = RwMutex::new(());
    let w = m.lock();
    assert!(
        m.try_lock().is_none(),
        "TryLock succeeded with mutex locked"
    );
    assert!(
        m.try_rlock().is_none(),
        "TryRLock succeeded with mutex locked"
    );
    drop(w);
    let w = m.try_lock().expect("TryLock failed with mutex unlocked");
    drop(w);
    let r1 = m.try_rlock().expect("TryRLock failed with mutex unlocked");
    let r2 = m.try_rlock().expect("TryRLock failed with mutex rlocked");
    assert!(
        m.try_lock().is_none(),
        "TryLock succeeded with mutex rlocked"
    );
    drop(r1);
    drop(r2);

    let n = scaled(500, 2000);
    for readers in [1, 3, 10, 5] {
        hammer_rwmutex(readers, n);
    }
}

/// Go's `TestRLocker` takes the read lock twice through `RLocker()`, has
/// another goroutine unlock it, and checks that a writer gets in only after
/// both read locks are gone and that the write lock keeps readers out.
/// Guards cannot be unlocked by another goroutine (nor is there an
/// `RLocker`), so here the test goroutine holds the two read guards and
/// drops them itself; the checks are Go's.
#[test]
fn test_rlocker() {
    let wl = Arc::new(RwMutex::new(()));
    let wlocked = make(1);
    let rlocked = make(1);
    let unlock = make::<()>(0);
    let n = 10;
    for _ in 0..n {
        let r1 = wl.rlock();
        let r2 = wl.rlock();
        go!(wl, wlocked, unlock, {
            let g = wl.lock();
            wlocked.send(());
            unlock.recv();
            drop(g);
        });
        // Give the writer a chance to (wrongly) get in.
        std::thread::sleep(Duration::from_micros(100));
        drop(r1);
        assert!(
            wlocked.try_recv().is_none(),
            "RLocker() didn't read-lock it"
        );
        drop(r2);
        wlocked.recv();

        go!(wl, rlocked, {
            drop(wl.rlock());
            rlocked.send(());
        });
        std::thread::sleep(Duration::from_micros(100));
        assert!(
            rlocked.try_recv().is_none(),
            "RLocker() didn't respect the write lock"
        );
        unlock.send(());
        rlocked.recv();
    }
}

// Beyond Go's file.

/// Go's writer preference (documented, not tested, in Go): once a writer
/// waits, a new reader waits behind it even though only readers hold the
/// lock, so it runs after the writer.
#[test]
fn pending_writer_blocks_new_readers() {
    let rw = Arc::new(RwMutex::new(0));
    let first = rw.rlock();
    let wrote = make(1);
    go!(rw, wrote, {
        *rw.lock() = 1;
        wrote.send(());
    });
    // A pending writer shows as `try_rlock` failing while only we hold a
    // read lock. The loop is bounded by a count, not by time.
    let mut tries = 0u32;
    while rw.try_rlock().is_some() {
        tries += 1;
        assert!(tries < 1_000_000, "the writer never became pending");
        std::thread::sleep(Duration::from_micros(10));
    }
    let reader_saw = make(1);
    go!(rw, reader_saw, { reader_saw.send(*rw.rlock()) });
    // Neither the writer nor the new reader can get in yet.
    std::thread::sleep(Duration::from_millis(1));
    assert!(wrote.try_recv().is_none(), "the writer passed a reader");
    assert!(
        reader_saw.try_recv().is_none(),
        "a new reader passed a pending writer"
    );
    drop(first);
    wrote.recv();
    assert_eq!(reader_saw.recv(), 1, "the new reader ran after the writer");
}

/// A panic while holding either kind of lock releases it: the lock stays
/// usable in both modes and keeps what the writer wrote.
#[test]
fn panic_in_critical_section_leaves_rwmutex_usable() {
    let rw = RwMutex::new(0);
    let msg = recover(|| {
        gosync::run(|| {
            let mut g = rw.lock();
            *g = 7;
            panic!("boom under the write lock");
        })
    });
    assert_eq!(msg.as_deref(), Some("boom under the write lock"));
    assert_eq!(*rw.try_rlock().expect("the write lock was released"), 7);

    let msg = recover(|| {
        gosync::run(|| {
            let _g = rw.rlock();
            panic!("boom under a read lock");
        })
    });
    assert_eq!(msg.as_deref(), Some("boom under a read lock"));
    *rw.try_lock().expect("the read lock was released") += 1;
    assert_eq!(*rw.rlock(), 8);
}

/// Many readers and writers, with a panic now and then under each kind of
/// lock: the writers' increments all land and the lock ends up free.
#[test]
fn panics_under_contention_leave_rwmutex_consistent() {
    let rw = Arc::new(RwMutex::new(0u64));
    let wg = gosync::sync::WaitGroup::new();
    let rounds = scaled(50, 500);
    let torn = Arc::new(AtomicBool::new(false));
    for i in 0..8 {
        let (rw, torn) = (rw.clone(), torn.clone());
        wg.go(move || {
            for j in 0..rounds {
                let _ = recover(|| {
                    if i % 2 == 0 {
                        let mut g = rw.lock();
                        *g += 1;
                        if j % 7 == 0 {
                            panic!("writer {i}");
                        }
                    } else {
                        let g = rw.rlock();
                        let before = *g;
                        std::hint::spin_loop();
                        if *g != before {
                            torn.store(true, Ordering::SeqCst);
                        }
                        if j % 7 == 0 {
                            panic!("reader {i}");
                        }
                    }
                });
            }
        });
    }
    wg.wait();
    assert!(
        !torn.load(Ordering::SeqCst),
        "a write landed under a read lock"
    );
    assert_eq!(*rw.try_lock().expect("free"), 4 * rounds as u64);
}
