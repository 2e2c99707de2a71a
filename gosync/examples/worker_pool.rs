//! A worker pool: a fixed number of goroutines take jobs from one channel
//! and put results on another, which is closed once every worker is done.
//!
//! The Go original:
//!
//! ```go
//! type Result struct{ Job, Value int }
//!
//! func worker(jobs <-chan int, results chan<- Result, wg *sync.WaitGroup) {
//!     defer wg.Done()
//!     for j := range jobs {
//!         results <- Result{j, j * j}
//!     }
//! }
//!
//! func main() {
//!     jobs := make(chan int, 100)
//!     results := make(chan Result, 100)
//!
//!     var wg sync.WaitGroup
//!     for w := 1; w <= 4; w++ {
//!         wg.Add(1)
//!         go worker(jobs, results, &wg)
//!     }
//!
//!     go func() {
//!         for j := 1; j <= 1000; j++ {
//!             jobs <- j
//!         }
//!         close(jobs) // the workers' range loops end once it drains
//!     }()
//!
//!     go func() {
//!         wg.Wait()      // every worker has sent its last result...
//!         close(results) // ...so nobody can send on it any more
//!     }()
//!
//!     sum := 0
//!     for r := range results {
//!         sum += r.Value
//!     }
//!     fmt.Println(sum) // 333833500
//! }
//! ```
//!
//! Who closes what: the one sender of `jobs` closes it when it has sent
//! everything; `results` has many senders, so none of them may close it
//! (a later send would panic "send on closed channel"). A separate goroutine
//! waits for all of them on the `WaitGroup` and closes it then. The consumer
//! needs no count of its own: its `range` ends at the close.
//!
//! Jobs are fed from their own goroutine because both buffers are smaller
//! than the number of jobs: feeding them from `main` before reading results
//! would fill `results`, stall the workers, fill `jobs`, and deadlock.
//!
//! Run it: `cargo run -p gosync --example worker_pool`

use std::sync::Arc;

use gosync::chan::{Chan, Receiver, Sender};
use gosync::sync::WaitGroup;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A worker pool: 4 workers range over jobs; close(results) once wg.wait() says all have finished.";

const WORKERS: usize = 4;
const JOBS: u64 = 1000;
const BUFFER: usize = 100;

struct Result {
    worker: usize,
    job: u64,
    value: u64,
}

fn worker(id: usize, jobs: Receiver<u64>, results: Sender<Result>) {
    for job in &jobs {
        results.send(Result {
            worker: id,
            job,
            value: job * job,
        });
    }
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let jobs = Chan::new(BUFFER);
    let results = Chan::new(BUFFER);

    let wg = Arc::new(WaitGroup::new());
    for id in 1..=WORKERS {
        let (jobs, results) = (jobs.receiver(), results.sender());
        wg.go(move || worker(id, jobs, results));
    }

    let feed = jobs.sender();
    gosync::go(move || {
        for job in 1..=JOBS {
            feed.send(job);
        }
        feed.close();
    });

    {
        let (wg, results) = (wg.clone(), results.sender());
        gosync::go(move || {
            wg.wait();
            results.close();
        });
    }

    let mut sum = 0;
    let mut seen = vec![false; JOBS as usize + 1];
    let mut per_worker = [0u64; WORKERS + 1];
    for r in &results {
        assert!(!seen[r.job as usize], "job {} done twice", r.job);
        seen[r.job as usize] = true;
        per_worker[r.worker] += 1;
        sum += r.value;
    }

    assert!(seen[1..].iter().all(|&s| s), "every job done");
    assert_eq!(per_worker.iter().sum::<u64>(), JOBS);
    assert_eq!(sum, JOBS * (JOBS + 1) * (2 * JOBS + 1) / 6);
    format!(
        "{JOBS} jobs through {WORKERS} workers (buffers of {BUFFER}): each done once, \
         sum of squares {sum}; range ended at close(results)"
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
