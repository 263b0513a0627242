//! The `datagen` binary: bad input is one clear line on stderr, a non-zero exit, and nothing left
//! behind; a good seed prints its checksum.

#![allow(clippy::unwrap_used, reason = "test helpers may panic")]

use std::path::PathBuf;
use std::process::{Command, Output};

fn datagen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_datagen"))
        .args(args)
        .env_remove("SWOLE_DATABASE_URL")
        .output()
        .unwrap()
}

fn temp_db(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("datagen-cli-{}-{name}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn bad_input_is_one_clear_line_and_leaves_nothing_behind() {
    let path = temp_db("bad");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    // (arguments, what the one line must say)
    let cases: &[(&[&str], &str)] = &[
        (&["--users", "0"], "--users must be between 1 and 100000 (got 0)"),
        (&["--weeks", "-1"], "--weeks must be between 1 and 1040 (got -1)"),
        (&["--users", "many"], "invalid value 'many' for '--users <USERS>'"),
        (&["--end-date", "2025-13-01"], "--end-date must be a date as YYYY-MM-DD (got 2025-13-01)"),
        (&["--phase", "99"], "--phase must be an existing phase (0 up to the latest) (got 99)"),
        (
            &["--max-params", "10"],
            "--max-params must be at least 25 (the widest row binds 25) (got 10)",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["seed", "--database-url", url.as_str()];
        all.extend_from_slice(args);
        let out = datagen(&all);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.starts_with("error: "), "{stderr:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr:?} should say {message:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed a result");
        assert!(!path.exists(), "{args:?} created the database file");
    }
}

#[test]
fn unreachable_and_malformed_databases_are_one_line_each() {
    let cases: &[(&str, &str)] = &[
        (
            "postgres://postgres@127.0.0.1:1/nowhere",
            "cannot connect to postgres://postgres@127.0.0.1:1/nowhere",
        ),
        ("postgres://", "database url is malformed"),
        ("mysql://localhost/x", "got scheme `mysql`"),
        ("definitely not a url", "database url is malformed"),
    ];
    for (url, message) in cases {
        let out = datagen(&["seed", "--database-url", url, "--users", "1", "--weeks", "1"]);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!out.status.success(), "{url}");
        assert_eq!(stderr.lines().count(), 1, "{url}: {stderr:?}");
        assert!(stderr.contains(message), "{url}: {stderr:?} should say {message:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_seed_prints_its_checksum_and_refuses_to_seed_twice() {
    let path = temp_db("good");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let args = [
        "seed",
        "--database-url",
        &url,
        "--users",
        "2",
        "--weeks",
        "3",
        "--end-date",
        "2025-11-25",
    ];
    let out = datagen(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("content checksum: sha256:"), "{stdout}");

    let again = datagen(&args);
    let stderr = String::from_utf8(again.stderr).unwrap();
    assert!(!again.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("already holds 2 users"), "{stderr}");

    let check = datagen(&["checksum", "--database-url", &url]);
    assert_eq!(
        String::from_utf8(check.stdout).unwrap(),
        stdout,
        "checksum of the stored data differs"
    );
    let _ = std::fs::remove_file(&path);
}
