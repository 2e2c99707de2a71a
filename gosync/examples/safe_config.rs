//! A config swapped while it is read: `atomic::Value`, Go's `atomic.Value`.
//!
//! The Go original (after the example in the `sync/atomic` documentation):
//!
//! ```go
//! type SafeConfig struct {
//!     v atomic.Value // holds a Config
//! }
//!
//! func (s *SafeConfig) Get() Config { return s.v.Load().(Config) }
//! func (s *SafeConfig) Set(c Config) { s.v.Store(c) }
//!
//! var cfg SafeConfig
//! cfg.Set(loadConfig())
//! go func() { // reload now and then
//!     for range time.Tick(10 * time.Millisecond) {
//!         cfg.Set(loadConfig())
//!     }
//! }()
//! // request handlers: c := cfg.Get()
//! ```
//!
//! `Value` replaces the whole config in one step, so a reader gets the old
//! one or the new one, never a mix. gosync's `Value<T>` is typed by
//! generics, so Go's "store of inconsistently typed value" panic cannot
//! happen, and `load` hands out an `Arc` rather than a copy.
//!
//! Run it: `cargo run -p gosync --example safe_config`

use std::sync::Arc;

use gosync::atomic::{Bool, Int64, Value};
use gosync::sync::WaitGroup;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "atomic::Value swaps a whole Config while handlers read it: each sees the old or the new, never a mix.";

struct Config {
    generation: i64,
    /// Always `format!("db-{generation}")`: a handler checks the two agree.
    database: String,
}

#[derive(Default)]
struct SafeConfig {
    v: Value<Config>,
}

impl SafeConfig {
    fn get(&self) -> Arc<Config> {
        self.v.load().expect("set before the first get")
    }

    fn set(&self, c: Config) {
        self.v.store(c);
    }
}

fn load_config(generation: i64) -> Config {
    Config {
        generation,
        database: format!("db-{generation}"),
    }
}

const RELOADS: i64 = 200;
const HANDLERS: usize = 10;

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let cfg = Arc::new(SafeConfig::default());
    cfg.set(load_config(0));
    let reloading = Arc::new(Bool::new(true));
    let requests = Arc::new(Int64::new(0));

    let handlers = WaitGroup::new();
    for _ in 0..HANDLERS {
        let (cfg, reloading, requests) = (cfg.clone(), reloading.clone(), requests.clone());
        handlers.go(move || loop {
            let more = reloading.load();
            let c = cfg.get();
            assert_eq!(c.database, format!("db-{}", c.generation), "never a mix");
            requests.add(1);
            if !more {
                break;
            }
            gosync::runtime::gosched();
        });
    }
    for generation in 1..=RELOADS {
        cfg.set(load_config(generation));
        gosync::runtime::gosched();
    }
    reloading.store(false);
    handlers.wait();
    assert_eq!(cfg.get().generation, RELOADS);
    format!(
        "{RELOADS} reloads under {} requests from {HANDLERS} handlers; the last config is {}",
        requests.load(),
        cfg.get().database
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
