//! Port of `src/sync/once_test.go`.
//!
//! Ports: `TestOnce` (with its helper `run`), `TestOncePanic`.
//! Not ported: `BenchmarkOnce` (see `benches/`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gosync::sync::{Once, WaitGroup};

use super::{make, Chan};
use crate::{recover, scaled};

/// Go's `type one int` with its `Increment` method. Relaxed is enough for
/// the reads below because `Once` orders them after the increment (its `f`
/// returning happens before every `call` returns); a plain `int` in Go.
#[derive(Default)]
struct One(AtomicUsize);

impl One {
    fn increment(&self) {
        self.0
            .store(self.0.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Go checks `*o == 1` inside the goroutine with `t.Errorf`; here the
/// goroutine sends what it saw.
fn run(once: &Once, o: &One, c: &Chan<usize>) {
    once.call(|| o.increment());
    c.send(o.get());
}

#[test]
fn test_once() {
    let o = Arc::new(One::default());
    let once = Arc::new(Once::new());
    let c = make(0);
    const N: usize = 10;
    for _ in 0..N {
        go!(once, o, c, { run(&once, &o, &c) });
    }
    for _ in 0..N {
        let v = c.recv();
        assert_eq!(v, 1, "once failed inside run: {v} is not 1");
    }
    assert_eq!(o.get(), 1, "once failed outside run: {} is not 1", o.get());
}

#[test]
fn test_once_panic() {
    let once = Once::new();
    for i in 0..2 {
        let r = recover(|| once.call(|| panic!("failed")));
        if i == 0 {
            assert_eq!(
                r.as_deref(),
                Some("failed"),
                "Once.Do() has not panic'ed on first iteration"
            );
        } else {
            assert_eq!(r, None, "Once.Do() has panic'ed on second iteration");
        }
    }
    assert!(once.is_done(), "a panicking f still completes the Once");
    once.call(|| {});
    once.call(|| panic!("Once called twice"));
}

// Beyond Go's file.

/// Callers that arrive while `f` runs wait for it, and none of them runs
/// its own function: every caller sees `f`'s effects when `call` returns.
#[test]
fn concurrent_callers_all_see_f_finished() {
    for _ in 0..scaled(20, 100) {
        let once = Arc::new(Once::new());
        let finished = Arc::new(AtomicBool::new(false));
        let runs = Arc::new(AtomicUsize::new(0));
        let saw = make(16);
        for _ in 0..16 {
            go!(once, finished, runs, saw, {
                once.call(|| {
                    runs.fetch_add(1, Ordering::Relaxed);
                    // Let the other callers pile up behind us.
                    std::thread::sleep(Duration::from_micros(200));
                    finished.store(true, Ordering::Relaxed);
                });
                saw.send(finished.load(Ordering::Relaxed));
            });
        }
        for _ in 0..16 {
            assert!(saw.recv(), "call returned before f had finished");
        }
        assert_eq!(runs.load(Ordering::Relaxed), 1);
        assert!(once.is_done());
    }
}

/// When `f` panics, callers waiting behind it are released (they neither
/// hang nor run their own function) and see the `Once` done.
#[test]
fn panic_releases_waiting_callers() {
    let once = Arc::new(Once::new());
    let started = make(0);
    let outcome = make(8);
    let runs = Arc::new(AtomicUsize::new(0));
    go!(once, started, {
        let _ = recover(|| {
            once.call(|| {
                started.send(());
                // Let the other callers pile up behind us.
                std::thread::sleep(Duration::from_millis(2));
                panic!("init failed");
            })
        });
    });
    started.recv();
    let wg = WaitGroup::new();
    for _ in 0..8 {
        let (once, outcome, runs) = (once.clone(), outcome.clone(), runs.clone());
        wg.go(move || {
            let r = recover(|| {
                once.call(|| {
                    runs.fetch_add(1, Ordering::Relaxed);
                })
            });
            outcome.send((r, once.is_done()));
        });
    }
    wg.wait();
    for _ in 0..8 {
        assert_eq!(outcome.recv(), (None, true));
    }
    assert_eq!(runs.load(Ordering::Relaxed), 0, "f ran twice");
}

/// `is_done` is false until a `call` has run its function.
#[test]
fn is_done_tracks_completion() {
    static INIT: Once = Once::new();
    assert!(!INIT.is_done());
    INIT.call(|| {});
    assert!(INIT.is_done());
}
