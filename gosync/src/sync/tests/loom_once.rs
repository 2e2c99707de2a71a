use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;

use crate::loom::model;
use crate::sync::Once;

/// The action runs once, and its effects are visible to every caller on
/// return, on the slow path and the fast path alike.
#[test]
fn runs_once_and_publishes() {
    model(|| {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let t = {
            let (once, runs) = (once.clone(), runs.clone());
            thread::spawn(move || {
                once.call(|| runs.store(runs.load(Relaxed) + 1, Relaxed));
                assert_eq!(runs.load(Relaxed), 1);
            })
        };
        once.call(|| runs.store(runs.load(Relaxed) + 1, Relaxed));
        assert_eq!(runs.load(Relaxed), 1);
        t.join().unwrap();
        assert!(once.is_done());
    });
}

/// Two first callers of a `OnceValue`: one computes, both get the same
/// fully written value.
#[test]
fn once_value_publishes_its_value() {
    use crate::sync::OnceValue;
    model(|| {
        let v = Arc::new(OnceValue::new(|| vec![1, 2, 3]));
        let t = {
            let v = v.clone();
            thread::spawn(move || assert_eq!(v.get().iter().sum::<i32>(), 6))
        };
        assert_eq!(v.get().len(), 3);
        t.join().unwrap();
    });
}
