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
    AggregationError, DAY_COLUMNS, LINE_COLUMNS, day_from, line_from, write_days, write_weeks,
};
use crate::summary::{ExerciseDayKey, ExerciseWeekKey, Line, Totals, UserDayKey, daily, weekly};

/// Every summary row of one user (or of several).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summaries {
    pub exercise_days: BTreeMap<ExerciseDayKey, Totals>,
    pub user_days: BTreeMap<UserDayKey, Totals>,
    pub exercise_weeks: BTreeMap<ExerciseWeekKey, Totals>,
}

impl Summaries {
    /// Every summary row of `lines` (set lines of any users, in id order).
    pub fn from_lines(lines: &[Line]) -> Self {
        let (exercise_days, user_days) = daily(lines);
        let exercise_weeks = weekly(&exercise_days);
        Self { exercise_days, user_days, exercise_weeks }
    }

    /// How many rows, over all tables.
    pub fn len(&self) -> usize {
        self.exercise_days.len() + self.user_days.len() + self.exercise_weeks.len()
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
        res
    }
}

fn diff<K: Ord + std::fmt::Debug>(
    table: &str,
    stored: &BTreeMap<K, Totals>,
    expected: &BTreeMap<K, Totals>,
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
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM workout_sessions ws JOIN session_exercises se ON se.session_id = ws.id \
         WHERE ws.user_id = $1 ORDER BY se.id"
    );
    let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, [user_id.into()]);
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
    for row in rows(
        "SELECT week_start, resolved_exercise_name, session_count, sets, reps, volume, max_weight, max_one_rm \
         FROM exercise_weekly_summary WHERE user_id = $1"
            .to_owned(),
    )
    .await?
    {
        let (key, totals) = day_from(user_id, &row)?;
        let key = ExerciseWeekKey { user_id, name: key.name, week_start: key.local_date };
        res.exercise_weeks.insert(key, totals);
    }
    for row in rows(
        "SELECT local_date, '' AS name, session_count, sets, reps, volume, max_weight, max_one_rm \
         FROM user_daily_summary WHERE user_id = $1"
            .to_owned(),
    )
    .await?
    {
        let (key, totals) = day_from(user_id, &row)?;
        res.user_days.insert(UserDayKey { user_id, local_date: key.local_date }, totals);
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
    for table in ["exercise_daily_summary", "user_daily_summary", "exercise_weekly_summary"] {
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
    write_weeks(conn, &summaries.exercise_weeks, limit).await
}
