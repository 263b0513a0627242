//! Operator tooling over a live database:
//! - `dbtool indexes --database-url URL [--user ID]`: prints the index report.
//! - `dbtool aggregate --database-url URL (--rebuild | --check) [--user ID]`: rebuilds the summary
//!   tables from the set lines, or compares them with a rebuild (exit status 1 on any difference).
//! - `dbtool rollout --database-url URL (status | plan | apply | rollback | shadow | flag)`: the
//!   phased rollout (see `dbtool::rollout`).

use std::io::Write as _;
use std::process::ExitCode;

use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use db::{DEFAULT_SQLITE_URL, DbConfig};
use dbtool::{aggregate, rollout, shadow};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Duration;

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
    /// Bytes per table and per index, and the total (SQLite `dbstat`, PostgreSQL sizes).
    Storage {
        /// Database URL (`sqlite://…` or `postgres://…`).
        #[arg(long, env = "SWOLE_DATABASE_URL", default_value = DEFAULT_SQLITE_URL)]
        database_url: String,
    },
    /// Import a WHOOP v2 JSON export for one user (schema phase 3): every record an upsert by
    /// WHOOP's id, so a re-run writes nothing twice.
    WhoopImport {
        /// The export: `{"cycles": [...], "sleeps": [...], "recoveries": [...], "workouts": [...]}`.
        file: PathBuf,
        /// Our user the records belong to.
        #[arg(long)]
        user: i64,
        /// Database URL (`sqlite://…` or `postgres://…`).
        #[arg(long, env = "SWOLE_DATABASE_URL", default_value = DEFAULT_SQLITE_URL)]
        database_url: String,
        /// Records per transaction.
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
    /// Write one user's WHOOP records as a WHOOP v2 JSON export (the payloads as stored).
    WhoopExport {
        /// Our user.
        #[arg(long)]
        user: i64,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        /// Database URL (`sqlite://…` or `postgres://…`).
        #[arg(long, env = "SWOLE_DATABASE_URL", default_value = DEFAULT_SQLITE_URL)]
        database_url: String,
    },
    /// The phased rollout: status, plan, apply, rollback, shadow comparison, one switch.
    Rollout {
        /// Database URL (`sqlite://…` or `postgres://…`).
        #[arg(long, env = "SWOLE_DATABASE_URL", default_value = DEFAULT_SQLITE_URL, global = true)]
        database_url: String,
        /// PostgreSQL schema to work in (default: the server's search path).
        #[arg(long, global = true)]
        schema: Option<String>,
        #[command(subcommand)]
        command: Rollout,
    },
}

#[derive(Subcommand)]
enum Rollout {
    /// Schema phase, pending migrations, switches and their percentages, summary freshness.
    Status,
    /// What `apply --to N` (or `rollback --to N`, for a lower phase) would do, with estimates.
    Plan {
        #[arg(long)]
        to: u32,
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(0..=100))]
        percent: u8,
    },
    /// Back up, migrate up to phase N, verify, then switch the new items on for PERCENT of users.
    Apply {
        #[arg(long)]
        to: u32,
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(0..=100))]
        percent: u8,
        /// Where the backup goes.
        #[arg(long, default_value = "data/backups")]
        backup_dir: PathBuf,
    },
    /// Switch the items above phase N off, wait for the gateways, back up, migrate down, verify.
    Rollback {
        #[arg(long)]
        to: u32,
        #[arg(long, default_value = "data/backups")]
        backup_dir: PathBuf,
        /// How long to wait after switching off (longer than the gateways' `--rollout-poll-ms`).
        #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
        settle: Duration,
    },
    /// Run the original and the optimized path of phase N's items side by side for a sample of
    /// users; exit status 1 on any mismatch.
    Shadow {
        #[arg(long)]
        phase: u32,
        /// Percentage of users (those whose id modulo 100 is below it).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(1..=100))]
        sample: u8,
        #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
        duration: Duration,
    },
    /// Set one switch: ITEM (`resolution_cache`, `dashboard`, `summaries`, `hot_columns`) at PERCENT.
    Flag {
        item: String,
        #[arg(value_parser = clap::value_parser!(u8).range(0..=100))]
        percent: u8,
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
        Command::Storage { database_url } => {
            let db = db::connect(&DbConfig::new(&database_url)?).await?;
            let storage = dbtool::storage::measure(&db).await?;
            let _ = write!(std::io::stdout(), "{}", storage.render());
            Ok(ExitCode::SUCCESS)
        }
        Command::WhoopImport { file, user, database_url, batch } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let export = whoop::Export::parse(&text)?;
            let config = DbConfig::new(&database_url)?;
            let conn = db::connect(&config).await?;
            let phase = migration::current_phase(&conn).await?.unwrap_or(0);
            let db =
                query::Db::new(conn, phase, config.param_limit, query::Flags::for_phase(phase))?;
            let bar = ProgressBar::new(export.len() as u64).with_style(
                ProgressStyle::with_template("importing {bar:40} {pos}/{len} records, {elapsed}")?,
            );
            let started = Instant::now();
            let done = query::whoop::import(&db, query::UserId(user), &export, batch, |n| {
                bar.set_position(n as u64);
            })
            .await
            .context("WHOOP records are stored from schema phase 3: migrate the database first")?;
            bar.finish();
            let _ = writeln!(
                std::io::stdout(),
                "imported {} WHOOP records for user {user} in {} transactions, {:.1} s",
                done.records,
                done.transactions,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::WhoopExport { user, out, database_url } => {
            let db = db::connect(&DbConfig::new(&database_url)?).await?;
            let text = dbtool::whoop::export(&db, user).await?;
            std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
            let _ = writeln!(std::io::stdout(), "wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Rollout { database_url, schema, command } => {
            let mut config = DbConfig::new(&database_url)?;
            config.pg_schema = schema;
            rollout(config, command).await
        }
    }
}

async fn rollout(config: DbConfig, command: Rollout) -> anyhow::Result<ExitCode> {
    let param_limit = config.param_limit;
    let target = rollout::Target::connect(config).await?;
    let mut out = std::io::stdout().lock();
    match command {
        Rollout::Status => {
            let _ = write!(out, "{}", rollout::status(&target).await?.render());
        }
        Rollout::Plan { to, percent } => {
            let steps = rollout::plan(&target, to, percent).await?;
            let total: Duration = steps.iter().map(|it| it.estimate).sum();
            for (idx, step) in steps.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{:>2}. {} (estimated {})",
                    idx + 1,
                    step.kind,
                    seconds(step.estimate)
                );
            }
            let _ = writeln!(out, "estimated total {}", seconds(total));
        }
        Rollout::Apply { to, percent, backup_dir } => {
            drop(out);
            let run =
                rollout::Run { to, percent, backup_dir: Some(backup_dir), settle: Duration::ZERO };
            let outcome = rollout::apply(&target, &run, &mut Bars::default()).await?;
            report(&outcome);
        }
        Rollout::Rollback { to, backup_dir, settle } => {
            drop(out);
            let run = rollout::Run { to, percent: 0, backup_dir: Some(backup_dir), settle };
            let outcome = rollout::rollback(&target, &run, &mut Bars::default()).await?;
            report(&outcome);
        }
        Rollout::Shadow { phase, sample, duration } => {
            drop(out);
            let bar = ProgressBar::new(duration.as_secs().max(1)).with_style(
                ProgressStyle::with_template("shadow phase {msg} {bar:40} {elapsed}/{len}s")?,
            );
            bar.set_message(phase.to_string());
            let ticker = {
                let bar = bar.clone();
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        bar.inc(1);
                    }
                })
            };
            let report = shadow::shadow(&target.conn, param_limit, phase, sample, duration).await?;
            ticker.abort();
            bar.finish_and_clear();
            let _ = write!(std::io::stdout(), "{}", report.render());
            return Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        Rollout::Flag { item, percent } => {
            let parsed = query::Item::parse(&item).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown item `{item}`; the items are resolution_cache, dashboard, summaries, hot_columns"
                )
            })?;
            let now = chrono::Utc::now().timestamp_millis();
            query::rollout::store(&target.conn, parsed, percent, now).await?;
            let _ = writeln!(
                out,
                "{item} at {percent} %: every gateway follows within its poll interval"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn seconds(it: Duration) -> String {
    format!("{:.1} s", it.as_secs_f64())
}

fn report(outcome: &rollout::Outcome) {
    let mut out = std::io::stdout().lock();
    let total: Duration = outcome.steps.iter().map(|it| it.1).sum();
    let _ = writeln!(out, "done: phase {} in {}", outcome.phase, seconds(total));
    if let Some(path) = &outcome.backup {
        let _ = writeln!(out, "backup: {}", path.display());
    }
    if let (Some(before), Some(after)) = (&outcome.checksum_before, &outcome.checksum_after) {
        let _ = writeln!(out, "phase-0 checksum before {before}, after {after}: unchanged");
    }
}

/// A line per step on stdout, and a bar (or a spinner, for a step without units) on stderr while
/// it runs.
#[derive(Default)]
struct Bars {
    bar: Option<ProgressBar>,
}

impl rollout::Progress for Bars {
    fn begin(&mut self, index: usize, total: usize, step: &rollout::Step) {
        let line =
            format!("[{}/{total}] {} (estimated {})", index + 1, step.kind, seconds(step.estimate));
        let _ = writeln!(std::io::stdout(), "{line}");
        let bar = ProgressBar::new_spinner().with_message(line);
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        self.bar = Some(bar);
    }

    fn advance(&mut self, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            if bar.length() != Some(total) {
                bar.set_length(total);
                if let Ok(style) =
                    ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} {elapsed}")
                {
                    bar.set_style(style);
                }
            }
            bar.set_position(done);
        }
    }

    fn finish(&mut self, elapsed: Duration, note: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let sep = if note.is_empty() { "" } else { ": " };
        let _ = writeln!(std::io::stdout(), "      done in {}{sep}{note}", seconds(elapsed));
    }
}
