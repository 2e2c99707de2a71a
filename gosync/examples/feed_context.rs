//! `processFeed` with a deadline and a caller that can cancel:
//! `context::with_timeout` in a `select!`.
//!
//! The Go original:
//!
//! ```go
//! func processFeed(ctx context.Context, feed <-chan Item) ([]Item, error) {
//!     ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
//!     defer cancel() // release the timer as soon as we return
//!     var items []Item
//!     for {
//!         select {
//!         case <-ctx.Done():
//!             return items, ctx.Err() // DeadlineExceeded, or Canceled by the caller
//!         case item, ok := <-feed:
//!             if !ok {
//!                 return items, nil
//!             }
//!             items = append(items, item)
//!         }
//!     }
//! }
//! ```
//!
//! Unlike the `process_feed` stop, whose `time.After` bounds the silence
//! between two items, the context bounds the whole call, and it carries the
//! caller's cancellation too: `ctx.Err()` says which ended it. `defer
//! cancel()` matters: it stops the timer and detaches the child from its
//! parent as soon as the work is done, instead of when the deadline passes.
//!
//! The tour runs it three ways: a feed that closes in time (no error), a
//! feed that stalls (`context deadline exceeded`), and a stalled feed whose
//! caller cancels first (`context canceled`).
//!
//! Run it: `cargo run -p gosync --example feed_context`

use std::time::Duration;

use gosync::chan::{Chan, Receiver};
use gosync::context::{self, Context};
use gosync::select;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "processFeed under context::with_timeout: done when the feed closes, the deadline passes, or the caller cancels.";

const ITEMS: u64 = 20;

fn process_feed(
    ctx: &Context,
    feed: &Receiver<u64>,
    timeout: Duration,
) -> (Vec<u64>, Option<context::Error>) {
    let (ctx, cancel) = context::with_timeout(ctx, timeout);
    let done = ctx.done();
    let mut items = Vec::new();
    let err = loop {
        select! {
            recv(&done) -> _ => break ctx.err(),
            recv(feed) -> item => match item {
                Some(item) => items.push(item),
                None => break None,
            },
        }
    };
    cancel(); // Go's `defer cancel()`
    (items, err)
}

/// A feed of `ITEMS` values, closed at the end if `close`, else left open
/// (a stalled producer).
fn feed(close: bool) -> Receiver<u64> {
    let ch = Chan::new(ITEMS as usize);
    for i in 1..=ITEMS {
        ch.send(i);
    }
    if close {
        ch.close();
    }
    ch.receiver()
}

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let background = context::background();
    // Generous: only a stall, never a slow machine, may reach it.
    let long = Duration::from_secs(30);

    let (items, err) = process_feed(&background, &feed(true), long);
    assert_eq!((items.len() as u64, err), (ITEMS, None));

    let (items, err) = process_feed(&background, &feed(false), Duration::from_millis(100));
    assert_eq!(items.len() as u64, ITEMS, "everything before the stall");
    let deadline = err.expect("a stalled feed ends by the deadline");
    assert_eq!(deadline, context::Error::DeadlineExceeded);

    let (parent, cancel) = context::with_cancel(&background);
    let stalled = feed(false);
    let worker = Chan::new(1);
    {
        let (parent, worker, stalled) = (parent.clone(), worker.clone(), stalled.clone());
        gosync::go(move || worker.send(process_feed(&parent, &stalled, long)));
    }
    // Once the worker has taken every item, the caller gives up, long
    // before the deadline.
    while !stalled.is_empty() {
        gosync::runtime::gosched();
    }
    cancel();
    let (items, err) = worker.recv().expect("the worker reports");
    let canceled = err.expect("cancelling the parent ends the child");
    assert_eq!(canceled, context::Error::Canceled);
    assert_eq!(items.len() as u64, ITEMS, "everything before the stall");
    assert_eq!(parent.err(), Some(context::Error::Canceled));

    format!(
        "closed feed: {ITEMS} items, no error; stalled feed: {ITEMS} items, \"{deadline}\"; \
         caller cancelled: {} items, \"{canceled}\"",
        items.len()
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
