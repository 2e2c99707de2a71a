//! Channels under loom: rendezvous, FIFO, close, and a select completed once.

use loom::sync::Arc;
use loom::thread;

use crate::chan::select::{select, Block, RecvCase, Selected};
use crate::chan::Chan;
use crate::loom::model;

#[test]
fn rendezvous_transfers_the_value() {
    model(|| {
        let ch = Arc::new(Chan::new(0));
        let tx = ch.clone();
        let t = thread::spawn(move || tx.send(7));
        assert_eq!(ch.recv(), Some(7));
        t.join().unwrap();
    });
}

#[test]
fn buffered_fifo_across_threads() {
    model(|| {
        let ch = Arc::new(Chan::new(1));
        let tx = ch.clone();
        let t = thread::spawn(move || {
            tx.send(1);
            tx.send(2);
        });
        assert_eq!(ch.recv(), Some(1));
        assert_eq!(ch.recv(), Some(2));
        t.join().unwrap();
    });
}

/// A close races a receiver that may or may not be blocked yet: either way
/// the receiver returns, with "closed".
#[test]
fn close_wakes_a_blocked_receiver() {
    model(|| {
        let ch = Arc::new(Chan::<u8>::new(0));
        let rx = ch.clone();
        let t = thread::spawn(move || rx.recv());
        ch.close();
        assert_eq!(t.join().unwrap(), None);
    });
}

/// A select blocked on two channels; two senders race to complete it with
/// non-blocking sends. Exactly one succeeds.
#[test]
fn select_completes_once() {
    model(|| {
        let a = Arc::new(Chan::new(0));
        let b = Arc::new(Chan::new(0));
        let (ta, tb) = (a.clone(), b.clone());
        let receiver = thread::spawn(move || {
            let mut ca = RecvCase::new(ta.raw());
            let mut cb = RecvCase::new(tb.raw());
            match select(&mut [&mut ca, &mut cb], Block::Forever) {
                Selected::Case(0) => ca.into_result(),
                Selected::Case(1) => cb.into_result(),
                other => panic!("{other:?}"),
            }
        });
        let sa = a.try_send(1).is_ok();
        let sb = b.try_send(2).is_ok();
        if !sa && !sb {
            // Neither found the receiver queued yet: deliver for sure.
            a.send(1);
            assert_eq!(receiver.join().unwrap(), Some(1));
        } else {
            assert!(sa != sb, "a select took two values");
            assert_eq!(receiver.join().unwrap(), Some(if sa { 1 } else { 2 }));
        }
    });
}

// --- Buffered channels: the lock-free ring and the service step ----------

/// A receiver that finds the ring empty queues itself while a sender pushes
/// without the lock: one of them must see the other (the fences of the
/// service protocol), so the receiver always gets the value.
#[test]
fn buffered_receiver_is_served_by_a_lock_free_send() {
    model(|| {
        let ch = Arc::new(Chan::new(1));
        let tx = ch.clone();
        let t = thread::spawn(move || tx.send(5));
        assert_eq!(ch.recv(), Some(5));
        t.join().unwrap();
    });
}

/// A sender that finds the ring full queues itself while a receiver pops
/// without the lock: the sender's value must move into the freed slot.
#[test]
fn buffered_sender_is_served_by_a_lock_free_receive() {
    model(|| {
        let ch = Arc::new(Chan::new(1));
        ch.send(1);
        let tx = ch.clone();
        let t = thread::spawn(move || tx.send(2));
        assert_eq!(ch.recv(), Some(1));
        assert_eq!(ch.recv(), Some(2));
        t.join().unwrap();
    });
}

/// A lock-free send races `close`: it either lands before the close, and
/// is then received, or fails as closed; never lost, never after `None`.
#[test]
fn buffered_send_races_close() {
    model(|| {
        let ch = Arc::new(Chan::new(1));
        let tx = ch.clone();
        let t = thread::spawn(move || tx.try_send(3).is_ok());
        ch.close();
        let sent = t.join().unwrap();
        assert_eq!(ch.recv(), if sent { Some(3) } else { None });
        assert_eq!(ch.recv(), None);
    });
}

/// A select blocked on two empty buffered channels; a value lands in each.
/// The two service steps race to reserve the select: it takes exactly one
/// value, and the other stays buffered.
#[test]
fn buffered_select_takes_exactly_one() {
    model(|| {
        let a = Arc::new(Chan::new(1));
        let b = Arc::new(Chan::new(1));
        let (ta, tb) = (a.clone(), b.clone());
        let receiver = thread::spawn(move || {
            let mut ca = RecvCase::new(ta.raw());
            let mut cb = RecvCase::new(tb.raw());
            match select(&mut [&mut ca, &mut cb], Block::Forever) {
                Selected::Case(0) => (0, ca.into_result()),
                Selected::Case(1) => (1, cb.into_result()),
                other => panic!("{other:?}"),
            }
        });
        let other = thread::spawn({
            let b = b.clone();
            move || b.send(2)
        });
        a.send(1);
        other.join().unwrap();
        let (case, v) = receiver.join().unwrap();
        let left = if case == 0 { &b } else { &a };
        assert_eq!(v, Some(case + 1));
        assert_eq!(left.try_recv(), Ok(2 - case));
    });
}
