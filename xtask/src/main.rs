//! `cargo xtask`: project automation. It links no product crate; it drives them as processes so it
//! stays a few-second build.
//!
//! - `cargo xtask seed [ARGS]`: seed a database (see `datagen seed --help`).
//! - `cargo xtask serve [ARGS]`: the main job: seed demo data into the embedded database if it has
//!   none yet, then run `swole-gateway --dev` (see `swole-gateway --help` for ARGS).
//! - `cargo xtask indexes [ARGS]`: the index report of a live database (see `dbtool indexes --help`).
//! - `cargo xtask aggregate [ARGS]`: rebuild or check the summary tables of a live database (see
//!   `dbtool aggregate --help`).
//! - `cargo xtask rollout [ARGS]`: the phased rollout of a live database: `status`, `plan`,
//!   `apply`, `rollback`, `shadow`, `flag` (see `dbtool rollout --help`).
//! - `cargo xtask loadtest [ARGS]`: open-loop load against a gateway it starts on the embedded
//!   database (demo data seeded on first use) or on `--database-url`, or against `--target` (see
//!   `loadtest --help`).
//! - `cargo xtask tidy`: check the repository's invariants (also run by `cargo test`).
//!
//! `seed`, `serve`, `indexes`, `aggregate`, `rollout` and `loadtest` run release binaries that one `cargo build` invocation builds
//! together (`RELEASE_PACKAGES`): cargo unifies features only across the packages of one
//! invocation, so building them one at a time compiled sea-orm, sqlx and the rest once per set of
//! features, and a first `serve` took nearly three times as long.

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
        Some("indexes") => dbtool("indexes", &rest),
        Some("aggregate") => dbtool("aggregate", &rest),
        Some("rollout") => dbtool("rollout", &rest),
        Some("storage") => dbtool("storage", &rest),
        Some("whoop-import") => dbtool("whoop-import", &rest),
        Some("whoop-export") => dbtool("whoop-export", &rest),
        Some("loadtest") => loadtest(&rest),
        Some("tidy") => tidy::run(),
        _ => Err(anyhow::anyhow!(
            "usage: cargo xtask <serve|seed|loadtest|indexes|aggregate|rollout|storage|whoop-import|whoop-export|tidy> [ARGS]"
        )),
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

/// The packages whose release binaries the commands run, always built together.
const RELEASE_PACKAGES: [&str; 4] = ["datagen", "gateway", "dbtool", "loadtest"];

/// Where cargo puts build output: `CARGO_TARGET_DIR` (relative to the project root) or `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => project_root().join(dir),
        None => project_root().join("target"),
    }
}

/// Builds every release binary in one invocation, with cargo's own progress on stderr; returns
/// the directory that holds them. Seconds when nothing changed.
fn build_release() -> anyhow::Result<PathBuf> {
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--locked"]);
    for package in RELEASE_PACKAGES {
        cmd.args(["--package", package]);
    }
    let status = cmd.status()?;
    anyhow::ensure!(status.success(), "building the release binaries failed ({status})");
    Ok(target_dir().join("release"))
}

/// Runs a release binary from the project root and fails with its name when it fails.
fn run_release(dir: &Path, binary: &str, args: &[String]) -> anyhow::Result<()> {
    let status = Command::new(dir.join(binary)).current_dir(project_root()).args(args).status()?;
    if status.success() { Ok(()) } else { Err(anyhow::anyhow!("{binary} failed ({status})")) }
}

/// Whether the command will use the embedded database and it does not exist yet.
fn embedded_missing(args: &[String]) -> bool {
    let configured = std::env::var_os("SWOLE_DATABASE_URL").is_some()
        || args.iter().any(|a| a.starts_with("--database-url") || a.starts_with("--target"));
    !configured && !project_root().join(EMBEDDED_DB).exists()
}

/// Builds the release binaries and, when the embedded database does not exist yet, seeds the
/// demo into it (20 lifters, 26 weeks ending today). Returns the binaries' directory.
fn build_and_seed(first_run: bool, stages: u32) -> anyhow::Result<PathBuf> {
    eprintln!("[1/{stages}] building the release binaries (the first build takes minutes)");
    let dir = build_release()?;
    if first_run {
        eprintln!("[2/{stages}] seeding demo data into {EMBEDDED_DB} (first run only)");
        let demo = ["seed", "--users", "20", "--weeks", "26"].map(str::to_owned);
        run_release(&dir, "datagen", &demo)?;
    }
    Ok(dir)
}

/// Seeds a small demo into the embedded database the first time, then runs the gateway in
/// development mode (it prints its URL and a token for user 1).
fn serve(args: &[String]) -> anyhow::Result<()> {
    let first_run = embedded_missing(args);
    let stages = if first_run { 3 } else { 2 };
    let dir = build_and_seed(first_run, stages)?;
    eprintln!("[{stages}/{stages}] starting swole-gateway");
    let mut gateway_args = vec!["--dev".to_owned()];
    gateway_args.extend_from_slice(args);
    run_release(&dir, "swole-gateway", &gateway_args)
}

/// Open-loop load: the demo seeded on first use, then `loadtest`, which starts the gateway.
fn loadtest(args: &[String]) -> anyhow::Result<()> {
    let first_run = embedded_missing(args);
    let stages = if first_run { 3 } else { 2 };
    let dir = build_and_seed(first_run, stages)?;
    eprintln!("[{stages}/{stages}] running loadtest");
    run_release(&dir, "loadtest", args)
}

/// A `dbtool` command over a live database (the index report, the summaries' rebuild or check).
fn dbtool(command: &str, args: &[String]) -> anyhow::Result<()> {
    let dir = build_release()?;
    let mut dbtool_args = vec![command.to_owned()];
    dbtool_args.extend_from_slice(args);
    run_release(&dir, "dbtool", &dbtool_args)
}

/// Seeding writes a million rows: it runs the release build of `datagen`.
fn seed(args: &[String]) -> anyhow::Result<()> {
    let dir = build_release()?;
    let mut seed_args = vec!["seed".to_owned()];
    seed_args.extend_from_slice(args);
    run_release(&dir, "datagen", &seed_args)
}
