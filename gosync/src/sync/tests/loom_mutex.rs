use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;

use crate::loom::model;
use crate::sync::Mutex;

/// Increments as a plain load and store under the lock: any lapse in
/// exclusion or visibility loses an update.
fn increment(m: &Mutex<()>, n: &AtomicUsize) {
    let _g = m.lock();
    let v = n.load(Relaxed);
    n.store(v + 1, Relaxed);
}

#[test]
fn two_threads_no_lost_update() {
    model(|| {
        let m = Arc::new(Mutex::new(()));
        let n = Arc::new(AtomicUsize::new(0));
        let t = {
            let (m, n) = (m.clone(), n.clone());
            thread::spawn(move || increment(&m, &n))
        };
        increment(&m, &n);
        t.join().unwrap();
        assert_eq!(n.load(Relaxed), 2);
    });
}

/// Three contenders, each locking twice: waiters sleep, wake, lose races
/// and requeue at the front, and (with the model's virtual clock advancing
/// 1 ms per read) cross the starvation threshold, so handoffs happen too.
#[test]
fn three_threads_with_starvation_mode() {
    model(|| {
        let m = Arc::new(Mutex::new(()));
        let n = Arc::new(AtomicUsize::new(0));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let (m, n) = (m.clone(), n.clone());
                thread::spawn(move || {
                    increment(&m, &n);
                    increment(&m, &n);
                })
            })
            .collect();
        increment(&m, &n);
        increment(&m, &n);
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(n.load(Relaxed), 6);
        assert!(
            m.try_lock().is_some(),
            "the mutex ends unlocked and in normal mode"
        );
    });
}

#[test]
fn try_lock_never_breaks_exclusion() {
    model(|| {
        let m = Arc::new(Mutex::new(()));
        let n = Arc::new(AtomicUsize::new(0));
        let t = {
            let (m, n) = (m.clone(), n.clone());
            thread::spawn(move || increment(&m, &n))
        };
        let mut mine = 0;
        if let Some(_g) = m.try_lock() {
            let v = n.load(Relaxed);
            n.store(v + 1, Relaxed);
            mine = 1;
        }
        t.join().unwrap();
        assert_eq!(n.load(Relaxed), 1 + mine);
    });
}
