//! Share memory by communicating: one goroutine owns the count, and the
//! others talk to it through `incrementCh` and `queryCh`.
//!
//! The Go original:
//!
//! ```go
//! func counter(incrementCh <-chan int, queryCh <-chan chan int) {
//!     count := 0 // only this goroutine ever touches count
//!     for {
//!         select {
//!         case n := <-incrementCh:
//!             count += n
//!         case reply := <-queryCh:
//!             reply <- count
//!         }
//!     }
//! }
//!
//! func main() {
//!     incrementCh := make(chan int)
//!     queryCh := make(chan chan int)
//!     go counter(incrementCh, queryCh)
//!
//!     var wg sync.WaitGroup
//!     for i := 0; i < 100; i++ {
//!         wg.Add(1)
//!         go func() {
//!             defer wg.Done()
//!             for j := 0; j < 10; j++ {
//!                 incrementCh <- 1
//!             }
//!         }()
//!     }
//!     wg.Wait()
//!
//!     reply := make(chan int)
//!     queryCh <- reply
//!     fmt.Println(<-reply) // 1000
//! }
//! ```
//!
//! There is no mutex: `count` is a local of the counter goroutine, and the
//! channels serialise every request to it. `incrementCh` is unbuffered, so
//! each `incrementCh <- 1` returns only once the counter has taken it; after
//! `wg.Wait()` every increment is in, and the query sees all of them.
//! A query carries its own reply channel, the usual shape of a request that
//! wants an answer.
//!
//! The parameters are the directional views Go writes `<-chan T`:
//! [`Receiver`]. Go's counter runs until the program exits; here closing
//! `incrementCh` stops it (a receive on a closed channel yields `None`), so
//! the tour leaves no goroutine behind.
//!
//! Run it: `cargo run -p gosync --example counter_goroutine`

use gosync::chan::{Chan, Receiver};
use gosync::select;
use gosync::sync::WaitGroup;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A goroutine owns the count; others increment and query it over channels, with no mutex.";

const GOROUTINES: u64 = 100;
const INCREMENTS: u64 = 10;

/// Owns `count`; serves increments and queries until `increment_ch` closes.
fn counter(increment_ch: Receiver<u64>, query_ch: Receiver<Chan<u64>>) -> u64 {
    let mut count = 0;
    loop {
        select! {
            recv(&increment_ch) -> n => match n {
                Some(n) => count += n,
                None => return count, // closed: no more work
            },
            recv(&query_ch) -> reply => {
                if let Some(reply) = reply {
                    reply.send(count);
                }
            },
        }
    }
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let increment_ch = Chan::new(0);
    let query_ch = Chan::new(0);
    // The counter's final count comes back on `stopped` once it returns.
    let stopped = Chan::new(1);
    {
        let (inc, query, stopped) = (
            increment_ch.receiver(),
            query_ch.receiver(),
            stopped.clone(),
        );
        gosync::go(move || stopped.send(counter(inc, query)));
    }

    let wg = WaitGroup::new();
    for _ in 0..GOROUTINES {
        let increment_ch = increment_ch.sender();
        wg.go(move || {
            for _ in 0..INCREMENTS {
                increment_ch.send(1);
            }
        });
    }
    wg.wait();

    let reply = Chan::new(0);
    query_ch.send(reply.clone());
    let got = reply.recv().expect("the counter replies");

    increment_ch.close();
    let last = stopped.recv().expect("the counter returns its count");

    let want = GOROUTINES * INCREMENTS;
    assert_eq!(got, want, "every increment reached the counter");
    assert_eq!(last, want, "nothing arrived after the query");
    format!(
        "{GOROUTINES} goroutines x {INCREMENTS} increments over incrementCh; \
         queryCh answered {got}; close(incrementCh) stopped the counter"
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
