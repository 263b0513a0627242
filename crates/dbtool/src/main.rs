//! Operator tooling over a live database:
//! - `dbtool indexes --database-url URL [--user ID]`: prints the index report.
//! - `dbtool aggregate --database-url URL (--rebuild | --check) [--user ID]`: rebuilds the summary
//!   tables from the set lines, or compares them with a rebuild (exit status 1 on any difference).

use std::io::Write as _;
use std::process::ExitCode;

use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use db::{DEFAULT_SQLITE_URL, DbConfig};
use dbtool::aggregate;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(about = "Operator tooling over a live Swole Tracker database")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Judge every secondary index: duplicates, prefixes, unused (from the services' query plans).
    Indexes {
        /// Database URL (`sqlite://…` or `postgres://…`).
        #[arg(long, env = "SWOLE_DATABASE_URL", default_value = DEFAULT_SQLITE_URL)]
        database_url: String,
        /// The user whose sample queries are planned (plans can depend on the statistics).
        #[arg(long, default_value_t = 1)]
        user: i64,
    },
    /// Rebuild the summary tables (schema phase 2) from the set lines, or check them.
    Aggregate {
        /// Database URL (`sqlite://…` or `postgres://…`).
        #[arg(long, env = "SWOLE_DATABASE_URL", default_value = DEFAULT_SQLITE_URL)]
        database_url: String,
        /// Replace every summary row with one recomputed from the set lines.
        #[arg(long, conflicts_with = "check", required_unless_present = "check")]
        rebuild: bool,
        /// Compare every summary row with a rebuild, print the differences, write nothing.
        #[arg(long)]
        check: bool,
        /// Only this user.
        #[arg(long)]
        user: Option<i64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(it) => it,
        Err(err) => return fail(&err.into()),
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => fail(&err),
    }
}

fn fail(err: &anyhow::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {err:#}");
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Indexes { database_url, user } => {
            let db = db::connect(&DbConfig::new(&database_url)?).await?;
            let report = dbtool::report(&db, user).await?;
            let _ = write!(std::io::stdout(), "{}", report.render());
            Ok(ExitCode::SUCCESS)
        }
        Command::Aggregate { database_url, rebuild, check: _, user } => {
            let config = DbConfig::new(&database_url)?;
            let conn = db::connect(&config).await?;
            let users = aggregate::users(&conn, user).await?;
            if let Some(id) = user.filter(|_| users.is_empty()) {
                anyhow::bail!("no user {id}");
            }
            let bar = ProgressBar::new(users.len() as u64).with_style(
                ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} users, {elapsed}")?,
            );
            let started = Instant::now();
            let context =
                "the summary tables exist from schema phase 2: migrate the database first";
            if rebuild {
                bar.set_message("rebuilding");
                let rows = aggregate::rebuild(&conn, &users, config.param_limit, || bar.inc(1))
                    .await
                    .context(context)?;
                bar.finish();
                let _ = writeln!(
                    std::io::stdout(),
                    "rebuilt the summaries of {} users: {rows} rows in {:.1} s",
                    users.len(),
                    started.elapsed().as_secs_f64()
                );
                return Ok(ExitCode::SUCCESS);
            }
            bar.set_message("checking");
            let found = aggregate::check(&conn, &users, || bar.inc(1)).await.context(context)?;
            bar.finish();
            let mut out = std::io::stdout().lock();
            for line in &found {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(
                out,
                "checked the summaries of {} users in {:.1} s: {} differences",
                users.len(),
                started.elapsed().as_secs_f64(),
                found.len()
            );
            Ok(if found.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}
