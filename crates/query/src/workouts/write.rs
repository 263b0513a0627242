//! Workout writes: start a session, save a whole session atomically, update sets, delete.
//!
//! A save validates everything first (every violation named by its field path) and writes nothing
//! if any rule is broken; then, in one transaction, it replaces the session's set lines, resolving
//! each template exercise's name through `resolution` and deriving `weight_kg`, `one_rm_estimate`
//! and `volume_load` through `domain::DerivedSet`. Updating sets re-derives those columns (the
//! original left them stale).

use aggregation::Rows;
use chrono::{DateTime, Utc};
use db::insert_statements;
use domain::{
    DerivedSet, Limits, SetType, UserTimeZone, ValidationError, Violation, WeightUnit, check_name,
    check_range, check_workout_date, local_date,
};
use entity::session_exercise;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DatabaseTransaction, FromQueryResult, Statement, Value,
};

use crate::lifts;
use crate::owned::{Owned, delete_owned, ensure_owned};
use crate::progress::user_zone;
use crate::resolution::load_resolved_exercise_name_map;
use crate::summaries::Tracker;
use crate::workouts::read::WorkoutView;
use crate::{Db, QueryError, UserId, writes};
use db::chunk::{in_list_chunks, placeholders};

/// One set line as the client sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct SetInput {
    pub set_type: SetType,
    pub weight: Option<f64>,
    pub unit: WeightUnit,
    pub reps: Option<i32>,
    pub sets: Option<i32>,
    pub rpe: Option<f64>,
    pub rest_seconds: Option<i32>,
    pub is_estimate: bool,
    pub is_default_applied: bool,
}

/// One exercise of a saved session: its template line (if any), its name and its set lines.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseInput {
    pub template_exercise_id: Option<i64>,
    pub exercise_name: String,
    pub sets: Vec<SetInput>,
}

/// A change to one stored set line.
#[derive(Debug, Clone, PartialEq)]
pub struct SetUpdate {
    pub id: i64,
    pub weight: Option<f64>,
    pub unit: WeightUnit,
    pub reps: Option<i32>,
}

#[derive(Debug, FromQueryResult)]
struct Id {
    id: i64,
}

#[derive(Debug, FromQueryResult)]
struct OwnedLine {
    id: i64,
    session_id: i64,
    sets: i32,
}

fn violations(found: Vec<Violation>) -> Result<(), QueryError> {
    if found.is_empty() { Ok(()) } else { Err(QueryError::Invalid(ValidationError(found))) }
}

fn check_set(
    path: &str,
    weight: Option<f64>,
    unit: WeightUnit,
    reps: Option<i32>,
    found: &mut Vec<Violation>,
) {
    if let Some(w) = weight {
        found.extend(
            check_range(&format!("{path}.weight"), unit.to_kg(w), &Limits::WEIGHT_KG).err(),
        );
    }
    if let Some(r) = reps {
        found.extend(check_range(&format!("{path}.reps"), r, &Limits::REPS).err());
    }
}

/// Validates a whole session; returns the trimmed exercise names.
fn validate(exercises: &[ExerciseInput]) -> Result<Vec<String>, QueryError> {
    let mut found = Vec::new();
    if exercises.len() > Limits::EXERCISES_PER_WORKOUT {
        found.push(Violation {
            field: "exercises".to_owned(),
            rule: format!("at most {} exercises per workout", Limits::EXERCISES_PER_WORKOUT),
        });
    }
    let n_lines: usize = exercises.iter().map(|it| it.sets.len()).sum();
    if n_lines > Limits::SET_LINES_PER_WORKOUT {
        found.push(Violation {
            field: "exercises".to_owned(),
            rule: format!("at most {} set lines per workout", Limits::SET_LINES_PER_WORKOUT),
        });
    }
    let mut names = Vec::with_capacity(exercises.len());
    for (idx, exercise) in exercises.iter().enumerate() {
        let path = format!("exercises[{idx}]");
        match check_name(&format!("{path}.exerciseName"), &exercise.exercise_name) {
            Ok(name) => names.push(name),
            Err(it) => found.push(it),
        }
        for (set_idx, set) in exercise.sets.iter().enumerate() {
            let path = format!("{path}.sets[{set_idx}]");
            check_set(&path, set.weight, set.unit, set.reps, &mut found);
            if let Some(n) = set.sets {
                found.extend(check_range(&format!("{path}.sets"), n, &Limits::SETS).err());
            }
            if let Some(rpe) = set.rpe {
                found.extend(check_range(&format!("{path}.rpe"), rpe, &Limits::RPE).err());
            }
            if let Some(rest) = set.rest_seconds {
                found.extend(
                    check_range(&format!("{path}.restSeconds"), rest, &Limits::REST_SECONDS).err(),
                );
            }
        }
    }
    violations(found)?;
    Ok(names)
}

/// How long an empty session stays the one `start` hands out again (the original reused one
/// within 2 minutes), so a double tap or a retried request does not leave a stray workout.
pub const REUSE_EMPTY_WITHIN: chrono::Duration = chrono::Duration::minutes(2);

/// How a session starts: when, from which template (if any), and whose set lines to copy (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartInput {
    pub template_id: Option<i64>,
    pub workout_date: DateTime<Utc>,
    /// Another of the user's sessions whose set lines the new one starts with ("repeat workout").
    pub copy_from: Option<i64>,
}

/// The user's empty session of the same template started within `REUSE_EMPTY_WITHIN`.
pub(crate) const REUSABLE_EMPTY: &str = "SELECT ws.id, ws.template_id, ws.workout_date, ws.local_date FROM workout_sessions ws \
     WHERE ws.user_id = $1 AND ws.created_at >= $2 AND ws.template_id IS NOT DISTINCT FROM $3 \
     AND NOT EXISTS (SELECT 1 FROM session_exercises se WHERE se.session_id = ws.id) \
     ORDER BY ws.created_at DESC, ws.id DESC LIMIT 1";

/// Copies one session's set lines into another, as they were stored (names, links, derived columns).
pub(crate) const COPY_LINES: &str = "INSERT INTO session_exercises (user_id, session_id, template_exercise_id, exercise_name, \
     resolved_exercise_name, set_order, set_type, weight, unit, weight_kg, reps, sets, rpe, rest_seconds, is_estimate, \
     is_default_applied, one_rm_estimate, volume_load, created_at) \
     SELECT user_id, $1, template_exercise_id, exercise_name, resolved_exercise_name, set_order, set_type, weight, unit, \
     weight_kg, reps, sets, rpe, rest_seconds, is_estimate, is_default_applied, one_rm_estimate, volume_load, $2 \
     FROM session_exercises WHERE user_id = $3 AND session_id = $4 ORDER BY id";

/// Empty sessions created before a moment (abandoned starts), for the periodic clean-up.
pub(crate) const DELETE_EMPTY: &str = "DELETE FROM workout_sessions WHERE created_at < $1 \
     AND NOT EXISTS (SELECT 1 FROM session_exercises se WHERE se.session_id = workout_sessions.id) \
     RETURNING user_id";

/// Starts a session at `workout_date` (at most a day after `now`), from one of the user's templates
/// or from scratch. Without `copy_from`, the user's empty session of the same template started
/// within `REUSE_EMPTY_WITHIN` is handed out again (moved to `workout_date`) instead of a new one;
/// the flag says whether it was. With `copy_from`, a new session starts with that session's lines.
pub async fn start(
    db: &Db,
    user: UserId,
    input: &StartInput,
    now: DateTime<Utc>,
) -> Result<(WorkoutView, bool), QueryError> {
    violations(
        check_workout_date("workoutDate", input.workout_date, now).err().into_iter().collect(),
    )?;
    let zone = user_zone(db, user).await?;
    let workout_date = to_millis(input.workout_date);
    let local = local_date(workout_date, zone);
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    if let Some(id) = input.template_id {
        ensure_owned(txn, user, Owned::Template, id).await?;
    }
    let backend = txn.get_database_backend();
    if input.copy_from.is_none() {
        let stmt = Statement::from_sql_and_values(
            backend,
            REUSABLE_EMPTY,
            [user.0.into(), (now - REUSE_EMPTY_WITHIN).into(), input.template_id.into()],
        );
        if let Some(found) = WorkoutView::find_by_statement(stmt).one(txn).await? {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "UPDATE workout_sessions SET workout_date = $1, local_date = $2, updated_at = $3 WHERE id = $4",
                [workout_date.into(), local.into(), now.into(), found.id.into()],
            ))
            .await?;
            write.commit().await?;
            let view = WorkoutView { workout_date, local_date: local, ..found };
            return Ok((view, true));
        }
    }
    let id = insert_session(txn, user, input.template_id, workout_date, local, now).await?;
    if let Some(source) = input.copy_from {
        ensure_owned(txn, user, Owned::Workout, source).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            COPY_LINES,
            [id.into(), now.into(), user.0.into(), source.into()],
        ))
        .await?;
        let mut tracker = Tracker::new(db, write.schema());
        tracker.day(user, local);
        tracker.apply(txn).await?;
    }
    write.commit().await?;
    Ok((WorkoutView { id, template_id: input.template_id, workout_date, local_date: local }, false))
}

/// Deletes every empty session created before `created_before` (abandoned starts); returns how
/// many. Sessions with set lines are never touched.
pub async fn delete_empty(db: &Db, created_before: DateTime<Utc>) -> Result<u64, QueryError> {
    #[derive(FromQueryResult)]
    struct Owner {
        user_id: i64,
    }
    let mut write = writes::begin_for_any(db).await?;
    let stmt = Statement::from_sql_and_values(
        write.get_database_backend(),
        DELETE_EMPTY,
        [created_before.into()],
    );
    let owners = Owner::find_by_statement(stmt).all(&*write).await?;
    for it in &owners {
        write.touches(UserId(it.user_id));
    }
    write.commit().await?;
    Ok(u64::try_from(owners.len()).unwrap_or(u64::MAX))
}

/// An instant at the millisecond precision every stored timestamp has.
fn to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

/// Inserts an empty session and returns its id.
async fn insert_session(
    txn: &DatabaseTransaction,
    user: UserId,
    template_id: Option<i64>,
    workout_date: DateTime<Utc>,
    local: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<i64, QueryError> {
    let stmt = Statement::from_sql_and_values(
        txn.get_database_backend(),
        "INSERT INTO workout_sessions (user_id, template_id, workout_date, local_date, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        [user.0.into(), template_id.into(), workout_date.into(), local.into(), now.into()],
    );
    Ok(Id::find_by_statement(stmt)
        .one(txn)
        .await?
        .ok_or(QueryError::Unavailable("insert returned no id"))?
        .id)
}

/// Replaces the set lines of one of the user's sessions, atomically. Set lines with no weight,
/// reps, RPE or rest are dropped, as the original did; returns the number of lines stored.
pub async fn save(
    db: &Db,
    user: UserId,
    session_id: i64,
    exercises: &[ExerciseInput],
    now: DateTime<Utc>,
) -> Result<usize, QueryError> {
    let names = validate(exercises)?;
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    ensure_owned(txn, user, Owned::Workout, session_id).await?;
    let mut tracker = Tracker::new(db, write.schema());
    let n_rows =
        replace_lines(db, txn, &mut tracker, user, session_id, exercises, &names, now).await?;
    tracker.apply(txn).await?;
    lifts::after_save(db, txn, user, &[session_id], now).await?;
    write.commit().await?;
    Ok(n_rows)
}

/// Replaces a session's set lines inside `txn` (the session is known to be the user's) and notes
/// its day for the summaries.
#[expect(clippy::too_many_arguments, reason = "one call site per save flavour; all are needed")]
async fn replace_lines(
    db: &Db,
    txn: &DatabaseTransaction,
    tracker: &mut Tracker<'_>,
    user: UserId,
    session_id: i64,
    exercises: &[ExerciseInput],
    names: &[String],
    now: DateTime<Utc>,
) -> Result<usize, QueryError> {
    let mut te_ids: Vec<i64> = exercises.iter().filter_map(|it| it.template_exercise_id).collect();
    te_ids.sort_unstable();
    te_ids.dedup();
    let resolved = load_resolved_exercise_name_map(db, txn, user, &te_ids).await?;
    if let Some(missing) = te_ids.iter().find(|id| !resolved.contains_key(id)) {
        return Err(QueryError::NotFound { entity: "template exercise", id: *missing });
    }
    // The session's row lock first: two saves into one session take turns, and the second's
    // DELETE sees the first's lines (PostgreSQL's READ COMMITTED would otherwise let both sets
    // of lines survive; SQLite's BEGIN IMMEDIATE already serializes writers).
    txn.execute_raw(Statement::from_sql_and_values(
        txn.get_database_backend(),
        "UPDATE workout_sessions SET updated_at = $1 WHERE id = $2",
        [now.into(), session_id.into()],
    ))
    .await?;
    tracker.rows(txn, user, Rows::Sessions, &[session_id]).await?;
    txn.execute_raw(Statement::from_sql_and_values(
        txn.get_database_backend(),
        "DELETE FROM session_exercises WHERE session_id = $1",
        [session_id.into()],
    ))
    .await?;
    let mut rows = Vec::new();
    for (exercise, name) in exercises.iter().zip(names) {
        let resolved_name = exercise
            .template_exercise_id
            .and_then(|id| resolved.get(&id))
            .map_or_else(|| name.clone(), |it| it.name.clone());
        let lines = exercise.sets.iter().filter(|s| {
            s.weight.is_some() || s.reps.is_some() || s.rpe.is_some() || s.rest_seconds.is_some()
        });
        for (set_order, set) in lines.enumerate() {
            let derived = DerivedSet::compute(set.weight, set.unit, set.reps, set.sets);
            rows.push(session_exercise::ActiveModel {
                id: NotSet,
                user_id: Set(user.0),
                session_id: Set(session_id),
                template_exercise_id: Set(exercise.template_exercise_id),
                exercise_name: Set(name.clone()),
                resolved_exercise_name: Set(resolved_name.clone()),
                set_order: Set(i32::try_from(set_order).unwrap_or(i32::MAX)),
                set_type: Set(set.set_type.as_str().to_owned()),
                weight: Set(set.weight),
                unit: Set(set.unit.as_str().to_owned()),
                weight_kg: Set(derived.weight_kg),
                reps: Set(set.reps),
                sets: Set(set.sets.unwrap_or(1)),
                rpe: Set(set.rpe),
                rest_seconds: Set(set.rest_seconds),
                is_estimate: Set(set.is_estimate),
                is_default_applied: Set(set.is_default_applied),
                one_rm_estimate: Set(derived.one_rm_estimate),
                volume_load: Set(derived.volume_load),
                created_at: Set(now),
            });
        }
    }
    let n_rows = rows.len();
    for stmt in
        insert_statements(txn.get_database_backend(), rows, db.param_limit).map_err(bulk_error)?
    {
        txn.execute_raw(stmt).await?;
    }
    Ok(n_rows)
}

fn bulk_error(err: db::BulkError) -> QueryError {
    match err {
        db::BulkError::Db(it) => QueryError::from(it),
        _ => QueryError::Unavailable("a set line does not fit the parameter limit"),
    }
}

/// Changes weight, unit and reps of stored set lines and re-derives their canonical columns; every
/// id must be one of the user's set lines, else nothing changes.
pub async fn update_sets(
    db: &Db,
    user: UserId,
    updates: &[SetUpdate],
    now: DateTime<Utc>,
) -> Result<(), QueryError> {
    let mut found = Vec::new();
    for (idx, it) in updates.iter().enumerate() {
        check_set(&format!("updates[{idx}]"), it.weight, it.unit, it.reps, &mut found);
    }
    violations(found)?;
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let ids: Vec<i64> = updates.iter().map(|it| it.id).collect();
    // The user's lines among `ids`, with their repeat counts (needed to re-derive volume). The
    // unary `+` keeps SQLite from walking every line of the user through the
    // `(user_id, resolved_exercise_name, session_id)` index instead of seeking each id: that
    // plan made updateSets 1.5-2.6x slower at phase 1 than at phase 0 (BENCHMARKS.md).
    let mut owned = std::collections::HashMap::new();
    let mut sessions = Vec::new();
    for chunk in in_list_chunks(&ids, 1, db.param_limit) {
        let sql = format!(
            "SELECT id, session_id, sets FROM session_exercises WHERE +user_id = $1 AND id IN ({})",
            placeholders(2, chunk.len())
        );
        let values =
            std::iter::once(Value::from(user.0)).chain(chunk.iter().map(|id| Value::from(*id)));
        let stmt = Statement::from_sql_and_values(txn.get_database_backend(), sql, values);
        owned.extend(OwnedLine::find_by_statement(stmt).all(txn).await?.into_iter().map(|it| {
            sessions.push(it.session_id);
            (it.id, it.sets)
        }));
    }
    if let Some(missing) = ids.iter().find(|id| !owned.contains_key(id)) {
        return Err(QueryError::NotFound { entity: "set", id: *missing });
    }
    let mut tracker = Tracker::new(db, write.schema());
    tracker.rows(txn, user, Rows::Lines, &ids).await?;
    for it in updates {
        let sets = owned.get(&it.id).copied();
        let derived = DerivedSet::compute(it.weight, it.unit, it.reps, sets);
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "UPDATE session_exercises SET weight = $1, unit = $2, reps = $3, weight_kg = $4, one_rm_estimate = $5, \
             volume_load = $6 WHERE id = $7 AND user_id = $8",
            [
                it.weight.into(),
                it.unit.as_str().into(),
                it.reps.into(),
                derived.weight_kg.into(),
                derived.one_rm_estimate.into(),
                derived.volume_load.into(),
                it.id.into(),
                user.0.into(),
            ],
        ))
        .await?;
    }
    tracker.apply(txn).await?;
    lifts::after_save(db, txn, user, &sessions, now).await?;
    write.commit().await?;
    Ok(())
}

/// Deletes one of the user's sessions and its set lines (by cascade), and recomputes the
/// summaries of its day, in one transaction.
pub async fn delete(db: &Db, user: UserId, session_id: i64) -> Result<(), QueryError> {
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let mut tracker = Tracker::new(db, write.schema());
    tracker.rows(txn, user, Rows::Sessions, &[session_id]).await?;
    delete_owned(txn, user, Owned::Workout, session_id).await?;
    tracker.apply(txn).await?;
    write.commit().await?;
    Ok(())
}

pub(crate) const REPLAY: &str = "SELECT ws.id, ws.template_id, ws.workout_date, ws.local_date FROM workout_client_keys k \
     JOIN workout_sessions ws ON ws.id = k.session_id WHERE k.user_id = $1 AND k.client_key = $2";

/// A whole workout as a client saves it, identified by the client's key: into a started session
/// (`session_id`) or, offline, as a new one.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkoutInput {
    pub client_key: String,
    /// The started session to save into; `None` creates one.
    pub session_id: Option<i64>,
    pub template_id: Option<i64>,
    /// Required when creating; when saving into a session, moves it if given.
    pub workout_date: Option<DateTime<Utc>>,
    pub exercises: Vec<ExerciseInput>,
}

/// Saves a workout in one transaction, idempotently: a replay of the same client key returns the
/// session the first call saved, writes nothing, and says it was a replay.
pub async fn save_workout(
    db: &Db,
    user: UserId,
    input: &WorkoutInput,
    now: DateTime<Utc>,
) -> Result<(WorkoutView, bool), QueryError> {
    let names = validate_workout(input, now, "")?;
    let zone = user_zone(db, user).await?;
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let mut tracker = Tracker::new(db, write.schema());
    let res = save_workout_in(db, txn, &mut tracker, user, input, &names, zone, now).await?;
    tracker.apply(txn).await?;
    if !res.1 {
        lifts::after_save(db, txn, user, &[res.0.id], now).await?;
    }
    write.commit().await?;
    Ok(res)
}

/// An offline queue's batch: every item validated first (fields named `inputs[i].…`), then all
/// saved in one transaction, so a refused item leaves nothing written. Each item is idempotent by
/// its client key, so replaying the whole batch (or a key twice in it) writes nothing new.
pub async fn save_workouts(
    db: &Db,
    user: UserId,
    inputs: &[WorkoutInput],
    now: DateTime<Utc>,
) -> Result<Vec<(WorkoutView, bool)>, QueryError> {
    let mut found = Vec::new();
    let mut names = Vec::with_capacity(inputs.len());
    for (idx, input) in inputs.iter().enumerate() {
        match validate_workout(input, now, &format!("inputs[{idx}].")) {
            Ok(it) => names.push(it),
            Err(QueryError::Invalid(ValidationError(it))) => found.extend(it),
            Err(other) => return Err(other),
        }
    }
    violations(found)?;
    let zone = user_zone(db, user).await?;
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let mut res = Vec::with_capacity(inputs.len());
    let mut tracker = Tracker::new(db, write.schema());
    for (input, names) in inputs.iter().zip(&names) {
        res.push(save_workout_in(db, txn, &mut tracker, user, input, names, zone, now).await?);
    }
    tracker.apply(txn).await?;
    let saved: Vec<i64> = res.iter().filter(|it| !it.1).map(|it| it.0.id).collect();
    lifts::after_save(db, txn, user, &saved, now).await?;
    write.commit().await?;
    Ok(res)
}

/// Checks a workout; every field path starts with `prefix`. Returns the trimmed names.
fn validate_workout(
    input: &WorkoutInput,
    now: DateTime<Utc>,
    prefix: &str,
) -> Result<Vec<String>, QueryError> {
    let mut found = Vec::new();
    found.extend(check_name("clientKey", &input.client_key).err());
    match input.workout_date {
        Some(at) => found.extend(check_workout_date("workoutDate", at, now).err()),
        None if input.session_id.is_none() => found.push(Violation {
            field: "workoutDate".to_owned(),
            rule: "required when no workoutId is given".to_owned(),
        }),
        None => {}
    }
    let names = match validate(&input.exercises) {
        Ok(names) => names,
        Err(QueryError::Invalid(ValidationError(it))) => {
            found.extend(it);
            Vec::new()
        }
        Err(other) => return Err(other),
    };
    for it in &mut found {
        it.field.insert_str(0, prefix);
    }
    violations(found)?;
    Ok(names)
}

/// Saves one validated workout inside `txn`, under a savepoint of its own; notes the days it
/// touches in `tracker` (the caller applies them before committing).
#[expect(clippy::too_many_arguments, reason = "the batch and the single save share it")]
async fn save_workout_in(
    db: &Db,
    txn: &DatabaseTransaction,
    tracker: &mut Tracker<'_>,
    user: UserId,
    input: &WorkoutInput,
    names: &[String],
    zone: UserTimeZone,
    now: DateTime<Utc>,
) -> Result<(WorkoutView, bool), QueryError> {
    let key = input.client_key.trim();
    // Below phase 1 there is no table of client keys: the original's save had no idempotency,
    // and a phase-0 database saves every call (the baseline of the load comparison).
    let keyed = tracker.schema().has_client_keys();
    if keyed && let Some(existing) = replayed(txn, user, key).await? {
        return Ok((existing, true));
    }
    let savepoint = writes::savepoint(txn).await?;
    let item: &DatabaseTransaction = &savepoint;
    if let Some(id) = input.template_id {
        ensure_owned(item, user, Owned::Template, id).await?;
    }
    let backend = item.get_database_backend();
    let id = if let Some(id) = input.session_id {
        ensure_owned(item, user, Owned::Workout, id).await?;
        // The day it leaves, if the save moves it (`replace_lines` notes the day it lands on).
        tracker.rows(item, user, Rows::Sessions, &[id]).await?;
        let date = input.workout_date.map(to_millis);
        item.execute_raw(Statement::from_sql_and_values(
                backend,
                "UPDATE workout_sessions SET workout_date = COALESCE($1, workout_date), \
                 local_date = COALESCE($2, local_date), template_id = COALESCE($3, template_id) WHERE id = $4",
                [
                    date.into(),
                    date.map(|it| local_date(it, zone)).into(),
                    input.template_id.into(),
                    id.into(),
                ],
            ))
            .await?;
        id
    } else {
        let date = to_millis(input.workout_date.unwrap_or(now));
        insert_session(item, user, input.template_id, date, local_date(date, zone), now).await?
    };
    let claimed = if keyed {
        item.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO workout_client_keys (user_id, client_key, session_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, client_key) DO NOTHING",
            [user.0.into(), key.into(), id.into(), now.into()],
        ))
        .await?
        .rows_affected()
    } else {
        1
    };
    if claimed == 0 {
        // A concurrent request committed the key first: undo ours and answer with theirs.
        savepoint.rollback().await?;
        let existing = replayed(txn, user, key)
            .await?
            .ok_or(QueryError::Unavailable("client key vanished"))?;
        return Ok((existing, true));
    }
    replace_lines(db, item, tracker, user, id, &input.exercises, names, now).await?;
    let stmt = Statement::from_sql_and_values(
        backend,
        super::read::WORKOUT_BY_ID,
        [user.0.into(), id.into()],
    );
    let saved = WorkoutView::find_by_statement(stmt)
        .one(item)
        .await?
        .ok_or(QueryError::NotFound { entity: "workout", id })?;
    savepoint.release().await?;
    Ok((saved, false))
}

async fn replayed<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    key: &str,
) -> Result<Option<WorkoutView>, QueryError> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        REPLAY,
        [user.0.into(), key.into()],
    );
    Ok(WorkoutView::find_by_statement(stmt).one(conn).await?)
}
