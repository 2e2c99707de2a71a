use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;

use crate::loom::model;
use crate::sync::RwMutex;

/// A writer writes two halves of a value; readers must never see one half
/// without the other, and every reader and the writer finish.
#[test]
fn readers_never_see_a_torn_write() {
    model(|| {
        let rw = Arc::new(RwMutex::new(()));
        let halves = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (rw, halves) = (rw.clone(), halves.clone());
                thread::spawn(move || {
                    let _g = rw.rlock();
                    assert_eq!(halves[0].load(Relaxed), halves[1].load(Relaxed));
                })
            })
            .collect();
        {
            let _g = rw.lock();
            halves[0].store(1, Relaxed);
            halves[1].store(1, Relaxed);
        }
        for r in readers {
            r.join().unwrap();
        }
        let _g = rw.rlock();
        assert_eq!(halves[0].load(Relaxed) + halves[1].load(Relaxed), 2);
    });
}

#[test]
fn two_writers_and_a_reader() {
    model(|| {
        let rw = Arc::new(RwMutex::new(()));
        let n = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (rw, n) = (rw.clone(), n.clone());
            thread::spawn(move || {
                let _g = rw.lock();
                n.store(n.load(Relaxed) + 1, Relaxed);
            })
        };
        let reader = {
            let (rw, n) = (rw.clone(), n.clone());
            thread::spawn(move || {
                let _g = rw.rlock();
                assert!(n.load(Relaxed) <= 2);
            })
        };
        {
            let _g = rw.lock();
            n.store(n.load(Relaxed) + 1, Relaxed);
        }
        writer.join().unwrap();
        reader.join().unwrap();
        assert_eq!(n.load(Relaxed), 2);
        assert!(rw.try_lock().is_some());
    });
}
