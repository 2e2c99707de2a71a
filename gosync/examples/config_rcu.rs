//! Read-copy-update: readers load the current config with one atomic load,
//! a writer copies it, changes the copy and publishes it whole.
//!
//! The Go original:
//!
//! ```go
//! type Config struct {
//!     Version  int
//!     Backends []string
//! }
//!
//! type ConfigRCU struct {
//!     mu sync.Mutex // serialises writers only
//!     p  atomic.Pointer[Config]
//! }
//!
//! func (c *ConfigRCU) Load() *Config { return c.p.Load() }
//!
//! func (c *ConfigRCU) Update(f func(*Config)) {
//!     c.mu.Lock()
//!     defer c.mu.Unlock()
//!     next := *c.p.Load() // copy
//!     next.Backends = append([]string(nil), next.Backends...)
//!     f(&next)
//!     c.p.Store(&next) // publish
//! }
//! ```
//!
//! Readers never lock and never see a half-made config: a `Config` is never
//! changed once published, so a reader holding an old one keeps a
//! consistent (if stale) view, and Go's garbage collector, here the `Arc`
//! and `Pointer`'s reclamation, frees it when the last reader lets go.
//! Writers take a mutex only so that two updates do not both copy the same
//! version and lose one.
//!
//! Run it: `cargo run -p gosync --example config_rcu`

use std::sync::Arc;

use gosync::atomic::{Bool, Int64, Pointer};
use gosync::sync::{Mutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "Readers load a config with atomic::Pointer while writers copy, update and publish it (RCU).";

#[derive(Clone)]
struct Config {
    version: usize,
    /// One backend per version so far: readers check it matches `version`.
    backends: Vec<String>,
}

struct ConfigRcu {
    mu: Mutex<()>,
    p: Pointer<Config>,
}

impl ConfigRcu {
    fn new(c: Config) -> ConfigRcu {
        let rcu = ConfigRcu {
            mu: Mutex::new(()),
            p: Pointer::new(),
        };
        rcu.p.store(Some(Arc::new(c)));
        rcu
    }

    fn load(&self) -> Arc<Config> {
        self.p.load().expect("stored at construction")
    }

    fn update(&self, f: impl FnOnce(&mut Config)) {
        let _writer = self.mu.lock();
        let mut next = Config::clone(&self.load());
        f(&mut next);
        self.p.store(Some(Arc::new(next)));
    }
}

const WRITERS: usize = 4;
const UPDATES: usize = 25;
const READERS: usize = 8;

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let rcu = Arc::new(ConfigRcu::new(Config {
        version: 0,
        backends: Vec::new(),
    }));
    let writing = Arc::new(Bool::new(true));
    let reads = Arc::new(Int64::new(0));

    let readers = WaitGroup::new();
    for _ in 0..READERS {
        let (rcu, writing, reads) = (rcu.clone(), writing.clone(), reads.clone());
        readers.go(move || {
            let mut last = 0;
            loop {
                let still_writing = writing.load();
                let c = rcu.load();
                assert_eq!(
                    c.backends.len(),
                    c.version,
                    "a reader never sees a half-made config"
                );
                assert!(c.version >= last, "versions only go forward");
                last = c.version;
                reads.add(1);
                if !still_writing {
                    break;
                }
                gosync::runtime::gosched();
            }
        });
    }

    let writers = WaitGroup::new();
    for w in 0..WRITERS {
        let rcu = rcu.clone();
        writers.go(move || {
            for u in 0..UPDATES {
                rcu.update(|c| {
                    c.version += 1;
                    c.backends.push(format!("backend-{w}-{u}"));
                });
            }
        });
    }
    writers.wait();
    writing.store(false);
    readers.wait();

    let last = rcu.load();
    assert_eq!(last.version, WRITERS * UPDATES, "no update lost");
    format!(
        "{WRITERS} writers published {} versions while {READERS} readers made {} lock-free reads, each consistent",
        last.version,
        reads.load()
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
