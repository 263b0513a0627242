//! Exports (the original's `insights.exportWorkoutsCSV` and `progress.exportStrengthProgression`):
//! a user's set lines in workout order, a page of workouts at a time, for a download that streams
//! (each page is one statement on the reader pool, so a long download holds no connection).
//!
//! The original read at most 500 workouts into memory and wrote kilograms and pounds into one
//! column unconverted; here every page carries weights in kilograms and the gateway converts them
//! once, into one unit.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{FromQueryResult, Value};

use crate::sql::stmt;
use crate::{Db, QueryError, UserId};

/// The lines of the next `$6` workouts of the user dated `$2..=$3` after the key `($4, $5)`, in
/// workout order; with `$7` not empty, only workouts of that (resolved) exercise and only its
/// counted lines. A workout without a matching line yields one row of nulls, so the key still
/// moves past it.
pub(crate) const PAGE: &str = "SELECT ws.id AS session_id, ws.workout_date AS workout_date, ws.local_date AS local_date, \
     wt.name AS template_name, se.id AS line_id, se.exercise_name AS exercise_name, \
     se.resolved_exercise_name AS resolved_name, se.set_order AS set_order, se.set_type AS set_type, \
     se.weight_kg AS weight_kg, se.reps AS reps, se.sets AS sets, se.rpe AS rpe, se.rest_seconds AS rest_seconds, \
     se.one_rm_estimate AS one_rm, se.volume_load AS volume \
     FROM workout_sessions ws \
     LEFT JOIN workout_templates wt ON wt.id = ws.template_id \
     LEFT JOIN session_exercises se ON se.session_id = ws.id \
       AND ($7 = '' OR (se.resolved_exercise_name = $7 AND se.set_type <> 'warmup')) \
     WHERE ws.id IN (SELECT s.id FROM workout_sessions s WHERE s.user_id = $1 \
         AND s.local_date >= $2 AND s.local_date <= $3 \
         AND (s.workout_date > $4 OR (s.workout_date = $4 AND s.id > $5)) \
         AND ($7 = '' OR EXISTS (SELECT 1 FROM session_exercises x WHERE x.session_id = s.id \
               AND x.resolved_exercise_name = $7 AND x.set_type <> 'warmup')) \
         ORDER BY s.workout_date, s.id LIMIT $6) \
     ORDER BY ws.workout_date, ws.id, se.set_order, se.id";

/// One exported row: a set line with its workout (line fields are none for a workout without
/// lines, which the caller skips).
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct ExportRow {
    pub session_id: i64,
    pub workout_date: DateTime<Utc>,
    pub local_date: NaiveDate,
    pub template_name: Option<String>,
    pub line_id: Option<i64>,
    pub exercise_name: Option<String>,
    pub resolved_name: Option<String>,
    pub set_order: Option<i32>,
    pub set_type: Option<String>,
    pub weight_kg: Option<f64>,
    pub reps: Option<i32>,
    pub sets: Option<i32>,
    pub rpe: Option<f64>,
    pub rest_seconds: Option<i32>,
    pub one_rm: Option<f64>,
    pub volume: Option<f64>,
}

/// Where the next page starts: after this workout (its instant and id).
pub type ExportKey = (DateTime<Utc>, i64);

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFilter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// One exercise (its resolved name) and its counted lines only; `None` for every line.
    pub exercise: Option<String>,
}

/// Workouts per page of an export.
pub const WORKOUTS_PER_PAGE: u64 = 200;

/// The next page of an export: the rows of up to `WORKOUTS_PER_PAGE` workouts after `after`, and
/// the key to continue from (none when this was the last page).
pub async fn page(
    db: &Db,
    user: UserId,
    filter: &ExportFilter,
    after: Option<ExportKey>,
) -> Result<(Vec<ExportRow>, Option<ExportKey>), QueryError> {
    // Before any workout, and inside every backend's timestamp range.
    let start = DateTime::from_timestamp(-2_208_988_800, 0).unwrap_or_default();
    let (at, id) = after.unwrap_or((start, 0));
    let values: Vec<Value> = vec![
        user.0.into(),
        filter.from.into(),
        filter.to.into(),
        at.into(),
        id.into(),
        i64::try_from(WORKOUTS_PER_PAGE).unwrap_or(i64::MAX).into(),
        filter.exercise.clone().unwrap_or_default().into(),
    ];
    let rows = ExportRow::find_by_statement(stmt(db, PAGE, values)).all(&db.conn).await?;
    let mut workouts = rows.iter().map(|it| it.session_id).collect::<Vec<_>>();
    workouts.dedup();
    let next = if u64::try_from(workouts.len()).is_ok_and(|n| n == WORKOUTS_PER_PAGE) {
        rows.last().map(|it| (it.workout_date, it.session_id))
    } else {
        None
    };
    Ok((rows, next))
}
