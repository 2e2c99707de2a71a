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
    for _ in 0..4 {
        let (m, wg, ok) = (m.clone(), wg.clone(), ok.clone());
        done.go(move || {
            let id = goid();
            let thread = std::thread::current().id();
            MINE.with(|c| c.set(id));
            drop(m.lock()); // blocks until the test lets go
            wg.wait(); // blocks again
            gosched();
            if MINE.with(Cell::get) != id || std::thread::current().id() != thread || goid() != id {
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
