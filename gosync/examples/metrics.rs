//! An error-rate counter read while it is being written: two `atomic::Int64`s.
//!
//! The Go original:
//!
//! ```go
//! type Metrics struct {
//!     requests atomic.Int64
//!     errors   atomic.Int64
//! }
//!
//! func (m *Metrics) Record(err error) {
//!     m.requests.Add(1)
//!     if err != nil {
//!         m.errors.Add(1)
//!     }
//! }
//!
//! func (m *Metrics) ErrorRate() float64 {
//!     errs := m.errors.Load()
//!     reqs := m.requests.Load()
//!     if reqs == 0 {
//!         return 0
//!     }
//!     return float64(errs) / float64(reqs)
//! }
//! ```
//!
//! Each counter is exact on its own, but the pair is not one atomic value: a
//! reader between `requests.Add` and `errors.Add` sees the request without
//! its error. Reading `errors` *first* keeps the rate at most 1 (every error
//! counted was counted as a request before it, and sequentially consistent
//! loads cannot see the later write without the earlier one), which is why
//! `ErrorRate` loads in that order. When all writers are done, the figures
//! are exact.
//!
//! Run it: `cargo run -p gosync --example metrics`

use std::sync::Arc;

use gosync::atomic::Int64;
use gosync::sync::WaitGroup;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "Request and error counters as two atomics: a live error rate, exact once writers finish.";

const CLIENTS: i64 = 50;
const REQUESTS: i64 = 200;
/// Every tenth request fails.
const FAIL_EVERY: i64 = 10;

#[derive(Default)]
struct Metrics {
    requests: Int64,
    errors: Int64,
}

impl Metrics {
    fn record(&self, result: Result<(), &str>) {
        self.requests.add(1);
        if result.is_err() {
            self.errors.add(1);
        }
    }

    fn error_rate(&self) -> f64 {
        let errors = self.errors.load();
        let requests = self.requests.load();
        if requests == 0 {
            return 0.0;
        }
        errors as f64 / requests as f64
    }
}

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let metrics = Arc::new(Metrics::default());
    let wg = WaitGroup::new();
    for _ in 0..CLIENTS {
        let metrics = metrics.clone();
        wg.go(move || {
            for i in 1..=REQUESTS {
                let result = if i % FAIL_EVERY == 0 {
                    Err("timeout")
                } else {
                    Ok(())
                };
                metrics.record(result);
            }
        });
    }
    // A reader while the clients run: never above 1, whatever it catches.
    let mut peak = 0.0f64;
    while metrics.requests.load() < CLIENTS * REQUESTS {
        let rate = metrics.error_rate();
        assert!(
            rate <= 1.0,
            "errors are loaded before requests, so {rate} <= 1"
        );
        peak = peak.max(rate);
        gosync::runtime::gosched();
    }
    wg.wait();
    let (requests, errors) = (metrics.requests.load(), metrics.errors.load());
    assert_eq!(requests, CLIENTS * REQUESTS);
    assert_eq!(errors, CLIENTS * REQUESTS / FAIL_EVERY);
    let rate = metrics.error_rate();
    format!("{requests} requests, {errors} errors: error rate {rate:.3} (live reads peaked at {peak:.3})")
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
