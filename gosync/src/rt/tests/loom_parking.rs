//! No wake-up is lost between a waiter's check and its sleep.

use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;

use crate::loom::model;
use crate::rt::parking::{self, ParkResult, TOKEN_HANDOFF};

/// The waiter sleeps until `flag` is set; the waker sets it and wakes only
/// if the table says someone waits. If the waiter could be missed, some
/// interleaving leaves it asleep forever and loom reports a deadlock.
#[test]
fn flag_then_wake_is_never_lost() {
    model(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let key = Arc::as_ptr(&flag) as usize;
        let waiter = {
            let flag = flag.clone();
            thread::spawn(move || {
                while !flag.load(SeqCst) {
                    parking::park(key, false, None, || !flag.load(SeqCst), || {}, |_| {});
                }
            })
        };
        flag.store(true, SeqCst);
        if parking::has_waiters(key) {
            parking::unpark_one(key, |_| TOKEN_HANDOFF);
        }
        waiter.join().unwrap();
    });
}

/// Two waiters on two keys sharing the (single, under loom) bucket: waking
/// one key never wakes the other's waiter, and the token reaches the right one.
#[test]
fn keys_sharing_a_bucket_stay_apart() {
    model(|| {
        let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let waiters: Vec<_> = (0..2)
            .map(|i| {
                let flags = flags.clone();
                thread::spawn(move || {
                    let key = &flags[i] as *const AtomicBool as usize;
                    let mut got = None;
                    while !flags[i].load(SeqCst) {
                        let r = parking::park(
                            key,
                            false,
                            None,
                            || !flags[i].load(SeqCst),
                            || {},
                            |_| {},
                        );
                        if let ParkResult::Unparked(t) = r {
                            got = Some(t);
                        }
                    }
                    if let Some(t) = got {
                        assert_eq!(t, 10 + i, "a wake-up reached the wrong key's waiter");
                    }
                })
            })
            .collect();
        for i in 0..2 {
            let key = &flags[i] as *const AtomicBool as usize;
            flags[i].store(true, SeqCst);
            if parking::has_waiters(key) {
                parking::unpark_one(key, |_| 10 + i);
            }
        }
        for w in waiters {
            w.join().unwrap();
        }
    });
}
