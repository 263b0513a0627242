//! Rebuilding a user's summaries from scratch, and checking the stored ones against a rebuild.
//!
//! Both compute with the same functions as incremental maintenance (`summary::daily`, `weekly`)
//! over the user's set lines in id order, so a correct incremental history and a rebuild agree
//! exactly. Rows back-filled in SQL by the phase-2 migration may have summed the same volumes in
//! another order, so a check compares volumes to 1e-9 relative (`Totals::same_as`) and every
//! count and maximum exactly.

use std::collections::BTreeMap;

use db::ParamLimit;
use sea_orm::{ConnectionTrait, Statement};

use crate::maintain::{
    AggregationError, DAY_COLUMNS, LINE_COLUMNS, USER_DAY_COLUMNS, WEEK_COLUMNS, day_from,
    line_from, trend_rows, write_days, write_weeks,
};
use crate::summary::{ExerciseDayKey, ExerciseWeekKey, Line, Totals, UserDayKey, daily, weekly};
use crate::trends::{Trend, trends};

/// Every summary row of one user (or of several).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summaries {
    pub exercise_days: BTreeMap<ExerciseDayKey, Totals>,
    pub user_days: BTreeMap<UserDayKey, Totals>,
    pub exercise_weeks: BTreeMap<ExerciseWeekKey, Totals>,
    pub trends: BTreeMap<ExerciseWeekKey, Trend>,
}

/// Rows compared with a tolerance where two correct computations may differ in the last bits.
pub trait SameAs {
    fn same_as(&self, other: &Self) -> bool;
}

impl SameAs for Totals {
    fn same_as(&self, other: &Self) -> bool {
        Totals::same_as(self, other)
    }
}

impl SameAs for Trend {
    fn same_as(&self, other: &Self) -> bool {
        Trend::same_as(self, other)
    }
}

/// A week and its best e1RM.
type WeekPoint = (chrono::NaiveDate, Option<f64>);

/// The trend rows of every exercise in `weeks` (weekly rows in key order).
pub fn trends_of(weeks: &BTreeMap<ExerciseWeekKey, Totals>) -> BTreeMap<ExerciseWeekKey, Trend> {
    let mut per_exercise: BTreeMap<(i64, &str), Vec<WeekPoint>> = BTreeMap::new();
    for (key, totals) in weeks {
        per_exercise
            .entry((key.user_id, key.name.as_str()))
            .or_default()
            .push((key.week_start, totals.max_one_rm));
    }
    let mut res = BTreeMap::new();
    for ((user_id, name), series) in per_exercise {
        for (week_start, trend) in trends(&series) {
            res.insert(ExerciseWeekKey { user_id, name: name.to_owned(), week_start }, trend);
        }
    }
    res
}

impl Summaries {
    /// Every summary row of `lines` (set lines of any users, in id order).
    pub fn from_lines(lines: &[Line]) -> Self {
        let (exercise_days, user_days) = daily(lines);
        let exercise_weeks = weekly(&exercise_days);
        let trends = trends_of(&exercise_weeks);
        Self { exercise_days, user_days, exercise_weeks, trends }
    }

    /// How many rows, over all tables.
    pub fn len(&self) -> usize {
        self.exercise_days.len()
            + self.user_days.len()
            + self.exercise_weeks.len()
            + self.trends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every row that differs from `expected`, one line each, in key order: `table key: stored
    /// … expected …` (a missing row is `None`).
    pub fn differences(&self, expected: &Self) -> Vec<String> {
        let mut res = Vec::new();
        diff("exercise_daily_summary", &self.exercise_days, &expected.exercise_days, &mut res);
        diff("user_daily_summary", &self.user_days, &expected.user_days, &mut res);
        diff("exercise_weekly_summary", &self.exercise_weeks, &expected.exercise_weeks, &mut res);
        diff("exercise_trends", &self.trends, &expected.trends, &mut res);
        res
    }
}

fn diff<K: Ord + std::fmt::Debug, V: SameAs + std::fmt::Debug>(
    table: &str,
    stored: &BTreeMap<K, V>,
    expected: &BTreeMap<K, V>,
    out: &mut Vec<String>,
) {
    let keys: std::collections::BTreeSet<&K> = stored.keys().chain(expected.keys()).collect();
    for key in keys {
        let (a, b) = (stored.get(key), expected.get(key));
        let same = match (a, b) {
            (Some(x), Some(y)) => x.same_as(y),
            _ => false,
        };
        if !same {
            out.push(format!("{table} {key:?}: stored {a:?}, expected {b:?}"));
        }
    }
}

/// The summaries of `user_id` computed from its set lines.
pub async fn compute_user<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
) -> Result<Summaries, AggregationError> {
    compute_from(conn, user_id, "", vec![user_id.into()]).await
}

/// The summaries of one exercise of `user_id` computed from its set lines (its daily, weekly and
/// trend rows; the user's daily rows count only this exercise).
pub async fn compute_exercise<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    name: &str,
) -> Result<Summaries, AggregationError> {
    let values = vec![user_id.into(), name.into()];
    compute_from(conn, user_id, " AND se.resolved_exercise_name = $2", values).await
}

/// The summaries of the user's set lines that `filter` (bound after the user) keeps.
async fn compute_from<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    filter: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Summaries, AggregationError> {
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM workout_sessions ws JOIN session_exercises se ON se.session_id = ws.id \
         WHERE ws.user_id = $1{filter} ORDER BY se.id"
    );
    let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, values);
    let lines = conn
        .query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| line_from(user_id, row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Summaries::from_lines(&lines))
}

/// The summaries of `user_id` as stored.
pub async fn stored_user<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
) -> Result<Summaries, AggregationError> {
    let backend = conn.get_database_backend();
    let rows = |sql: String| {
        conn.query_all_raw(Statement::from_sql_and_values(backend, sql, [user_id.into()]))
    };
    let mut res = Summaries::default();
    for row in
        rows(format!("SELECT {DAY_COLUMNS} FROM exercise_daily_summary WHERE user_id = $1")).await?
    {
        let (key, totals) = day_from(user_id, &row)?;
        res.exercise_days.insert(key, totals);
    }
    for row in
        rows(format!("SELECT {WEEK_COLUMNS} FROM exercise_weekly_summary WHERE user_id = $1"))
            .await?
    {
        let (key, totals) = day_from(user_id, &row)?;
        let key = ExerciseWeekKey { user_id, name: key.name, week_start: key.local_date };
        res.exercise_weeks.insert(key, totals);
    }
    for row in rows(format!("SELECT {USER_DAY_COLUMNS} FROM user_daily_summary WHERE user_id = $1"))
        .await?
    {
        let (key, totals) = day_from(user_id, &row)?;
        res.user_days.insert(UserDayKey { user_id, local_date: key.local_date }, totals);
    }
    for row in rows(
        "SELECT resolved_exercise_name, week_start, max_one_rm, previous_max_one_rm, change, slope \
         FROM exercise_trends WHERE user_id = $1"
            .to_owned(),
    )
    .await?
    {
        let key = ExerciseWeekKey {
            user_id,
            name: row.try_get_by_index(0)?,
            week_start: row.try_get_by_index(1)?,
        };
        let trend = Trend {
            max_one_rm: row.try_get_by_index(2)?,
            previous_max_one_rm: row.try_get_by_index(3)?,
            change: row.try_get_by_index(4)?,
            slope: row.try_get_by_index(5)?,
        };
        res.trends.insert(key, trend);
    }
    Ok(res)
}

/// Replaces every summary row of `user_id` with a rebuild from its set lines; returns the rows
/// written. Call it in a write transaction.
pub async fn rebuild_user<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    limit: ParamLimit,
) -> Result<usize, AggregationError> {
    let fresh = compute_user(conn, user_id).await?;
    for table in [
        "exercise_daily_summary",
        "user_daily_summary",
        "exercise_weekly_summary",
        "exercise_trends",
    ] {
        let sql = format!("DELETE FROM {table} WHERE user_id = $1");
        conn.execute_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            [user_id.into()],
        ))
        .await?;
    }
    write(conn, &fresh, limit).await?;
    Ok(fresh.len())
}

/// Writes `summaries` (their keys must be free): the bulk path of a rebuild and of the seed.
pub async fn write<C: ConnectionTrait>(
    conn: &C,
    summaries: &Summaries,
    limit: ParamLimit,
) -> Result<(), AggregationError> {
    write_days(conn, &summaries.exercise_days, &summaries.user_days, limit).await?;
    write_weeks(conn, &summaries.exercise_weeks, limit).await?;
    db::insert_chunked(conn, trend_rows(&summaries.trends), limit).await?;
    Ok(())
}
