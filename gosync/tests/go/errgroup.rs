//! Port of `golang.org/x/sync/errgroup/errgroup_test.go`.
//!
//! Ports: `ExampleGroup_parallel` (as a test), `TestZeroGroup`,
//! `TestWithContext`, `TestTryGo`, `TestGoLimit`, `TestCancelCause`, and
//! the panic tests of x/sync's 2024 revision (`TestPanic`: a panic in a
//! goroutine reaches `Wait`'s caller).
//! Not ported: `ExampleGroup_justErrors` and `ExampleGroup_pipeline` (they
//! fetch URLs and walk a file tree), the benchmarks.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gosync::chan::Chan;
use gosync::context::{self, background, Context, Error};
use gosync::errgroup::Group;
use gosync::sync::Mutex;
use gosync::{select, time};

use crate::{recover, scaled, PATIENCE};

type Result = std::result::Result<String, String>;

/// Go's `fakeSearch`: a search that answers at once.
fn fake_search(kind: &'static str) -> impl Fn(&Context, &str) -> Result + Send + Sync + Clone {
    move |_ctx, query| Ok(format!("{kind} result for {query:?}"))
}

#[test]
fn example_group_parallel() {
    let google = |ctx: &Context, query: &str| -> std::result::Result<Vec<String>, String> {
        let (g, ctx) = Group::<String>::with_context(ctx);
        let searches = [
            fake_search("web"),
            fake_search("image"),
            fake_search("video"),
        ];
        let results = Arc::new(Mutex::new(vec![String::new(); searches.len()]));
        for (i, search) in searches.into_iter().enumerate() {
            let (ctx, results, query) = (ctx.clone(), results.clone(), query.to_owned());
            g.go(move || {
                results.lock()[i] = search(&ctx, &query)?;
                Ok(())
            });
        }
        g.wait()?;
        let results = results.lock().clone();
        Ok(results)
    };
    let results = gosync::run(|| google(&background(), "golang")).unwrap();
    assert_eq!(
        results,
        [
            "web result for \"golang\"",
            "image result for \"golang\"",
            "video result for \"golang\"",
        ]
    );
}

/// Go's `TestZeroGroup` calls `Wait` after each `Go` and expects the first
/// error every time. Here the first error is moved out by the first `wait`
/// that returns it, and later waits return `Ok(())` (a later error never
/// replaces the first); see "Differences from Go" on `Group`.
#[test]
fn test_zero_group() {
    let err1 = "errgroup_test: 1";
    let err2 = "errgroup_test: 2";
    let cases: [&[Option<&str>]; 5] = [
        &[],
        &[None],
        &[Some(err1)],
        &[Some(err1), None],
        &[Some(err1), None, Some(err2)],
    ];
    for errs in cases {
        let g = Group::<&str>::new();
        let mut first_err = None;
        let mut reported = false;
        for (i, &err) in errs.iter().enumerate() {
            g.go(move || err.map_or(Ok(()), Err));
            if first_err.is_none() && err.is_some() {
                first_err = err;
            }
            let want = match first_err {
                Some(e) if !reported => {
                    reported = true;
                    Err(e)
                }
                _ => Ok(()),
            };
            assert_eq!(g.wait(), want, "after Go for err in {:?}", &errs[..=i]);
        }
    }
}

#[test]
fn test_with_context() {
    let err_doom = "group_test: doomed";
    let cases: [(&[Option<&str>], Option<&str>); 4] = [
        (&[], None),
        (&[None], None),
        (&[Some(err_doom)], Some(err_doom)),
        (&[Some(err_doom), None], Some(err_doom)),
    ];
    for (errs, want) in cases {
        let (g, ctx) = Group::<&str>::with_context(&background());
        for &err in errs {
            g.go(move || err.map_or(Ok(()), Err));
        }
        assert_eq!(g.wait(), want.map_or(Ok(()), Err), "for err in {errs:?}");
        assert_eq!(
            ctx.done().try_recv(),
            Err(gosync::chan::TryRecvError::Closed),
            "for err in {errs:?}: ctx.Done() was not closed"
        );
    }
}

#[test]
fn test_try_go() {
    gosync::run(|| {
        let g = Group::<()>::new();
        let n = 42;
        g.set_limit(42);
        let ch = Chan::<()>::new(0);
        let f = {
            let ch = ch.clone();
            move || {
                let ch = ch.clone();
                move || {
                    ch.send(());
                    Ok(())
                }
            }
        };
        for i in 0..n {
            assert!(
                g.try_go(f()),
                "TryGo should succeed but got fail at {i}-th call."
            );
        }
        assert!(!g.try_go(f()), "TryGo is expected to fail but succeeded.");
        {
            let ch = ch.clone();
            gosync::go(move || {
                for _ in 0..n {
                    ch.recv();
                }
            });
        }
        g.wait().unwrap();

        assert!(g.try_go(f()), "TryGo should succeed after all goroutines.");
        {
            let ch = ch.clone();
            gosync::go(move || {
                ch.recv();
            });
        }
        g.wait().unwrap();

        // Switch limit.
        g.set_limit(1);
        assert!(g.try_go(f()), "TryGo should succeed but got failed.");
        assert!(!g.try_go(f()), "TryGo should fail but succeeded.");
        {
            let ch = ch.clone();
            gosync::go(move || {
                ch.recv();
            });
        }
        g.wait().unwrap();

        // Block all calls.
        g.set_limit(0);
        for _ in 0..1 << 10 {
            assert!(!g.try_go(f()), "TryGo should fail but got succeeded.");
        }
        g.wait().unwrap();
    });
}

#[test]
fn test_go_limit() {
    const LIMIT: i32 = 10;
    gosync::run(|| {
        let g = Group::<String>::new();
        g.set_limit(LIMIT as isize);
        let active = Arc::new(AtomicI32::new(0));
        for _ in 0..=scaled(1 << 8, 1 << 10) {
            let active = active.clone();
            g.go(move || {
                let n = active.fetch_add(1, Ordering::SeqCst) + 1;
                if n > LIMIT {
                    return Err(format!("saw {n} active goroutines; want ≤ {LIMIT}"));
                }
                // Give other goroutines a chance to increment active.
                time::sleep(Duration::from_micros(1));
                active.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            });
        }
        assert_eq!(g.wait(), Ok(()));
    });
}

/// Not in Go's suite: `go` at the limit waits for a running subtask to
/// finish (it returns only after one has), where `try_go` fails.
#[test]
fn go_blocks_at_the_limit() {
    gosync::run(|| {
        let g = Arc::new(Group::<()>::new());
        g.set_limit(1);
        let log = Arc::new(Mutex::new(Vec::new()));
        let release = Chan::<()>::new(0);
        {
            let (log, release) = (log.clone(), release.clone());
            g.go(move || {
                release.recv();
                log.lock().push("first finished");
                Ok(())
            });
        }
        let returned = Chan::new(1);
        {
            let (g, log, returned) = (g.clone(), log.clone(), returned.clone());
            gosync::go(move || {
                g.go(|| Ok(()));
                log.lock().push("second go returned");
                returned.send(());
            });
        }
        release.send(());
        assert_eq!(returned.recv_timeout(PATIENCE), Ok(()));
        g.wait().unwrap();
        assert_eq!(*log.lock(), ["first finished", "second go returned"]);
    });
}

#[test]
fn test_cancel_cause() {
    #[derive(Clone, Debug, PartialEq)]
    struct Doom;
    impl std::fmt::Display for Doom {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("group_test: doomed")
        }
    }
    impl std::error::Error for Doom {}

    let cases: [(&[Option<Doom>], Option<Doom>); 4] = [
        (&[], None),
        (&[None], None),
        (&[Some(Doom)], Some(Doom)),
        (&[Some(Doom), None], Some(Doom)),
    ];
    for (errs, want) in cases {
        let (g, ctx) = Group::<Doom>::with_context(&background());
        for err in errs {
            let err = err.clone();
            g.try_go(move || err.map_or(Ok(()), Err));
        }
        assert_eq!(
            g.wait(),
            want.clone().map_or(Ok(()), Err),
            "for err in {errs:?}"
        );
        let cause = context::cause(&ctx).expect("the context is cancelled");
        match want {
            Some(doom) => assert_eq!(cause.downcast_ref::<Doom>(), Some(&doom)),
            None => assert_eq!(cause.downcast_ref::<Error>(), Some(&Error::Canceled)),
        }
    }
}

/// x/sync's panic propagation: a panic in a goroutine reaches `wait`'s
/// caller, once every goroutine has finished, and cancels the context.
#[test]
fn test_panic() {
    gosync::run(|| {
        let (g, ctx) = Group::<String>::with_context(&background());
        let finished = Arc::new(Mutex::new(false));
        {
            let (ctx, finished) = (ctx.clone(), finished.clone());
            g.go(move || {
                // Runs until the panic cancels the context.
                ctx.done().recv();
                *finished.lock() = true;
                Ok(())
            });
        }
        g.go(|| panic!("boom"));
        let msg = recover(|| {
            let _ = g.wait();
        });
        assert_eq!(msg.as_deref(), Some("boom"));
        assert!(
            *finished.lock(),
            "wait resumed the panic before every goroutine finished"
        );
        assert_eq!(ctx.err(), Some(Error::Canceled));
    });
}

/// The first panic wins over an error, and over later panics; each is
/// resumed once.
#[test]
fn test_panic_and_error() {
    let g = Group::<&str>::new();
    g.go(|| Err("plain error"));
    g.wait().unwrap_err();
    g.go(|| std::panic::panic_any(7_u32));
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.wait()))
        .expect_err("wait resumes the panic");
    assert_eq!(payload.downcast_ref::<u32>(), Some(&7));
    assert_eq!(g.wait(), Ok(()), "resumed once");
}

#[test]
fn set_limit_while_active_panics() {
    gosync::run(|| {
        let g = Group::<()>::new();
        g.set_limit(2);
        let release = Chan::<()>::new(0);
        {
            let release = release.clone();
            g.go(move || {
                release.recv();
                Ok(())
            });
        }
        assert_eq!(
            recover(|| g.set_limit(3)).as_deref(),
            Some("errgroup: modify limit while 1 goroutines in the group are still active")
        );
        release.send(());
        g.wait().unwrap();
        g.set_limit(3); // fine once they have finished
        g.set_limit(-1);
    });
}

/// Not in Go's suite: the derived context stops the siblings of a failing
/// subtask, which see the cause.
#[test]
fn first_error_cancels_siblings() {
    gosync::run(|| {
        let (g, ctx) =
            Group::<Arc<dyn std::error::Error + Send + Sync>>::with_context(&background());
        let stopped = Arc::new(AtomicI32::new(0));
        for _ in 0..10 {
            let (ctx, stopped) = (ctx.clone(), stopped.clone());
            g.go(move || {
                select! {
                    recv(&ctx.done()) -> _ => {},
                    recv(&time::after(PATIENCE)) -> _ => panic!("never cancelled"),
                }
                assert_eq!(context::cause(&ctx).unwrap().to_string(), "disk full");
                stopped.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
        }
        g.go(|| {
            Err(Arc::from(Box::<dyn std::error::Error + Send + Sync>::from(
                "disk full",
            )))
        });
        assert_eq!(g.wait().unwrap_err().to_string(), "disk full");
        assert_eq!(stopped.load(Ordering::SeqCst), 10);
    });
}

/// Not in Go's suite: from plain threads, with the default (`Default`)
/// group and errors that are not `Clone`.
#[test]
fn from_threads_with_io_errors() {
    let g: Group<std::io::Error> = Group::default();
    for i in 0..8 {
        g.go(move || {
            if i == 5 {
                Err(std::io::Error::other("five"))
            } else {
                Ok(())
            }
        });
    }
    assert_eq!(g.wait().unwrap_err().to_string(), "five");
}
