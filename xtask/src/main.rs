//! `cargo xtask`: project automation. It links no product crate; it drives them as processes so it
//! stays a few-second build.
//!
//! - `cargo xtask seed [ARGS]`: build `datagen` in release mode and seed (see `datagen seed --help`).
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
        Some("tidy") => tidy::run(),
        _ => Err(anyhow::anyhow!("usage: cargo xtask <seed|tidy> [ARGS]")),
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

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(project_root());
    cmd
}

/// Seeding writes a million rows: it runs the release build of `datagen`.
fn seed(args: &[String]) -> anyhow::Result<()> {
    let status = cargo()
        .args(["run", "--quiet", "--release", "--locked", "--package", "datagen", "--", "seed"])
        .args(args)
        .status()?;
    if status.success() { Ok(()) } else { Err(anyhow::anyhow!("datagen seed failed ({status})")) }
}
