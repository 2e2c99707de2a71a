//! `gosync tour`: the ported Go tutorial programs, run one after another.
//!
//! Each stop is an example of the `gosync` crate, compiled in here as a
//! module, so the program the tour runs is the very file that
//! `cargo run -p gosync --example NAME` runs: one source per example. An
//! example file provides `ABOUT` (one sentence: what it shows) and
//! `tour() -> String` (its body; asserts its own result and returns the line
//! to print). Adding a stop is a `mod` line and a row in [`STOPS`].

// Each example's `fn main` is for `cargo run --example`; the tour calls
// `tour` instead.
#[allow(dead_code)]
#[path = "../../gosync/examples/atomic_counter.rs"]
mod atomic_counter;
#[allow(dead_code)]
#[path = "../../gosync/examples/buffer_pool.rs"]
mod buffer_pool;
#[allow(dead_code)]
#[path = "../../gosync/examples/chan_waitgroup.rs"]
mod chan_waitgroup;
#[allow(dead_code)]
#[path = "../../gosync/examples/channel_counter.rs"]
mod channel_counter;
#[allow(dead_code)]
#[path = "../../gosync/examples/cond_queue.rs"]
mod cond_queue;
#[allow(dead_code)]
#[path = "../../gosync/examples/config_rcu.rs"]
mod config_rcu;
#[allow(dead_code)]
#[path = "../../gosync/examples/counter_goroutine.rs"]
mod counter_goroutine;
#[allow(dead_code)]
#[path = "../../gosync/examples/double_checked.rs"]
mod double_checked;
#[allow(dead_code)]
#[path = "../../gosync/examples/errgroup_fanout.rs"]
mod errgroup_fanout;
#[allow(dead_code)]
#[path = "../../gosync/examples/feed_context.rs"]
mod feed_context;
#[allow(dead_code)]
#[path = "../../gosync/examples/first_flag.rs"]
mod first_flag;
#[allow(dead_code)]
#[path = "../../gosync/examples/goroutines.rs"]
mod goroutines;
#[allow(dead_code)]
#[path = "../../gosync/examples/happens_before.rs"]
mod happens_before;
#[allow(dead_code)]
#[path = "../../gosync/examples/happens_before_chain.rs"]
mod happens_before_chain;
#[allow(dead_code)]
#[path = "../../gosync/examples/hits.rs"]
mod hits;
#[allow(dead_code)]
#[path = "../../gosync/examples/message_queue.rs"]
mod message_queue;
#[allow(dead_code)]
#[path = "../../gosync/examples/metrics.rs"]
mod metrics;
#[allow(dead_code)]
#[path = "../../gosync/examples/ms_queue.rs"]
mod ms_queue;
#[allow(dead_code)]
#[path = "../../gosync/examples/mutex_counter.rs"]
mod mutex_counter;
#[allow(dead_code)]
#[path = "../../gosync/examples/once_singleton.rs"]
mod once_singleton;
#[allow(dead_code)]
#[path = "../../gosync/examples/pipeline.rs"]
mod pipeline;
#[allow(dead_code)]
#[path = "../../gosync/examples/process_feed.rs"]
mod process_feed;
#[allow(dead_code)]
#[path = "../../gosync/examples/ready_data.rs"]
mod ready_data;
#[allow(dead_code)]
#[path = "../../gosync/examples/rwmutex_cache.rs"]
mod rwmutex_cache;
#[allow(dead_code)]
#[path = "../../gosync/examples/safe_config.rs"]
mod safe_config;
#[allow(dead_code)]
#[path = "../../gosync/examples/safe_counter.rs"]
mod safe_counter;
#[allow(dead_code)]
#[path = "../../gosync/examples/sharded_cache.rs"]
mod sharded_cache;
#[allow(dead_code)]
#[path = "../../gosync/examples/state_snapshot.rs"]
mod state_snapshot;
#[allow(dead_code)]
#[path = "../../gosync/examples/treiber_stack.rs"]
mod treiber_stack;
#[allow(dead_code)]
#[path = "../../gosync/examples/waitgroup_fanout.rs"]
mod waitgroup_fanout;
#[allow(dead_code)]
#[path = "../../gosync/examples/worker_pool.rs"]
mod worker_pool;

/// One program of the tour.
pub struct Stop {
    /// The example's name: `cargo run -p gosync --example NAME`.
    pub name: &'static str,
    /// The family it belongs to, as Go's package (`sync`, `chan`, ...), or
    /// `go` for goroutines themselves (Go's `go` statement).
    pub family: &'static str,
    /// What it shows, in one sentence.
    pub about: &'static str,
    /// Runs it (it asserts its own result) and returns the result line.
    pub run: fn() -> String,
}

/// Every stop, in the order the tour visits them.
pub const STOPS: &[Stop] = &[
    Stop {
        name: "goroutines",
        family: "go",
        about: goroutines::ABOUT,
        run: goroutines::tour,
    },
    Stop {
        name: "mutex_counter",
        family: "sync",
        about: mutex_counter::ABOUT,
        run: mutex_counter::tour,
    },
    Stop {
        name: "safe_counter",
        family: "sync",
        about: safe_counter::ABOUT,
        run: safe_counter::tour,
    },
    Stop {
        name: "rwmutex_cache",
        family: "sync",
        about: rwmutex_cache::ABOUT,
        run: rwmutex_cache::tour,
    },
    Stop {
        name: "hits",
        family: "sync",
        about: hits::ABOUT,
        run: hits::tour,
    },
    Stop {
        name: "once_singleton",
        family: "sync",
        about: once_singleton::ABOUT,
        run: once_singleton::tour,
    },
    Stop {
        name: "waitgroup_fanout",
        family: "sync",
        about: waitgroup_fanout::ABOUT,
        run: waitgroup_fanout::tour,
    },
    Stop {
        name: "cond_queue",
        family: "sync",
        about: cond_queue::ABOUT,
        run: cond_queue::tour,
    },
    Stop {
        name: "counter_goroutine",
        family: "chan",
        about: counter_goroutine::ABOUT,
        run: counter_goroutine::tour,
    },
    Stop {
        name: "channel_counter",
        family: "chan",
        about: channel_counter::ABOUT,
        run: channel_counter::tour,
    },
    Stop {
        name: "message_queue",
        family: "chan",
        about: message_queue::ABOUT,
        run: message_queue::tour,
    },
    Stop {
        name: "happens_before",
        family: "chan",
        about: happens_before::ABOUT,
        run: happens_before::tour,
    },
    Stop {
        name: "happens_before_chain",
        family: "chan",
        about: happens_before_chain::ABOUT,
        run: happens_before_chain::tour,
    },
    Stop {
        name: "pipeline",
        family: "chan",
        about: pipeline::ABOUT,
        run: pipeline::tour,
    },
    Stop {
        name: "worker_pool",
        family: "chan",
        about: worker_pool::ABOUT,
        run: worker_pool::tour,
    },
    Stop {
        name: "chan_waitgroup",
        family: "chan",
        about: chan_waitgroup::ABOUT,
        run: chan_waitgroup::tour,
    },
    Stop {
        name: "process_feed",
        family: "chan",
        about: process_feed::ABOUT,
        run: process_feed::tour,
    },
    Stop {
        name: "atomic_counter",
        family: "atomic",
        about: atomic_counter::ABOUT,
        run: atomic_counter::tour,
    },
    Stop {
        name: "metrics",
        family: "atomic",
        about: metrics::ABOUT,
        run: metrics::tour,
    },
    Stop {
        name: "first_flag",
        family: "atomic",
        about: first_flag::ABOUT,
        run: first_flag::tour,
    },
    Stop {
        name: "ready_data",
        family: "atomic",
        about: ready_data::ABOUT,
        run: ready_data::tour,
    },
    Stop {
        name: "double_checked",
        family: "atomic",
        about: double_checked::ABOUT,
        run: double_checked::tour,
    },
    Stop {
        name: "config_rcu",
        family: "atomic",
        about: config_rcu::ABOUT,
        run: config_rcu::tour,
    },
    Stop {
        name: "safe_config",
        family: "atomic",
        about: safe_config::ABOUT,
        run: safe_config::tour,
    },
    Stop {
        name: "treiber_stack",
        family: "atomic",
        about: treiber_stack::ABOUT,
        run: treiber_stack::tour,
    },
    Stop {
        name: "ms_queue",
        family: "atomic",
        about: ms_queue::ABOUT,
        run: ms_queue::tour,
    },
    Stop {
        name: "state_snapshot",
        family: "sync",
        about: state_snapshot::ABOUT,
        run: state_snapshot::tour,
    },
    Stop {
        name: "sharded_cache",
        family: "sync",
        about: sharded_cache::ABOUT,
        run: sharded_cache::tour,
    },
    Stop {
        name: "buffer_pool",
        family: "sync",
        about: buffer_pool::ABOUT,
        run: buffer_pool::tour,
    },
    Stop {
        name: "feed_context",
        family: "context",
        about: feed_context::ABOUT,
        run: feed_context::tour,
    },
    Stop {
        name: "errgroup_fanout",
        family: "errgroup",
        about: errgroup_fanout::ABOUT,
        run: errgroup_fanout::tour,
    },
];

/// The stop called `name`.
pub fn find(name: &str) -> Option<&'static Stop> {
    STOPS.iter().find(|s| s.name == name)
}

/// Prints every stop's family, name and sentence, one a line.
pub fn list() {
    let width = STOPS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in STOPS {
        println!("{:<8} {:<width$}  {}", s.family, s.name, s.about);
    }
}

/// Runs `stops` one after another, printing what each shows and its result.
pub fn run(stops: &[&Stop]) {
    let total = stops.len();
    if total > 1 {
        println!("gosync tour: Go's concurrency tutorials, ported; each program is gosync/examples/NAME.rs");
    }
    for (i, stop) in stops.iter().enumerate() {
        if total > 1 {
            println!();
        }
        println!("[{}/{total}] {} ({})", i + 1, stop.name, stop.family);
        println!("  {}", stop.about);
        // The example's body runs as a goroutine, as its own `main` does.
        let result = gosync::run(stop.run);
        println!("  => {result}");
    }
    if total > 1 {
        println!();
        println!(
            "{total} programs ran, each checked its own result. \
             Run one alone: cargo run -p gosync --example NAME"
        );
    }
}
