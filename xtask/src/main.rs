//! `cargo xtask`: project automation. It links no product crate; it drives them as processes so it
//! stays a few-second build.
//!
//! - `cargo xtask seed [ARGS]`: build `datagen` in release mode and seed (see `datagen seed --help`).
//! - `cargo xtask serve [ARGS]`: the main job: seed demo data into the embedded database if it has
//!   none yet, then run `swole-gateway --dev` (see `swole-gateway --help` for ARGS).
//! - `cargo xtask indexes [ARGS]`: the index report of a live database (see `dbtool indexes --help`).
//! - `cargo xtask tidy`: check the repository's invariants (also run by `cargo test`).

mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    let res = match task.as_deref() {
        Some("seed") => seed(&rest),
        Some("serve") => serve(&rest),
        Some("indexes") => indexes(&rest),
        Some("tidy") => tidy::run(),
        _ => Err(anyhow::anyhow!("usage: cargo xtask <serve|seed|indexes|tidy> [ARGS]")),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it).
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A cargo command in the project root, without the variables `cargo run` set for xtask itself:
/// build scripts watch some of them, and a changed value would rebuild half the dependency tree.
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(project_root());
    for (key, value) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let set_by_cargo_run = (key.starts_with("CARGO_")
            && !matches!(key, "CARGO_HOME" | "CARGO_TARGET_DIR" | "CARGO_TERM_COLOR"))
            || key == "OUT_DIR";
        if set_by_cargo_run {
            cmd.env_remove(key);
        } else if key == "LD_LIBRARY_PATH" {
            let kept: Vec<_> =
                std::env::split_paths(&value).filter(|p| !p.starts_with(project_root())).collect();
            match std::env::join_paths(kept) {
                Ok(joined) if !joined.is_empty() => cmd.env(key, joined),
                _ => cmd.env_remove(key),
            };
        }
    }
    cmd
}

/// The embedded database `serve` uses when no URL is configured.
const EMBEDDED_DB: &str = "data/swole.db";

/// Seeds a small demo (20 lifters, 26 weeks ending today) into the embedded database the first
/// time, then runs the gateway in development mode (it prints its URL and a token for user 1).
fn serve(args: &[String]) -> anyhow::Result<()> {
    let configured = std::env::var_os("SWOLE_DATABASE_URL").is_some()
        || args.iter().any(|a| a.starts_with("--database-url"));
    if !configured && !project_root().join(EMBEDDED_DB).exists() {
        eprintln!("seeding demo data into {EMBEDDED_DB} (first run only)");
        seed(&["--users".to_owned(), "20".to_owned(), "--weeks".to_owned(), "26".to_owned()])?;
    }
    let status = cargo()
        .args([
            "run",
            "--quiet",
            "--release",
            "--locked",
            "--package",
            "gateway",
            "--bin",
            "swole-gateway",
            "--",
            "--dev",
        ])
        .args(args)
        .status()?;
    if status.success() { Ok(()) } else { Err(anyhow::anyhow!("swole-gateway stopped ({status})")) }
}

/// The index report reads plans and sizes only: the debug build is enough.
fn indexes(args: &[String]) -> anyhow::Result<()> {
    let status = cargo()
        .args(["run", "--quiet", "--locked", "--package", "dbtool", "--", "indexes"])
        .args(args)
        .status()?;
    if status.success() { Ok(()) } else { Err(anyhow::anyhow!("dbtool indexes failed ({status})")) }
}

/// Seeding writes a million rows: it runs the release build of `datagen`.
fn seed(args: &[String]) -> anyhow::Result<()> {
    let status = cargo()
        .args(["run", "--quiet", "--release", "--locked", "--package", "datagen", "--", "seed"])
        .args(args)
        .status()?;
    if status.success() { Ok(()) } else { Err(anyhow::anyhow!("datagen seed failed ({status})")) }
}
