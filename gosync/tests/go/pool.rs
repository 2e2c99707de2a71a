//! Port of `src/sync/pool_test.go`.
//!
//! Ports: `TestPool`, `TestPoolNew`, `TestPoolStress`; the idea of
//! `TestPoolGC` and `TestPoolRelease` (the pool does not keep its objects
//! alive for ever), adapted to a pool without a garbage collector: a
//! memory bound, and everything dropped with the pool.
//! Added here: stress with objects that carry an identity, a function that
//! panics or uses the pool, and `!Sync` objects.
//! Not ported: `TestPoolDequeue` and `TestPoolChain` test internals (the
//! deque's port is a unit test in `src/sync/pool.rs`); `TestNilPool` (a
//! Rust pool cannot be nil); the benchmarks (see `benches/pool.rs`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use gosync::sync::{Pool, WaitGroup};

use super::make;
use crate::scaled;

/// The most objects one thread caches in a pool, as `Pool`'s docs state:
/// one private slot and a 64-object deque.
const PER_THREAD: usize = 65;

#[test]
fn test_pool() {
    // Go's pool without `New` returns nil when empty: `Option` and `None`.
    let p: Pool<Option<&str>> = Pool::new(|| None);
    assert_eq!(p.get(), None, "expected empty");

    // Go pins the goroutine to its P between the puts and the gets; a
    // plain thread keeps its cache.
    p.put(Some("a"));
    p.put(Some("b"));
    assert_eq!(p.get(), Some("a"));
    assert_eq!(p.get(), Some("b"));
    assert_eq!(p.get(), None);

    // Put in a large number of objects so they spill into stealable space.
    for _ in 0..100 {
        p.put(Some("c"));
    }
    // Go: after one GC the victim cache keeps them; after a second they are
    // gone. Here there is no GC: they stay, up to the bound.
    assert_eq!(p.get(), Some("c"), "want c");
    let mut kept = 1;
    while p.get().is_some() {
        kept += 1;
    }
    assert!(
        kept <= PER_THREAD,
        "{kept} objects kept; bound {PER_THREAD}"
    );
}

#[test]
fn test_pool_new() {
    let i = AtomicUsize::new(0);
    let p = Pool::new(|| i.fetch_add(1, Ordering::Relaxed) + 1);
    assert_eq!(p.get(), 1);
    assert_eq!(p.get(), 2);
    p.put(42);
    assert_eq!(p.get(), 42);
    assert_eq!(p.get(), 3);
}

#[test]
fn test_pool_stress() {
    const P: usize = 10;
    let n = scaled(10_000, 1_000_000);
    // Go's objects are `0` or nil; every object here is made as 0.
    let p = Arc::new(Pool::new(|| 0usize));
    let done = make(0);
    for _ in 0..P {
        go!(p, done, {
            let mut v = 0;
            for _ in 0..n {
                p.put(v);
                v = p.get();
                if v != 0 {
                    break;
                }
            }
            done.send(v);
        });
    }
    for _ in 0..P {
        assert_eq!(done.recv(), 0, "expect 0");
    }
}

/// An object that knows whether someone holds it, and counts the live ones.
struct Obj {
    id: usize,
    held: Arc<AtomicBool>,
    dropped: Arc<AtomicBool>,
    live: Arc<AtomicUsize>,
}

impl Obj {
    fn new(id: usize, live: &Arc<AtomicUsize>) -> Obj {
        live.fetch_add(1, Ordering::Relaxed);
        Obj {
            id,
            held: Arc::new(AtomicBool::new(false)),
            dropped: Arc::new(AtomicBool::new(false)),
            live: live.clone(),
        }
    }

    /// Marks the object held by the caller; fails if someone else holds it.
    fn take(&self) {
        let was = self.held.swap(true, Ordering::AcqRel);
        assert!(!was, "object {} handed to two getters at once", self.id);
    }

    fn release(&self) {
        self.held.store(false, Ordering::Release);
    }
}

impl Drop for Obj {
    fn drop(&mut self) {
        assert!(
            !self.dropped.swap(true, Ordering::AcqRel),
            "object {} dropped twice",
            self.id
        );
        self.live.fetch_sub(1, Ordering::Relaxed);
    }
}

type ObjPool = Pool<Obj, Box<dyn Fn() -> Obj + Send + Sync>>;

/// A pool of [`Obj`]s with fresh ids, and its live-object counter.
fn obj_pool() -> (Arc<ObjPool>, Arc<AtomicUsize>) {
    let live = Arc::new(AtomicUsize::new(0));
    let next = AtomicUsize::new(0);
    let l = live.clone();
    let pool = Pool::new(
        Box::new(move || Obj::new(next.fetch_add(1, Ordering::Relaxed), &l))
            as Box<dyn Fn() -> Obj + Send + Sync>,
    );
    (Arc::new(pool), live)
}

/// Gets `k` objects, checks nobody else holds them, and puts them back.
fn churn(p: &ObjPool, k: usize) {
    let objs: Vec<Obj> = (0..k).map(|_| p.get()).collect();
    for o in &objs {
        o.take();
    }
    for o in &objs {
        o.release();
    }
    for o in objs {
        p.put(o);
    }
}

/// `TestPoolStress` with objects that carry an identity, from goroutines and
/// from plain threads at once, with some of each only putting or only
/// getting so that objects cross threads (stealing): no object is ever held
/// by two getters, none is dropped twice, and the pool's drop leaves none.
#[test]
fn stress_never_hands_one_object_to_two_getters() {
    let n = scaled(2_000, 100_000);
    let (p, live) = obj_pool();
    let wg = WaitGroup::new();
    for g in 0..8 {
        let p = p.clone();
        wg.go(move || {
            for i in 0..n {
                churn(&p, 1 + (g + i) % 5);
                if i % 64 == 0 {
                    gosync::runtime::gosched();
                }
            }
        });
    }
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let p = p.clone();
            std::thread::spawn(move || {
                for i in 0..n {
                    match t {
                        // A producer: its surplus is stolen by the others.
                        0 => {
                            let o = p.get();
                            o.take();
                            o.release();
                            p.put(o);
                            p.put(p.get());
                        }
                        // A consumer: drops what it gets, so it steals.
                        1 => {
                            let o = p.get();
                            o.take();
                            o.release();
                            if i % 2 == 0 {
                                p.put(o);
                            }
                        }
                        _ => churn(&p, 1 + i % 7),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    wg.wait();
    drop(p);
    assert_eq!(live.load(Ordering::Relaxed), 0, "objects outlived the pool");
}

/// Objects one thread put are found by another thread, from the first
/// thread's stealable deque (all but its private slot's one).
#[test]
fn objects_cross_threads() {
    let (p, live) = obj_pool();
    let q = p.clone();
    std::thread::spawn(move || {
        for _ in 0..10 {
            let o = q.get();
            q.put(o);
        }
        let objs: Vec<Obj> = (0..10).map(|_| q.get()).collect();
        for o in objs {
            q.put(o);
        }
    })
    .join()
    .unwrap();
    assert_eq!(live.load(Ordering::Relaxed), 10);
    let objs: Vec<Obj> = (0..10).map(|_| p.get()).collect();
    let reused = objs.iter().filter(|o| o.id < 10).count();
    assert!(reused >= 9, "only {reused} of the 10 objects were stolen");
}

/// `TestPoolGC`/`TestPoolRelease` without a GC: putting far more than is
/// taken does not grow the pool past its bound.
#[test]
fn putting_without_getting_is_bounded() {
    let (p, live) = obj_pool();
    let n = scaled(100_000, 1_000_000);
    for i in 0..n {
        p.put(Obj::new(i, &live));
    }
    let kept = live.load(Ordering::Relaxed);
    assert!(
        kept <= PER_THREAD,
        "{kept} objects live; bound {PER_THREAD}"
    );

    // Goroutines use their workers' caches: at most GOMAXPROCS of them.
    let workers = gosync::runtime::gomaxprocs();
    let wg = WaitGroup::new();
    for g in 0..4 * workers {
        let (p, live) = (p.clone(), live.clone());
        wg.go(move || {
            for i in 0..n / 10 {
                p.put(Obj::new(g * n + i, &live));
                if i % 1000 == 0 {
                    gosync::runtime::gosched();
                }
            }
        });
    }
    wg.wait();
    let kept = live.load(Ordering::Relaxed);
    let bound = PER_THREAD * (workers + 1);
    assert!(kept <= bound, "{kept} objects live; bound {bound}");
    drop(p);
    assert_eq!(live.load(Ordering::Relaxed), 0);
}

/// `TestPoolRelease` without a GC: dropping the pool drops every object it
/// cached, whichever thread cached it: this one, threads that have exited,
/// a thread still running, and goroutines.
#[test]
fn dropping_the_pool_drops_every_cached_object() {
    let (p, live) = obj_pool();
    let fill = |p: &ObjPool| {
        let objs: Vec<Obj> = (0..20).map(|_| p.get()).collect();
        for o in objs {
            p.put(o);
        }
    };
    fill(&p);
    for _ in 0..3 {
        let p = p.clone();
        std::thread::spawn(move || fill(&p)).join().unwrap();
    }
    let (filled, exit) = (make(0), make::<()>(0));
    let running = {
        let (p, filled, exit) = (p.clone(), filled.clone(), exit.clone());
        std::thread::spawn(move || {
            fill(&p);
            drop(p);
            filled.send(());
            exit.recv();
        })
    };
    filled.recv();
    let wg = WaitGroup::new();
    for _ in 0..16 {
        let p = p.clone();
        wg.go(move || fill(&p));
    }
    wg.wait();
    assert!(live.load(Ordering::Relaxed) > 0);
    drop(p);
    assert_eq!(live.load(Ordering::Relaxed), 0, "objects outlived the pool");
    exit.send(());
    running.join().unwrap();
}

/// Goroutines that block while they hold pooled objects (and so let other
/// goroutines of their worker use the same cache meanwhile) never share one.
#[test]
fn goroutines_that_block_while_holding_objects() {
    let (p, live) = obj_pool();
    gosync::run(|| {
        let wg = WaitGroup::new();
        for _ in 0..scaled(50, 200) {
            let p = p.clone();
            wg.go(move || {
                for _ in 0..5 {
                    let o = p.get();
                    o.take();
                    gosync::time::sleep(std::time::Duration::from_micros(100));
                    o.release();
                    p.put(o);
                }
            });
        }
        wg.wait();
    });
    drop(p);
    assert_eq!(live.load(Ordering::Relaxed), 0);
}

/// A function that panics makes `get` panic and leaves the pool as it was;
/// a function that uses the pool itself (puts into it, gets from it) is
/// fine, as no borrow of the thread's cache is alive while it runs.
#[test]
fn the_function_may_panic_or_use_the_pool() {
    static FAIL: AtomicBool = AtomicBool::new(true);
    static P: Pool<usize> = Pool::new(|| {
        assert!(!FAIL.swap(false, Ordering::Relaxed), "make failed");
        // Leaves an object behind for the next `get`, and takes it back
        // once: the cache is empty when `get` calls the function.
        P.put(7);
        assert_eq!(P.get(), 7);
        P.put(8);
        1
    });
    assert_eq!(
        crate::recover(|| {
            P.get();
        })
        .as_deref(),
        Some("make failed")
    );
    assert_eq!(P.get(), 1);
    assert_eq!(P.get(), 8);
    P.put(2);
    assert_eq!(P.get(), 2);
}

/// `T: Send` is all a pool needs: objects move between threads, but no two
/// threads ever share one, so a `!Sync` object (one with a `Cell`) may be
/// pooled and the pool shared. Each object counts its uses without atomics
/// and adds them to a total when dropped: none is lost.
#[test]
fn objects_need_only_be_send() {
    /// Counts its uses in a `Cell`; adds them to `total` when dropped.
    struct Uses {
        count: std::cell::Cell<usize>,
        total: Arc<AtomicUsize>,
    }
    impl Drop for Uses {
        fn drop(&mut self) {
            self.total.fetch_add(self.count.get(), Ordering::Relaxed);
        }
    }
    fn shared<T: Send + Sync>(_: &T) {}

    let total = Arc::new(AtomicUsize::new(0));
    let t = total.clone();
    let p = Arc::new(Pool::new(move || Uses {
        count: std::cell::Cell::new(0),
        total: t.clone(),
    }));
    shared(&p);
    let n = scaled(1_000, 20_000);
    let wg = WaitGroup::new();
    for _ in 0..8 {
        let p = p.clone();
        wg.go(move || {
            for i in 0..n {
                let u = p.get();
                u.count.set(u.count.get() + 1);
                if i % 3 != 0 {
                    p.put(u); // else dropped, adding its uses
                }
                if i % 64 == 0 {
                    gosync::runtime::gosched();
                }
            }
        });
    }
    wg.wait();
    drop(p);
    assert_eq!(total.load(Ordering::Relaxed), 8 * n);
}
