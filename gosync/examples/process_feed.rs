//! `processFeed`: receive from a feed until it closes or goes quiet, with the
//! timeout a `select!` case on `time::after`.
//!
//! The Go original:
//!
//! ```go
//! var errQuiet = errors.New("feed went quiet")
//!
//! func processFeed(feed <-chan Item, timeout time.Duration) ([]Item, error) {
//!     var items []Item
//!     for {
//!         select {
//!         case item, ok := <-feed:
//!             if !ok {
//!                 return items, nil // closed: the feed is finished
//!             }
//!             items = append(items, item)
//!         case <-time.After(timeout):
//!             return items, errQuiet // nothing for a whole timeout
//!         }
//!     }
//! }
//! ```
//!
//! `time.After` sits inside the loop, so each pass starts a fresh timer: the
//! timeout bounds the silence *between* items, not the whole feed. The two
//! ways out are the two answers a caller needs: the feed closed (all of it
//! arrived) or it stalled (what arrived so far, and an error).
//! `recv(&time::after(timeout))` is Go's `case <-time.After(timeout):`; the
//! channel lives until the select ends, and an unused timer is dropped by
//! the timer service when it fires, costing no thread.
//!
//! The tour feeds it twice from one producer: a burst of items, then
//! silence until told to go on (so `processFeed` returns by the timeout),
//! then a second burst and `close` (so it returns by the close). The feed
//! buffers a whole burst, so the producer never waits inside one; the
//! result could change only if a goroutine were kept off the CPU for a
//! whole timeout in the middle of a burst.
//!
//! Run it: `cargo run -p gosync --example process_feed`

use std::time::Duration;

use gosync::chan::{Chan, Receiver};
use gosync::{select, time};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "processFeed selects on the feed and time::after: it returns when the feed closes or goes quiet.";

const BURST: u64 = 50;
const TIMEOUT: Duration = Duration::from_millis(250);

/// How `process_feed` ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The feed was closed: every item arrived (Go's `nil` error).
    Closed,
    /// Nothing arrived for a whole timeout (Go's `errQuiet`).
    Quiet,
}

fn process_feed(feed: &Receiver<u64>, timeout: Duration) -> (Vec<u64>, End) {
    let mut items = Vec::new();
    loop {
        select! {
            recv(feed) -> item => match item {
                Some(item) => items.push(item),
                None => return (items, End::Closed),
            },
            recv(&time::after(timeout)) -> _ => return (items, End::Quiet),
        }
    }
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let feed = Chan::new(BURST as usize);
    let go_on = Chan::<()>::new(0);
    {
        let (feed, go_on) = (feed.sender(), go_on.clone());
        gosync::go(move || {
            for item in 1..=BURST {
                feed.send(item);
            }
            go_on.recv(); // silence until the first processFeed has given up
            for item in BURST + 1..=2 * BURST {
                feed.send(item);
            }
            feed.close();
        });
    }
    let feed = feed.receiver();

    let (first, end) = process_feed(&feed, TIMEOUT);
    assert_eq!(end, End::Quiet, "the producer went silent");
    assert_eq!(
        first,
        (1..=BURST).collect::<Vec<_>>(),
        "the whole first burst"
    );

    go_on.close();
    let (second, end) = process_feed(&feed, TIMEOUT);
    assert_eq!(end, End::Closed, "the producer closed the feed");
    assert_eq!(
        second,
        (BURST + 1..=2 * BURST).collect::<Vec<_>>(),
        "the whole second burst"
    );

    format!(
        "burst of {BURST}, silence: {} items then timeout ({TIMEOUT:?} of quiet); \
         burst of {BURST}, close: {} items then closed",
        first.len(),
        second.len()
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
