//! A cache split into 256 shards, each with its own lock, picked by an
//! FNV-1a hash of the key: goroutines on different keys rarely meet.
//!
//! The Go original:
//!
//! ```go
//! const shardCount = 256
//!
//! type shard struct {
//!     mu sync.RWMutex
//!     m  map[string][]byte
//! }
//!
//! type ShardedCache struct {
//!     shards [shardCount]*shard
//! }
//!
//! func (c *ShardedCache) shard(key string) *shard {
//!     h := fnv.New32a()
//!     h.Write([]byte(key))
//!     return c.shards[h.Sum32()%shardCount]
//! }
//!
//! func (c *ShardedCache) Get(key string) ([]byte, bool) {
//!     s := c.shard(key)
//!     s.mu.RLock()
//!     defer s.mu.RUnlock()
//!     v, ok := s.m[key]
//!     return v, ok
//! }
//!
//! func (c *ShardedCache) Set(key string, v []byte) {
//!     s := c.shard(key)
//!     s.mu.Lock()
//!     defer s.mu.Unlock()
//!     s.m[key] = v
//! }
//! ```
//!
//! One `RWMutex` over the whole map makes every writer wait for every
//! reader; 256 of them make two goroutines wait only when their keys hash
//! to the same shard. FNV-1a (xor each byte in, multiply by the FNV prime)
//! is cheap and spreads short keys well.
//!
//! Run it: `cargo run -p gosync --example sharded_cache`

use std::collections::HashMap;
use std::sync::Arc;

use gosync::sync::{RwMutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A 256-shard cache, each shard an RwMutex picked by FNV-1a: goroutines on different keys rarely meet.";

const SHARDS: usize = 256;

/// 32-bit FNV-1a, as Go's `hash/fnv` `New32a`.
fn fnv1a(key: &str) -> u32 {
    const OFFSET: u32 = 2_166_136_261;
    const PRIME: u32 = 16_777_619;
    key.bytes()
        .fold(OFFSET, |h, b| (h ^ u32::from(b)).wrapping_mul(PRIME))
}

struct ShardedCache {
    shards: Vec<RwMutex<HashMap<String, Vec<u8>>>>,
}

impl ShardedCache {
    fn new() -> ShardedCache {
        ShardedCache {
            shards: (0..SHARDS).map(|_| RwMutex::new(HashMap::new())).collect(),
        }
    }

    fn shard(&self, key: &str) -> &RwMutex<HashMap<String, Vec<u8>>> {
        &self.shards[fnv1a(key) as usize % SHARDS]
    }

    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.shard(key).rlock().get(key).cloned()
    }

    fn set(&self, key: &str, v: Vec<u8>) {
        self.shard(key).lock().insert(key.to_string(), v);
    }
}

const WRITERS: usize = 16;
const KEYS_EACH: usize = 500;

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    // Known answers for Go's hash/fnv New32a.
    assert_eq!(fnv1a(""), 0x811c_9dc5);
    assert_eq!(fnv1a("a"), 0xe40c_292c);

    let cache = Arc::new(ShardedCache::new());
    let wg = WaitGroup::new();
    for w in 0..WRITERS {
        let cache = cache.clone();
        wg.go(move || {
            for k in 0..KEYS_EACH {
                let key = format!("user:{w}:{k}");
                cache.set(&key, key.as_bytes().to_vec());
                assert_eq!(cache.get(&key).as_deref(), Some(key.as_bytes()));
            }
        });
    }
    wg.wait();

    let sizes: Vec<usize> = cache.shards.iter().map(|s| s.rlock().len()).collect();
    let total: usize = sizes.iter().sum();
    assert_eq!(total, WRITERS * KEYS_EACH, "every key stored once");
    let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
    assert!(*min > 0, "FNV-1a leaves no shard empty for {total} keys");
    format!(
        "{total} keys from {WRITERS} goroutines over {SHARDS} shards: {min} to {max} keys a shard"
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
