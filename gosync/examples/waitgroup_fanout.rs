//! `processItems`: fan work out to one goroutine per item and wait for all.
//!
//! The Go original:
//!
//! ```go
//! func processItems(items []Item) []Result {
//!     var (
//!         wg      sync.WaitGroup
//!         mu      sync.Mutex
//!         results []Result
//!     )
//!     for _, item := range items {
//!         wg.Add(1)
//!         go func(it Item) {
//!             defer wg.Done()
//!             r := process(it)
//!             mu.Lock()
//!             results = append(results, r)
//!             mu.Unlock()
//!         }(item)
//!     }
//!     wg.Wait()
//!     return results
//! }
//! ```
//!
//! `wg.go(f)` is Go 1.25's `wg.Go(f)`: the `Add(1)` before the goroutine
//! starts and the `Done()` when it returns, which are the two lines Go code
//! most often gets wrong (an `Add` inside the goroutine races with `Wait`).
//! Results arrive in whatever order the goroutines finish, so each carries
//! its item's index and they are put back in order at the end.
//!
//! Run it: `cargo run -p gosync --example waitgroup_fanout`

use std::sync::Arc;

use gosync::sync::{Mutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "processItems starts a goroutine per item with WaitGroup::go and waits for every result.";

/// The work for one item: here, the number of vowels in a word.
fn process(item: &str) -> usize {
    item.chars().filter(|c| "aeiou".contains(*c)).count()
}

fn process_items(items: &[&'static str]) -> Vec<usize> {
    let wg = WaitGroup::new();
    let results = Arc::new(Mutex::new(Vec::with_capacity(items.len())));
    for (i, &item) in items.iter().enumerate() {
        let results = results.clone();
        wg.go(move || {
            let r = process(item);
            results.lock().push((i, r));
        });
    }
    wg.wait();

    let mut results = std::mem::take(&mut *results.lock());
    results.sort_unstable();
    results.into_iter().map(|(_, r)| r).collect()
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let items = [
        "goroutine",
        "channel",
        "mutex",
        "waitgroup",
        "once",
        "cond",
        "select",
        "context",
        "atomic",
        "happens-before",
    ];
    let results = process_items(&items);

    let sequential: Vec<usize> = items.iter().map(|it| process(it)).collect();
    assert_eq!(results, sequential, "every item processed exactly once");
    format!(
        "{} goroutines; vowels per item, back in item order: {results:?}",
        items.len()
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
