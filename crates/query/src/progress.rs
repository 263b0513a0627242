//! Progress analytics. The dashboard exists on two paths: `Original` issues the separate queries
//! the original did (workout dates, current totals, previous totals, per-exercise aggregates);
//! `Optimized` answers everything in one statement with CTEs (PDR §3). Both return the same value.
//!
//! Semantics, both paths and both backends: for a range of N days the current period is the
//! user's last N local dates up to and including today, the previous period the N days before it.
//! Warm-up rows count nowhere; a session counts when it has at least one counted set line.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{UserTimeZone, iso_week_start, local_date};
use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};

use crate::cached::Question;
use crate::{Db, Path, QueryError, UserId};

/// The dashboard's time ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeRange {
    Week,
    Month,
    Quarter,
    Year,
}

impl TimeRange {
    pub const ALL: [Self; 4] = [Self::Week, Self::Month, Self::Quarter, Self::Year];

    pub fn days(self) -> i64 {
        match self {
            Self::Week => 7,
            Self::Month => 30,
            Self::Quarter => 90,
            Self::Year => 365,
        }
    }
}

/// Totals over one period. Weights are kilograms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PeriodTotals {
    pub session_count: i64,
    pub total_volume: f64,
    pub total_sets: i64,
    pub total_reps: i64,
    pub max_one_rm: Option<f64>,
    pub exercise_count: i64,
}

/// One resolved exercise over the current period. Weights are kilograms.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseSummary {
    pub name: String,
    pub session_count: i64,
    pub volume: f64,
    pub max_weight: Option<f64>,
    pub max_one_rm: Option<f64>,
}

/// The whole dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub current: PeriodTotals,
    pub previous: PeriodTotals,
    /// Distinct local dates with a counted session in the current period, ascending.
    pub workout_dates: Vec<NaiveDate>,
    /// Per resolved exercise, by name.
    pub exercises: Vec<ExerciseSummary>,
}

/// The first and last local date of the current and the previous period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    pub previous_start: NaiveDate,
    pub current_start: NaiveDate,
    pub today: NaiveDate,
}

impl Periods {
    pub fn new(range: TimeRange, today: NaiveDate) -> Self {
        let n = range.days();
        Self {
            previous_start: today - Duration::days(2 * n - 1),
            current_start: today - Duration::days(n - 1),
            today,
        }
    }

    fn previous_end(self) -> NaiveDate {
        self.current_start - Duration::days(1)
    }
}

/// Sums are rounded to the gram so that the two paths (and backends), which may add the same
/// values in a different order, return identical values.
pub(crate) fn grams(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The user's time zone; a stored zone that does not parse is `Corrupt` (an internal fault,
/// logged), never silently UTC.
pub(crate) async fn user_zone(db: &Db, user: UserId) -> Result<UserTimeZone, QueryError> {
    Ok(crate::users::viewer(db, user).await?.timezone)
}

/// Today's local date for `user` at `now`, from the user's time zone.
pub async fn user_today(
    db: &Db,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<NaiveDate, QueryError> {
    Ok(local_date(now, user_zone(db, user).await?))
}

/// The dashboard of `user` for `range`, with `today` as the user's current local date.
pub async fn dashboard(
    db: &Db,
    user: UserId,
    range: TimeRange,
    today: NaiveDate,
) -> Result<Dashboard, QueryError> {
    let question = Question::Dashboard { range, today };
    crate::cached::progress(db, user, question, || dashboard_uncached(db, user, range, today)).await
}

async fn dashboard_uncached(
    db: &Db,
    user: UserId,
    range: TimeRange,
    today: NaiveDate,
) -> Result<Dashboard, QueryError> {
    let plan = match (db.flags(user).summaries, db.flags(user).dashboard) {
        (Path::Optimized, _) => Plan::Summaries,
        (Path::Original, Path::Original) => Plan::Original,
        (Path::Original, Path::Optimized) => Plan::OneStatement,
    };
    dashboard_by(db, plan, user, range, today).await
}

/// How the dashboard is read. The flags pick the original, the one statement (phase 1) or the
/// summaries (phase 2); the unhinted statement exists so the gain of the one statement can be
/// split into its parts (the statement's shape, then its planner hints), measured and tested for
/// equal answers like the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The original's separate statements with its filter (`se.user_id` and the session's date).
    Original,
    /// The one statement with plain joins and no planner hints.
    OneStatementUnhinted,
    /// The one statement as the phase-1 path runs it.
    OneStatement,
    /// One statement over the summary tables (phase 2): days, not set lines.
    Summaries,
}

impl Plan {
    /// Every plan over raw set lines (any phase).
    pub const RAW: [Self; 3] = [Self::Original, Self::OneStatementUnhinted, Self::OneStatement];
}

/// The dashboard read by `plan`, whatever the flag says.
pub async fn dashboard_by(
    db: &Db,
    plan: Plan,
    user: UserId,
    range: TimeRange,
    today: NaiveDate,
) -> Result<Dashboard, QueryError> {
    let periods = Periods::new(range, today);
    match plan {
        Plan::Original => dashboard_original(&db.conn, user, periods).await,
        Plan::OneStatementUnhinted => {
            dashboard_one_statement(
                &db.conn,
                &DASHBOARD_UNHINTED,
                one_statement_values(user, periods),
            )
            .await
        }
        Plan::OneStatement => {
            dashboard_one_statement(
                &db.conn,
                DASHBOARD_ONE_STATEMENT,
                one_statement_values(user, periods),
            )
            .await
        }
        Plan::Summaries => {
            let mut res = dashboard_one_statement(
                &db.conn,
                DASHBOARD_FROM_SUMMARIES,
                summaries_values(user, periods),
            )
            .await?;
            res.current.exercise_count = i64::try_from(res.exercises.len()).unwrap_or(i64::MAX);
            Ok(res)
        }
    }
}

/// The rows that count, as the original wrote the filter (`original-system.md` §3.1): the user of
/// the *set line* and the date of the *session*, with no `ws.user_id`; a user's non-warm-up set
/// lines in sessions between two local dates.
const COUNTED: &str = "FROM workout_sessions ws JOIN session_exercises se ON se.session_id = ws.id \
     WHERE se.user_id = $1 AND ws.local_date >= $2 AND ws.local_date <= $3 \
     AND se.set_type <> 'warmup'";

const TOTALS_COLUMNS: &str = "COUNT(DISTINCT ws.id) AS session_count, SUM(se.volume_load) AS total_volume, \
     SUM(se.sets) AS total_sets, SUM(COALESCE(se.reps, 0) * se.sets) AS total_reps, \
     MAX(se.one_rm_estimate) AS max_one_rm, COUNT(DISTINCT se.resolved_exercise_name) AS exercise_count";

fn totals_from(row: &QueryResult) -> Result<PeriodTotals, sea_orm::DbErr> {
    Ok(PeriodTotals {
        session_count: row.try_get::<Option<i64>>("", "session_count")?.unwrap_or(0),
        total_volume: grams(row.try_get::<Option<f64>>("", "total_volume")?.unwrap_or(0.0)),
        total_sets: row.try_get::<Option<i64>>("", "total_sets")?.unwrap_or(0),
        total_reps: row.try_get::<Option<i64>>("", "total_reps")?.unwrap_or(0),
        max_one_rm: row.try_get::<Option<f64>>("", "max_one_rm")?,
        exercise_count: row.try_get::<Option<i64>>("", "exercise_count")?.unwrap_or(0),
    })
}

fn range_values(user: UserId, from: NaiveDate, to: NaiveDate) -> Vec<Value> {
    vec![user.0.into(), from.into(), to.into()]
}

/// The original path's statements: workout dates, period totals, per-exercise aggregates; each
/// binds the user, the first and the last local date.
pub(crate) fn original_sql() -> (String, String, String) {
    (
        format!("SELECT DISTINCT ws.local_date AS local_date {COUNTED} ORDER BY ws.local_date"),
        format!("SELECT {TOTALS_COLUMNS} {COUNTED}"),
        format!(
            "SELECT se.resolved_exercise_name AS name, COUNT(DISTINCT ws.id) AS session_count, \
             SUM(se.volume_load) AS volume, MAX(se.weight_kg) AS max_weight, MAX(se.one_rm_estimate) AS max_one_rm \
             {COUNTED} GROUP BY se.resolved_exercise_name"
        ),
    )
}

/// The optimized path's one statement; binds the user, the previous period's first date, the
/// current period's first date and today.
pub(crate) fn one_statement_sql() -> &'static str {
    DASHBOARD_ONE_STATEMENT
}

/// The phase-2 statement over the summary tables; binds `summaries_values`.
pub(crate) fn summaries_sql() -> &'static str {
    DASHBOARD_FROM_SUMMARIES
}

/// The one statement without its two planner hints: a plain `JOIN … ON` and the ownership check
/// open to the `(user_id, …)` indexes.
static DASHBOARD_UNHINTED: LazyLock<String> = LazyLock::new(|| {
    DASHBOARD_ONE_STATEMENT
        .replace(
            "FROM workout_sessions ws CROSS JOIN session_exercises se\n    WHERE se.session_id = ws.id AND",
            "FROM workout_sessions ws JOIN session_exercises se ON se.session_id = ws.id\n    WHERE",
        )
        .replace("+se.user_id", "se.user_id")
});

async fn dashboard_original<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    p: Periods,
) -> Result<Dashboard, QueryError> {
    let backend = conn.get_database_backend();
    let current = range_values(user, p.current_start, p.today);

    let (dates_sql, totals_sql, per_exercise_sql) = original_sql();
    let workout_dates = conn
        .query_all_raw(Statement::from_sql_and_values(backend, dates_sql, current.clone()))
        .await?
        .iter()
        .map(|row| row.try_get::<NaiveDate>("", "local_date"))
        .collect::<Result<Vec<_>, _>>()?;

    let totals = |values: Vec<Value>| {
        let stmt = Statement::from_sql_and_values(backend, totals_sql.clone(), values);
        async move {
            let row = conn.query_one_raw(stmt).await?;
            row.as_ref().map(totals_from).transpose().map(Option::unwrap_or_default)
        }
    };
    let current_totals = totals(current.clone()).await?;
    let previous_totals = totals(range_values(user, p.previous_start, p.previous_end())).await?;

    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, per_exercise_sql, current))
        .await?;
    let mut exercises = rows.iter().map(exercise_from).collect::<Result<Vec<_>, _>>()?;
    exercises.sort_by(|a, b| a.name.cmp(&b.name));

    Ok(Dashboard { current: current_totals, previous: previous_totals, workout_dates, exercises })
}

fn exercise_from(row: &QueryResult) -> Result<ExerciseSummary, sea_orm::DbErr> {
    Ok(ExerciseSummary {
        name: row.try_get("", "name")?,
        session_count: row.try_get::<Option<i64>>("", "session_count")?.unwrap_or(0),
        volume: grams(row.try_get::<Option<f64>>("", "volume")?.unwrap_or(0.0)),
        max_weight: row.try_get("", "max_weight")?,
        max_one_rm: row.try_get("", "max_one_rm")?,
    })
}

/// One statement: the counted rows of both periods are read once and reduced to one row per
/// session and exercise (materialized), from which come the totals per period, the current
/// period's dates and the per-exercise aggregates, tagged by `kind` in one result set.
///
/// `CROSS JOIN` is SQLite's join-order hint and the unary `+` keeps the ownership check off the
/// `(user_id, …)` indexes (PostgreSQL reads both as plain SQL): the plan seeks the sessions in
/// range first, then their set lines by `session_id`, instead of walking every set line of the
/// user in name order to save a sort, which is the plan the original filter gets.
/// `DASHBOARD_UNHINTED` must stay the same text without the hints (tested).
const DASHBOARD_ONE_STATEMENT: &str = "\
WITH per_session_exercise AS MATERIALIZED (
    SELECT ws.id AS session_id, ws.local_date AS local_date, se.resolved_exercise_name AS name,
           CASE WHEN ws.local_date >= $3 THEN 1 ELSE 0 END AS is_current,
           SUM(se.sets) AS sets, SUM(COALESCE(se.reps, 0) * se.sets) AS reps_x_sets,
           SUM(se.volume_load) AS volume, MAX(se.one_rm_estimate) AS one_rm, MAX(se.weight_kg) AS max_weight
    FROM workout_sessions ws CROSS JOIN session_exercises se
    WHERE se.session_id = ws.id AND ws.user_id = $1 AND +se.user_id = ws.user_id
      AND ws.local_date >= $2 AND ws.local_date <= $4 AND se.set_type <> 'warmup'
    GROUP BY ws.id, ws.local_date, se.resolved_exercise_name
)
SELECT 'T' AS kind, is_current, NULL AS name, NULL AS local_date, COUNT(DISTINCT session_id) AS session_count,
       SUM(volume) AS total_volume, CAST(SUM(sets) AS BIGINT) AS total_sets,
       CAST(SUM(reps_x_sets) AS BIGINT) AS total_reps, MAX(one_rm) AS max_one_rm,
       COUNT(DISTINCT name) AS exercise_count, CAST(NULL AS DOUBLE PRECISION) AS max_weight
FROM per_session_exercise GROUP BY is_current
UNION ALL
SELECT 'D', 1, NULL, local_date, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM per_session_exercise WHERE is_current = 1 GROUP BY local_date
UNION ALL
SELECT 'E', 1, name, NULL, COUNT(*), SUM(volume), NULL, NULL, MAX(one_rm), NULL, MAX(max_weight)
FROM per_session_exercise WHERE is_current = 1 GROUP BY name";

/// The dashboard from the phase-2 summaries, in the result shape of `DASHBOARD_ONE_STATEMENT`:
/// totals per period from `user_daily_summary`, the number of distinct exercises per period
/// (`'X'`, which cannot be summed from days) and the per-exercise rows from
/// `exercise_daily_summary`, the workout dates from the days with counted sessions. A period of a
/// year reads about 250 day rows instead of 9,000 set lines.
/// The dashboard from the summary tables. Binds the user, the previous period's first date, the
/// current period's first date and today, then each period's whole ISO weeks (`[first, end)` of
/// [`whole_weeks`]): `$5`–`$6` the previous period's, `$7`–`$8` the current one's.
///
/// Totals sum the user-day rows of both periods (`'T'`), the current period's dates are its
/// user-day rows (`'D'`). The per-exercise figures read whole weeks from the weekly rows and only
/// the days at a period's edges from the daily rows: a week row is the sum and maximum of its
/// seven day rows, so the figures are the same with a seventh of the rows. The current period's
/// distinct exercises are its `'E'` rows, counted in Rust; the previous period's are the `'X'` row.
const DASHBOARD_FROM_SUMMARIES: &str = "\
SELECT 'T' AS kind, CASE WHEN local_date >= $3 THEN 1 ELSE 0 END AS is_current, NULL AS name,
       CAST(NULL AS DATE) AS local_date,
       CAST(SUM(session_count) AS BIGINT) AS session_count, SUM(volume) AS total_volume,
       CAST(SUM(sets) AS BIGINT) AS total_sets, CAST(SUM(reps) AS BIGINT) AS total_reps, MAX(max_one_rm) AS max_one_rm,
       CAST(NULL AS BIGINT) AS exercise_count, CAST(NULL AS DOUBLE PRECISION) AS max_weight
FROM user_daily_summary WHERE user_id = $1 AND local_date >= $2 AND local_date <= $4
GROUP BY CASE WHEN local_date >= $3 THEN 1 ELSE 0 END
UNION ALL
SELECT 'X', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, COUNT(DISTINCT name), NULL
FROM (SELECT resolved_exercise_name AS name FROM exercise_weekly_summary
      WHERE user_id = $1 AND week_start >= $5 AND week_start < $6
      UNION ALL
      SELECT resolved_exercise_name FROM exercise_daily_summary
      WHERE user_id = $1 AND local_date >= $2 AND local_date < $5
      UNION ALL
      SELECT resolved_exercise_name FROM exercise_daily_summary
      WHERE user_id = $1 AND local_date >= $6 AND local_date < $3) previous_names
UNION ALL
SELECT 'D', 1, NULL, local_date, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM user_daily_summary WHERE user_id = $1 AND local_date >= $3 AND local_date <= $4
UNION ALL
SELECT 'E', 1, name, NULL, CAST(SUM(session_count) AS BIGINT), SUM(volume), NULL, NULL,
       MAX(max_one_rm), NULL, MAX(max_weight)
FROM (SELECT resolved_exercise_name AS name, session_count, volume, max_one_rm, max_weight
      FROM exercise_weekly_summary WHERE user_id = $1 AND week_start >= $7 AND week_start < $8
      UNION ALL
      SELECT resolved_exercise_name, session_count, volume, max_one_rm, max_weight
      FROM exercise_daily_summary WHERE user_id = $1 AND local_date >= $3 AND local_date < $7
      UNION ALL
      SELECT resolved_exercise_name, session_count, volume, max_one_rm, max_weight
      FROM exercise_daily_summary WHERE user_id = $1 AND local_date >= $8 AND local_date <= $4) current_rows
GROUP BY name";

/// The whole ISO weeks of the days `from..=to`, as the Mondays `[first, end)`; `(from, from)` when
/// no whole week fits, so that the edge ranges `[from, first)` and `[end, to]` cover every day.
pub fn whole_weeks(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let monday = iso_week_start(from);
    let first = if monday == from { from } else { monday + Duration::days(7) };
    let end = iso_week_start(to + Duration::days(1));
    if first < end { (first, end) } else { (from, from) }
}

/// The values [`DASHBOARD_FROM_SUMMARIES`] binds.
pub(crate) fn summaries_values(user: UserId, p: Periods) -> Vec<Value> {
    let previous = whole_weeks(p.previous_start, p.previous_end());
    let current = whole_weeks(p.current_start, p.today);
    vec![
        user.0.into(),
        p.previous_start.into(),
        p.current_start.into(),
        p.today.into(),
        previous.0.into(),
        previous.1.into(),
        current.0.into(),
        current.1.into(),
    ]
}

/// The period a `'T'` or `'X'` row is about.
fn period_of<'a>(
    res: &'a mut Dashboard,
    row: &QueryResult,
) -> Result<&'a mut PeriodTotals, sea_orm::DbErr> {
    Ok(if row.try_get::<i32>("", "is_current")? == 1 {
        &mut res.current
    } else {
        &mut res.previous
    })
}

/// The values the phase-1 statement binds: the user, the previous period's first date, the
/// current period's first date and today.
pub(crate) fn one_statement_values(user: UserId, p: Periods) -> Vec<Value> {
    vec![user.0.into(), p.previous_start.into(), p.current_start.into(), p.today.into()]
}

async fn dashboard_one_statement<C: ConnectionTrait>(
    conn: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Dashboard, QueryError> {
    let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, values);
    let mut res = Dashboard {
        current: PeriodTotals::default(),
        previous: PeriodTotals::default(),
        workout_dates: Vec::new(),
        exercises: Vec::new(),
    };
    for row in conn.query_all_raw(stmt).await? {
        let kind: String = row.try_get("", "kind")?;
        match kind.as_str() {
            "T" => {
                let period = period_of(&mut res, &row)?;
                // An `'X'` row (summaries) may have come first with the exercise count.
                let exercise_count = period.exercise_count;
                *period = totals_from(&row)?;
                period.exercise_count = period.exercise_count.max(exercise_count);
            }
            "X" => {
                period_of(&mut res, &row)?.exercise_count =
                    row.try_get::<Option<i64>>("", "exercise_count")?.unwrap_or(0);
            }
            "D" => res.workout_dates.push(row.try_get("", "local_date")?),
            _ => res.exercises.push(ExerciseSummary {
                name: row.try_get("", "name")?,
                session_count: row.try_get::<Option<i64>>("", "session_count")?.unwrap_or(0),
                volume: grams(row.try_get::<Option<f64>>("", "total_volume")?.unwrap_or(0.0)),
                max_weight: row.try_get("", "max_weight")?,
                max_one_rm: row.try_get("", "max_one_rm")?,
            }),
        }
    }
    res.workout_dates.sort_unstable();
    res.exercises.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_weeks_are_the_mondays_whose_seven_days_lie_in_the_range() {
        // 2025-11-03 and 2025-11-10 are Mondays.
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
        let cases = [
            // (from, to, first, end)
            (d(11, 3), d(11, 9), d(11, 3), d(11, 10)), // exactly one week
            (d(11, 3), d(11, 16), d(11, 3), d(11, 17)), // two weeks
            (d(11, 4), d(11, 16), d(11, 10), d(11, 17)), // head days, then a week
            (d(11, 3), d(11, 15), d(11, 3), d(11, 10)), // a week, then tail days
            (d(11, 4), d(11, 15), d(11, 4), d(11, 4)), // no whole week: all days
            (d(11, 4), d(11, 8), d(11, 4), d(11, 4)),
            (d(11, 9), d(11, 9), d(11, 9), d(11, 9)), // one Sunday
        ];
        for (from, to, first, end) in cases {
            assert_eq!(whole_weeks(from, to), (first, end), "{from}..={to}");
        }
        // Every day of the range lies in exactly one of [from, first), the weeks, [end, to].
        for from_offset in 0..14 {
            for len in 0..40 {
                let from = d(11, 1) + Duration::days(from_offset);
                let to = from + Duration::days(len);
                let (first, end) = whole_weeks(from, to);
                assert!(first == iso_week_start(first) || first == end, "{from}..={to}");
                let mut day = from;
                while day <= to {
                    let in_week = day >= first && day < end;
                    let in_edges = (day >= from && day < first) || (day >= end && day <= to);
                    assert!(in_week != in_edges, "{day} in {from}..={to}: ({first}, {end})");
                    day += Duration::days(1);
                }
            }
        }
    }

    #[test]
    fn the_unhinted_statement_is_the_hinted_one_without_its_hints() {
        let unhinted = DASHBOARD_UNHINTED.as_str();
        assert!(!unhinted.contains("CROSS JOIN") && !unhinted.contains('+'), "{unhinted}");
        assert!(unhinted.contains("JOIN session_exercises se ON se.session_id = ws.id"));
        // Putting the hints back gives the optimized statement, character for character.
        let rehinted = unhinted
            .replace(
                "JOIN session_exercises se ON se.session_id = ws.id\n    WHERE",
                "CROSS JOIN session_exercises se\n    WHERE se.session_id = ws.id AND",
            )
            .replace("AND se.user_id = ws.user_id", "AND +se.user_id = ws.user_id");
        assert_eq!(rehinted, DASHBOARD_ONE_STATEMENT);
    }
}
