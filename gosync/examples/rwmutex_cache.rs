//! A `Cache` that many goroutines read at once: an RwMutex around a map.
//!
//! The Go original:
//!
//! ```go
//! type Cache struct {
//!     mu   sync.RWMutex
//!     data map[string]string
//! }
//!
//! func (c *Cache) Get(key string) (string, bool) {
//!     c.mu.RLock()
//!     defer c.mu.RUnlock()
//!     v, ok := c.data[key]
//!     return v, ok
//! }
//!
//! func (c *Cache) Set(key, value string) {
//!     c.mu.Lock()
//!     defer c.mu.Unlock()
//!     c.data[key] = value
//! }
//! ```
//!
//! Readers share the lock, so lookups run side by side; a writer has it
//! alone. Writers are preferred, as in Go: once `set` waits, new readers
//! queue behind it, so a stream of `get`s cannot starve it. `rlock` hands
//! out a guard that gives only `&` access, so a `get` cannot write by mistake.
//!
//! Run it: `cargo run -p gosync --example rwmutex_cache`

use std::collections::HashMap;
use std::sync::Arc;

use gosync::sync::{RwMutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "Cache.get shares an RwMutex with other readers (rlock); Cache.set takes it alone (lock).";

const WRITERS: usize = 4;
const KEYS_PER_WRITER: usize = 25;
const READERS: usize = 8;

/// A string cache that is safe to use concurrently.
#[derive(Default)]
struct Cache {
    data: RwMutex<HashMap<String, String>>,
}

impl Cache {
    fn get(&self, key: &str) -> Option<String> {
        self.data.rlock().get(key).cloned()
    }

    fn set(&self, key: String, value: String) {
        self.data.lock().insert(key, value);
    }

    fn len(&self) -> usize {
        self.data.rlock().len()
    }
}

fn key(i: usize) -> String {
    format!("user:{i}")
}

fn value(i: usize) -> String {
    format!("name-{i}")
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    const KEYS: usize = WRITERS * KEYS_PER_WRITER;
    let cache = Arc::new(Cache::default());
    let wg = WaitGroup::new();

    // Writers fill the cache while readers look every key up.
    for w in 0..WRITERS {
        let cache = cache.clone();
        wg.go(move || {
            for i in (w * KEYS_PER_WRITER)..((w + 1) * KEYS_PER_WRITER) {
                cache.set(key(i), value(i));
            }
        });
    }
    for _ in 0..READERS {
        let cache = cache.clone();
        wg.go(move || {
            for i in 0..KEYS {
                // Whether the writer got there first depends on the run; a
                // value that is there must be whole and right.
                if let Some(v) = cache.get(&key(i)) {
                    assert_eq!(v, value(i), "a reader saw a torn or wrong value");
                }
            }
        });
    }
    wg.wait();

    assert_eq!(cache.len(), KEYS);
    for i in 0..KEYS {
        assert_eq!(cache.get(&key(i)), Some(value(i)));
    }
    format!(
        "{KEYS} entries from {WRITERS} writers; {} lookups by {READERS} concurrent readers, every hit correct",
        READERS * KEYS
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
