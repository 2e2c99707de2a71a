use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;

use crate::loom::model;
use crate::sync::WaitGroup;

/// `done` happens before the `wait` it releases: the workers' relaxed
/// stores are visible after `wait`, and two waiters both wake.
#[test]
fn done_happens_before_wait_returns() {
    model(|| {
        let wg = Arc::new(WaitGroup::new());
        let data = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        wg.add(2);
        let workers: Vec<_> = (0..2)
            .map(|i| {
                let (wg, data) = (wg.clone(), data.clone());
                thread::spawn(move || {
                    data[i].store(1, Relaxed);
                    wg.done();
                })
            })
            .collect();
        let second_waiter = {
            let (wg, data) = (wg.clone(), data.clone());
            thread::spawn(move || {
                wg.wait();
                assert_eq!(data[0].load(Relaxed) + data[1].load(Relaxed), 2);
            })
        };
        wg.wait();
        assert_eq!(data[0].load(Relaxed) + data[1].load(Relaxed), 2);
        for t in workers {
            t.join().unwrap();
        }
        second_waiter.join().unwrap();
    });
}

/// Lazy initialisation of the shared state races safely.
#[test]
fn first_use_from_two_threads() {
    model(|| {
        let wg = Arc::new(WaitGroup::new());
        let t = {
            let wg = wg.clone();
            thread::spawn(move || wg.add(1))
        };
        wg.add(1);
        t.join().unwrap();
        wg.add(-2);
        wg.wait();
    });
}
