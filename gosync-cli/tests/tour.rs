//! The main job end to end: `gosync tour` runs every program and each one
//! checks its own result (an example that fails its assertion panics, and the
//! tour exits non-zero).

use std::process::{Command, Output};

fn gosync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gosync"))
        .args(args)
        .output()
        .expect("the gosync binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "gosync exited with {}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

/// The program names, from `gosync tour --list`.
fn names() -> Vec<String> {
    let list = stdout(&gosync(&["tour", "--list"]));
    let names: Vec<String> = list
        .lines()
        .map(|l| {
            l.split_whitespace()
                .nth(1)
                .expect("family, name, about")
                .to_string()
        })
        .collect();
    assert!(!names.is_empty(), "the tour lists its programs");
    names
}

#[test]
fn tour_runs_every_listed_program() {
    let names = names();
    let out = stdout(&gosync(&["tour"]));
    for (i, name) in names.iter().enumerate() {
        let header = format!("[{}/{}] {name} ", i + 1, names.len());
        assert!(out.contains(&header), "missing {header:?} in:\n{out}");
    }
    assert_eq!(
        out.matches("\n  => ").count(),
        names.len(),
        "one result per program"
    );
    assert!(out.contains(&format!("{} programs ran", names.len())));
}

#[test]
fn tour_runs_one_program_by_name() {
    let out = stdout(&gosync(&["tour", "safe_counter"]));
    assert!(out.contains("10000"), "SafeCounter counts to 10000:\n{out}");
    assert_eq!(out.matches("\n  => ").count(), 1);
}

#[test]
fn unknown_program_is_an_error() {
    let out = gosync(&["tour", "no_such_program"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("safe_counter"),
        "clap lists the valid names:\n{err}"
    );
}
