//! Port of `src/sync/cond_test.go`.
//!
//! Ports: `TestCondSignal`, `TestCondSignalGenerations`, `TestCondBroadcast`,
//! `TestRace`, `TestCondSignalStealing`.
//!
//! Go's `Cond` holds its `Locker` (`c.L`); here `wait` takes the guard of
//! the `Mutex` that protects the condition, so each test pairs the two.
//! Not ported: `TestCondCopy` (a `Cond` cannot be moved, let alone copied,
//! while anyone borrows it; Go checks at run time what Rust rules out when
//! compiling), the benchmarks.

use std::sync::Arc;
use std::time::Duration;

use gosync::sync::{Cond, Mutex};

use super::make;
use crate::scaled;

/// A `Mutex` and the `Cond` that waits on it: Go's `NewCond(&m)`.
fn new_cond<T>(v: T) -> Arc<(Mutex<T>, Cond)> {
    Arc::new((Mutex::new(v), Cond::new()))
}

#[test]
fn test_cond_signal() {
    let mc = new_cond(());
    let mut n = 2;
    let running = make(n);
    let awake = make(n);
    for _ in 0..n {
        go!(mc, running, awake, {
            let (m, c) = &*mc;
            let g = m.lock();
            running.send(true);
            let g = c.wait(g);
            awake.send(true);
            drop(g);
        });
    }
    for _ in 0..n {
        running.recv(); // Wait for everyone to run.
    }
    let (m, c) = &*mc;
    while n > 0 {
        assert!(awake.try_recv().is_none(), "goroutine not asleep");
        let g = m.lock();
        c.signal();
        drop(g);
        awake.recv(); // Fails if no goroutine wakes up.
                      // Give a wrongly woken second goroutine time to report itself.
        std::thread::sleep(Duration::from_millis(1));
        assert!(awake.try_recv().is_none(), "too many goroutines awake");
        n -= 1;
    }
    c.signal();
}

#[test]
fn test_cond_signal_generations() {
    let mc = new_cond(());
    let n = 100;
    let running = make(n);
    let awake = make(n);
    for i in 0..n {
        go!(mc, running, awake, {
            let (m, c) = &*mc;
            let g = m.lock();
            running.send(true);
            let g = c.wait(g);
            awake.send(i);
            drop(g);
        });
        if i > 0 {
            let a = awake.recv();
            assert_eq!(a, i - 1, "wrong goroutine woke up: want {}, got {a}", i - 1);
        }
        running.recv();
        let (m, c) = &*mc;
        let g = m.lock();
        c.signal();
        drop(g);
    }
    // The last one's signal is still owed a wake-up.
    assert_eq!(awake.recv(), n - 1);
}

#[test]
fn test_cond_broadcast() {
    let mc = new_cond(false); // the mutex guards Go's `exit`
    let n = scaled(100, 200);
    let running = make(n);
    let awake = make(n);
    for i in 0..n {
        go!(mc, running, awake, {
            let (m, c) = &*mc;
            let mut exit = m.lock();
            while !*exit {
                running.send(i);
                exit = c.wait(exit);
                awake.send(i);
            }
        });
    }
    let (m, c) = &*mc;
    for i in 0..n {
        for _ in 0..n {
            running.recv(); // Fails unless n are running.
        }
        if i == n - 1 {
            *m.lock() = true;
        }
        assert!(awake.try_recv().is_none(), "goroutine not asleep");
        let g = m.lock();
        c.broadcast();
        drop(g);
        let mut seen = vec![false; n];
        for _ in 0..n {
            let g = awake.recv();
            assert!(!seen[g], "goroutine woke up twice");
            seen[g] = true;
        }
    }
    // Give a goroutine that failed to exit time to report itself.
    std::thread::sleep(Duration::from_millis(1));
    assert!(running.try_recv().is_none(), "goroutine did not exit");
    c.broadcast();
}

/// Go's `TestRace` checks `x` with `t.Error` inside the goroutines; here the
/// goroutines send what they saw.
#[test]
fn test_race() {
    let cx = new_cond(0);
    let done = make(3);
    go!(cx, done, {
        let (l, c) = &*cx;
        let mut x = l.lock();
        *x = 1;
        x = c.wait(x);
        let saw = *x; // want 2
        *x = 3;
        c.signal();
        drop(x);
        done.send(("first", Some(saw), 2));
    });
    go!(cx, done, {
        let (l, c) = &*cx;
        let mut x = l.lock();
        loop {
            if *x == 1 {
                *x = 2;
                c.signal();
                break;
            }
            drop(x);
            gosync::runtime::gosched();
            x = l.lock();
        }
        drop(x);
        done.send(("second", None, 0));
    });
    go!(cx, done, {
        let (l, c) = &*cx;
        let mut x = l.lock();
        let mut saw = None;
        loop {
            if *x == 2 {
                x = c.wait(x);
                saw = Some(*x); // want 3
                break;
            }
            if *x == 3 {
                break;
            }
            drop(x);
            gosync::runtime::gosched();
            x = l.lock();
        }
        drop(x);
        done.send(("third", saw, 3));
    });
    for _ in 0..3 {
        let (who, saw, want) = done.recv();
        if let Some(saw) = saw {
            assert_eq!(saw, want, "{who} goroutine: want {want}");
        }
    }
}

#[test]
fn test_cond_signal_stealing() {
    for _ in 0..scaled(500, 1000) {
        let mc = new_cond(false); // the mutex guards Go's `done`
        let (m, cond) = &*mc;

        // Start a waiter.
        let ch = make(0);
        go!(mc, ch, {
            let (m, cond) = &*mc;
            let g = m.lock();
            ch.send(());
            let g = cond.wait(g);
            drop(g);

            ch.send(());
        });

        ch.recv();
        drop(m.lock());

        // We know that the waiter is in the cond.wait() call because we
        // synchronized with it, then acquired/released the mutex it was
        // holding when we synchronized.
        //
        // Start two goroutines that will race: one will broadcast on
        // the cond var, the other will wait on it.
        //
        // The new waiter may or may not get notified, but the first one
        // has to be notified.
        go!(mc, { mc.1.broadcast() });

        go!(mc, {
            let (m, cond) = &*mc;
            let mut done = m.lock();
            while !*done {
                done = cond.wait(done);
            }
        });

        // Check that the first waiter does get signaled.
        ch.recv();

        // Release the second waiter in case it didn't get the broadcast.
        *m.lock() = true;
        cond.broadcast();
    }
}

// Beyond Go's file.

/// A signal with nobody waiting is not remembered: a later `wait` sleeps
/// until the next one.
#[test]
fn signal_without_waiters_is_lost() {
    let mc = new_cond(());
    let (m, c) = &*mc;
    c.signal();
    c.broadcast();
    let ch = make(0);
    let woke = make(1);
    go!(mc, ch, woke, {
        let (m, c) = &*mc;
        let g = m.lock();
        ch.send(());
        drop(c.wait(g));
        woke.send(());
    });
    ch.recv();
    drop(m.lock()); // the waiter is inside `wait` now
    std::thread::sleep(Duration::from_millis(1));
    assert!(woke.try_recv().is_none(), "an old signal woke a new waiter");
    c.signal();
    woke.recv();
}

/// Waiters wake in the order they began waiting (gosync's `Cond` promises
/// it; Go's implementation behaves so and `TestCondSignalGenerations` leans
/// on it).
#[test]
fn signal_wakes_waiters_in_fifo_order() {
    let mc = new_cond(());
    let (m, c) = &*mc;
    let n = 8;
    let running = make(0);
    let awake = make(n);
    for i in 0..n {
        go!(mc, running, awake, {
            let (m, c) = &*mc;
            let g = m.lock();
            running.send(());
            let g = c.wait(g);
            awake.send(i);
            drop(g);
        });
        running.recv();
        drop(m.lock()); // goroutine i is inside `wait` now
    }
    for i in 0..n {
        c.signal();
        assert_eq!(awake.recv(), i, "wrong goroutine woke up");
    }
}

/// `wait` gives back the same mutex, locked, with the writes made by the
/// goroutine that signalled (the mutex and the cond order them).
#[test]
fn wait_returns_the_relocked_guard() {
    let mc = new_cond(Vec::new());
    let (m, c) = &*mc;
    let items = scaled(100, 1000);
    go!(mc, {
        let (m, c) = &*mc;
        for i in 0..items {
            m.lock().push(i);
            c.signal();
        }
    });
    let mut got = 0;
    let mut q = m.lock();
    while got < items {
        while q.is_empty() {
            q = c.wait(q);
        }
        for v in q.drain(..) {
            assert_eq!(v, got, "items arrive in order, none lost");
            got += 1;
        }
    }
    assert!(m.try_lock().is_none(), "wait handed back a locked guard");
    drop(q);
}
