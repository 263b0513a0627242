//! `dbtool rollout`: the phased rollout as an operator's tool over a live database.
//!
//! - `status`: the schema phase, pending migrations, the switches and the summaries' freshness.
//! - `plan --to N`: what `apply`/`rollback` would do, step by step, with estimated times.
//! - `apply --to N --percent P`: backup, switches of the new items at 0 %, the migrations,
//!   verification (phase-0 row counts and checksum unchanged, summaries equal a rebuild), then the
//!   new items at `P` %.
//! - `rollback --to N`: the switches of the items above `N` at 0 % (and a pause while every
//!   gateway picks that up), backup, the `down` migrations, the same verification.
//!
//! The migrations of one run are one write transaction, so a killed run leaves the database as it
//! was. Gateways may keep writing during a rollout: the checksum compares two read snapshots, one
//! taken just before the migration and one just after it, with writes kept out in between
//! (see [`migrate`]), so a user's new workout is not mistaken for a migration that changed data.
//!
//! One `apply` or `rollback` at a time: PostgreSQL's session advisory lock [`ROLLOUT_LOCK`], or
//! on SQLite an OS file lock on `<database>.rollout-lock`; both vanish with the process, so a
//! killed run never blocks the next. The migrations run, on PostgreSQL, under the exclusive
//! [`MIGRATION_GATE`] that every write transaction takes shared, so no write decides what to
//! maintain from a schema that is about to change (SQLite's single write lock does the same
//! there). Every step is safe to re-run: a re-run starts from the phase the database is at.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use db::{Backend, DbConfig};
use migration::{MigratorTrait, steps_through_phase};
use query::rollout::{MIGRATION_GATE, ROLLOUT_LOCK};
use query::{Item, Snapshot};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};

/// What can stop a rollout command.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error(
        "another rollout apply or rollback is running on this database ({0}); try again when it has finished"
    )]
    Busy(String),
    #[error("phase {0} does not exist: the latest phase is {latest}", latest = migration::LATEST_PHASE)]
    NoSuchPhase(u32),
    #[error("the database is at phase {at}, below {to}: use `apply --to {to}`")]
    Below { at: u32, to: u32 },
    #[error("the database is at phase {at}, above {to}: use `rollback --to {to}`")]
    Above { at: u32, to: u32 },
    #[error("verification failed: {0}")]
    Verify(String),
    #[error("backup failed: {0}")]
    Backup(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// One database under the tool: a single connection, so that a PostgreSQL session lock and the
/// migrations it guards share one session.
#[derive(Debug)]
pub struct Target {
    pub config: DbConfig,
    pub conn: DatabaseConnection,
}

impl Target {
    pub async fn connect(mut config: DbConfig) -> anyhow::Result<Self> {
        config.max_connections = 1;
        let conn = db::connect(&config).await?;
        Ok(Self { config, conn })
    }

    fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }
}

/// Where the schema and the switches stand.
#[derive(Debug, Clone)]
pub struct Status {
    pub phase: u32,
    pub applied: usize,
    pub pending: Vec<String>,
    pub rollout: Snapshot,
    /// `Some(differences)` of the most recently written users' summaries against a rebuild, from
    /// phase 2.
    pub freshness: Option<Freshness>,
}

#[derive(Debug, Clone)]
pub struct Freshness {
    pub users: usize,
    pub differences: Vec<String>,
}

/// How many of the most recently active users `status` checks against a rebuild.
const FRESHNESS_USERS: u64 = 20;

pub async fn status(target: &Target) -> anyhow::Result<Status> {
    let conn = &target.conn;
    let applied = applied_count(conn).await?;
    let names: Vec<String> =
        migration::Migrator::migrations().iter().map(|it| it.name().to_owned()).collect();
    let pending = names.iter().skip(applied).cloned().collect();
    let (phase, percents) = query::rollout::read(conn).await?;
    let freshness = if phase >= 2 {
        let users = recent_users(conn, FRESHNESS_USERS).await?;
        let differences = crate::aggregate::check(conn, &users, || {}).await?;
        Some(Freshness { users: users.len(), differences })
    } else {
        None
    };
    Ok(Status { phase, applied, pending, rollout: Snapshot { phase, percents }, freshness })
}

impl Status {
    pub fn render(&self) -> String {
        let mut out = String::new();
        let total = self.applied + self.pending.len();
        let _ = writeln!(
            out,
            "schema phase {} ({} of {total} migrations applied)",
            self.phase, self.applied
        );
        for name in &self.pending {
            let _ = writeln!(out, "  pending: {name}");
        }
        let _ = writeln!(out, "switches (percentage of users on the optimized path):");
        for item in Item::ALL {
            let stored = match self.rollout.percents[item.index()] {
                Some(it) => format!("row: {it} %"),
                None => "no row: 100 % where the schema has it".to_owned(),
            };
            let _ = writeln!(
                out,
                "  {:<17} phase {}  effective {:>3} %  ({stored})",
                item.name(),
                item.phase(),
                self.rollout.effective(item)
            );
        }
        match &self.freshness {
            None => {
                let _ = writeln!(out, "summaries: none below phase 2");
            }
            Some(it) if it.differences.is_empty() => {
                let _ = writeln!(
                    out,
                    "summaries: fresh (the {} most recently active users equal a rebuild)",
                    it.users
                );
            }
            Some(it) => {
                let _ = writeln!(
                    out,
                    "summaries: STALE ({} differences among the {} most recently active users; \
                     `cargo xtask aggregate --rebuild`)",
                    it.differences.len(),
                    it.users
                );
            }
        }
        out
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub estimate: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    Backup,
    Checksum,
    /// Set these items' switches to this percentage.
    Switches(Vec<Item>, u8),
    /// Wait for every gateway to re-read the switches.
    Settle,
    Up(String),
    Down(String),
    /// Summaries equal a rebuild.
    VerifySummaries,
    /// Compress the WHOOP payloads before the phase-3 migration, outside its transaction, in
    /// resumable batches while the gateways write (the migration then moves only the rest).
    CompactAhead,
}

impl std::fmt::Display for StepKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Backup => write!(f, "back up the database"),
            Self::Checksum => write!(
                f,
                "compare the phase-0 tables' row counts and checksum before and after the migration"
            ),
            Self::Switches(items, percent) => {
                let names: Vec<&str> = items.iter().map(|it| it.name()).collect();
                write!(f, "switches {} to {percent} %", names.join(", "))
            }
            Self::Settle => write!(f, "wait for every gateway to re-read the switches"),
            Self::Up(name) => write!(f, "migrate up: {name}"),
            Self::Down(name) => write!(f, "migrate down: {name}"),
            Self::VerifySummaries => write!(f, "check every user's summaries against a rebuild"),
            Self::CompactAhead => write!(
                f,
                "compress the WHOOP payloads ahead of the migration, in resumable batches"
            ),
        }
    }
}

/// Seconds per row of the table each step reads, SQLite and PostgreSQL, measured in the rollout
/// rehearsal (README, "Phased rollout"; 1.15 M set lines, 2 vCPUs, a gateway serving 10 req/s
/// meanwhile). A step not listed costs 0.1 s.
const RATES: &[(&str, &str, f64, f64)] = &[
    ("up:m20251101_000001_create_exercise_resolution_cache", "template_exercises", 4e-6, 8e-6),
    ("up:m20251101_000002_consolidate_indexes", "session_exercises", 6e-7, 1e-6),
    ("up:m20251201_000001_create_summaries", "session_exercises", 3e-6, 5e-6),
    ("up:m20251201_000002_hot_columns", "user_preferences", 3e-3, 3e-3),
    // 154,848 payloads in 17.4 s in the rehearsal (all of them inside the migration).
    ("compact", "whoop_sleep", 3.4e-4, 3.4e-4),
    ("up:m20251215_000001_whoop_compaction", "whoop_sleep", 2e-5, 2e-5),
    ("down:m20251101_000002_consolidate_indexes", "session_exercises", 1.1e-5, 1.1e-5),
    ("down:m20251201_000002_hot_columns", "user_preferences", 3e-3, 3e-3),
    ("backup", "session_exercises", 5e-6, 5e-6),
    // Two checksums, before and after.
    ("checksum", "session_exercises", 3e-5, 3e-5),
    ("summaries", "session_exercises", 6.5e-6, 8e-6),
];

async fn estimate(target: &Target, key: &str) -> anyhow::Result<Duration> {
    let Some((_, table, sqlite, postgres)) = RATES.iter().find(|it| it.0 == key) else {
        return Ok(Duration::from_millis(100));
    };
    let rows = count_rows(&target.conn, table).await?;
    let rate = if target.backend() == DbBackend::Sqlite { sqlite } else { postgres };
    #[expect(clippy::cast_precision_loss, reason = "an estimate")]
    Ok(Duration::from_secs_f64(rows as f64 * rate))
}

/// The steps `apply --to` (when `to` is above the current phase or equal to it) or
/// `rollback --to` (below it) would run.
pub async fn plan(target: &Target, to: u32, percent: u8) -> anyhow::Result<Vec<Step>> {
    let to_steps = steps_through_phase(to).ok_or(RolloutError::NoSuchPhase(to))?;
    let applied = applied_count(&target.conn).await?;
    let at = migration::phase_of_applied(applied).unwrap_or(0);
    let names: Vec<String> =
        migration::Migrator::migrations().iter().map(|it| it.name().to_owned()).collect();
    let mut kinds = Vec::new();
    if to_steps >= applied {
        let new_items: Vec<Item> = items_between(at, to);
        kinds.push(StepKind::Backup);
        if applied < to_steps && !new_items.is_empty() {
            kinds.push(StepKind::Switches(new_items.clone(), 0));
        }
        if names[applied..to_steps].iter().any(|it| it == COMPACTION) {
            kinds.push(StepKind::CompactAhead);
        }
        kinds.extend(names[applied..to_steps].iter().map(|it| StepKind::Up(it.clone())));
        if applied < to_steps {
            kinds.push(StepKind::Checksum);
        }
        if to >= 2 {
            kinds.push(StepKind::VerifySummaries);
        }
        let enable =
            if new_items.is_empty() { items_between(to.saturating_sub(1), to) } else { new_items };
        if !enable.is_empty() {
            kinds.push(StepKind::Switches(enable, percent));
        }
    } else {
        let gone = items_between(to, at.max(to));
        if !gone.is_empty() {
            kinds.push(StepKind::Switches(gone, 0));
            kinds.push(StepKind::Settle);
        }
        kinds.push(StepKind::Backup);
        kinds.extend(names[to_steps..applied].iter().rev().map(|it| StepKind::Down(it.clone())));
        kinds.push(StepKind::Checksum);
    }
    let mut res = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let key = match &kind {
            StepKind::Backup => "backup".to_owned(),
            StepKind::Checksum => "checksum".to_owned(),
            StepKind::VerifySummaries => "summaries".to_owned(),
            StepKind::CompactAhead => "compact".to_owned(),
            StepKind::Up(name) => format!("up:{name}"),
            StepKind::Down(name) => format!("down:{name}"),
            StepKind::Switches(..) | StepKind::Settle => String::new(),
        };
        let estimate = if key.is_empty() { Duration::ZERO } else { estimate(target, &key).await? };
        res.push(Step { kind, estimate });
    }
    Ok(res)
}

/// The items whose tables phases `from + 1 ..= to` create.
fn items_between(from: u32, to: u32) -> Vec<Item> {
    Item::ALL.into_iter().filter(|it| it.phase() > from && it.phase() <= to).collect()
}

/// The lock one `apply`/`rollback` holds; released when the run ends, when dropped (SQLite), or
/// when the process or its session ends.
#[derive(Debug)]
pub enum Lock {
    /// Held by the target's one PostgreSQL session: an advisory lock on (`ROLLOUT_LOCK`, the
    /// schema), so databases and schemas roll out independently.
    Postgres,
    Sqlite(std::fs::File),
    /// An in-memory SQLite database belongs to one process: nothing to lock.
    Memory,
}

/// Takes the rollout lock or fails at once with [`RolloutError::Busy`].
pub async fn lock(target: &Target) -> Result<Lock, RolloutError> {
    match target.config.backend() {
        Backend::Postgres => {
            let row = target
                .conn
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS ok",
                    [ROLLOUT_LOCK.into()],
                ))
                .await?;
            let ok = row.map(|it| it.try_get::<bool>("", "ok")).transpose()?.unwrap_or(false);
            if ok {
                Ok(Lock::Postgres)
            } else {
                Err(RolloutError::Busy("PostgreSQL advisory lock held by another session".into()))
            }
        }
        Backend::Sqlite => {
            let Some(path) = target.config.sqlite_path() else {
                return Ok(Lock::Memory);
            };
            let lock_path = format!("{path}.rollout-lock");
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&lock_path)?;
            match file.try_lock() {
                Ok(()) => Ok(Lock::Sqlite(file)),
                Err(std::fs::TryLockError::WouldBlock) => {
                    Err(RolloutError::Busy(format!("{lock_path} is locked")))
                }
                Err(std::fs::TryLockError::Error(err)) => Err(err.into()),
            }
        }
    }
}

/// What a step reports back to the caller's display.
pub trait Progress {
    /// A step begins.
    fn begin(&mut self, index: usize, total: usize, step: &Step);
    /// A step with countable units made progress (users checked).
    fn advance(&mut self, done: u64, total: u64);
    /// The step finished, with a line to print.
    fn finish(&mut self, elapsed: Duration, note: &str);
}

/// What `apply` or `rollback` did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub backup: Option<PathBuf>,
    pub checksum_before: Option<String>,
    pub checksum_after: Option<String>,
    pub phase: u32,
    pub steps: Vec<(String, Duration)>,
}

/// Options of `apply` and `rollback`.
#[derive(Debug, Clone)]
pub struct Run {
    pub to: u32,
    pub percent: u8,
    /// Where backups go (`None`: no backup; tests only).
    pub backup_dir: Option<PathBuf>,
    /// How long `rollback` waits after switching items off.
    pub settle: Duration,
}

/// `apply --to`: refuses a lower phase.
pub async fn apply(
    target: &Target,
    run: &Run,
    progress: &mut dyn Progress,
) -> anyhow::Result<Outcome> {
    let at = current(target).await?;
    if run.to < at {
        return Err(RolloutError::Above { at, to: run.to }.into());
    }
    execute(target, run, progress).await
}

/// `rollback --to`: refuses a higher phase.
pub async fn rollback(
    target: &Target,
    run: &Run,
    progress: &mut dyn Progress,
) -> anyhow::Result<Outcome> {
    let at = current(target).await?;
    if run.to > at {
        return Err(RolloutError::Below { at, to: run.to }.into());
    }
    execute(target, run, progress).await
}

async fn current(target: &Target) -> anyhow::Result<u32> {
    Ok(migration::phase_of_applied(applied_count(&target.conn).await?).unwrap_or(0))
}

async fn execute(
    target: &Target,
    run: &Run,
    progress: &mut dyn Progress,
) -> anyhow::Result<Outcome> {
    let lock = lock(target).await?;
    let res = execute_locked(target, run, progress).await;
    if matches!(lock, Lock::Postgres) {
        target
            .conn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_unlock($1, hashtext(current_schema()))",
                [ROLLOUT_LOCK.into()],
            ))
            .await?;
    }
    res
}

async fn execute_locked(
    target: &Target,
    run: &Run,
    progress: &mut dyn Progress,
) -> anyhow::Result<Outcome> {
    let steps = plan(target, run.to, run.percent).await?;
    let mut outcome = Outcome::default();
    let mut snapshots = None;
    let mut index = 0;
    while index < steps.len() {
        let step = &steps[index];
        if matches!(step.kind, StepKind::Up(_) | StepKind::Down(_)) {
            // Every migration step of the run in one transaction, between two snapshots.
            let end = steps[index..]
                .iter()
                .position(|it| !matches!(it.kind, StepKind::Up(_) | StepKind::Down(_)))
                .map_or(steps.len(), |it| index + it);
            let block = &steps[index..end];
            snapshots = Some(migrate(target, block, index, steps.len(), progress).await?);
            for it in block {
                outcome.steps.push((it.kind.to_string(), Duration::ZERO));
            }
            index = end;
            continue;
        }
        progress.begin(index, steps.len(), step);
        let started = Instant::now();
        let note = match &step.kind {
            StepKind::Backup => match &run.backup_dir {
                Some(dir) => {
                    let path = backup(target, dir).await?;
                    let note = format!("backup at {}", path.display());
                    outcome.backup = Some(path);
                    note
                }
                None => "skipped (no backup directory)".to_owned(),
            },
            StepKind::Checksum => {
                let Some(pair) = snapshots.take() else {
                    anyhow::bail!("a checksum step without a migration before it");
                };
                let raced = pair.raced;
                let (before, after, note) = match (&outcome.backup, raced) {
                    (Some(backup), true) => {
                        if let Some(txn) = pair.before {
                            txn.rollback().await?;
                        }
                        pair.after.rollback().await?;
                        let block: Vec<Step> = steps
                            .iter()
                            .filter(|it| matches!(it.kind, StepKind::Up(_) | StepKind::Down(_)))
                            .cloned()
                            .collect();
                        let (before, after) = verify_on_copy(backup, &block).await?;
                        let note = format!(
                            "{before} before and after, on a copy of the backup (a gateway's \
                             write committed right after the live migration)"
                        );
                        (before, after, note)
                    }
                    (None, true) => {
                        return Err(RolloutError::Verify(
                            "a write committed right after the migration and there is no backup \
                             to verify on; the migration is committed"
                                .to_owned(),
                        )
                        .into());
                    }
                    (_, false) => {
                        let (before, after) = compare(pair).await?;
                        let note = format!("{before} before and after");
                        (before, after, note)
                    }
                };
                outcome.checksum_before = Some(before);
                outcome.checksum_after = Some(after);
                note
            }
            StepKind::Switches(items, percent) => {
                let now = chrono::Utc::now().timestamp_millis();
                for item in items {
                    query::rollout::store(&target.conn, *item, *percent, now).await?;
                }
                String::new()
            }
            StepKind::Settle => {
                tokio::time::sleep(run.settle).await;
                String::new()
            }
            StepKind::VerifySummaries => {
                let users = crate::aggregate::users(&target.conn, None).await?;
                let total = users.len() as u64;
                let mut done = 0;
                let found = crate::aggregate::check(&target.conn, &users, || {
                    done += 1;
                    progress.advance(done, total);
                })
                .await?;
                if !found.is_empty() {
                    return Err(RolloutError::Verify(format!(
                        "{} summary rows differ from a rebuild, the first: {}",
                        found.len(),
                        found[0]
                    ))
                    .into());
                }
                format!("{total} users equal a rebuild")
            }
            StepKind::CompactAhead => {
                let moved = migration::compact_whoop_ahead(&target.conn).await?;
                format!("{moved} payloads compressed")
            }
            StepKind::Up(_) | StepKind::Down(_) => String::new(),
        };
        let elapsed = started.elapsed();
        progress.finish(elapsed, &note);
        outcome.steps.push((step.kind.to_string(), elapsed));
        index += 1;
    }
    outcome.phase = current(target).await?;
    Ok(outcome)
}

/// Read snapshots of the database just before and just after a migration: what the phase-0
/// checksum compares, while the gateways' writes go on.
struct Snapshots {
    /// `None` when it was read (and ended) before the migration ran.
    before: Option<DatabaseTransaction>,
    /// The "before" snapshot's checksum and counts, when they had to be read before the commit
    /// (see `migrate`).
    before_read: Option<SnapshotRead>,
    after: DatabaseTransaction,
    /// SQLite: another connection committed between the commit and the "after" snapshot.
    raced: bool,
    // The snapshots' connections, kept open until they are compared.
    _conns: [DatabaseConnection; 2],
}

/// Runs the migration steps `block` in one write transaction, the writes kept out: SQLite's
/// write lock (`BEGIN IMMEDIATE`), and on PostgreSQL the exclusive [`MIGRATION_GATE`] held from
/// before the transaction until the "after" snapshot exists, so no write lands between the
/// snapshots and the migration. On SQLite the lock ends at the commit: `PRAGMA data_version`
/// says whether another connection committed before the "after" snapshot was taken.
async fn migrate(
    target: &Target,
    block: &[Step],
    first: usize,
    total: usize,
    progress: &mut dyn Progress,
) -> anyhow::Result<Snapshots> {
    let backend = target.backend();
    let postgres = backend == DbBackend::Postgres;
    let conns = [snapshot_conn(target).await?, snapshot_conn(target).await?];
    if postgres {
        gate(&target.conn, "SELECT pg_advisory_lock($1)").await?;
    }
    // PostgreSQL resolves table names in the current catalog, also in an old snapshot: once the
    // rollback of the WHOOP compaction drops the payload dictionaries phase-0 rows need to be
    // read, the "before" snapshot cannot read them any more. Such a block reads its "before"
    // snapshot first and ends it (its table locks would hold the migration's DDL), then migrates:
    // the writes wait for that read too.
    let read_early = postgres
        && block.iter().any(|it| matches!(&it.kind, StepKind::Down(name) if name == COMPACTION));
    let res = async {
        let txn = db::begin_write(&target.conn).await?;
        let before = snapshot(&conns[0]).await?;
        let (before, before_read) = if read_early {
            let read = read_snapshot(&before).await?;
            before.rollback().await?;
            (None, Some(read))
        } else {
            (Some(before), None)
        };
        for (offset, step) in block.iter().enumerate() {
            progress.begin(first + offset, total, step);
            let started = Instant::now();
            run_step(&txn, step).await?;
            progress.finish(started.elapsed(), "");
        }
        let version = data_version(&txn).await?;
        txn.commit().await?;
        let after = snapshot(&conns[1]).await?;
        let raced = !postgres && data_version(&target.conn).await? != version;
        anyhow::Ok((before, before_read, after, raced))
    }
    .await;
    if postgres {
        gate(&target.conn, "SELECT pg_advisory_unlock($1)").await?;
    }
    let (before, before_read, after, raced) = res?;
    Ok(Snapshots { before, before_read, after, raced, _conns: conns })
}

/// One migration step inside `txn`, with its row in `seaql_migrations`.
async fn run_step(txn: &DatabaseTransaction, step: &Step) -> anyhow::Result<()> {
    let backend = txn.get_database_backend();
    let manager = migration::SchemaManager::new(txn);
    let (name, up) = match &step.kind {
        StepKind::Up(name) => (name, true),
        StepKind::Down(name) => (name, false),
        _ => anyhow::bail!("not a migration step: {}", step.kind),
    };
    let migrations = migration::Migrator::migrations();
    let Some(it) = migrations.iter().find(|it| it.name() == name) else {
        anyhow::bail!("this build does not know the migration {name}");
    };
    if up {
        it.up(&manager).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ($1, $2)",
            [name.clone().into(), chrono::Utc::now().timestamp().into()],
        ))
        .await?;
    } else {
        it.down(&manager).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "DELETE FROM seaql_migrations WHERE version = $1",
            [name.clone().into()],
        ))
        .await?;
    }
    Ok(())
}

/// The same migration steps on a copy of the SQLite backup, where nothing else writes: the
/// phase-0 checksum before and after them there. The fallback when a gateway's write committed
/// between the live migration and its "after" snapshot.
pub async fn verify_on_copy(backup: &Path, block: &[Step]) -> anyhow::Result<(String, String)> {
    let copy = backup.with_extension("verify.db");
    std::fs::copy(backup, &copy)?;
    let res = async {
        let mut config = DbConfig::new(&format!("sqlite://{}", copy.display()))?;
        config.max_connections = 1;
        let conn = db::connect(&config).await?;
        let before = datagen::inspect::phase0_checksum(&conn).await?;
        let txn = db::begin_write(&conn).await?;
        for step in block {
            run_step(&txn, step).await?;
        }
        let after = datagen::inspect::phase0_checksum(&txn).await?;
        txn.rollback().await?;
        conn.close().await?;
        anyhow::Ok((before, after))
    }
    .await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
    }
    let (before, after) = res?;
    if before != after {
        return Err(RolloutError::Verify(format!(
            "the migration changes phase-0 data (on a copy of the backup: {before} before, {after} \
             after); restore the backup"
        ))
        .into());
    }
    Ok((before, after))
}

/// The phase-0 checksums and row counts of both snapshots: equal, or a verification error.
/// The migration whose rollback drops what phase-0 rows need to be read (payload dictionaries).
const COMPACTION: &str = "m20251215_000001_whoop_compaction";

/// A snapshot's phase-0 checksum and row counts.
type SnapshotRead = (String, Vec<(&'static str, u64)>);

async fn read_snapshot(txn: &DatabaseTransaction) -> anyhow::Result<SnapshotRead> {
    // Only phase-0 tables: PostgreSQL resolves a table name in the current catalog, so a
    // snapshot from before a rollback cannot read the tables the rollback dropped.
    let mut counts = Vec::with_capacity(datagen::TABLES.len());
    for table in datagen::TABLES {
        counts.push((*table, count_rows(txn, table).await?));
    }
    Ok((datagen::inspect::phase0_checksum(txn).await?, counts))
}

async fn compare(pair: Snapshots) -> anyhow::Result<(String, String)> {
    let (before, before_counts) = match (pair.before_read, &pair.before) {
        (Some(it), _) => it,
        (None, Some(txn)) => read_snapshot(txn).await?,
        (None, None) => anyhow::bail!("no snapshot from before the migration"),
    };
    let (after, after_counts) = read_snapshot(&pair.after).await?;
    if let Some(txn) = pair.before {
        txn.rollback().await?;
    }
    pair.after.rollback().await?;
    if before != after || before_counts != after_counts {
        return Err(RolloutError::Verify(format!(
            "the phase-0 data changed: {before} {before_counts:?} before, {after} \
             {after_counts:?} after; restore the backup"
        ))
        .into());
    }
    Ok((before, after))
}

async fn gate(conn: &DatabaseConnection, sql: &str) -> Result<(), sea_orm::DbErr> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [MIGRATION_GATE.into()],
    ))
    .await?;
    Ok(())
}

/// SQLite's `PRAGMA data_version` (changes when another connection commits); 0 on PostgreSQL.
async fn data_version<C: ConnectionTrait>(conn: &C) -> Result<i64, sea_orm::DbErr> {
    if conn.get_database_backend() != DbBackend::Sqlite {
        return Ok(0);
    }
    let row = conn
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA data_version"))
        .await?;
    Ok(row.map(|it| it.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

async fn snapshot_conn(target: &Target) -> anyhow::Result<DatabaseConnection> {
    let mut config = target.config.clone();
    config.max_connections = 1;
    Ok(db::connect(&config).await?)
}

/// A read transaction whose snapshot is taken now (its first read pins it).
async fn snapshot(conn: &DatabaseConnection) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    let options = crate::aggregate::snapshot_options(conn.get_database_backend());
    let txn = conn.begin_with_options(options).await?;
    // PostgreSQL takes the snapshot at the first statement of any kind, and a statement that
    // touched a table would hold a lock the migration's DDL waits for; SQLite starts a read only
    // when a statement reads the file.
    let sql = match txn.get_database_backend() {
        DbBackend::Postgres => "SELECT 1",
        _ => "SELECT COUNT(*) FROM users",
    };
    txn.query_one_raw(Statement::from_string(txn.get_database_backend(), sql)).await?;
    Ok(txn)
}

/// A consistent copy of the database in `dir`: SQLite `VACUUM INTO`, PostgreSQL `pg_dump`
/// (custom format, restore with `pg_restore`). Returns its path.
pub async fn backup(target: &Target, dir: &Path) -> Result<PathBuf, RolloutError> {
    std::fs::create_dir_all(dir)?;
    let phase = current(target).await.map_err(|err| RolloutError::Backup(err.to_string()))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ");
    match target.config.backend() {
        Backend::Sqlite => {
            let stem = target
                .config
                .sqlite_path()
                .and_then(|it| Path::new(it).file_stem())
                .and_then(|it| it.to_str())
                .unwrap_or("memory")
                .to_owned();
            let path = dir.join(format!("{stem}-phase{phase}-{stamp}.db"));
            let quoted = path.display().to_string().replace('\'', "''");
            target
                .conn
                .execute_unprepared(&format!("VACUUM INTO '{quoted}'"))
                .await
                .map_err(|err| RolloutError::Backup(err.to_string()))?;
            Ok(path)
        }
        Backend::Postgres => {
            let schema = target.config.pg_schema.clone();
            let path = dir.join(format!(
                "{}-phase{phase}-{stamp}.dump",
                schema.as_deref().unwrap_or("swole")
            ));
            let mut command = std::process::Command::new("pg_dump");
            command.arg("--format=custom").arg("--file").arg(&path);
            if let Some(schema) = &schema {
                command.arg("--schema").arg(schema);
            }
            command.arg("--dbname").arg(target.config.url());
            let output = tokio::task::spawn_blocking(move || command.output())
                .await
                .map_err(|err| RolloutError::Backup(err.to_string()))?
                .map_err(|err| RolloutError::Backup(format!("running pg_dump: {err}")))?;
            if !output.status.success() {
                return Err(RolloutError::Backup(format!(
                    "pg_dump exited with {}: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                )));
            }
            Ok(path)
        }
    }
}

async fn applied_count(conn: &DatabaseConnection) -> Result<usize, sea_orm::DbErr> {
    // A database no migration ever touched has no history table yet.
    if !migration::SchemaManager::new(conn).has_table("seaql_migrations").await? {
        return Ok(0);
    }
    migration::applied_count(conn).await
}

async fn count_rows<C: ConnectionTrait>(conn: &C, table: &str) -> Result<u64, sea_orm::DbErr> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await?;
    let n = row.map(|it| it.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The `n` users with the most recently created workouts.
async fn recent_users(conn: &DatabaseConnection, n: u64) -> Result<Vec<i64>, sea_orm::DbErr> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT user_id FROM workout_sessions GROUP BY user_id ORDER BY MAX(created_at) DESC LIMIT $1",
            [i64::try_from(n).unwrap_or(i64::MAX).into()],
        ))
        .await?;
    rows.iter().map(|row| row.try_get_by_index::<i64>(0)).collect()
}
