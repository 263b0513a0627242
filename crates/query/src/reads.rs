//! The services' simple reads: recent workouts, a workout by id, the last sets of an exercise,
//! templates and their exercises, master exercises. Each is one user-scoped statement.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{FromQueryResult, Statement, Value};

use crate::chunk::{in_list_chunks, placeholders};
use crate::{Db, QueryError, UserId};

pub(crate) const WORKOUTS_PAGE: &str = "SELECT id, template_id, workout_date, local_date FROM workout_sessions \
     WHERE user_id = $1 AND (workout_date < $2 OR (workout_date = $2 AND id < $3)) \
     ORDER BY workout_date DESC, id DESC LIMIT $4";
pub(crate) const MASTERS_PAGE: &str = "SELECT id, name, muscle_group, normalized_name FROM master_exercises \
     WHERE user_id = $1 AND normalized_name LIKE $2 AND (normalized_name > $3 OR (normalized_name = $3 AND id > $4)) \
     ORDER BY normalized_name, id LIMIT $5";
pub(crate) const WORKOUT_BY_ID: &str = "SELECT id, template_id, workout_date, local_date FROM workout_sessions WHERE user_id = $1 AND id = $2";
/// The columns of a set line as the API shows it (a macro, so `concat!` can build statements).
macro_rules! set_columns {
    () => {
        "id, session_id, template_exercise_id, exercise_name, resolved_exercise_name, set_order, \
         set_type, weight, unit, weight_kg, reps, sets, rpe, one_rm_estimate"
    };
}
pub(crate) const LAST_SESSION_OF_EXERCISE: &str = "SELECT ws.id, ws.template_id, ws.workout_date, ws.local_date \
     FROM session_exercises se JOIN workout_sessions ws ON ws.id = se.session_id \
     WHERE se.user_id = $1 AND se.resolved_exercise_name = $2 AND ws.id <> $3 \
     ORDER BY ws.workout_date DESC, ws.id DESC LIMIT 1";
pub(crate) const SETS_OF_EXERCISE_IN_SESSION: &str = concat!(
    "SELECT ",
    set_columns!(),
    " FROM session_exercises WHERE user_id = $1 AND session_id = $2 AND resolved_exercise_name = $3 ORDER BY id"
);
pub(crate) const TEMPLATE_BY_ID: &str =
    "SELECT id, name, dedupe_key FROM workout_templates WHERE user_id = $1 AND id = $2";
/// Case-insensitive on both backends (SQLite's `LIKE` is, PostgreSQL's is not).
pub(crate) const TEMPLATES_PAGE: &str = "SELECT id, name, dedupe_key FROM workout_templates \
     WHERE user_id = $1 AND LOWER(name) LIKE $2 AND (name > $3 OR (name = $3 AND id > $4)) \
     ORDER BY name, id LIMIT $5";
pub(crate) const TEMPLATE_EXERCISES: &str = "SELECT id, template_id, exercise_name, order_index, linking_rejected FROM template_exercises \
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
    ("workouts.page", WORKOUTS_PAGE),
    ("exercises.masters_page", MASTERS_PAGE),
    ("workouts.by_id", WORKOUT_BY_ID),
    ("workouts.last_exercise_data (session)", LAST_SESSION_OF_EXERCISE),
    ("workouts.last_exercise_data (sets)", SETS_OF_EXERCISE_IN_SESSION),
    ("templates.by_id", TEMPLATE_BY_ID),
    ("templates.page", TEMPLATES_PAGE),
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

/// One set line as the user typed it (`weight` in `unit`), with its derived columns.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct SetView {
    pub id: i64,
    pub session_id: i64,
    pub template_exercise_id: Option<i64>,
    pub exercise_name: String,
    pub resolved_exercise_name: String,
    /// The line's position within its exercise (0 starts an exercise).
    pub set_order: i32,
    pub set_type: String,
    pub weight: Option<f64>,
    pub unit: String,
    pub weight_kg: Option<f64>,
    pub reps: Option<i32>,
    pub sets: i32,
    pub rpe: Option<f64>,
    pub one_rm_estimate: Option<f64>,
}

impl SetView {
    /// Whether the line counts in records and aggregates (warm-ups count nowhere).
    pub fn counts(&self) -> bool {
        self.set_type != domain::SetType::Warmup.as_str()
    }
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

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct TemplateView {
    pub id: i64,
    pub name: String,
    pub dedupe_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct TemplateExerciseView {
    pub id: i64,
    pub template_id: i64,
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

/// The parameters of a page sorted by `(name, id)`: the user, a `LIKE` pattern containing
/// `search` (its wildcards dropped), the key to start after, and the row count.
fn by_name_page_values(
    user: UserId,
    search: &str,
    after: Option<(String, i64)>,
    limit: u64,
) -> Vec<Value> {
    let pattern = format!("%{}%", search.replace(['%', '_'], ""));
    let (name, id) = after.unwrap_or((String::new(), 0));
    vec![
        user.0.into(),
        pattern.into(),
        name.into(),
        id.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
    ]
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
    let search = domain::normalize_exercise_name(search);
    let values = by_name_page_values(user, &search, after, limit);
    Ok(MasterPageRow::find_by_statement(stmt(db, MASTERS_PAGE, values)).all(&db.conn).await?)
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
        Some(id) => {
            crate::resolution::load_resolved_exercise_name_map(db, &db.conn, user, &[id])
                .await?
                .remove(&id)
                .ok_or(QueryError::NotFound { entity: "template exercise", id })?
                .name
        }
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
    let sets = SetView::find_by_statement(stmt(db, SETS_OF_EXERCISE_IN_SESSION, values))
        .all(&db.conn)
        .await?;
    Ok(Some(LastExercise { workout, sets }))
}

/// One of the user's templates; another user's id is `NotFound`, like an unknown one.
pub async fn template(db: &Db, user: UserId, id: i64) -> Result<TemplateView, QueryError> {
    TemplateView::find_by_statement(stmt(db, TEMPLATE_BY_ID, vec![user.0.into(), id.into()]))
        .one(&db.conn)
        .await?
        .ok_or(QueryError::NotFound { entity: "template", id })
}

/// A page of the user's templates whose name contains `search` (any case), by name, strictly
/// after the `(name, id)` key.
pub async fn templates_page(
    db: &Db,
    user: UserId,
    search: &str,
    after: Option<(String, i64)>,
    limit: u64,
) -> Result<Vec<TemplateView>, QueryError> {
    let values = by_name_page_values(user, &search.trim().to_lowercase(), after, limit);
    Ok(TemplateView::find_by_statement(stmt(db, TEMPLATES_PAGE, values)).all(&db.conn).await?)
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

/// A master exercise a template exercise is linked to.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct LinkedMaster {
    pub template_exercise_id: i64,
    pub id: i64,
    pub name: String,
    pub muscle_group: Option<String>,
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

pub(crate) fn template_lines_for_sql(n: usize) -> String {
    format!(
        "SELECT id, template_id, exercise_name, order_index, linking_rejected FROM template_exercises \
         WHERE user_id = $1 AND template_id IN ({}) ORDER BY template_id, order_index, id",
        placeholders(2, n)
    )
}

pub(crate) fn linked_masters_for_sql(n: usize) -> String {
    format!(
        "SELECT el.template_exercise_id, me.id, me.name, me.muscle_group FROM exercise_links el \
         JOIN master_exercises me ON me.id = el.master_exercise_id \
         WHERE +el.user_id = $1 AND el.template_exercise_id IN ({}) ORDER BY el.template_exercise_id",
        placeholders(2, n)
    )
}

/// Runs `sql(n)` for each padded chunk of the distinct `ids`, the user bound first.
async fn by_ids<T: FromQueryResult>(
    db: &Db,
    user: UserId,
    sql: fn(usize) -> String,
    ids: &[i64],
) -> Result<Vec<T>, QueryError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut res = Vec::new();
    for chunk in in_list_chunks(&ids, 1, db.param_limit) {
        let values: Vec<Value> =
            std::iter::once(user.0).chain(chunk.iter().copied()).map(Value::from).collect();
        res.extend(T::find_by_statement(stmt(db, &sql(chunk.len()), values)).all(&db.conn).await?);
    }
    Ok(res)
}

/// The set lines of the user's workouts `session_ids`, by workout, in the order they were saved.
/// Other users' workouts contribute nothing.
pub async fn sets_for(
    db: &Db,
    user: UserId,
    session_ids: &[i64],
) -> Result<Vec<SetView>, QueryError> {
    by_ids(db, user, sets_for_sql, session_ids).await
}

/// The exercise lines of the user's templates `template_ids`, by template, in order.
pub async fn template_lines_for(
    db: &Db,
    user: UserId,
    template_ids: &[i64],
) -> Result<Vec<TemplateExerciseView>, QueryError> {
    by_ids(db, user, template_lines_for_sql, template_ids).await
}

/// The master exercises the user's template exercises `template_exercise_ids` are linked to;
/// unlinked ones are absent.
pub async fn linked_masters_for(
    db: &Db,
    user: UserId,
    template_exercise_ids: &[i64],
) -> Result<Vec<LinkedMaster>, QueryError> {
    by_ids(db, user, linked_masters_for_sql, template_exercise_ids).await
}
