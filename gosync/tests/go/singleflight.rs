//! Port of `golang.org/x/sync/singleflight/singleflight_test.go`.
//!
//! Ports: `TestDo`, `TestDoErr`, `TestDoDupSuppress`, `TestForget`,
//! `TestPanicDo`, and `ExampleGroup` (as `shared_result_is_marked_shared`).
//! Not ported: `TestDoChan`, `TestPanicDoChan`, `TestPanicDoSharedByDoChan`
//! (there is no `DoChan`), `TestGoexitDo` (no `runtime.Goexit` in Rust).
//!
//! Go's tests let duplicate callers arrive with a `time.Sleep` inside the
//! function. These know instead: the key is a [`Spy`], whose hashing (which
//! the group does under its lock, as it looks the key up) counts the
//! callers, so a function can wait until every caller has looked the key up
//! and must be waiting for it. The outcomes are then exact.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gosync::singleflight::Group;
use gosync::sync::WaitGroup;

use super::make;
use crate::{recover, PATIENCE};

/// A key that counts the callers that have looked it up in a group.
struct Spy {
    name: &'static str,
    /// Whether this caller's lookup was counted.
    counted: Arc<AtomicBool>,
    /// Callers that have looked the key up.
    lookups: Arc<AtomicUsize>,
}

impl Spy {
    fn new(name: &'static str) -> Spy {
        Spy {
            name,
            counted: Arc::new(AtomicBool::new(true)),
            lookups: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The same key, for one more caller.
    fn caller(&self) -> Spy {
        Spy {
            name: self.name,
            counted: Arc::new(AtomicBool::new(false)),
            lookups: self.lookups.clone(),
        }
    }

    /// Waits until `n` callers have looked the key up. A caller whose lookup
    /// is counted holds the group's lock until it has joined the call in
    /// flight, and the call cannot end before it takes that lock.
    fn wait_for_lookups(&self, n: usize) {
        let start = Instant::now();
        while self.lookups.load(Ordering::SeqCst) < n {
            assert!(start.elapsed() < PATIENCE, "callers never arrived");
            gosync::time::sleep(Duration::from_millis(1));
        }
    }
}

impl Hash for Spy {
    fn hash<H: Hasher>(&self, state: &mut H) {
        if !self.counted.swap(true, Ordering::SeqCst) {
            self.lookups.fetch_add(1, Ordering::SeqCst);
        }
        self.name.hash(state);
    }
}

impl PartialEq for Spy {
    fn eq(&self, other: &Spy) -> bool {
        self.name == other.name
    }
}

impl Eq for Spy {}

#[test]
fn test_do() {
    let g = Group::new();
    let (v, shared) = g.call("key", || "bar".to_string());
    assert_eq!(v, "bar");
    assert!(!shared);
}

#[test]
fn test_do_err() {
    let g = Group::new();
    let some_err = Arc::new(std::io::Error::other("Some error"));
    let e = some_err.clone();
    let (v, _) = g.call("key", move || Err::<String, _>(e));
    match v {
        Err(err) => assert!(
            Arc::ptr_eq(&err, &some_err),
            "Do error = {err}; want someErr"
        ),
        Ok(v) => panic!("unexpected value {v:?}"),
    }
}

/// `TestDoDupSuppress`: callers that come while the call is in flight
/// share it. Go asserts between 1 and n-1 calls; waiting for every caller
/// makes it exactly one, and every caller, the one that ran it included,
/// sees its result as shared.
#[test]
fn test_do_dup_suppress() {
    const N: usize = 10;
    let g = Arc::new(Group::new());
    let key = Arc::new(Spy::new("key"));
    let calls = Arc::new(AtomicUsize::new(0));
    let results = make(N);
    for _ in 0..N {
        let caller = key.caller();
        go!(g, key, calls, results, {
            let (v, shared) = g.call(caller, || {
                calls.fetch_add(1, Ordering::SeqCst);
                key.wait_for_lookups(N);
                "bar".to_string()
            });
            results.send((v, shared));
        });
    }
    for _ in 0..N {
        let (v, shared) = results.recv();
        assert_eq!(v, "bar");
        assert!(shared, "the result went to {N} callers");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "number of calls");
}

/// `TestDoDupSuppress` as Go wrote it, from plain threads: callers released
/// together, a function that takes a while; only the bounds Go asserts,
/// plus that `shared` tells the truth about every result.
#[test]
fn dup_suppress_from_threads() {
    const N: usize = 10;
    let g = Arc::new(Group::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(std::sync::Barrier::new(N));
    let threads: Vec<_> = (0..N)
        .map(|_| {
            let (g, calls, start) = (g.clone(), calls.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                g.call("key", || {
                    let run = calls.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(10));
                    run
                })
            })
        })
        .collect();
    let results: Vec<(usize, bool)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let runs = calls.load(Ordering::SeqCst);
    assert!((1..=N).contains(&runs), "number of calls = {runs}");
    // Each run's value went to some callers; `shared` is true exactly when
    // it went to more than one.
    for run in 0..runs {
        let got: Vec<bool> = results
            .iter()
            .filter(|(v, _)| *v == run)
            .map(|(_, s)| *s)
            .collect();
        assert!(!got.is_empty(), "run {run}'s result reached nobody");
        assert!(
            got.iter().all(|&s| s == (got.len() > 1)),
            "run {run} went to {} callers, shared = {got:?}",
            got.len()
        );
    }
}

/// `TestForget` (golang/go#31420): after `forget`, a new call runs anew,
/// the forgotten call's end does not remove the new call, and a later
/// caller shares the new call's result.
#[test]
fn test_forget() {
    let g = Arc::new(Group::new());
    let key = Spy::new("key");
    let (first_started, unblock_first, first_result) = (make(0), make(0), make(1));
    let first = key.caller();
    go!(g, first_started, unblock_first, first_result, {
        let r = g.call(first, || {
            first_started.send(());
            unblock_first.recv();
            1
        });
        first_result.send(r);
    });
    first_started.recv();
    g.forget(&key.caller());

    let (second_started, unblock_second, second_result) = (make(0), make(0), make(1));
    let second = key.caller();
    go!(g, second_started, unblock_second, second_result, {
        let r = g.call(second, || {
            second_started.send(());
            unblock_second.recv();
            2
        });
        second_result.send(r);
    });
    second_started.recv();

    unblock_first.send(());
    assert_eq!(first_result.recv(), (1, false));

    let third_result = make(1);
    let third = key.caller();
    go!(g, third_result, {
        third_result.send(g.call(third, || 3));
    });
    // first, forget, second, third.
    key.wait_for_lookups(4);
    unblock_second.send(());
    assert_eq!(second_result.recv(), (2, true));
    assert_eq!(
        third_result.recv(),
        (2, true),
        "we should receive the result produced by the second call"
    );
}

/// `TestPanicDo` (golang/go#41133): a panicking function does not leave
/// callers hanging; every caller panics.
#[test]
fn test_panic_do() {
    const N: usize = 5;
    const MSG: &str = "invalid memory address or nil pointer dereference";
    let g: Arc<Group<&str, ()>> = Arc::new(Group::new());
    let panics = make(N);
    for _ in 0..N {
        go!(g, panics, {
            panics.send(recover(|| {
                g.call("key", || panic!("{MSG}"));
            }));
        });
    }
    for _ in 0..N {
        assert_eq!(panics.recv().as_deref(), Some(MSG));
    }
}

/// A panic reaches every waiter, goroutines and threads alike, with the
/// original message; the key is cleared, so the next call runs anew.
#[test]
fn panic_reaches_every_waiter() {
    const GOROUTINES: usize = 4;
    const THREADS: usize = 3;
    const N: usize = GOROUTINES + THREADS;
    let g: Arc<Group<Spy, u32>> = Arc::new(Group::new());
    let key = Arc::new(Spy::new("key"));
    let runs = Arc::new(AtomicUsize::new(0));
    let panics = make(N);
    let call = {
        let (g, key, runs, panics) = (g.clone(), key.clone(), runs.clone(), panics.clone());
        move || {
            let caller = key.caller();
            panics.send(recover(|| {
                g.call(caller, || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    key.wait_for_lookups(N);
                    panic!("boom");
                });
            }));
        }
    };
    for _ in 0..GOROUTINES {
        gosync::go(call.clone());
    }
    let threads: Vec<_> = (0..THREADS)
        .map(|_| std::thread::spawn(call.clone()))
        .collect();
    for _ in 0..N {
        assert_eq!(panics.recv().as_deref(), Some("boom"));
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(
        g.call(key.caller(), || 7),
        (7, false),
        "the key was cleared"
    );
}

/// Waiting callers park as goroutines: a hundred goroutines on a few
/// workers all reach the group while the first call is in flight (if a
/// waiter blocked its worker, the goroutines behind it could not).
#[test]
fn waiting_goroutines_park() {
    const N: usize = 100;
    let results = gosync::run(|| {
        let g = Arc::new(Group::new());
        let key = Arc::new(Spy::new("key"));
        let shared = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for i in 0..N {
            let (g, key, shared) = (g.clone(), key.clone(), shared.clone());
            let caller = key.caller();
            wg.go(move || {
                let (v, s) = g.call(caller, || {
                    key.wait_for_lookups(N);
                    i
                });
                assert!(v < N);
                if s {
                    shared.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        wg.wait();
        shared.load(Ordering::SeqCst)
    });
    assert_eq!(results, N);
}

/// `ExampleGroup`: a caller that arrives while the first call is in flight
/// gets its result, marked shared, and its own function never runs.
#[test]
fn shared_result_is_marked_shared() {
    let g = Arc::new(Group::new());
    let key = Spy::new("key");
    let (block, res1) = (make::<()>(0), make(1));
    let first = key.caller();
    go!(g, block, res1, {
        res1.send(g.call(first, || {
            block.recv();
            "func 1"
        }));
    });
    key.wait_for_lookups(1); // the first call is in flight
    let res2 = make(1);
    let second = key.caller();
    go!(g, res2, {
        res2.send(g.call(second, || "func 2"));
    });
    key.wait_for_lookups(2);
    block.send(());
    assert_eq!(res1.recv(), ("func 1", true));
    assert_eq!(res2.recv(), ("func 1", true));
}
