//! A singleton made once, however many goroutines ask: `Once` and `OnceValue`.
//!
//! The Go originals:
//!
//! ```go
//! var (
//!     instance *single
//!     once     sync.Once
//! )
//!
//! func getInstance() *single {
//!     once.Do(func() {
//!         fmt.Println("Creating single instance now.")
//!         instance = &single{}
//!     })
//!     return instance
//! }
//!
//! // Go 1.21: the same, with the value kept by the Once itself.
//! var GetDB = sync.OnceValue(func() *DB {
//!     return connect("postgres://localhost/app")
//! })
//! ```
//!
//! Every goroutine that calls while the first is still creating waits for
//! it, and then sees the finished value (Go's memory model: the function
//! passed to `Do` returns before any `Do` returns).
//!
//! Go may write a plain package variable inside `once.Do` because `Once`
//! orders that write before every read. Rust's type system cannot see that
//! ordering, so the `Once` version keeps the pointer in a `Mutex`;
//! `OnceValue` is the idiomatic form, holding the value itself.
//!
//! Run it: `cargo run -p gosync --example once_singleton`

use std::sync::Arc;

use gosync::sync::{Mutex, Once, OnceValue, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "Once and OnceValue build a singleton exactly once, however many goroutines ask together.";

const CALLERS: usize = 50;

/// The singleton.
struct Single {
    /// Which creation this is: must always be 1.
    serial: u32,
}

/// How many times each constructor ran.
static SINGLES_MADE: Mutex<u32> = Mutex::new(0);
static DBS_MADE: Mutex<u32> = Mutex::new(0);

static ONCE: Once = Once::new();
static INSTANCE: Mutex<Option<&'static Single>> = Mutex::new(None);

fn get_instance() -> &'static Single {
    ONCE.call(|| {
        let mut made = SINGLES_MADE.lock();
        *made += 1;
        // Lives as long as the program, as Go's garbage-collected pointer.
        let single = Box::leak(Box::new(Single { serial: *made }));
        *INSTANCE.lock() = Some(single);
    });
    INSTANCE
        .lock()
        .expect("set by the Once before any call returns")
}

/// A stand-in for a database handle.
struct Db {
    url: &'static str,
    serial: u32,
}

fn connect(url: &'static str) -> Db {
    let mut made = DBS_MADE.lock();
    *made += 1;
    Db { url, serial: *made }
}

static DB: OnceValue<Db> = OnceValue::new(|| connect("postgres://localhost/app"));

fn get_db() -> &'static Db {
    DB.get()
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    // Every caller records the addresses it got back.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let wg = WaitGroup::new();
    for _ in 0..CALLERS {
        let seen = seen.clone();
        wg.go(move || {
            let s: *const Single = get_instance();
            let d: *const Db = get_db();
            seen.lock().push((s as usize, d as usize));
        });
    }
    wg.wait();

    let seen = seen.lock();
    assert_eq!(seen.len(), CALLERS);
    assert!(
        seen.iter().all(|&p| p == seen[0]),
        "every caller must get the same instance"
    );
    let (single, db) = (get_instance(), get_db());
    assert_eq!((single.serial, db.serial), (1, 1));
    assert_eq!(*SINGLES_MADE.lock(), 1, "getInstance's Once ran twice");
    assert_eq!(*DBS_MADE.lock(), 1, "GetDB's OnceValue ran twice");
    format!(
        "{CALLERS} goroutines, one instance and one DB ({}); each constructor ran once",
        db.url
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
