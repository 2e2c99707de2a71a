//! Reusing buffers across goroutines: `sync::Pool`, as Go's `bytes.Buffer`
//! pool in the `sync.Pool` documentation.
//!
//! The Go original:
//!
//! ```go
//! var bufPool = sync.Pool{
//!     New: func() any { return new(bytes.Buffer) },
//! }
//!
//! func Log(w io.Writer, key, val string) {
//!     b := bufPool.Get().(*bytes.Buffer)
//!     b.Reset()
//!     b.WriteString(time.Now().UTC().Format(time.RFC3339))
//!     b.WriteByte(' ')
//!     b.WriteString(key)
//!     b.WriteByte('=')
//!     b.WriteString(val)
//!     w.Write(b.Bytes())
//!     bufPool.Put(b)
//! }
//! ```
//!
//! Each call borrows a buffer (whose memory has already grown to a line's
//! size), formats into it, writes it out, and gives it back, so a busy
//! logger allocates a handful of buffers instead of one per line. The pool
//! may drop what it holds at any time, so a buffer must be reset after
//! `get` and never used after `put`.
//!
//! Run it: `cargo run -p gosync --example buffer_pool`

use std::fmt::Write as _;
use std::sync::Arc;

use gosync::atomic::Int64;
use gosync::sync::{Mutex, Pool, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A Pool of String buffers: 20,000 log lines from 100 goroutines with a few buffers allocated.";

const GOROUTINES: usize = 100;
const LINES: usize = 200;

/// The pool's maker counts what it makes, so it is a closure, not a `fn`.
type Maker = Box<dyn Fn() -> String + Send + Sync>;

struct Logger {
    pool: Pool<String, Maker>,
    made: Arc<Int64>,
    out: Mutex<Vec<String>>,
}

impl Logger {
    fn new() -> Logger {
        let made = Arc::new(Int64::new(0));
        let counted = made.clone();
        Logger {
            pool: Pool::new(Box::new(move || {
                counted.add(1);
                String::with_capacity(64)
            })),
            made,
            out: Mutex::new(Vec::new()),
        }
    }

    fn log(&self, key: &str, val: usize) {
        let mut b = self.pool.get();
        b.clear();
        write!(b, "level=info {key}={val}").expect("writing to a String cannot fail");
        self.out.lock().push(b.clone()); // w.Write(b.Bytes()): the writer copies
        self.pool.put(b);
    }
}

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let logger = Arc::new(Logger::new());
    let wg = WaitGroup::new();
    for g in 0..GOROUTINES {
        let logger = logger.clone();
        wg.go(move || {
            for i in 0..LINES {
                logger.log("request", g * LINES + i);
            }
        });
    }
    wg.wait();
    let mut out = logger.out.lock();
    assert_eq!(out.len(), GOROUTINES * LINES, "every line written");
    out.sort();
    out.dedup();
    assert_eq!(
        out.len(),
        GOROUTINES * LINES,
        "no buffer was shared by two writers"
    );
    let made = logger.made.load();
    format!(
        "{} lines logged by {GOROUTINES} goroutines with {made} buffers allocated",
        out.len()
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
