//! The services' simple reads: recent workouts, a workout by id, the last sets of an exercise,
//! templates and their exercises, master exercises. Each is one user-scoped statement.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{FromQueryResult, Statement, Value};

use crate::{Db, QueryError, UserId};

pub(crate) const WORKOUTS_PAGE: &str = "SELECT id, template_id, workout_date, local_date FROM workout_sessions \
     WHERE user_id = $1 AND (workout_date < $2 OR (workout_date = $2 AND id < $3)) \
     ORDER BY workout_date DESC, id DESC LIMIT $4";
pub(crate) const MASTERS_PAGE: &str = "SELECT id, name, muscle_group, normalized_name FROM master_exercises \
     WHERE user_id = $1 AND normalized_name LIKE $2 AND (normalized_name > $3 OR (normalized_name = $3 AND id > $4)) \
     ORDER BY normalized_name, id LIMIT $5";
pub(crate) const RECENT_WORKOUTS: &str = "SELECT id, template_id, workout_date, local_date FROM workout_sessions \
     WHERE user_id = $1 ORDER BY workout_date DESC, id DESC LIMIT 20";
pub(crate) const WORKOUT_BY_ID: &str = "SELECT id, template_id, workout_date, local_date FROM workout_sessions WHERE user_id = $1 AND id = $2";
pub(crate) const LAST_EXERCISE_DATA: &str = "SELECT se.session_id, se.set_order, se.set_type, se.weight, se.unit, se.reps, se.sets, se.rpe \
     FROM session_exercises se \
     WHERE se.user_id = $1 AND se.resolved_exercise_name = $2 AND se.session_id = ( \
         SELECT ws.id FROM session_exercises s2 JOIN workout_sessions ws ON ws.id = s2.session_id \
         WHERE s2.user_id = $1 AND s2.resolved_exercise_name = $2 \
         ORDER BY ws.workout_date DESC, ws.id DESC LIMIT 1) \
     ORDER BY se.set_order";
pub(crate) const TEMPLATES: &str =
    "SELECT id, name, dedupe_key FROM workout_templates WHERE user_id = $1 ORDER BY name, id";
pub(crate) const TEMPLATE_EXERCISES: &str = "SELECT id, exercise_name, order_index, linking_rejected FROM template_exercises \
     WHERE user_id = $1 AND template_id = $2 ORDER BY order_index, id";
pub(crate) const MASTERS: &str = "SELECT id, name, muscle_group FROM master_exercises WHERE user_id = $1 ORDER BY normalized_name";
pub(crate) const LINKED_TO: &str = "SELECT template_exercise_id AS id FROM exercise_links \
     WHERE user_id = $1 AND master_exercise_id = $2 ORDER BY template_exercise_id";

pub(crate) const VIEWER: &str = "SELECT u.id AS id, u.email AS email, u.display_name AS display_name, \
     u.timezone AS timezone, COALESCE(p.default_weight_unit, 'kg') AS default_weight_unit \
     FROM users u LEFT JOIN user_preferences p ON p.user_id = u.id WHERE u.id = $1";

/// Every simple read, by the service call that runs it (for plan inspection).
pub(crate) const ALL: &[(&str, &str)] = &[
    ("users.viewer", VIEWER),
    ("workouts.recent", RECENT_WORKOUTS),
    ("workouts.page", WORKOUTS_PAGE),
    ("exercises.masters_page", MASTERS_PAGE),
    ("workouts.by_id", WORKOUT_BY_ID),
    ("workouts.last_exercise_data", LAST_EXERCISE_DATA),
    ("templates.list", TEMPLATES),
    ("templates.exercises", TEMPLATE_EXERCISES),
    ("exercises.masters", MASTERS),
    ("exercises.linked_to", LINKED_TO),
];

/// The calling user.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub display_name: Option<String>,
    pub timezone: String,
    pub default_weight_unit: String,
}

/// A workout session, without its set lines.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct WorkoutView {
    pub id: i64,
    pub template_id: Option<i64>,
    pub workout_date: DateTime<Utc>,
    pub local_date: NaiveDate,
}

/// One set line as the user typed it.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct SetView {
    pub session_id: i64,
    pub set_order: i32,
    pub set_type: String,
    pub weight: Option<f64>,
    pub unit: String,
    pub reps: Option<i32>,
    pub sets: i32,
    pub rpe: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct TemplateView {
    pub id: i64,
    pub name: String,
    pub dedupe_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct TemplateExerciseView {
    pub id: i64,
    pub exercise_name: String,
    pub order_index: i32,
    pub linking_rejected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct MasterView {
    pub id: i64,
    pub name: String,
    pub muscle_group: Option<String>,
}

fn stmt(db: &Db, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.conn.get_database_backend(), sql, values)
}

/// The user's profile and preferred unit; `NotFound` for an unknown id.
pub async fn viewer(db: &Db, user: UserId) -> Result<UserView, QueryError> {
    UserView::find_by_statement(stmt(db, VIEWER, vec![user.0.into()]))
        .one(&db.conn)
        .await?
        .ok_or(QueryError::NotFound { entity: "user", id: user.0 })
}

/// A page of the user's workouts, newest first, strictly after the `(workout_date, id)` key.
pub async fn workouts_page(
    db: &Db,
    user: UserId,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> Result<Vec<WorkoutView>, QueryError> {
    // The first page starts after a far-future key (a 4-digit year, so SQLite's text order holds).
    let end_of_time = DateTime::<Utc>::from_timestamp(253_402_300_799, 0).unwrap_or_default();
    let (date, id) = after.unwrap_or((end_of_time, i64::MAX));
    let values = vec![
        user.0.into(),
        date.into(),
        id.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
    ];
    Ok(WorkoutView::find_by_statement(stmt(db, WORKOUTS_PAGE, values)).all(&db.conn).await?)
}

/// A master exercise with its sort key, for keyset pagination.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct MasterPageRow {
    pub id: i64,
    pub name: String,
    pub muscle_group: Option<String>,
    pub normalized_name: String,
}

/// A page of the user's master exercises whose normalized name contains `search`, by name,
/// strictly after the `(normalized_name, id)` key.
pub async fn master_exercises_page(
    db: &Db,
    user: UserId,
    search: &str,
    after: Option<(String, i64)>,
    limit: u64,
) -> Result<Vec<MasterPageRow>, QueryError> {
    let pattern = format!("%{}%", domain::normalize_exercise_name(search).replace(['%', '_'], ""));
    let (name, id) = after.unwrap_or((String::new(), 0));
    let values = vec![
        user.0.into(),
        pattern.into(),
        name.into(),
        id.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
    ];
    Ok(MasterPageRow::find_by_statement(stmt(db, MASTERS_PAGE, values)).all(&db.conn).await?)
}

/// The user's 20 most recent workouts, newest first.
pub async fn recent_workouts(db: &Db, user: UserId) -> Result<Vec<WorkoutView>, QueryError> {
    Ok(WorkoutView::find_by_statement(stmt(db, RECENT_WORKOUTS, vec![user.0.into()]))
        .all(&db.conn)
        .await?)
}

/// One of the user's workouts; another user's id is `NotFound`, like an unknown one.
pub async fn workout(db: &Db, user: UserId, id: i64) -> Result<WorkoutView, QueryError> {
    WorkoutView::find_by_statement(stmt(db, WORKOUT_BY_ID, vec![user.0.into(), id.into()]))
        .one(&db.conn)
        .await?
        .ok_or(QueryError::NotFound { entity: "workout", id })
}

/// The set lines of the user's latest session of a (resolved) exercise, in order.
pub async fn last_exercise_data(
    db: &Db,
    user: UserId,
    exercise_name: &str,
) -> Result<Vec<SetView>, QueryError> {
    Ok(SetView::find_by_statement(stmt(
        db,
        LAST_EXERCISE_DATA,
        vec![user.0.into(), exercise_name.into()],
    ))
    .all(&db.conn)
    .await?)
}

/// The user's templates, by name.
pub async fn templates(db: &Db, user: UserId) -> Result<Vec<TemplateView>, QueryError> {
    Ok(TemplateView::find_by_statement(stmt(db, TEMPLATES, vec![user.0.into()]))
        .all(&db.conn)
        .await?)
}

/// The exercise lines of one of the user's templates, in order.
pub async fn template_exercises(
    db: &Db,
    user: UserId,
    template_id: i64,
) -> Result<Vec<TemplateExerciseView>, QueryError> {
    Ok(TemplateExerciseView::find_by_statement(stmt(
        db,
        TEMPLATE_EXERCISES,
        vec![user.0.into(), template_id.into()],
    ))
    .all(&db.conn)
    .await?)
}

/// The user's master exercises, by normalized name.
pub async fn master_exercises(db: &Db, user: UserId) -> Result<Vec<MasterView>, QueryError> {
    Ok(MasterView::find_by_statement(stmt(db, MASTERS, vec![user.0.into()])).all(&db.conn).await?)
}
