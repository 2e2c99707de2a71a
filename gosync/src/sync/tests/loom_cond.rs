use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;

use crate::loom::model;
use crate::sync::{Cond, Mutex};

/// A signal sent after the condition is set is never lost, whether it is
/// sent with or without the mutex held.
#[test]
fn signal_is_never_lost() {
    for signal_under_lock in [false, true] {
        model(move || {
            let state = Arc::new((Mutex::new(()), Cond::new(), AtomicBool::new(false)));
            let waiter = {
                let state = state.clone();
                thread::spawn(move || {
                    let (m, c, ready) = &*state;
                    let mut g = m.lock();
                    while !ready.load(Relaxed) {
                        g = c.wait(g);
                    }
                })
            };
            let (m, c, ready) = &*state;
            if signal_under_lock {
                let _g = m.lock();
                ready.store(true, Relaxed);
                c.signal();
            } else {
                {
                    let _g = m.lock();
                    ready.store(true, Relaxed);
                }
                c.signal();
            }
            waiter.join().unwrap();
        });
    }
}

#[test]
fn broadcast_wakes_everyone() {
    model(|| {
        let state = Arc::new((Mutex::new(()), Cond::new(), AtomicBool::new(false)));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let state = state.clone();
                thread::spawn(move || {
                    let (m, c, ready) = &*state;
                    let mut g = m.lock();
                    while !ready.load(Relaxed) {
                        g = c.wait(g);
                    }
                })
            })
            .collect();
        let (m, c, ready) = &*state;
        {
            let _g = m.lock();
            ready.store(true, Relaxed);
        }
        c.broadcast();
        for w in waiters {
            w.join().unwrap();
        }
    });
}
