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
