//! Randomness, for `select`'s uniform choice among ready cases. Primitives
//! draw random numbers only through here, so the model checker can seed them.

use std::cell::Cell;

thread_local! {
    /// xorshift64* state; 0 until first use.
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// A pseudo-random number in `0..n` (Go's `cheaprandn`). `n` must be > 0.
pub(crate) fn below(n: usize) -> usize {
    debug_assert!(n > 0);
    if cfg!(loom) {
        // loom explores schedules, not random choices: keep runs replayable.
        return 0;
    }
    STATE.with(|s| {
        let mut x = s.get();
        if x == 0 {
            x = seed();
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        // Multiply-shift maps the 64-bit value onto 0..n without modulo bias
        // worth speaking of for the small n of a select.
        ((x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize * n) >> 32
    })
}

fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS once per process and perturbed per
    // instance; hashing the thread's id gives each thread its own stream.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(super::goroutine::id());
    h.finish() | 1
}
