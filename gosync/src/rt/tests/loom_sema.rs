//! Go's semaphore: every release is taken by exactly one acquire.

use loom::sync::Arc;
use loom::thread;

use crate::loom::model;
use crate::rt::sema::Sema;

#[test]
fn release_wakes_acquire() {
    for handoff in [false, true] {
        model(move || {
            let s = Arc::new(Sema::new());
            let t = {
                let s = s.clone();
                thread::spawn(move || s.acquire(false))
            };
            s.release(handoff);
            t.join().unwrap();
        });
    }
}

/// Two acquirers (one queueing LIFO) and two releases, one a handoff: both
/// acquirers finish, whatever the order.
#[test]
fn two_acquires_two_releases() {
    model(|| {
        let s = Arc::new(Sema::new());
        let ts: Vec<_> = [false, true]
            .into_iter()
            .map(|lifo| {
                let s = s.clone();
                thread::spawn(move || s.acquire(lifo))
            })
            .collect();
        s.release(true);
        s.release(false);
        for t in ts {
            t.join().unwrap();
        }
    });
}
