//! The write part: keeps the summary tables equal to a rebuild, inside the caller's transaction.
//!
//! A write records what it touches in a [`Touched`] (the user's local dates whose set lines it
//! changes, read *before* a change moves or deletes them and *after* it adds them), then calls
//! [`apply`] before it commits. `apply` recomputes, from their rows, every daily row of those
//! dates and every weekly row of their ISO weeks, for every exercise (so an exercise that left a
//! date loses its row): a touched date is a handful of lines, a touched week seven daily rows of
//! each exercise. Nothing is patched, so a failed maintenance fails the write and a summary never
//! disagrees with its rows. Of the recomputed rows only those that differ from the stored ones are
//! written (`store::sync`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate};
use db::ParamLimit;
use db::chunk::{in_list_chunks, placeholders};
use domain::{SetType, iso_week_start};
use entity::{exercise_daily_summary, exercise_trend, exercise_weekly_summary, user_daily_summary};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement, Value};

use crate::store::sync;
use crate::summary::{ExerciseDayKey, ExerciseWeekKey, Line, Totals, UserDayKey, daily, weekly};
use crate::trends::{SLOPE_WEEKS, Trend, trends};

/// Why maintenance failed; either way the caller's write must roll back.
#[derive(Debug, thiserror::Error)]
pub enum AggregationError {
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A stored value outside its domain (the schema should have refused it).
    #[error("stored value out of its domain: {column} = {value:?}")]
    Corrupt { column: &'static str, value: String },
    #[error(transparent)]
    Bulk(#[from] db::BulkError),
}

/// The user days a write touched, and the exercises of days on which lines only changed exercise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    days: BTreeSet<UserDayKey>,
    /// (day, exercise) pairs whose lines a rename moved between exercises: the day's totals
    /// stay, only these exercises' rows (and weeks) change.
    renamed: BTreeSet<ExerciseDayKey>,
}

/// Above this many renamed exercises a day is recomputed whole (and the `IN` list stays short).
const MAX_SCOPED_NAMES: usize = 16;

impl Touched {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.renamed.is_empty()
    }

    pub fn add(&mut self, user_id: i64, local_date: NaiveDate) {
        self.days.insert(UserDayKey { user_id, local_date });
    }

    /// Notes that lines of exercise `name` on `local_date` move to another exercise or arrive
    /// from one, and nothing else about the day changes.
    pub fn add_renamed(&mut self, user_id: i64, local_date: NaiveDate, name: String) {
        self.renamed.insert(ExerciseDayKey { user_id, local_date, name });
    }

    /// The days touched, in order.
    pub fn days(&self) -> impl Iterator<Item = UserDayKey> + '_ {
        self.days.iter().copied()
    }

    /// Records the local dates of the rows `ids` of kind `rows` lie on, as they are now; for
    /// template exercises, whose refresh only renames lines, the dates with the lines' current
    /// exercise (call it before and after the rename).
    pub async fn add_rows<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        user_id: i64,
        rows: Rows,
        ids: &[i64],
        limit: ParamLimit,
    ) -> Result<(), DbErr> {
        let backend = conn.get_database_backend();
        for chunk in in_list_chunks(ids, 1, limit) {
            let values = std::iter::once(Value::from(user_id))
                .chain(chunk.iter().map(|id| Value::from(*id)));
            let stmt = Statement::from_sql_and_values(backend, rows.dates_sql(chunk.len()), values);
            for row in conn.query_all_raw(stmt).await? {
                let date = row.try_get_by_index::<NaiveDate>(0)?;
                match rows {
                    Rows::TemplateExercises => {
                        self.add_renamed(user_id, date, row.try_get_by_index(1)?);
                    }
                    Rows::Sessions | Rows::Lines => self.add(user_id, date),
                }
            }
        }
        Ok(())
    }
}

/// What a write names when it records the days it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Workout sessions (a save, a move, a delete).
    Sessions,
    /// Set lines (an edit).
    Lines,
    /// Template exercises, whose lines' resolved name a link, unlink, merge or rename rewrites
    /// (noted with the exercise: a rename leaves the day's totals alone).
    TemplateExercises,
}

impl Rows {
    /// The distinct local dates of `n` ids of this kind (`$1` is the user).
    fn dates_sql(self, n: usize) -> String {
        let list = placeholders(2, n);
        match self {
            Self::Sessions => format!(
                "SELECT DISTINCT local_date FROM workout_sessions WHERE user_id = $1 AND id IN ({list})"
            ),
            // `+ws.user_id`: seek each line by id. With the ids bound as parameters SQLite
            // otherwise walks every session of the user through `(user_id, local_date)`, which
            // made an edit's maintenance cost 1.7 ms instead of a few hundredths.
            Self::Lines => format!(
                "SELECT DISTINCT ws.local_date FROM session_exercises se JOIN workout_sessions ws ON ws.id = se.session_id \
                 WHERE +ws.user_id = $1 AND se.id IN ({list})"
            ),
            // `+se.user_id`: seek by template exercise, not through every line of the user.
            Self::TemplateExercises => format!(
                "SELECT DISTINCT ws.local_date, se.resolved_exercise_name FROM session_exercises se \
                 JOIN workout_sessions ws ON ws.id = se.session_id \
                 WHERE +se.user_id = $1 AND se.template_exercise_id IN ({list})"
            ),
        }
    }
}

/// The columns of a set line every summary is computed from, in `summary::Line` order.
pub(crate) const LINE_COLUMNS: &str = "se.session_id, ws.local_date, se.resolved_exercise_name, se.set_type, se.sets, se.reps, \
     se.weight_kg, se.one_rm_estimate, se.volume_load";

pub(crate) fn line_from(user_id: i64, row: &QueryResult) -> Result<Line, AggregationError> {
    let set_type: String = row.try_get_by_index(3)?;
    Ok(Line {
        user_id,
        session_id: row.try_get_by_index(0)?,
        local_date: row.try_get_by_index(1)?,
        resolved_exercise_name: row.try_get_by_index(2)?,
        counted: set_type
            .parse::<SetType>()
            .map_err(|_| AggregationError::Corrupt {
                column: "session_exercises.set_type",
                value: set_type.clone(),
            })?
            .counts_in_aggregates(),
        sets: row.try_get_by_index(4)?,
        reps: row.try_get_by_index(5)?,
        weight_kg: row.try_get_by_index(6)?,
        one_rm_estimate: row.try_get_by_index(7)?,
        volume_load: row.try_get_by_index(8)?,
    })
}

/// Recomputes every summary row of the touched days and their weeks, and of renamed days only
/// their exercises' rows. Call it in the write's transaction, after the write and before the
/// commit.
pub async fn apply<C: ConnectionTrait>(
    conn: &C,
    touched: &Touched,
    limit: ParamLimit,
) -> Result<(), AggregationError> {
    /// One user's touched dates, and the exercises renamed on each date.
    #[derive(Default)]
    struct Changes {
        whole: BTreeSet<NaiveDate>,
        renamed: BTreeMap<NaiveDate, Vec<String>>,
    }
    let mut by_user: BTreeMap<i64, Changes> = BTreeMap::new();
    for day in touched.days() {
        by_user.entry(day.user_id).or_default().whole.insert(day.local_date);
    }
    for key in &touched.renamed {
        let changes = by_user.entry(key.user_id).or_default();
        changes.renamed.entry(key.local_date).or_default().push(key.name.clone());
    }
    for (user_id, Changes { mut whole, renamed }) in by_user {
        // Renamed days not recomputed whole: only their exercises' rows.
        let scoped_dates: Vec<NaiveDate> =
            renamed.keys().filter(|date| !whole.contains(date)).copied().collect();
        let names: Vec<String> = renamed
            .iter()
            .filter(|(date, _)| !whole.contains(date))
            .flat_map(|(_, names)| names.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let scope = if names.len() > MAX_SCOPED_NAMES || scoped_dates.is_empty() {
            whole.extend(scoped_dates.iter().copied());
            None
        } else {
            Some(names)
        };
        let whole: Vec<NaiveDate> = whole.into_iter().collect();
        // Every touched day first: a week is summed from its days, so a week holding a whole day
        // and a renamed one must read both fresh.
        recompute_days(conn, user_id, &whole, None, limit).await?;
        if let Some(names) = &scope {
            recompute_days(conn, user_id, &scoped_dates, Some(names), limit).await?;
        }
        let whole_weeks: BTreeSet<NaiveDate> = whole.iter().map(|d| iso_week_start(*d)).collect();
        let weeks: Vec<NaiveDate> = whole_weeks.iter().copied().collect();
        let mut changed = recompute_weeks(conn, user_id, &weeks, None, limit).await?;
        let mut all_weeks = whole_weeks.clone();
        if let Some(names) = &scope {
            // Weeks recomputed whole above already hold these exercises' rows.
            let weeks: Vec<NaiveDate> = scoped_dates
                .iter()
                .map(|d| iso_week_start(*d))
                .filter(|week| !whole_weeks.contains(week))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            changed.extend(recompute_weeks(conn, user_id, &weeks, Some(names), limit).await?);
            all_weeks.extend(weeks);
        }
        if let (Some(first), Some(last)) = (all_weeks.first(), all_weeks.last()) {
            recompute_trends(conn, user_id, &changed, *first, *last, limit).await?;
        }
    }
    Ok(())
}

/// ` AND resolved_exercise_name IN ($from, …)` for a scope of exercises, or nothing.
fn names_filter(column: &str, from: usize, names: Option<&[String]>) -> String {
    names.map_or_else(String::new, |names| {
        format!(" AND {column} IN ({})", placeholders(from, names.len()))
    })
}

/// Recomputes the daily rows of `dates` from the set lines: per exercise and per user, or, with
/// a scope of exercise `names` (a rename), only those exercises' rows.
async fn recompute_days<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    dates: &[NaiveDate],
    names: Option<&[String]>,
    limit: ParamLimit,
) -> Result<(), AggregationError> {
    let backend = conn.get_database_backend();
    let mut lines = Vec::new();
    let mut stored_exercise_days = BTreeMap::new();
    let mut stored_user_days = BTreeMap::new();
    let n_names = names.map_or(0, <[String]>::len);
    for chunk in in_list_chunks(dates, 1 + n_names, limit) {
        let values: Vec<Value> = std::iter::once(Value::from(user_id))
            .chain(names.unwrap_or_default().iter().map(|name| Value::from(name.clone())))
            .chain(chunk.iter().map(|d| Value::from(*d)))
            .collect();
        let list = placeholders(2 + n_names, chunk.len());
        let line_names = names_filter("se.resolved_exercise_name", 2, names);
        let day_names = names_filter("resolved_exercise_name", 2, names);
        let read = |sql: String| {
            conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values.clone()))
        };
        for row in read(format!(
            "SELECT {LINE_COLUMNS} FROM workout_sessions ws JOIN session_exercises se ON se.session_id = ws.id \
             WHERE ws.user_id = $1{line_names} AND ws.local_date IN ({list}) ORDER BY se.id"
        ))
        .await?
        {
            lines.push(line_from(user_id, &row)?);
        }
        for row in read(format!(
            "SELECT {DAY_COLUMNS} FROM exercise_daily_summary WHERE user_id = $1{day_names} AND local_date IN ({list})"
        ))
        .await?
        {
            let (key, totals) = day_from(user_id, &row)?;
            stored_exercise_days.insert(key, totals);
        }
        if names.is_none() {
            for row in read(format!(
                "SELECT {USER_DAY_COLUMNS} FROM user_daily_summary WHERE user_id = $1 AND local_date IN ({list})"
            ))
            .await?
            {
                let (key, totals) = day_from(user_id, &row)?;
                stored_user_days.insert(UserDayKey { user_id, local_date: key.local_date }, totals);
            }
        }
    }
    // Each date lies in one chunk, so every group's lines are in id order, as a rebuild reads
    // them: both sum in the same order and agree to the last bit.
    let (exercise_days, user_days) = daily(&lines);
    let exercise_days =
        sync(conn, "exercise_daily_summary", &stored_exercise_days, exercise_days, limit).await?;
    // A scoped read saw only some exercises' lines: its user totals are partial, and a rename
    // does not change the stored ones.
    let user_days = if names.is_none() {
        sync(conn, "user_daily_summary", &stored_user_days, user_days, limit).await?
    } else {
        BTreeMap::new()
    };
    write_days(conn, &exercise_days, &user_days, limit).await
}

/// Writes daily rows (the keys must be free).
pub(crate) async fn write_days<C: ConnectionTrait>(
    conn: &C,
    exercise_days: &BTreeMap<ExerciseDayKey, Totals>,
    user_days: &BTreeMap<UserDayKey, Totals>,
    limit: ParamLimit,
) -> Result<(), AggregationError> {
    db::insert_chunked(conn, exercise_day_rows(exercise_days), limit).await?;
    db::insert_chunked(conn, user_day_rows(user_days), limit).await?;
    Ok(())
}

/// `exercise_daily_summary` rows to insert.
pub fn exercise_day_rows(
    days: &BTreeMap<ExerciseDayKey, Totals>,
) -> Vec<exercise_daily_summary::ActiveModel> {
    days.iter()
        .map(|(k, t)| exercise_daily_summary::ActiveModel {
            user_id: Set(k.user_id),
            local_date: Set(k.local_date),
            resolved_exercise_name: Set(k.name.clone()),
            session_count: Set(t.session_count),
            sets: Set(t.sets),
            reps: Set(t.reps),
            volume: Set(t.volume),
            max_weight: Set(t.max_weight),
            max_one_rm: Set(t.max_one_rm),
        })
        .collect()
}

/// `user_daily_summary` rows to insert.
pub fn user_day_rows(days: &BTreeMap<UserDayKey, Totals>) -> Vec<user_daily_summary::ActiveModel> {
    days.iter()
        .map(|(k, t)| user_daily_summary::ActiveModel {
            user_id: Set(k.user_id),
            local_date: Set(k.local_date),
            session_count: Set(t.session_count),
            sets: Set(t.sets),
            reps: Set(t.reps),
            volume: Set(t.volume),
            max_weight: Set(t.max_weight),
            max_one_rm: Set(t.max_one_rm),
        })
        .collect()
}

/// `exercise_weekly_summary` rows to insert.
pub fn exercise_week_rows(
    weeks: &BTreeMap<ExerciseWeekKey, Totals>,
) -> Vec<exercise_weekly_summary::ActiveModel> {
    weeks
        .iter()
        .map(|(k, t)| exercise_weekly_summary::ActiveModel {
            user_id: Set(k.user_id),
            resolved_exercise_name: Set(k.name.clone()),
            week_start: Set(k.week_start),
            session_count: Set(t.session_count),
            sets: Set(t.sets),
            reps: Set(t.reps),
            volume: Set(t.volume),
            max_weight: Set(t.max_weight),
            max_one_rm: Set(t.max_one_rm),
        })
        .collect()
}

/// The columns of a daily row, in the order `day_from` reads them.
pub(crate) const DAY_COLUMNS: &str =
    "local_date, resolved_exercise_name, session_count, sets, reps, volume, max_weight, max_one_rm";

/// The columns of a user-day row in the order `day_from` reads them (with an empty name).
pub(crate) const USER_DAY_COLUMNS: &str =
    "local_date, '' AS name, session_count, sets, reps, volume, max_weight, max_one_rm";

/// The columns of a weekly row in the order `day_from` reads them (the Monday as the date).
pub(crate) const WEEK_COLUMNS: &str =
    "week_start, resolved_exercise_name, session_count, sets, reps, volume, max_weight, max_one_rm";

pub(crate) fn day_from(user_id: i64, row: &QueryResult) -> Result<(ExerciseDayKey, Totals), DbErr> {
    Ok((
        ExerciseDayKey {
            user_id,
            local_date: row.try_get_by_index(0)?,
            name: row.try_get_by_index(1)?,
        },
        Totals {
            session_count: row.try_get_by_index(2)?,
            sets: row.try_get_by_index(3)?,
            reps: row.try_get_by_index(4)?,
            volume: row.try_get_by_index(5)?,
            max_weight: row.try_get_by_index(6)?,
            max_one_rm: row.try_get_by_index(7)?,
        },
    ))
}

/// Weeks closer than this are read with one range statement.
const WEEKS_PER_READ: i64 = 8;

/// Recomputes the weekly rows of the ISO weeks starting on `weeks` (sorted Mondays) from the
/// daily rows; returns the exercises whose weekly best e1RM changed in them (a week appeared,
/// went or moved), the only ones whose trend rows can change.
async fn recompute_weeks<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    weeks: &[NaiveDate],
    names: Option<&[String]>,
    limit: ParamLimit,
) -> Result<BTreeSet<String>, AggregationError> {
    let backend = conn.get_database_backend();
    let n_names = names.map_or(0, <[String]>::len);
    let name_values = || names.unwrap_or_default().iter().map(|name| Value::from(name.clone()));
    let wanted: BTreeSet<NaiveDate> = weeks.iter().copied().collect();
    let mut days: BTreeMap<ExerciseDayKey, Totals> = BTreeMap::new();
    // Runs of nearby weeks, each read with one range statement.
    let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for week in weeks {
        match runs.last_mut() {
            Some((_, last)) if *week - *last < Duration::weeks(WEEKS_PER_READ) => *last = *week,
            _ => runs.push((*week, *week)),
        }
    }
    for (first, last) in runs {
        let sql = format!(
            "SELECT {DAY_COLUMNS} FROM exercise_daily_summary WHERE user_id = $1 AND local_date >= $2 AND local_date < $3{} \
             ORDER BY local_date, resolved_exercise_name",
            names_filter("resolved_exercise_name", 4, names)
        );
        let values: Vec<Value> = [user_id.into(), first.into(), (last + Duration::weeks(1)).into()]
            .into_iter()
            .chain(name_values())
            .collect();
        for row in conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            let (key, totals) = day_from(user_id, &row)?;
            if wanted.contains(&iso_week_start(key.local_date)) {
                days.insert(key, totals);
            }
        }
    }
    let mut stored: BTreeMap<ExerciseWeekKey, Totals> = BTreeMap::new();
    for chunk in in_list_chunks(weeks, 1 + n_names, limit) {
        let values: Vec<Value> = std::iter::once(Value::from(user_id))
            .chain(name_values())
            .chain(chunk.iter().map(|d| Value::from(*d)))
            .collect();
        let sql = format!(
            "SELECT {WEEK_COLUMNS} FROM exercise_weekly_summary WHERE user_id = $1{} AND week_start IN ({})",
            names_filter("resolved_exercise_name", 2, names),
            placeholders(2 + n_names, chunk.len())
        );
        for row in conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            let (key, totals) = day_from(user_id, &row)?;
            stored.insert(
                ExerciseWeekKey { user_id, name: key.name, week_start: key.local_date },
                totals,
            );
        }
    }
    let fresh = weekly(&days);
    // Exercises whose series of weekly e1RMs changed: a week came, went, or its best moved. A
    // trend depends on nothing else.
    let best = |rows: &BTreeMap<ExerciseWeekKey, Totals>, key: &ExerciseWeekKey| {
        rows.get(key).map(|it| it.max_one_rm.map(f64::to_bits))
    };
    let mut changed = BTreeSet::new();
    for key in stored.keys().chain(fresh.keys()) {
        if best(&stored, key) != best(&fresh, key) {
            changed.insert(key.name.clone());
        }
    }
    let inserts = sync(conn, "exercise_weekly_summary", &stored, fresh, limit).await?;
    write_weeks(conn, &inserts, limit).await?;
    Ok(changed)
}

/// A date after every week (and within both backends' date ranges).
const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

/// Rewrites the trend rows of exercises `names` that weeks `first..=last` can change: from
/// `first` to the `SLOPE_WEEKS - 1`th week with an e1RM after the last one up to `last` (its
/// slope window reaches back to it), computed from each exercise's weekly rows.
async fn recompute_trends<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    names: &BTreeSet<String>,
    first: NaiveDate,
    last: NaiveDate,
    limit: ParamLimit,
) -> Result<(), AggregationError> {
    let backend = conn.get_database_backend();
    let names: Vec<String> = names.iter().cloned().collect();
    // Of each exercise's weekly e1RMs only what the rows from `first` on can see: the
    // `SLOPE_WEEKS - 1` weeks with an e1RM before `first` (the first row's slope window and
    // previous week), the weeks up to `last`, and as many after it (the rows a change reaches).
    // So the cost does not grow with the exercise's history. One statement reads a batch of
    // exercises: `$1` the user, `$2`/`$3` first/last, then one parameter per exercise.
    let reach = SLOPE_WEEKS - 1;
    let block = |at: usize| {
        let name = format!("resolved_exercise_name = ${at}");
        format!(
            "SELECT * FROM (SELECT resolved_exercise_name, week_start, max_one_rm FROM exercise_weekly_summary \
               WHERE user_id = $1 AND {name} AND week_start < $2 AND max_one_rm IS NOT NULL \
               ORDER BY week_start DESC LIMIT {reach}) b{at} \
             UNION ALL \
             SELECT resolved_exercise_name, week_start, max_one_rm FROM exercise_weekly_summary \
               WHERE user_id = $1 AND {name} AND week_start >= $2 AND week_start <= $3 \
             UNION ALL \
             SELECT * FROM (SELECT resolved_exercise_name, week_start, max_one_rm FROM exercise_weekly_summary \
               WHERE user_id = $1 AND {name} AND week_start > $3 AND max_one_rm IS NOT NULL \
               ORDER BY week_start LIMIT {reach}) a{at}"
        )
    };
    let mut series: BTreeMap<String, Vec<(NaiveDate, Option<f64>)>> = BTreeMap::new();
    for chunk in names.chunks(limit.get().saturating_sub(3).clamp(1, MAX_SCOPED_NAMES)) {
        let sql =
            (0..chunk.len()).map(|idx| block(4 + idx)).collect::<Vec<_>>().join(" UNION ALL ");
        let values = [Value::from(user_id), first.into(), last.into()]
            .into_iter()
            .chain(chunk.iter().map(|name| Value::from(name.clone())));
        for row in conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            let point = (row.try_get_by_index(1)?, row.try_get_by_index(2)?);
            series.entry(row.try_get_by_index(0)?).or_default().push(point);
        }
    }
    // The trend rows each exercise's change can reach: from `first` to the `SLOPE_WEEKS - 1`th
    // week with an e1RM after the last one up to `last` (or on, when there are fewer).
    let mut fresh = BTreeMap::new();
    let mut until: BTreeMap<&String, NaiveDate> = BTreeMap::new();
    for name in &names {
        let mut points = series.remove(name).unwrap_or_default();
        points.sort_by_key(|(week, _)| *week);
        let all = trends(&points);
        let touched_end = all.iter().rposition(|(week, _)| *week <= last).map_or(0, |it| it + 1);
        let end = match all.get(touched_end + SLOPE_WEEKS - 2) {
            Some((week, _)) => (*week).max(last),
            None => LAST_DAY,
        };
        until.insert(name, end);
        for (week_start, trend) in
            all.into_iter().filter(|(week, _)| *week >= first && *week <= end)
        {
            fresh.insert(ExerciseWeekKey { user_id, name: name.clone(), week_start }, trend);
        }
    }
    let mut stored = BTreeMap::new();
    for chunk in in_list_chunks(&names, 2, limit) {
        let sql = format!(
            "SELECT resolved_exercise_name, week_start, max_one_rm, previous_max_one_rm, change, slope \
             FROM exercise_trends WHERE user_id = $1 AND week_start >= $2 AND resolved_exercise_name IN ({})",
            placeholders(3, chunk.len())
        );
        let values = [Value::from(user_id), first.into()]
            .into_iter()
            .chain(chunk.iter().map(|name| Value::from(name.clone())));
        for row in conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            let key = ExerciseWeekKey {
                user_id,
                name: row.try_get_by_index(0)?,
                week_start: row.try_get_by_index(1)?,
            };
            if until.get(&key.name).is_some_and(|end| key.week_start <= *end) {
                let trend = Trend {
                    max_one_rm: row.try_get_by_index(2)?,
                    previous_max_one_rm: row.try_get_by_index(3)?,
                    change: row.try_get_by_index(4)?,
                    slope: row.try_get_by_index(5)?,
                };
                stored.insert(key, trend);
            }
        }
    }
    let inserts = sync(conn, "exercise_trends", &stored, fresh, limit).await?;
    db::insert_chunked(conn, trend_rows(&inserts), limit).await?;
    Ok(())
}

/// `exercise_trends` rows to insert.
pub fn trend_rows(trends: &BTreeMap<ExerciseWeekKey, Trend>) -> Vec<exercise_trend::ActiveModel> {
    trends
        .iter()
        .map(|(k, t)| exercise_trend::ActiveModel {
            user_id: Set(k.user_id),
            resolved_exercise_name: Set(k.name.clone()),
            week_start: Set(k.week_start),
            max_one_rm: Set(t.max_one_rm),
            previous_max_one_rm: Set(t.previous_max_one_rm),
            change: Set(t.change),
            slope: Set(t.slope),
        })
        .collect()
}

pub(crate) async fn write_weeks<C: ConnectionTrait>(
    conn: &C,
    weeks: &BTreeMap<ExerciseWeekKey, Totals>,
    limit: ParamLimit,
) -> Result<(), AggregationError> {
    db::insert_chunked(conn, exercise_week_rows(weeks), limit).await?;
    Ok(())
}
