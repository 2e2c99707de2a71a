//! Double-checked locking done right: with `atomic::Pointer`, and with
//! `OnceValue`.
//!
//! The broken Go original, and its two fixes:
//!
//! ```go
//! var instance *Config
//! var mu sync.Mutex
//!
//! func GetBroken() *Config {
//!     if instance == nil { // DATA RACE: a plain read while another
//!         mu.Lock()        // goroutine writes instance under mu
//!         defer mu.Unlock()
//!         if instance == nil {
//!             instance = load()
//!         }
//!     }
//!     return instance // may see the pointer before the Config it points to
//! }
//!
//! var ptr atomic.Pointer[Config]
//!
//! func GetAtomic() *Config {
//!     if p := ptr.Load(); p != nil {
//!         return p // fast path: one atomic load
//!     }
//!     mu.Lock()
//!     defer mu.Unlock()
//!     if p := ptr.Load(); p != nil {
//!         return p // another goroutine loaded it while we waited
//!     }
//!     p := load()
//!     ptr.Store(p)
//!     return p
//! }
//!
//! var GetOnce = sync.OnceValue(load)
//! ```
//!
//! The broken version's first check reads `instance` without
//! synchronisation, so nothing orders the writes that built the `Config`
//! before the read of the pointer. An atomic pointer makes the check a
//! synchronising load: whoever sees the pointer sees the finished `Config`.
//! `OnceValue` packages the whole pattern. Safe Rust will not compile the
//! broken version, so only the two fixes are below.
//!
//! Run it: `cargo run -p gosync --example double_checked`

use std::sync::Arc;

use gosync::atomic::{Int64, Pointer};
use gosync::sync::{Mutex, OnceValue, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "Double-checked locking with atomic::Pointer, and with OnceValue: 50 callers, one load.";

const CALLERS: usize = 50;

struct Config {
    name: String,
    workers: usize,
}

/// An expensive load, counted.
fn load(loads: &Int64) -> Config {
    loads.add(1);
    Config {
        name: "production".to_string(),
        workers: 8,
    }
}

/// Go's `GetAtomic`: an atomic check, then a locked check, then the load.
struct Lazy {
    ptr: Pointer<Config>,
    mu: Mutex<()>,
    loads: Int64,
}

impl Lazy {
    fn get(&self) -> Arc<Config> {
        if let Some(p) = self.ptr.load() {
            return p;
        }
        let _held = self.mu.lock();
        if let Some(p) = self.ptr.load() {
            return p;
        }
        let p = Arc::new(load(&self.loads));
        self.ptr.store(Some(p.clone()));
        p
    }
}

/// Calls `get` from `CALLERS` goroutines at once; checks each saw the whole
/// `Config`.
fn hammer(get: impl Fn() -> (String, usize) + Send + Sync + 'static) {
    let get = Arc::new(get);
    let wg = WaitGroup::new();
    for _ in 0..CALLERS {
        let get = get.clone();
        wg.go(move || {
            let (name, workers) = get();
            assert_eq!((name.as_str(), workers), ("production", 8));
        });
    }
    wg.wait();
}

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let lazy = Arc::new(Lazy {
        ptr: Pointer::new(),
        mu: Mutex::new(()),
        loads: Int64::new(0),
    });
    let l = lazy.clone();
    hammer(move || {
        let c = l.get();
        (c.name.clone(), c.workers)
    });
    assert_eq!(lazy.loads.load(), 1, "atomic::Pointer: loaded once");

    let once_loads = Arc::new(Int64::new(0));
    let counted = once_loads.clone();
    let get_once = Arc::new(OnceValue::new(move || load(&counted)));
    let g = get_once.clone();
    hammer(move || {
        let c = g.get();
        (c.name.clone(), c.workers)
    });
    assert_eq!(once_loads.load(), 1, "OnceValue: loaded once");

    format!(
        "{CALLERS} goroutines asked at once: atomic::Pointer loaded the config {} time, OnceValue {} time",
        lazy.loads.load(),
        once_loads.load()
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
