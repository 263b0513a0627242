//! `dbtool rollout shadow`: the original and the optimized path of every item of phases
//! `1..=N`, side by side, for a sample of users of a live database: both answers compared, both
//! timed. Read-only; no caches (each read is the database's answer).
//!
//! The sample is the users whose id modulo 100 is below the percentage: fixed, so a re-run
//! compares the same users. Passes over the sample repeat until the duration is spent (at least
//! one user is always compared). On a live database a user may write between the two reads: a
//! difference counts as a mismatch only when it persists over three tries.

use std::collections::BTreeMap;
use std::fmt::{Debug, Write as _};
use std::time::{Duration, Instant};

use query::progress::{Plan, TimeRange};
use query::{Db, Flags, Item, Path, UserId};
use sea_orm::{ConnectionTrait, Statement};

/// One difference between the paths.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub user: i64,
    pub item: Item,
    pub what: String,
    pub original: String,
    pub optimized: String,
}

/// Everything a shadow run saw.
#[derive(Debug, Default)]
pub struct Report {
    pub users: usize,
    pub comparisons: u64,
    /// Comparisons that differed once and agreed when repeated (a write in between).
    pub retried: u64,
    pub mismatches: Vec<Mismatch>,
    /// Per item: every read's time on the original path and on the optimized one.
    pub timings: BTreeMap<Item, (Vec<Duration>, Vec<Duration>)>,
}

/// Runs the comparison for `duration` over `sample` percent of the users, for the items of
/// phases up to `phase` (each needs the schema to be at its phase).
pub async fn shadow(
    conn: &sea_orm::DatabaseConnection,
    param_limit: db::ParamLimit,
    phase: u32,
    sample: u8,
    duration: Duration,
) -> anyhow::Result<Report> {
    let at = query::rollout::schema_phase(conn).await?;
    anyhow::ensure!(
        phase <= at,
        "the database is at phase {at}: phase {phase}'s optimized paths need its tables"
    );
    let items: Vec<Item> =
        Item::ALL.into_iter().filter(|it| it.phase() <= phase && it.phase() >= 1).collect();
    anyhow::ensure!(!items.is_empty(), "phase {phase} has no switchable items");
    let users: Vec<i64> = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT id FROM users WHERE id % 100 < $1 ORDER BY id",
            [i64::from(sample.min(100)).into()],
        ))
        .await?
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0))
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(!users.is_empty(), "no user in a {sample} % sample");
    let original = Db::new(conn.clone(), at, param_limit, Flags::ORIGINAL)?;
    let mut report = Report::default();
    let started = Instant::now();
    let mut seen = std::collections::BTreeSet::new();
    'passes: loop {
        for user in &users {
            for item in &items {
                let mut optimized_flags = Flags::ORIGINAL;
                optimized_flags.set(*item, Path::Optimized);
                let optimized = Db::new(conn.clone(), at, param_limit, optimized_flags)?;
                compare(&original, &optimized, *item, UserId(*user), &mut report).await?;
            }
            seen.insert(*user);
            if started.elapsed() >= duration {
                break 'passes;
            }
        }
    }
    report.users = seen.len();
    Ok(report)
}

/// Both paths of `item` for `user`: each question the item answers, compared and timed.
async fn compare(
    original: &Db,
    optimized: &Db,
    item: Item,
    user: UserId,
    report: &mut Report,
) -> anyhow::Result<()> {
    let today = query::progress::user_today(original, user, chrono::Utc::now()).await?;
    match item {
        Item::ResolutionCache => {
            let ids: Vec<i64> = original
                .conn
                .query_all_raw(Statement::from_sql_and_values(
                    original.conn.get_database_backend(),
                    "SELECT id FROM template_exercises WHERE user_id = $1 ORDER BY id",
                    [user.0.into()],
                ))
                .await?
                .iter()
                .map(|row| row.try_get_by_index::<i64>(0))
                .collect::<Result<_, _>>()?;
            let read = |db: &Db| {
                let db = db.clone();
                let ids = ids.clone();
                async move {
                    let map = query::resolution::load_resolved_exercise_name_map(
                        &db, &db.conn, user, &ids,
                    )
                    .await?;
                    Ok::<_, query::QueryError>(map.into_iter().collect::<BTreeMap<_, _>>())
                }
            };
            side_by_side(
                report,
                item,
                user,
                "resolved names",
                || read(original),
                || read(optimized),
            )
            .await?;
        }
        Item::Dashboard | Item::Summaries => {
            // The dashboard: the original's statements vs one statement (phase 1), or one
            // statement over set lines vs over the summaries (phase 2).
            let (from, to) = if item == Item::Dashboard {
                (Plan::Original, Plan::OneStatement)
            } else {
                (Plan::OneStatement, Plan::Summaries)
            };
            for range in TimeRange::ALL {
                side_by_side(
                    report,
                    item,
                    user,
                    &format!("dashboard {range:?}"),
                    || query::progress::dashboard_by(original, from, user, range, today),
                    || query::progress::dashboard_by(optimized, to, user, range, today),
                )
                .await?;
            }
            if item == Item::Summaries {
                side_by_side(
                    report,
                    item,
                    user,
                    "personal records",
                    || query::analytics::personal_records(original, user),
                    || query::analytics::personal_records(optimized, user),
                )
                .await?;
                let from = today - chrono::Days::new(90);
                side_by_side(
                    report,
                    item,
                    user,
                    "top exercises",
                    || query::analytics::top_exercises(original, user, from, today, 10),
                    || query::analytics::top_exercises(optimized, user, from, today, 10),
                )
                .await?;
                side_by_side(
                    report,
                    item,
                    user,
                    "consistency",
                    || query::analytics::consistency_stats(original, user, today, 90),
                    || query::analytics::consistency_stats(optimized, user, today, 90),
                )
                .await?;
            }
        }
        Item::HotColumns => {
            side_by_side(
                report,
                item,
                user,
                "preferences",
                || query::preferences::get(original, user),
                || query::preferences::get(optimized, user),
            )
            .await?;
        }
    }
    Ok(())
}

async fn side_by_side<T, A, B, FA, FB>(
    report: &mut Report,
    item: Item,
    user: UserId,
    what: &str,
    original: FA,
    optimized: FB,
) -> anyhow::Result<()>
where
    T: PartialEq + Debug,
    A: Future<Output = Result<T, query::QueryError>>,
    B: Future<Output = Result<T, query::QueryError>>,
    FA: Fn() -> A,
    FB: Fn() -> B,
{
    let mut attempt = 0;
    loop {
        // Alternate which path goes first, so neither always finds the pages the other just read.
        let (left, a, right, b) = if report.comparisons.is_multiple_of(2) {
            let (left, a) = timed(original()).await?;
            let (right, b) = timed(optimized()).await?;
            (left, a, right, b)
        } else {
            let (right, b) = timed(optimized()).await?;
            let (left, a) = timed(original()).await?;
            (left, a, right, b)
        };
        let slot = report.timings.entry(item).or_default();
        slot.0.push(a);
        slot.1.push(b);
        report.comparisons += 1;
        if left == right {
            return Ok(());
        }
        // On a live database the user may have written between the two reads: a difference
        // counts only when it persists.
        attempt += 1;
        if attempt < RETRIES {
            report.retried += 1;
            continue;
        }
        report.mismatches.push(Mismatch {
            user: user.0,
            item,
            what: what.to_owned(),
            original: format!("{left:?}"),
            optimized: format!("{right:?}"),
        });
        return Ok(());
    }
}

/// How many times a comparison runs before a difference is a mismatch.
const RETRIES: u32 = 3;

async fn timed<T>(
    read: impl Future<Output = Result<T, query::QueryError>>,
) -> Result<(T, Duration), query::QueryError> {
    let started = Instant::now();
    let res = read.await?;
    Ok((res, started.elapsed()))
}

/// The `q` quantile (0..=1) of `times`, nearest rank.
fn quantile(times: &[Duration], q: f64) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short list"
    )]
    let idx = ((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1);
    sorted.get(idx).copied().unwrap_or_default()
}

impl Report {
    /// Whether the optimized paths answered exactly as the original ones.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty() && self.comparisons > 0
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for it in &self.mismatches {
            let clip = |s: &str| s.chars().take(2000).collect::<String>();
            let _ = writeln!(
                out,
                "MISMATCH user {} item {} ({}):\n  original:  {}\n  optimized: {}",
                it.user,
                it.item.name(),
                it.what,
                clip(&it.original),
                clip(&it.optimized)
            );
        }
        let _ = writeln!(
            out,
            "{:<17} {:>7} {:>12} {:>12} {:>12} {:>12} {:>8}",
            "item", "reads", "orig p50 ms", "opt p50 ms", "orig p99 ms", "opt p99 ms", "p50 ×"
        );
        for (item, (original, optimized)) in &self.timings {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let (o50, n50) = (quantile(original, 0.5), quantile(optimized, 0.5));
            let ratio = if n50.is_zero() { 0.0 } else { o50.as_secs_f64() / n50.as_secs_f64() };
            let _ = writeln!(
                out,
                "{:<17} {:>7} {:>12.3} {:>12.3} {:>12.3} {:>12.3} {:>7.2}×",
                item.name(),
                original.len(),
                ms(o50),
                ms(n50),
                ms(quantile(original, 0.99)),
                ms(quantile(optimized, 0.99)),
                ratio
            );
        }
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(
            out,
            "{verdict}: {} comparisons over {} users, {} mismatches ({} differences that a repeat \
             resolved: writes between the two reads)",
            self.comparisons,
            self.users,
            self.mismatches.len(),
            self.retried
        );
        out
    }
}
