//! `go`, `run` and the `runtime` functions.
//!
//! Some behaviours are process-wide (the goroutine count, `GOMAXPROCS`) or
//! end the process (a panic in a `go` goroutine). Those tests re-run this
//! test binary as a child process limited to one test, with [`CHILD`] set to
//! that test's name; the test sees the variable and plays the child's part.

use std::cell::Cell;
use std::collections::HashSet;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use gosync::runtime::{goid, gomaxprocs, gosched, num_cpu, num_goroutine, set_gomaxprocs};
use gosync::sync::{Mutex, WaitGroup};

use crate::{recover, PATIENCE};

/// Set, to the test's full name, in a child process started by [`rerun`].
const CHILD: &str = "GOSYNC_TEST_CHILD";

/// Whether this process is the child that [`rerun`] started for `test`.
fn is_child(test: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|v| v == test)
}

/// Runs this test binary again with only `test` (its full name, as
/// `cargo test` lists it), in a child process that [`is_child`] recognises.
/// `--nocapture` lets what the child prints reach its real stdout/stderr.
fn rerun(test: &str, envs: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    Command::new(exe)
        .args(["--exact", test, "--test-threads=1", "--nocapture"])
        .env(CHILD, test)
        .envs(envs.iter().copied())
        .output()
        .expect("the test binary runs")
}

/// Asserts that the child ran exactly its one test and that it passed.
fn assert_child_passed(out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the child failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether the calling thread is the process's main thread, where the OS
/// can tell (Linux: the thread's id equals the process id).
fn on_process_main_thread() -> Option<bool> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    let link = link.to_str()?;
    let (pid, tid) = link.split_once("/task/")?;
    Some(pid == tid)
}

#[test]
fn go_panic_ends_the_process_with_status_2() {
    const TEST: &str = "goroutine::go_panic_ends_the_process_with_status_2";
    if is_child(TEST) {
        gosync::go(|| {
            println!("panicking goroutine: {}", goid());
            panic!("boom from a goroutine");
        });
        // The process ends before this; if it does not, the test returns
        // and the child exits with 0, which the parent reports.
        std::thread::sleep(PATIENCE);
        return;
    }
    let out = rerun(TEST, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a panic in a goroutine exits with status 2, as Go\n{stdout}\n{stderr}"
    );
    // libtest's "test ... " line has no newline yet when the goroutine prints.
    let id = stdout
        .lines()
        .find_map(|l| l.split_once("panicking goroutine: "))
        .map(|(_, id)| id.trim())
        .expect("the goroutine printed its id before panicking");
    assert!(
        stderr.contains("panic: boom from a goroutine"),
        "stderr names the panic:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("goroutine {id} [running]")),
        "stderr names goroutine {id}:\n{stderr}"
    );
}

#[test]
fn run_propagates_a_panic_to_the_caller() {
    assert_eq!(
        recover(|| gosync::run(|| panic!("boom in run"))).as_deref(),
        Some("boom in run")
    );

    // The payload itself comes back, not a copy of its message.
    #[derive(Debug, PartialEq)]
    struct Custom(u32);
    let payload = std::panic::catch_unwind(|| {
        gosync::run(|| std::panic::panic_any(Custom(7)));
    })
    .expect_err("run re-raises the goroutine's panic");
    assert_eq!(payload.downcast_ref::<Custom>(), Some(&Custom(7)));

    // And the caller carries on: `run` still works afterwards.
    assert_eq!(gosync::run(|| 1 + 1), 2);
}

#[test]
fn run_returns_a_borrowed_computation() {
    let words = ["go", "sync", "rust"];
    let total = gosync::run(|| words.iter().map(|w| w.len()).sum::<usize>());
    assert_eq!(total, 10);

    // `f` may borrow mutably too: the caller is blocked until it returns.
    let mut log = Vec::new();
    gosync::run(|| log.push("from a goroutine"));
    assert_eq!(log, ["from a goroutine"]);

    // A `run` inside a `run`, borrowing the same data.
    let m = Mutex::new(0);
    let n = gosync::run(|| {
        for _ in 0..4 {
            gosync::run(|| *m.lock() += 1);
        }
        *m.lock()
    });
    assert_eq!(n, 4);
}

#[test]
fn go_never_waits_for_its_goroutine() {
    // If `go` waited for `f`, `f` would wait forever for this send.
    let (tx, rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    gosync::go(move || {
        let v: u32 = rx.recv().expect("sent after go returned");
        done_tx.send(v * 2).expect("the test waits");
    });
    tx.send(21).expect("the goroutine waits");
    assert_eq!(done_rx.recv_timeout(PATIENCE), Ok(42));
}

#[test]
fn goroutine_ids() {
    let me = goid();
    assert_eq!(goid(), me, "an id does not change");
    // Goroutine 1 is the process's main thread; libtest runs tests on
    // threads of their own.
    if let Some(main) = on_process_main_thread() {
        assert_eq!(me == 1, main, "goid is 1 exactly on the main thread");
    }

    let (a, a_again) = gosync::run(|| (goid(), goid()));
    let b = gosync::run(goid);
    assert_eq!(a, a_again);
    let mut seen = HashSet::from([me]);
    for id in [a, b] {
        assert!(
            id != 1 && seen.insert(id),
            "run's goroutine {id} has an id of its own"
        );
    }

    let (tx, rx) = mpsc::channel();
    for _ in 0..8 {
        let tx = tx.clone();
        gosync::go(move || {
            let inner = gosync::run(goid);
            tx.send([goid(), inner]).expect("the test waits");
        });
    }
    let thread = std::thread::spawn(goid).join().expect("no panic");
    let ids = (0..8).flat_map(|_| rx.recv_timeout(PATIENCE).expect("every goroutine reports"));
    for id in ids.chain([thread]) {
        assert!(
            id != 1 && seen.insert(id),
            "goroutine {id} has an id of its own"
        );
    }
}

/// A goroutine stays on one thread of execution across blocking calls, so
/// its thread-locals stay its own (DESIGN.md: never migrate).
#[test]
fn thread_locals_survive_blocking() {
    thread_local! {
        static MINE: Cell<u64> = const { Cell::new(0) };
    }
    let m = Arc::new(Mutex::new(()));
    let wg = Arc::new(WaitGroup::new());
    let ok = Arc::new(AtomicBool::new(true));
    let held = m.lock();
    let done = WaitGroup::new();
    wg.add(1);
    for _ in 0..8 {
        let (m, wg, ok) = (m.clone(), wg.clone(), ok.clone());
        done.go(move || {
            // The thread-local belongs to the worker thread, which other
            // goroutines share: what must not change is which thread's it
            // is. Its address and the thread id name the thread.
            let id = goid();
            let thread = std::thread::current().id();
            let local = MINE.with(|c| c as *const Cell<u64> as usize);
            drop(m.lock()); // blocks until the test lets go
            wg.wait(); // blocks again
            gosched();
            let after = MINE.with(|c| c as *const Cell<u64> as usize);
            if after != local || std::thread::current().id() != thread || goid() != id {
                ok.store(false, Ordering::SeqCst);
            }
        });
    }
    std::thread::sleep(Duration::from_millis(1));
    drop(held);
    wg.done();
    done.wait();
    assert!(
        ok.load(Ordering::SeqCst),
        "a goroutine changed thread or id"
    );
}

/// `num_goroutine` counts every goroutine that exists, blocked or not, plus
/// the main one. Exact counts need a process of their own.
#[test]
fn num_goroutine_counts_blocked_goroutines() {
    const TEST: &str = "goroutine::num_goroutine_counts_blocked_goroutines";
    if !is_child(TEST) {
        return assert_child_passed(&rerun(TEST, &[]));
    }
    assert_eq!(num_goroutine(), 1, "only the main goroutine");
    let m = Arc::new(Mutex::new(()));
    let held = m.lock();
    let (tx, rx) = mpsc::channel();
    for i in 1..=3 {
        let (m, tx) = (m.clone(), tx.clone());
        gosync::go(move || {
            drop(m.lock());
            tx.send(()).expect("the test waits");
        });
        assert_eq!(num_goroutine(), 1 + i, "a started goroutine counts at once");
    }
    // Three goroutines are blocked on the mutex; `run`'s goroutine counts too.
    std::thread::sleep(Duration::from_millis(1));
    assert_eq!(num_goroutine(), 4);
    assert_eq!(gosync::run(num_goroutine), 5);
    drop(held);
    for _ in 0..3 {
        rx.recv_timeout(PATIENCE)
            .expect("each goroutine gets the lock");
    }
    // A goroutine stops counting once its function has returned, just after
    // its last send; poll for that, bounded by a count.
    wait_until_only_main_counted();
}

/// `GOMAXPROCS` from the environment, `set_gomaxprocs`, and the fallback to
/// the CPU count. Setting it is process-wide, so it runs in a child.
#[test]
fn gomaxprocs_from_env_and_set() {
    const TEST: &str = "goroutine::gomaxprocs_from_env_and_set";
    const EXPECT: &str = "GOSYNC_TEST_EXPECT_GOMAXPROCS";
    if !is_child(TEST) {
        assert!(num_cpu() >= 1);
        assert!(gomaxprocs() >= 1);
        assert_eq!(set_gomaxprocs(0), gomaxprocs(), "0 only reads it");
        let cpus = num_cpu().to_string();
        for (env, expect) in [("3", "3"), ("junk", &*cpus), ("0", &*cpus)] {
            assert_child_passed(&rerun(TEST, &[("GOMAXPROCS", env), (EXPECT, expect)]));
        }
        return;
    }
    let expect: usize = std::env::var(EXPECT).unwrap().parse().unwrap();
    assert_eq!(gomaxprocs(), expect);
    assert_eq!(set_gomaxprocs(0), expect, "0 only reads it");
    assert_eq!(gomaxprocs(), expect);
    assert_eq!(set_gomaxprocs(5), expect, "returns the previous setting");
    assert_eq!(gomaxprocs(), 5);
}

/// A goroutine that waits by yielding still lets the others run.
#[test]
fn gosched_yields() {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    gosync::go(move || f.store(true, Ordering::SeqCst));
    let mut spins = 0u64;
    while !flag.load(Ordering::SeqCst) {
        gosched();
        spins += 1;
        assert!(spins < 10_000_000, "the other goroutine never ran");
    }
}

/// Goroutine 1 is the process's main thread and only that: a thread that
/// merely carries the name "main" gets an id of its own.
#[test]
fn only_the_main_thread_is_goroutine_1() {
    let id = std::thread::Builder::new()
        .name("main".to_owned())
        .spawn(goid)
        .expect("a thread starts")
        .join()
        .expect("no panic");
    assert_ne!(id, 1, "a thread named \"main\" is not the main goroutine");
}

// --- The M:N scheduler ------------------------------------------------------

/// 100,000 goroutines, all started before any is served, each doing a round
/// trip with the main goroutine (a request on a shared channel, the reply
/// on its own): all complete. More goroutines than may have stacks at once
/// (vm.max_map_count) are alive here; those beyond wait to start.
#[test]
fn hundred_thousand_goroutines_round_trip() {
    const N: u64 = 100_000;
    let total = gosync::run(|| {
        let up = gosync::chan::Chan::new(1024);
        let done = WaitGroup::new();
        for i in 0..N {
            let up = up.clone();
            done.go(move || {
                let back = gosync::chan::Chan::new(1);
                up.send((i, back.clone()));
                assert_eq!(back.recv(), Some(2 * i));
            });
        }
        let mut total = 0;
        for _ in 0..N {
            let (i, back): (u64, gosync::chan::Chan<u64>) = up.recv().unwrap();
            total += i;
            back.send(2 * i);
        }
        done.wait();
        total
    });
    assert_eq!(total, N * (N - 1) / 2);
}

/// Goroutines blocked on a channel do not hold their workers: with many
/// more of them blocked than there are workers, another goroutine still
/// runs and reports, and then the blocked ones all finish.
#[test]
fn blocked_goroutines_do_not_block_their_workers() {
    let blocked = 8 * gomaxprocs();
    let gate = gosync::chan::Chan::<()>::new(0);
    let out = gosync::chan::Chan::new(0);
    let done = WaitGroup::new();
    for _ in 0..blocked {
        let gate = gate.clone();
        done.go(move || assert_eq!(gate.recv(), None));
    }
    {
        let out = out.clone();
        gosync::go(move || out.send("ran beside the blocked ones"));
    }
    assert_eq!(
        out.recv_timeout(PATIENCE),
        Ok("ran beside the blocked ones")
    );
    gate.close();
    done.wait();
}

/// Plain threads and goroutines share every primitive: a thread sends to a
/// goroutine and a goroutine to a thread, on unbuffered and buffered
/// channels, and a Mutex and WaitGroup span both.
#[test]
fn threads_and_goroutines_work_together() {
    let to_goroutine = gosync::chan::Chan::new(0);
    let to_thread = gosync::chan::Chan::new(1);
    let counter = Arc::new(Mutex::new(0u32));
    let wg = Arc::new(WaitGroup::new());
    wg.add(2);
    {
        let (rx, tx, counter, wg) = (
            to_goroutine.clone(),
            to_thread.clone(),
            counter.clone(),
            wg.clone(),
        );
        gosync::go(move || {
            for _ in 0..1000 {
                let v: u32 = rx.recv().unwrap();
                *counter.lock() += 1;
                tx.send(v + 1);
            }
            wg.done();
        });
    }
    #[allow(clippy::disallowed_methods)]
    let t = {
        let (tx, rx, counter, wg) = (
            to_goroutine.clone(),
            to_thread.clone(),
            counter.clone(),
            wg.clone(),
        );
        std::thread::spawn(move || {
            for i in 0..1000 {
                tx.send(i);
                assert_eq!(rx.recv(), Some(i + 1));
                *counter.lock() += 1;
            }
            wg.done();
        })
    };
    wg.wait();
    t.join().unwrap();
    assert_eq!(*counter.lock(), 2000);
}

/// A goroutine that overflows its stack runs into the guard page, and the
/// process aborts with a message naming the goroutine, instead of
/// corrupting memory or dying silently.
#[test]
fn stack_overflow_aborts_with_a_message() {
    const TEST: &str = "goroutine::stack_overflow_aborts_with_a_message";
    if is_child(TEST) {
        #[allow(unconditional_recursion)]
        fn deep(n: u64, buf: &mut [u8; 1024]) -> u64 {
            let mut mine = [0u8; 1024];
            mine[n as usize % 1024] = buf[0];
            deep(n + 1, &mut mine) + u64::from(std::hint::black_box(mine)[0])
        }
        gosync::run(|| {
            println!("overflowing goroutine: {}", goid());
            deep(0, &mut [0; 1024])
        });
        return;
    }
    let out = rerun(TEST, &[("GOSYNC_STACK_SIZE", "64k")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the child must not survive\n{stderr}"
    );
    let id = stdout
        .lines()
        .find_map(|l| l.split_once("overflowing goroutine: "))
        .map(|(_, id)| id.trim())
        .expect("the goroutine printed its id");
    assert!(
        stderr.contains(&format!("goroutine {id} has overflowed its stack (64 KiB")),
        "stderr names the goroutine and its stack size:\n{stderr}"
    );
}

/// `block_on_thread` moves blocking work off the worker: goroutines wait in
/// the kernel there (on a std channel, which parks the OS thread), twice as
/// many as there are workers, and they are released only by another
/// goroutine, which can run only if their workers are free. Were the
/// workers held, the release would never come and the test would fail
/// after `PATIENCE`.
#[test]
fn block_on_thread_frees_the_worker() {
    let n = 2 * gomaxprocs();
    let (release, released) = mpsc::channel::<()>();
    let released = Arc::new(std::sync::Mutex::new(released));
    let out = gosync::chan::Chan::new(0);
    for _ in 0..n {
        let (out, released) = (out.clone(), released.clone());
        gosync::go(move || {
            gosync::runtime::block_on_thread(|| {
                released.lock().unwrap().recv_timeout(PATIENCE).unwrap();
            });
            out.send("released");
        });
    }
    gosync::go(move || {
        for _ in 0..n {
            release.send(()).unwrap();
        }
    });
    for _ in 0..n {
        assert_eq!(out.recv_timeout(PATIENCE), Ok("released"));
    }
}

/// New goroutines spread over the workers: `GOMAXPROCS` goroutines that
/// each spin (never yielding their worker) until all of them are running
/// at once can only finish if every worker took one. (With one worker there
/// is nothing to show.)
#[test]
fn idle_workers_take_new_goroutines() {
    use std::sync::atomic::AtomicUsize;
    let n = gomaxprocs();
    if n < 2 {
        return;
    }
    let running = Arc::new(AtomicUsize::new(0));
    let out = gosync::chan::Chan::new(n);
    gosync::run(|| {
        for _ in 0..n {
            let (running, out) = (running.clone(), out.clone());
            gosync::go(move || {
                running.fetch_add(1, Ordering::SeqCst);
                #[allow(clippy::disallowed_methods)]
                let start = std::time::Instant::now();
                while running.load(Ordering::SeqCst) < n {
                    assert!(
                        start.elapsed() < PATIENCE,
                        "a worker never took a goroutine"
                    );
                    std::hint::spin_loop();
                }
                out.send(());
            });
        }
        for _ in 0..n {
            assert_eq!(out.recv_timeout(PATIENCE), Ok(()));
        }
    });
}

/// Goroutines that spin on `gosched` until a goroutine started after them
/// has run do not starve it: every 61st switch a worker starts a new
/// goroutine before the ones it has ready (Go checks its other queues every
/// 61 ticks too). Go's `TestValueCompareAndSwapConcurrent` has this shape.
#[test]
fn yielding_goroutines_do_not_starve_new_ones() {
    use std::sync::atomic::AtomicBool;
    let set = Arc::new(AtomicBool::new(false));
    gosync::run(|| {
        let wg = WaitGroup::new();
        for _ in 0..4 * gomaxprocs() {
            let set = set.clone();
            wg.go(move || {
                #[allow(clippy::disallowed_methods)]
                let start = std::time::Instant::now();
                while !set.load(Ordering::SeqCst) {
                    assert!(
                        start.elapsed() < PATIENCE,
                        "the goroutine that sets the flag never ran"
                    );
                    gosync::runtime::gosched();
                }
            });
        }
        let setter = set.clone();
        gosync::go(move || setter.store(true, Ordering::SeqCst));
        wg.wait();
    });
}

/// `go_spread` queues goroutines on different workers even when they block
/// as soon as they start (where `go` would keep them all on its spawner's
/// worker), and they still keep every rule of goroutines: counted by
/// `num_goroutine` at once, never changing thread after starting. It runs
/// in a child with four workers, however many CPUs there are, and no other
/// test's goroutines.
///
/// Twice as many goroutines as workers are spread from one goroutine, so
/// placement puts two on each worker. Each records its thread, then yields
/// until all have started: a worker with a goroutine to run never takes
/// another worker's queued ones, so each runs exactly what was placed on
/// it. With `go` instead, all of them start on the spawner's worker, which
/// switches too often to be robbed, and the test fails.
#[test]
fn go_spread_starts_goroutines_on_every_worker() {
    use std::sync::atomic::AtomicUsize;
    use std::thread::ThreadId;

    const TEST: &str = "goroutine::go_spread_starts_goroutines_on_every_worker";
    if !is_child(TEST) {
        return assert_child_passed(&rerun(TEST, &[("GOMAXPROCS", "4")]));
    }
    thread_local! {
        static MINE: Cell<u64> = const { Cell::new(0) };
    }
    let workers = gomaxprocs();
    assert_eq!(workers, 4, "GOMAXPROCS from the parent");
    let k = 2 * workers;
    gosync::run(|| {
        assert_eq!(num_goroutine(), 2, "main and run's goroutine");
        let started = Arc::new(AtomicUsize::new(0));
        let checkin = gosync::chan::Chan::new(k);
        let release = gosync::chan::Chan::<()>::new(0);
        let done = gosync::chan::Chan::new(k);
        for i in 1..=k {
            let (started, checkin, release, done) = (
                started.clone(),
                checkin.clone(),
                release.clone(),
                done.clone(),
            );
            gosync::go_spread(move || {
                let thread = std::thread::current().id();
                let local = MINE.with(|c| c as *const Cell<u64> as usize);
                let id = goid();
                started.fetch_add(1, Ordering::SeqCst);
                #[allow(clippy::disallowed_methods)]
                let start = std::time::Instant::now();
                while started.load(Ordering::SeqCst) < k {
                    assert!(
                        start.elapsed() < PATIENCE,
                        "a spread goroutine never started"
                    );
                    gosched();
                }
                checkin.send(thread);
                // Blocks until every goroutine has checked in, then comes
                // back on the same thread, as any goroutine does.
                assert_eq!(release.recv(), None);
                gosched();
                let local_after = MINE.with(|c| c as *const Cell<u64> as usize);
                let same =
                    std::thread::current().id() == thread && local_after == local && goid() == id;
                done.send(same);
            });
            assert_eq!(num_goroutine(), 2 + i, "a spread goroutine counts at once");
        }
        let mut per_thread: std::collections::HashMap<ThreadId, usize> = Default::default();
        for _ in 0..k {
            let t = checkin
                .recv_timeout(PATIENCE)
                .expect("every goroutine checks in");
            *per_thread.entry(t).or_default() += 1;
        }
        release.close();
        for _ in 0..k {
            assert_eq!(
                done.recv_timeout(PATIENCE),
                Ok(true),
                "a spread goroutine changed thread, thread-local or id"
            );
        }
        let mut counts: Vec<usize> = per_thread.values().copied().collect();
        counts.sort_unstable();
        assert_eq!(
            counts,
            vec![2; workers],
            "goroutines per worker thread: two on each of the {workers} workers"
        );
    });
    // They stop counting once their functions have returned; poll for that,
    // bounded by a count.
    wait_until_only_main_counted();
}

/// With one worker there is nowhere to spread to: `go_spread` goroutines
/// all run on it, and a pool of them that blocks and wakes finishes.
#[test]
fn go_spread_with_one_worker() {
    const TEST: &str = "goroutine::go_spread_with_one_worker";
    if !is_child(TEST) {
        return assert_child_passed(&rerun(TEST, &[("GOMAXPROCS", "1")]));
    }
    assert_eq!(gomaxprocs(), 1);
    let threads = gosync::run(|| {
        let (jobs, results) = (gosync::chan::Chan::new(0), gosync::chan::Chan::new(0));
        for _ in 0..8 {
            let (jobs, results) = (jobs.receiver(), results.sender());
            gosync::go_spread(move || {
                for j in &jobs {
                    results.send((j * 2, std::thread::current().id()));
                }
            });
        }
        let feeder = jobs.sender();
        gosync::go(move || {
            for j in 0..100u64 {
                feeder.send(j);
            }
            feeder.close();
        });
        let mut threads = HashSet::new();
        let mut sum = 0;
        for _ in 0..100 {
            let (v, t) = results.recv_timeout(PATIENCE).expect("a result");
            sum += v;
            threads.insert(t);
        }
        assert_eq!(sum, 2 * (0..100).sum::<u64>());
        threads.insert(std::thread::current().id());
        threads
    });
    assert_eq!(threads.len(), 1, "one worker thread ran everything");
}

/// A panic in a `go_spread` goroutine ends the process as one in a `go`
/// goroutine does: Go's message and exit status 2.
#[test]
fn go_spread_panic_ends_the_process_with_status_2() {
    const TEST: &str = "goroutine::go_spread_panic_ends_the_process_with_status_2";
    if is_child(TEST) {
        gosync::go_spread(|| panic!("boom from a spread goroutine"));
        // The process ends before this; if it does not, the test returns
        // and the child exits with 0, which the parent reports.
        std::thread::sleep(PATIENCE);
        return;
    }
    let out = rerun(TEST, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit status 2, as Go\n{stderr}");
    assert!(
        stderr.contains("panic: boom from a spread goroutine") && stderr.contains("[running]"),
        "stderr names the panic and the goroutine:\n{stderr}"
    );
}

/// Spread goroutines mixed with ordinary ones, from goroutines and from
/// threads at once, all run to completion (the spread counts they leave
/// behind do not matter to anything but placement).
#[test]
fn go_spread_and_go_together() {
    let n = crate::scaled(2_000, 20_000);
    let wg = Arc::new(WaitGroup::new());
    let spawners: Vec<_> = (0..2)
        .map(|t| {
            let wg = wg.clone();
            std::thread::spawn(move || {
                let body = {
                    let wg = wg.clone();
                    move || {
                        for i in 0..n {
                            wg.add(1);
                            let wg = wg.clone();
                            let f = move || wg.done();
                            if i % 2 == 0 {
                                gosync::go_spread(f);
                            } else {
                                gosync::go(f);
                            }
                        }
                    }
                };
                if t == 0 {
                    body();
                } else {
                    gosync::run(body);
                }
            })
        })
        .collect();
    for s in spawners {
        s.join().unwrap();
    }
    wg.wait();
}

/// Polls, bounded by a count, until `num_goroutine` is back to 1: a
/// goroutine stops counting just after its function returns, which may be
/// after its last send was received.
fn wait_until_only_main_counted() {
    let mut polls = 0;
    while num_goroutine() != 1 {
        polls += 1;
        assert!(
            polls < 10_000,
            "{} goroutines still counted",
            num_goroutine()
        );
        std::thread::sleep(Duration::from_micros(100));
    }
}
