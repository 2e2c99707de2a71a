//! Fan out, stop at the first error: `errgroup::Group::with_context`.
//!
//! The Go original:
//!
//! ```go
//! func fetchAll(ctx context.Context, urls []string) error {
//!     g, ctx := errgroup.WithContext(ctx)
//!     for _, url := range urls {
//!         g.Go(func() error {
//!             return fetch(ctx, url) // returns ctx.Err() once ctx is done
//!         })
//!     }
//!     return g.Wait() // the first error; the rest were cancelled by it
//! }
//! ```
//!
//! The first goroutine to return an error cancels the group's context, and
//! every other fetch, waiting on `ctx.Done()`, gives up instead of running
//! to completion; `Wait` waits for all of them and returns that first
//! error. With `set_limit`, `go` also bounds how many run at once.
//!
//! Run it: `cargo run -p gosync --example errgroup_fanout`

use std::fmt;
use std::sync::Arc;

use gosync::atomic::Int64;
use gosync::chan::Chan;
use gosync::context::{self, Context};
use gosync::errgroup::Group;
use gosync::select;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "errgroup fans out 10 fetches; the first error cancels the rest and is what wait returns.";

const URLS: usize = 10;
const BAD: usize = 7;

#[derive(Debug, Clone, PartialEq)]
enum FetchError {
    NotFound(String),
    Cancelled(context::Error),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::NotFound(url) => write!(f, "{url}: 404 not found"),
            FetchError::Cancelled(e) => write!(f, "{e}"),
        }
    }
}

// errgroup's context records the first error as its cause, so the error
// type converts into `Box<dyn Error + Send + Sync>`.
impl std::error::Error for FetchError {}

/// A fetch: the bad URL fails at once; the others would take forever (a
/// server that never answers), so they end only when `ctx` is done.
fn fetch(ctx: &Context, url: &str, never_answers: &Chan<()>) -> Result<(), FetchError> {
    if url.ends_with(&format!("/{BAD}")) {
        return Err(FetchError::NotFound(url.to_string()));
    }
    select! {
        recv(&ctx.done()) -> _ => Err(FetchError::Cancelled(ctx.err().expect("done, so err is set"))),
        recv(never_answers) -> _ => Ok(()),
    }
}

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let (g, ctx) = Group::with_context(&context::background());
    let never_answers = Chan::new(0);
    let cancelled = Arc::new(Int64::new(0));
    for i in 0..URLS {
        let url = format!("https://example.com/{i}");
        let (ctx, never_answers, cancelled) =
            (ctx.clone(), never_answers.clone(), cancelled.clone());
        g.go(move || {
            let r = fetch(&ctx, &url, &never_answers);
            if let Err(FetchError::Cancelled(_)) = r {
                cancelled.add(1);
            }
            r
        });
    }
    let err = g.wait().expect_err("one fetch fails");
    assert_eq!(
        err,
        FetchError::NotFound(format!("https://example.com/{BAD}"))
    );
    assert_eq!(
        cancelled.load(),
        (URLS - 1) as i64,
        "every other fetch was cancelled"
    );
    assert_eq!(ctx.err(), Some(context::Error::Canceled));
    format!(
        "{URLS} fetches: wait returned \"{err}\"; the other {} gave up with \"{}\"",
        cancelled.load(),
        context::Error::Canceled
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
