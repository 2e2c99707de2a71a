//! The Go memory model's channel rules: `value = 42`, then a send; the
//! receiver sees 42, on an unbuffered channel and on a buffered one.
//!
//! The Go originals:
//!
//! ```go
//! var value int
//!
//! // A send happens before the matching receive completes.
//! func unbuffered() {
//!     ch := make(chan struct{})
//!     go func() {
//!         value = 42
//!         ch <- struct{}{}
//!     }()
//!     <-ch
//!     fmt.Println(value) // 42, always
//! }
//!
//! // The same holds when the channel has a buffer: the sender no longer
//! // waits for the receiver, but its send still happens before the receive.
//! func buffered() {
//!     ch := make(chan struct{}, 1)
//!     go func() {
//!         value = 42
//!         ch <- struct{}{}
//!     }()
//!     <-ch
//!     fmt.Println(value) // 42, always
//! }
//!
//! // Unbuffered only: the receive happens before the send completes, so the
//! // edge runs the other way too.
//! func receiveFirst() {
//!     ch := make(chan struct{})
//!     go func() {
//!         value = 42
//!         <-ch
//!     }()
//!     ch <- struct{}{}
//!     fmt.Println(value) // 42, always
//! }
//! ```
//!
//! In Go `value` is a plain variable. Safe Rust will not share a plain
//! variable between goroutines, so `value` here is an `AtomicU32` accessed
//! with `Ordering::Relaxed` — the nearest thing to Go's plain variable that
//! is sound in Rust. Relaxed promises atomicity and nothing else: no ordering
//! with any other memory operation, so a relaxed store on one thread may
//! stay invisible to a relaxed load on another for as long as nothing else
//! orders them. What makes the reader see 42 is only the channel: the send
//! (or, unbuffered, the receive) is a release and its partner an acquire, so
//! the store happens before the load, and a load that happens after a
//! store must see it (or a later one). That is Go's guarantee, and
//! gosync's channels give it on every platform.
//!
//! The third demo holds only for unbuffered channels: with a buffer of 1
//! the send completes at once, before anybody receives, so the sender would
//! read `value` with no edge from the write and may see 0.
//!
//! (Idiomatic Rust would rather send 42 itself, moving the value through
//! the channel; these demos keep Go's shape because the point is the edge.)
//!
//! Run it: `cargo run -p gosync --example happens_before`

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use gosync::chan::Chan;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "value = 42, then a send: the receiver always sees 42, unbuffered or buffered (Go's happens-before).";

/// How many times each demo runs, each with a fresh goroutine and channel.
const ROUNDS: usize = if cfg!(debug_assertions) { 200 } else { 1000 };

/// The writer stores 42 and then sends; the receiver reads after receiving.
fn send_then_receive(cap: usize) -> u32 {
    let value = Arc::new(AtomicU32::new(0));
    let ch = Chan::new(cap);
    {
        let (value, ch) = (value.clone(), ch.clone());
        gosync::go(move || {
            value.store(42, Ordering::Relaxed);
            ch.send(());
        });
    }
    ch.recv().expect("one value is sent");
    value.load(Ordering::Relaxed)
}

fn unbuffered() -> u32 {
    send_then_receive(0)
}

fn buffered() -> u32 {
    send_then_receive(1)
}

/// Unbuffered only: the writer stores 42 and then receives; the sender
/// reads once its send has completed.
fn receive_then_send_completes() -> u32 {
    let value = Arc::new(AtomicU32::new(0));
    let ch = Chan::new(0);
    {
        let (value, ch) = (value.clone(), ch.clone());
        gosync::go(move || {
            value.store(42, Ordering::Relaxed);
            ch.recv().expect("one value is sent");
        });
    }
    ch.send(());
    value.load(Ordering::Relaxed)
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let demos = [
        ("unbuffered send -> receive", unbuffered as fn() -> u32),
        ("buffered send -> receive", buffered),
        (
            "unbuffered receive -> send completes",
            receive_then_send_completes,
        ),
    ];
    for (name, demo) in demos {
        for round in 0..ROUNDS {
            let seen = demo();
            assert_eq!(seen, 42, "{name}, round {round}: the edge makes 42 visible");
        }
    }
    format!(
        "{ROUNDS} rounds each of unbuffered send->recv, buffered send->recv and \
         unbuffered recv->send: the reader saw 42 every time"
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
