//! How workouts are read: a page of recent workouts, a workout by id, the last sets of an
//! exercise, and the set lines of many workouts at once (for the gateway's loaders).

use chrono::{DateTime, NaiveDate, Utc};
use domain::{SetType, WeightUnit};
use sea_orm::FromQueryResult;

use crate::sql::{by_ids, set_columns, stmt};
use crate::{Db, QueryError, UserId};
use db::chunk::placeholders;

/// Empty sessions (started, nothing saved yet) only when `$5` asks for them.
pub(crate) const WORKOUTS_PAGE: &str = "SELECT id, template_id, workout_date, local_date FROM workout_sessions ws \
     WHERE user_id = $1 AND (workout_date < $2 OR (workout_date = $2 AND id < $3)) \
     AND ($5 OR EXISTS (SELECT 1 FROM session_exercises se WHERE se.session_id = ws.id)) \
     ORDER BY workout_date DESC, id DESC LIMIT $4";
pub(crate) const WORKOUT_BY_ID: &str = "SELECT id, template_id, workout_date, local_date FROM workout_sessions WHERE user_id = $1 AND id = $2";
pub(crate) const LAST_SESSION_OF_EXERCISE: &str = "SELECT ws.id, ws.template_id, ws.workout_date, ws.local_date \
     FROM session_exercises se JOIN workout_sessions ws ON ws.id = se.session_id \
     WHERE se.user_id = $1 AND se.resolved_exercise_name = $2 AND ws.id <> $3 \
     ORDER BY ws.workout_date DESC, ws.id DESC LIMIT 1";
pub(crate) const SETS_OF_EXERCISE_IN_SESSION: &str = concat!(
    "SELECT ",
    set_columns!(),
    " FROM session_exercises WHERE user_id = $1 AND session_id = $2 AND resolved_exercise_name = $3 ORDER BY id"
);

/// Every read of this module, by the service call that runs it (for plan inspection).
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("workouts.page", WORKOUTS_PAGE),
    ("workouts.by_id", WORKOUT_BY_ID),
    ("workouts.last_exercise_data (session)", LAST_SESSION_OF_EXERCISE),
    ("workouts.last_exercise_data (sets)", SETS_OF_EXERCISE_IN_SESSION),
];

/// A workout session, without its set lines.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct WorkoutView {
    pub id: i64,
    pub template_id: Option<i64>,
    pub workout_date: DateTime<Utc>,
    pub local_date: NaiveDate,
}

/// One set line as the user typed it (`weight` in `unit`), with its derived columns.
#[derive(Debug, Clone, PartialEq)]
pub struct SetView {
    pub id: i64,
    pub session_id: i64,
    pub template_exercise_id: Option<i64>,
    pub exercise_name: String,
    pub resolved_exercise_name: String,
    /// The line's position within its exercise (0 starts an exercise).
    pub set_order: i32,
    pub set_type: SetType,
    pub weight: Option<f64>,
    pub unit: WeightUnit,
    pub weight_kg: Option<f64>,
    pub reps: Option<i32>,
    pub sets: i32,
    pub rpe: Option<f64>,
    pub rest_seconds: Option<i32>,
    pub one_rm_estimate: Option<f64>,
}

impl SetView {
    /// Whether the line counts in records and aggregates (warm-ups count nowhere).
    pub fn counts(&self) -> bool {
        self.set_type.counts_in_aggregates()
    }
}

/// A set line as stored: set type and unit as text, checked into `SetView`.
#[derive(Debug, FromQueryResult)]
pub(crate) struct SetRow {
    id: i64,
    session_id: i64,
    template_exercise_id: Option<i64>,
    exercise_name: String,
    resolved_exercise_name: String,
    set_order: i32,
    set_type: String,
    weight: Option<f64>,
    unit: String,
    weight_kg: Option<f64>,
    reps: Option<i32>,
    sets: i32,
    rpe: Option<f64>,
    rest_seconds: Option<i32>,
    one_rm_estimate: Option<f64>,
}

impl TryFrom<SetRow> for SetView {
    type Error = QueryError;

    /// A set type or unit the schema's checks should have refused is `Corrupt`, never a guess.
    fn try_from(it: SetRow) -> Result<Self, QueryError> {
        Ok(Self {
            set_type: QueryError::parse_stored("session_exercises.set_type", it.set_type)?,
            unit: QueryError::parse_stored("session_exercises.unit", it.unit)?,
            id: it.id,
            session_id: it.session_id,
            template_exercise_id: it.template_exercise_id,
            exercise_name: it.exercise_name,
            resolved_exercise_name: it.resolved_exercise_name,
            set_order: it.set_order,
            weight: it.weight,
            weight_kg: it.weight_kg,
            reps: it.reps,
            sets: it.sets,
            rpe: it.rpe,
            rest_seconds: it.rest_seconds,
            one_rm_estimate: it.one_rm_estimate,
        })
    }
}

/// Checks stored set lines into views.
fn set_views(rows: Vec<SetRow>) -> Result<Vec<SetView>, QueryError> {
    rows.into_iter().map(SetView::try_from).collect()
}

/// The latest session of an exercise and that exercise's set lines in it.
#[derive(Debug, Clone, PartialEq)]
pub struct LastExercise {
    pub workout: WorkoutView,
    pub sets: Vec<SetView>,
}

impl LastExercise {
    /// The heaviest counted set (by weight in kg, then reps; the first of equals).
    pub fn best_set(&self) -> Option<&SetView> {
        self.sets.iter().filter(|s| s.counts() && s.weight_kg.is_some()).fold(None, |best, s| {
            let key = |it: &SetView| (it.weight_kg.unwrap_or(0.0), it.reps.unwrap_or(0));
            match best {
                Some(b) if key(b) >= key(s) => Some(b),
                _ => Some(s),
            }
        })
    }
}

/// A page of the user's workouts, newest first, strictly after the `(workout_date, id)` key;
/// sessions without set lines (started, never saved) only with `include_empty`.
pub async fn workouts_page(
    db: &Db,
    user: UserId,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
    include_empty: bool,
) -> Result<Vec<WorkoutView>, QueryError> {
    // The first page starts after a far-future key (a 4-digit year, so SQLite's text order holds).
    let end_of_time = DateTime::<Utc>::from_timestamp(253_402_300_799, 0).unwrap_or_default();
    let (date, id) = after.unwrap_or((end_of_time, i64::MAX));
    let values = vec![
        user.0.into(),
        date.into(),
        id.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
        include_empty.into(),
    ];
    Ok(WorkoutView::find_by_statement(stmt(db, WORKOUTS_PAGE, values)).all(&db.conn).await?)
}

/// One of the user's workouts; another user's id is `NotFound`, like an unknown one.
pub async fn workout(db: &Db, user: UserId, id: i64) -> Result<WorkoutView, QueryError> {
    WorkoutView::find_by_statement(stmt(db, WORKOUT_BY_ID, vec![user.0.into(), id.into()]))
        .one(&db.conn)
        .await?
        .ok_or(QueryError::NotFound { entity: "workout", id })
}

/// The user's latest session of an exercise (other than `exclude_session`) and the exercise's set
/// lines in it, or `None` when the user never trained it.
///
/// The exercise is the resolved name of `template_exercise_id` when given (so every template
/// exercise linked to the same master counts; another user's id is `NotFound`), else
/// `exercise_name` as resolved names are stored.
pub async fn last_exercise_data(
    db: &Db,
    user: UserId,
    exercise_name: &str,
    template_exercise_id: Option<i64>,
    exclude_session: Option<i64>,
) -> Result<Option<LastExercise>, QueryError> {
    let name = match template_exercise_id {
        None => exercise_name.trim().to_owned(),
        Some(id) => crate::cached::name(db, user, id, || async {
            let mut found =
                crate::resolution::load_resolved_exercise_name_map(db, &db.conn, user, &[id])
                    .await?;
            Ok(found.remove(&id).map(|it| it.name))
        })
        .await?
        .ok_or(QueryError::NotFound { entity: "template exercise", id })?,
    };
    // Ids are positive, so 0 excludes nothing.
    let values = vec![user.0.into(), name.clone().into(), exclude_session.unwrap_or(0).into()];
    let Some(workout) = WorkoutView::find_by_statement(stmt(db, LAST_SESSION_OF_EXERCISE, values))
        .one(&db.conn)
        .await?
    else {
        return Ok(None);
    };
    let values = vec![user.0.into(), workout.id.into(), name.into()];
    let sets = set_views(
        SetRow::find_by_statement(stmt(db, SETS_OF_EXERCISE_IN_SESSION, values))
            .all(&db.conn)
            .await?,
    )?;
    Ok(Some(LastExercise { workout, sets }))
}

/// Batched reads by parent id, one statement per `IN` chunk: what the gateway's loaders call so
/// a nested list costs one statement per level, not one per parent. The unary `+` keeps SQLite
/// from leading with a `(user_id, …)` index, which would walk every row of the user instead of
/// seeking each parent (3× slower for 20 workouts of the heaviest user).
pub(crate) fn sets_for_sql(n: usize) -> String {
    format!(
        "SELECT {} FROM session_exercises WHERE +user_id = $1 AND session_id IN ({}) ORDER BY session_id, id",
        set_columns!(),
        placeholders(2, n)
    )
}

/// The set lines of the user's workouts `session_ids`, by workout, in the order they were saved.
/// Other users' workouts contribute nothing.
pub async fn sets_for(
    db: &Db,
    user: UserId,
    session_ids: &[i64],
) -> Result<Vec<SetView>, QueryError> {
    set_views(by_ids(db, user, sets_for_sql, session_ids).await?)
}
