//! `datagen`: seeds a database with deterministic, realistic data, or prints a database's checksum.
//!
//! Every failure is one line on stderr and a non-zero exit. Arguments are validated before any file
//! or connection is opened, so a bad invocation leaves nothing behind.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use datagen::write::{prepare, write_all};
use datagen::{SeedConfig, inspect};
use db::{DEFAULT_SQLITE_URL, DbConfig};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(about = "Deterministic, realistic Swole Tracker data", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, then write users, templates, sessions, set lines and WHOOP data.
    Seed(SeedArgs),
    /// Print the content checksum and row counts of a database.
    Checksum {
        /// Database URL (`sqlite://…` or `postgres://…`).
        #[arg(long, env = "SWOLE_DATABASE_URL", default_value = DEFAULT_SQLITE_URL)]
        database_url: String,
    },
}

#[derive(clap::Args)]
struct SeedArgs {
    /// Database URL (`sqlite://…` or `postgres://…`); default: the embedded SQLite file.
    #[arg(long, env = "SWOLE_DATABASE_URL", default_value = DEFAULT_SQLITE_URL)]
    database_url: String,
    /// Number of users.
    #[arg(long, default_value_t = 50, allow_negative_numbers = true)]
    users: i64,
    /// Weeks of history ending on --end-date.
    #[arg(long, default_value_t = 52, allow_negative_numbers = true)]
    weeks: i64,
    /// Random seed: the same arguments give the same data on every backend.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Last day of history, YYYY-MM-DD (default: today, UTC).
    #[arg(long)]
    end_date: Option<String>,
    /// Migrate only up to this phase (default: the latest).
    #[arg(long, allow_negative_numbers = true)]
    phase: Option<i64>,
    /// No SQL statement binds more parameters than this (default: D1's 100).
    #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
    max_params: i64,
    /// Wipe the database (every table) before seeding.
    #[arg(long)]
    reset: bool,
    /// Let threads run on any core. By default an embedded-SQLite seed pins itself to one core:
    /// SQLite's driver thread and the writer hand over every statement, and on small VMs a
    /// cross-core wake-up costs more than the insert (see BENCHMARKS.md).
    #[arg(long)]
    no_pin: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            // clap's own message is several lines; keep the one that says what is wrong.
            let text = err.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            return fail(&anyhow::anyhow!("{}", first.trim_start_matches("error: ")));
        }
    };
    if let Command::Seed(args) = &cli.command
        && !args.no_pin
        && args.database_url.starts_with("sqlite:")
    {
        pin_to_one_core();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(it) => it,
        Err(err) => return fail(&anyhow::Error::new(err).context("starting the runtime")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

/// Pins this thread, and so every thread it starts afterwards, to the first core it may use.
fn pin_to_one_core() {
    if let Some(core) = core_affinity::get_core_ids().and_then(|ids| ids.into_iter().next()) {
        // Best effort: on failure the seed is slower, not wrong.
        let _ = core_affinity::set_for_current(core);
    }
}

fn fail(err: &anyhow::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {}", one_line(err));
    ExitCode::FAILURE
}

/// The error and its causes on one line, skipping causes whose text is already shown (driver
/// errors often repeat their source in their own message).
fn one_line(err: &anyhow::Error) -> String {
    let mut res = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !res.contains(&text) {
            res.push_str(": ");
            res.push_str(&text);
        }
    }
    res.replace('\n', " ")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Seed(args) => seed(args).await,
        Command::Checksum { database_url } => {
            let config = DbConfig::new(&database_url)?;
            let db = db::connect(&config).await?;
            print_summary(&db).await
        }
    }
}

async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    let end_date = match &args.end_date {
        None => Utc::now().date_naive(),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("--end-date must be a date as YYYY-MM-DD (got {text})"))?,
    };
    let config = SeedConfig::new(
        args.users,
        args.weeks,
        args.seed,
        end_date,
        args.phase.unwrap_or(i64::from(migration::LATEST_PHASE)),
        args.max_params,
    )?;
    let mut db_config = DbConfig::new(&args.database_url)?;
    db_config.param_limit = config.param_limit;
    if args.reset
        && let Some(path) = db_config.sqlite_path()
    {
        // Deleting the file is the quick, complete reset of an embedded database (dropping big
        // tables with foreign keys on deletes every row first).
        remove_sqlite_file(path).with_context(|| format!("removing {path} for --reset"))?;
    }
    let db = db::connect(&db_config).await?;
    let started = Instant::now();
    prepare(&db, &config, args.reset).await?;

    let bar = ProgressBar::new(u64::from(config.users));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seeding [{bar:30}] {pos}/{len} users, {msg} ({elapsed})",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let mut n_set_lines = 0u64;
    write_all(&db, &config, |user| {
        n_set_lines += user.set_lines as u64;
        bar.set_message(format!("{n_set_lines} set lines"));
        bar.inc(1);
    })
    .await?;
    bar.finish_and_clear();
    let written = started.elapsed();
    let total_rows: u64 = inspect::row_counts(&db).await?.iter().map(|(_, n)| n).sum();
    let _ = writeln!(
        std::io::stderr(),
        "seeded {} users x {} weeks (seed {}, end {}, phase {}) into {} in {:.1} s: {} rows, {:.0} rows/s",
        config.users,
        config.weeks,
        config.seed,
        config.end_date,
        config.phase,
        db_config.redacted_url(),
        written.as_secs_f64(),
        total_rows,
        total_rows as f64 / written.as_secs_f64()
    );
    print_summary(&db).await
}

fn remove_sqlite_file(path: &str) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        match std::fs::remove_file(format!("{path}{suffix}")) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
    }
    Ok(())
}

async fn print_summary(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let mut err = std::io::stderr().lock();
    for (table, n) in inspect::row_counts(db).await.context("counting rows")? {
        let _ = writeln!(err, "{table:>25} {n:>10}");
    }
    drop(err);
    let checksum = inspect::content_checksum(db).await.context("computing the content checksum")?;
    let _ = writeln!(std::io::stdout(), "content checksum: {checksum}");
    Ok(())
}
