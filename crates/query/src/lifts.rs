//! Key lifts, plateaus, milestones and PR forecasts (the original's `plateau-milestone.ts`).
//!
//! The rules are `domain`'s (`detect_plateau`, `forecast`, `default_multiples`); this module reads
//! an exercise's recent workouts for them and stores what they find. An exercise is a master
//! exercise, and its set lines are those whose resolved name is the master's name — the same
//! identity every progress read uses (the original compared a name with a numeric id and so
//! never found a line). Counted lines only (warm-ups never count), kilograms.
//!
//! Detection runs on save: every write that stores set lines calls [`after_save`] in its own
//! transaction, which records the milestones the saved workouts reached and re-detects the
//! plateaus of the user's tracked key lifts among them (a plateau a new record broke is resolved).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    ExperienceLevel, Forecast, Limits, MilestoneType, PlateauStatus, Severity, Stall, Trajectory,
    ValidationError, Violation, WorkoutBest, check_range, default_multiples, detect_plateau,
    forecast,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult, Statement, Value};

use crate::owned::{Owned, ensure_owned};
use crate::sql::stmt;
use crate::{Db, QueryError, UserId, writes};
use db::chunk::{in_list_chunks, placeholders};

fn raw<C: ConnectionTrait>(conn: &C, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(conn.get_database_backend(), sql, values)
}

fn limit_value(limit: u64) -> Value {
    i64::try_from(limit).unwrap_or(i64::MAX).into()
}

fn invalid(field: &str, rule: impl Into<String>) -> QueryError {
    QueryError::Invalid(ValidationError(vec![Violation {
        field: field.to_owned(),
        rule: rule.into(),
    }]))
}

// ---------------------------------------------------------------------------------------------
// Reading an exercise's workouts.

/// The user's master `id`: its name and normalized name; `NotFound` if it is not theirs.
async fn master<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    id: i64,
) -> Result<(String, String), QueryError> {
    #[derive(FromQueryResult)]
    struct Master {
        name: String,
        normalized_name: String,
    }
    let sql = "SELECT name, normalized_name FROM master_exercises WHERE id = $1 AND user_id = $2";
    Master::find_by_statement(raw(conn, sql, vec![id.into(), user.0.into()]))
        .one(conn)
        .await?
        .map(|it| (it.name, it.normalized_name))
        .ok_or(QueryError::NotFound { entity: "master exercise", id })
}

/// The counted lines of the exercise named `$2` in its latest `RECENT_WORKOUTS` workouts,
/// oldest workout first.
pub(crate) const RECENT_LINES: &str = "SELECT ws.id AS session_id, ws.local_date AS local_date, se.weight_kg AS weight_kg, \
     se.reps AS reps, se.one_rm_estimate AS one_rm \
     FROM session_exercises se JOIN workout_sessions ws ON ws.id = se.session_id \
     WHERE se.user_id = $1 AND se.resolved_exercise_name = $2 AND se.set_type <> 'warmup' \
       AND se.session_id IN (SELECT r.session_id FROM (SELECT s.id AS session_id, s.workout_date AS at \
         FROM workout_sessions s WHERE s.user_id = $1 AND EXISTS (SELECT 1 FROM session_exercises x \
           WHERE x.session_id = s.id AND x.resolved_exercise_name = $2 AND x.set_type <> 'warmup') \
         ORDER BY s.workout_date DESC, s.id DESC LIMIT $3) r) \
     ORDER BY ws.workout_date, ws.id";

#[derive(Debug, FromQueryResult)]
struct Line {
    session_id: i64,
    local_date: NaiveDate,
    weight_kg: Option<f64>,
    reps: Option<i32>,
    one_rm: Option<f64>,
}

/// Each of the exercise's latest workouts reduced to its top set and best e1RM, oldest first.
/// A line without a weight counts as 0 kg (bodyweight work progresses by reps).
async fn recent_workouts<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    name: &str,
) -> Result<Vec<WorkoutBest>, QueryError> {
    let limit = limit_value(u64::try_from(domain::RECENT_WORKOUTS).unwrap_or(u64::MAX));
    let lines =
        Line::find_by_statement(raw(conn, RECENT_LINES, vec![user.0.into(), name.into(), limit]))
            .all(conn)
            .await?;
    let mut res: Vec<(i64, WorkoutBest)> = Vec::new();
    for line in lines {
        let weight = line.weight_kg.unwrap_or(0.0);
        let reps = line.reps.unwrap_or(0);
        match res.last_mut() {
            Some((session, best)) if *session == line.session_id => {
                if (crate::progress::grams(weight), reps)
                    > (crate::progress::grams(best.top_weight_kg), best.top_reps)
                {
                    best.top_weight_kg = weight;
                    best.top_reps = reps;
                }
                best.best_one_rm = match (best.best_one_rm, line.one_rm) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
            }
            _ => res.push((
                line.session_id,
                WorkoutBest {
                    local_date: line.local_date,
                    top_weight_kg: weight,
                    top_reps: reps,
                    best_one_rm: line.one_rm,
                },
            )),
        }
    }
    Ok(res.into_iter().map(|it| it.1).collect())
}

/// The user's experience level, bodyweight and progression step (defaults without preferences).
async fn lifter<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
) -> Result<(ExperienceLevel, Option<f64>, f64), QueryError> {
    #[derive(FromQueryResult)]
    struct Lifter {
        experience_level: String,
        bodyweight_kg: Option<f64>,
        linear_progression_kg: f64,
    }
    let sql = "SELECT experience_level, bodyweight_kg, linear_progression_kg FROM user_preferences WHERE user_id = $1";
    match Lifter::find_by_statement(raw(conn, sql, vec![user.0.into()])).one(conn).await? {
        Some(it) => Ok((
            QueryError::parse_stored("user_preferences.experience_level", it.experience_level)?,
            it.bodyweight_kg,
            it.linear_progression_kg,
        )),
        None => Ok((ExperienceLevel::Intermediate, None, 2.5)),
    }
}

// ---------------------------------------------------------------------------------------------
// Key lifts.

/// A key lift with its exercise's name.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct KeyLiftView {
    pub id: i64,
    pub master_exercise_id: i64,
    pub exercise_name: String,
    pub is_tracking: bool,
    pub maintenance_mode: bool,
    pub created_at: DateTime<Utc>,
}

/// How many key lifts the user has, tracked, and in maintenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, FromQueryResult)]
pub struct KeyLiftCounts {
    pub total: i64,
    pub tracking: i64,
    pub maintenance: i64,
}

const KEY_LIFT: &str = "SELECT k.id, k.master_exercise_id, me.name AS exercise_name, k.is_tracking, k.maintenance_mode, k.created_at \
     FROM key_lifts k JOIN master_exercises me ON me.id = k.master_exercise_id";

/// A page of the user's key lifts, newest first (`$2`: tracked ones only), after id `$3`.
pub(crate) fn key_lifts_sql() -> String {
    format!(
        "{KEY_LIFT} WHERE k.user_id = $1 AND (k.is_tracking OR NOT $2) AND k.id < $3 ORDER BY k.id DESC LIMIT $4"
    )
}

pub(crate) const KEY_LIFT_COUNTS: &str = "SELECT COUNT(*) AS total, \
     COALESCE(SUM(CASE WHEN is_tracking THEN 1 ELSE 0 END), 0) AS tracking, \
     COALESCE(SUM(CASE WHEN maintenance_mode THEN 1 ELSE 0 END), 0) AS maintenance \
     FROM key_lifts WHERE user_id = $1";

/// A page of the user's key lifts (newest first) and their counts.
pub async fn key_lifts(
    db: &Db,
    user: UserId,
    tracking_only: bool,
    after: Option<i64>,
    limit: u64,
) -> Result<(Vec<KeyLiftView>, KeyLiftCounts), QueryError> {
    let values = vec![
        user.0.into(),
        tracking_only.into(),
        after.unwrap_or(i64::MAX).into(),
        limit_value(limit),
    ];
    let page =
        KeyLiftView::find_by_statement(stmt(db, &key_lifts_sql(), values)).all(&db.conn).await?;
    let counts = KeyLiftCounts::find_by_statement(stmt(db, KEY_LIFT_COUNTS, vec![user.0.into()]))
        .one(&db.conn)
        .await?
        .unwrap_or_default();
    Ok((page, counts))
}

async fn key_lift_of<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    master_id: i64,
) -> Result<Option<KeyLiftView>, QueryError> {
    let sql = format!("{KEY_LIFT} WHERE k.user_id = $1 AND k.master_exercise_id = $2");
    Ok(KeyLiftView::find_by_statement(raw(conn, &sql, vec![user.0.into(), master_id.into()]))
        .one(conn)
        .await?)
}

/// Makes one of the user's master exercises a key lift, with the default milestones of its kind
/// of lift (and those its history already reached); refused if it is one already.
pub async fn add_key_lift(
    db: &Db,
    user: UserId,
    master_id: i64,
    tracking: bool,
    maintenance: bool,
    now: DateTime<Utc>,
) -> Result<KeyLiftView, QueryError> {
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let (_, normalized) = master(txn, user, master_id).await?;
    let inserted = txn
        .execute_raw(raw(
            txn,
            "INSERT INTO key_lifts (user_id, master_exercise_id, is_tracking, maintenance_mode, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (user_id, master_exercise_id) DO NOTHING",
            vec![user.0.into(), master_id.into(), tracking.into(), maintenance.into(), now.into()],
        ))
        .await?
        .rows_affected();
    if inserted == 0 {
        return Err(invalid("masterExerciseId", "is a key lift already"));
    }
    let (level, _, _) = lifter(txn, user).await?;
    for multiple in default_multiples(&normalized, level) {
        insert_milestone(
            txn,
            user,
            master_id,
            MilestoneType::BodyweightMultiplier,
            multiple,
            true,
            level,
            now,
        )
        .await?;
    }
    record_achievements(db, txn, user, Scope::Master(master_id)).await?;
    let res = key_lift_of(txn, user, master_id)
        .await?
        .ok_or(QueryError::Unavailable("key lift vanished"))?;
    write.commit().await?;
    Ok(res)
}

/// What a toggle does to a key lift (created when missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLiftAction {
    /// Tracked, out of maintenance.
    Track,
    /// Neither tracked nor in maintenance.
    Untrack,
    /// In maintenance: listed, but out of plateau detection.
    Maintenance,
}

/// Which exercise a toggle addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiftTarget {
    Master(i64),
    /// A template line: its linked master, or a master created (or found by name) and linked.
    TemplateExercise(i64),
}

/// Sets a key lift's switches, creating the key lift (and for a template line, the master and
/// the link) when missing.
pub async fn toggle_key_lift(
    db: &Db,
    user: UserId,
    target: LiftTarget,
    action: KeyLiftAction,
    now: DateTime<Utc>,
) -> Result<KeyLiftView, QueryError> {
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let master_id = match target {
        LiftTarget::Master(id) => {
            ensure_owned(txn, user, Owned::MasterExercise, id).await?;
            id
        }
        LiftTarget::TemplateExercise(id) => {
            crate::templates::master_of_line(db, write.schema(), txn, user, id, now).await?
        }
    };
    // What the action sets on an existing key lift; `None` keeps the stored switch.
    let (tracking, maintenance) = match action {
        KeyLiftAction::Track => (Some(true), Some(false)),
        KeyLiftAction::Untrack => (Some(false), Some(false)),
        KeyLiftAction::Maintenance => (None, Some(true)),
    };
    txn.execute_raw(raw(
        txn,
        "INSERT INTO key_lifts (user_id, master_exercise_id, is_tracking, maintenance_mode, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (user_id, master_exercise_id) DO UPDATE SET \
         is_tracking = COALESCE($6, key_lifts.is_tracking), maintenance_mode = COALESCE($7, key_lifts.maintenance_mode), \
         updated_at = excluded.updated_at",
        vec![
            user.0.into(),
            master_id.into(),
            (action == KeyLiftAction::Track).into(),
            (action == KeyLiftAction::Maintenance).into(),
            now.into(),
            tracking.into(),
            maintenance.into(),
        ],
    ))
    .await?;
    let res = key_lift_of(txn, user, master_id)
        .await?
        .ok_or(QueryError::Unavailable("key lift vanished"))?;
    write.commit().await?;
    Ok(res)
}

// ---------------------------------------------------------------------------------------------
// Plateaus.

/// A stored plateau with its exercise's name.
#[derive(Debug, Clone, PartialEq)]
pub struct PlateauView {
    pub id: i64,
    pub master_exercise_id: i64,
    pub exercise_name: String,
    pub stalled_weight_kg: f64,
    pub stalled_reps: i32,
    pub session_count: i32,
    pub severity: Severity,
    pub status: PlateauStatus,
    pub detected_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, FromQueryResult)]
struct PlateauRow {
    id: i64,
    master_exercise_id: i64,
    exercise_name: String,
    stalled_weight_kg: f64,
    stalled_reps: i32,
    session_count: i32,
    confidence: String,
    status: String,
    detected_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
}

impl TryFrom<PlateauRow> for PlateauView {
    type Error = QueryError;

    fn try_from(it: PlateauRow) -> Result<Self, QueryError> {
        Ok(Self {
            id: it.id,
            master_exercise_id: it.master_exercise_id,
            exercise_name: it.exercise_name,
            stalled_weight_kg: it.stalled_weight_kg,
            stalled_reps: it.stalled_reps,
            session_count: it.session_count,
            severity: QueryError::parse_stored("plateaus.confidence", it.confidence)?,
            status: QueryError::parse_stored("plateaus.status", it.status)?,
            detected_at: it.detected_at,
            resolved_at: it.resolved_at,
        })
    }
}

const PLATEAU: &str = "SELECT p.id, p.master_exercise_id, me.name AS exercise_name, p.stalled_weight_kg, p.stalled_reps, \
     p.session_count, p.confidence, p.status, p.detected_at, p.resolved_at \
     FROM plateaus p JOIN master_exercises me ON me.id = p.master_exercise_id";

/// How many of the user's plateaus are active and resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, FromQueryResult)]
pub struct PlateauCounts {
    pub active: i64,
    pub resolved: i64,
}

/// A page of the user's plateaus of status `$2` (all for ''), latest first, after id `$3`.
pub(crate) fn plateaus_page_sql() -> String {
    format!(
        "{PLATEAU} WHERE p.user_id = $1 AND (p.status = $2 OR $2 = '') AND p.id < $3 ORDER BY p.id DESC LIMIT $4"
    )
}

/// A page of the user's plateaus (of `status`, or all), latest first, and their counts.
pub async fn plateaus(
    db: &Db,
    user: UserId,
    status: Option<PlateauStatus>,
    after: Option<i64>,
    limit: u64,
) -> Result<(Vec<PlateauView>, PlateauCounts), QueryError> {
    let sql = plateaus_page_sql();
    let values = vec![
        user.0.into(),
        status.map_or("", PlateauStatus::as_str).into(),
        after.unwrap_or(i64::MAX).into(),
        limit_value(limit),
    ];
    let rows = PlateauRow::find_by_statement(stmt(db, &sql, values)).all(&db.conn).await?;
    let counts = PlateauCounts::find_by_statement(stmt(
        db,
        "SELECT COALESCE(SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), 0) AS active, \
         COALESCE(SUM(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END), 0) AS resolved FROM plateaus WHERE user_id = $1",
        vec![user.0.into()],
    ))
    .one(&db.conn)
    .await?
    .unwrap_or_default();
    Ok((rows.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?, counts))
}

/// The user's active plateau of one master exercise, if any.
pub async fn active_plateau(
    db: &Db,
    user: UserId,
    master_id: i64,
) -> Result<Option<PlateauView>, QueryError> {
    active_plateau_in(&db.conn, user, master_id).await
}

async fn active_plateau_in<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    master_id: i64,
) -> Result<Option<PlateauView>, QueryError> {
    let sql = format!(
        "{PLATEAU} WHERE p.user_id = $1 AND p.master_exercise_id = $2 AND p.status = 'active'"
    );
    PlateauRow::find_by_statement(raw(conn, &sql, vec![user.0.into(), master_id.into()]))
        .one(conn)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// Stores what detection found for one exercise: the active plateau created or updated, or —
/// when there is no stall any more — resolved.
async fn store_detection(
    txn: &DatabaseTransaction,
    user: UserId,
    master_id: i64,
    stall: Option<Stall>,
    now: DateTime<Utc>,
) -> Result<(), QueryError> {
    let Some(stall) = stall else {
        txn.execute_raw(raw(
            txn,
            "UPDATE plateaus SET status = 'resolved', resolved_at = $3 WHERE user_id = $1 AND master_exercise_id = $2 AND status = 'active'",
            vec![user.0.into(), master_id.into(), now.into()],
        ))
        .await?;
        return Ok(());
    };
    let workouts = i32::try_from(stall.workouts).unwrap_or(i32::MAX);
    let values = || -> Vec<Value> {
        vec![
            user.0.into(),
            master_id.into(),
            stall.weight_kg.into(),
            stall.reps.into(),
            workouts.into(),
            stall.severity.as_str().into(),
        ]
    };
    let updated = txn
        .execute_raw(raw(
            txn,
            "UPDATE plateaus SET stalled_weight_kg = $3, stalled_reps = $4, session_count = $5, confidence = $6 \
             WHERE user_id = $1 AND master_exercise_id = $2 AND status = 'active'",
            values(),
        ))
        .await?
        .rows_affected();
    if updated == 0 {
        let mut insert = values();
        insert.push(now.into());
        txn.execute_raw(raw(
            txn,
            "INSERT INTO plateaus (user_id, master_exercise_id, stalled_weight_kg, stalled_reps, session_count, confidence, status, detected_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'active', $7)",
            insert,
        ))
        .await?;
    }
    Ok(())
}

/// Detects a plateau of one of the user's master exercises now and stores the result (a
/// plateau no longer there is resolved); only tracked key lifts out of maintenance are detected,
/// as in the original. Returns the active plateau.
pub async fn detect(
    db: &Db,
    user: UserId,
    master_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<PlateauView>, QueryError> {
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let (name, _) = master(txn, user, master_id).await?;
    let tracked = key_lift_of(txn, user, master_id)
        .await?
        .is_some_and(|k| k.is_tracking && !k.maintenance_mode);
    if tracked {
        let stall = detect_plateau(&recent_workouts(txn, user, &name).await?);
        store_detection(txn, user, master_id, stall, now).await?;
    }
    let res = active_plateau_in(txn, user, master_id).await?;
    write.commit().await?;
    Ok(res)
}

/// Marks one of the user's plateaus resolved (kept as it is if it was already).
pub async fn resolve_plateau(
    db: &Db,
    user: UserId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<PlateauView, QueryError> {
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    txn.execute_raw(raw(
        txn,
        "UPDATE plateaus SET status = 'resolved', resolved_at = $3 WHERE id = $1 AND user_id = $2 AND status = 'active'",
        vec![id.into(), user.0.into(), now.into()],
    ))
    .await?;
    let sql = format!("{PLATEAU} WHERE p.id = $1 AND p.user_id = $2");
    let res = PlateauRow::find_by_statement(raw(txn, &sql, vec![id.into(), user.0.into()]))
        .one(txn)
        .await?
        .ok_or(QueryError::NotFound { entity: "plateau", id })?
        .try_into()?;
    write.commit().await?;
    Ok(res)
}

/// The user's experience level (for advice).
pub async fn experience_level(db: &Db, user: UserId) -> Result<ExperienceLevel, QueryError> {
    Ok(lifter(&db.conn, user).await?.0)
}

// ---------------------------------------------------------------------------------------------
// Milestones.

/// A milestone with its progress.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneView {
    pub id: i64,
    pub master_exercise_id: i64,
    pub exercise_name: String,
    pub kind: MilestoneType,
    /// Kilograms, a bodyweight multiple, or kilograms moved in one workout.
    pub target_value: f64,
    pub is_system_default: bool,
    pub is_customized: bool,
    pub experience_level: ExperienceLevel,
    pub created_at: DateTime<Utc>,
    pub achieved_at: Option<DateTime<Utc>>,
    pub achieved_value: Option<f64>,
    pub achieved_session_id: Option<i64>,
    /// The best value so far; none for a bodyweight multiple without a bodyweight.
    pub current_value: Option<f64>,
}

#[derive(Debug, FromQueryResult)]
struct MilestoneRow {
    id: i64,
    master_exercise_id: i64,
    exercise_name: String,
    milestone_type: String,
    target_value: f64,
    is_system_default: bool,
    is_customized: bool,
    experience_level: String,
    created_at: DateTime<Utc>,
    achieved_at: Option<DateTime<Utc>>,
    achieved_value: Option<f64>,
    achieved_session_id: Option<i64>,
}

const MILESTONE: &str = "SELECT m.id, m.master_exercise_id, me.name AS exercise_name, m.milestone_type, m.target_value, \
     m.is_system_default, m.is_customized, m.experience_level, m.created_at, a.achieved_at, a.achieved_value, \
     a.session_id AS achieved_session_id \
     FROM milestones m JOIN master_exercises me ON me.id = m.master_exercise_id \
     LEFT JOIN milestone_achievements a ON a.milestone_id = m.id AND a.user_id = m.user_id";

/// How many milestones the user has, and how many are achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, FromQueryResult)]
pub struct MilestoneCounts {
    pub total: i64,
    pub achieved: i64,
}

/// Per master exercise: the heaviest counted weight and the most kilograms moved in one workout.
pub(crate) fn bests_sql(n: usize) -> String {
    format!(
        "SELECT me.id AS master_exercise_id, MAX(s.top) AS top, MAX(s.volume) AS volume FROM master_exercises me \
         JOIN (SELECT se.session_id, se.resolved_exercise_name AS name, MAX(se.weight_kg) AS top, \
               COALESCE(SUM(se.volume_load), 0) AS volume FROM session_exercises se \
               WHERE se.user_id = $1 AND se.set_type <> 'warmup' AND se.resolved_exercise_name IN \
                 (SELECT name FROM master_exercises WHERE user_id = $1 AND id IN ({ids})) \
               GROUP BY se.session_id, se.resolved_exercise_name) s ON s.name = me.name \
         WHERE me.user_id = $1 AND me.id IN ({ids}) GROUP BY me.id",
        ids = placeholders(2, n)
    )
}

/// A page of the user's milestones (all, achieved only, or upcoming only), newest first, after
/// id `$2`.
pub(crate) fn milestones_page_sql(achieved: Option<bool>) -> String {
    let filter = match achieved {
        None => "",
        Some(true) => " AND a.id IS NOT NULL",
        Some(false) => " AND a.id IS NULL",
    };
    format!("{MILESTONE} WHERE m.user_id = $1 AND m.id < $2{filter} ORDER BY m.id DESC LIMIT $3")
}

/// A page of the user's milestones (all, achieved only, or upcoming only), newest first, each
/// with the best value reached so far; and the counts.
pub async fn milestones(
    db: &Db,
    user: UserId,
    achieved: Option<bool>,
    after: Option<i64>,
    limit: u64,
) -> Result<(Vec<MilestoneView>, MilestoneCounts), QueryError> {
    let sql = milestones_page_sql(achieved);
    let values = vec![user.0.into(), after.unwrap_or(i64::MAX).into(), limit_value(limit)];
    let rows = MilestoneRow::find_by_statement(stmt(db, &sql, values)).all(&db.conn).await?;
    let counts = MilestoneCounts::find_by_statement(stmt(
        db,
        "SELECT COUNT(*) AS total, COUNT(a.id) AS achieved FROM milestones m \
         LEFT JOIN milestone_achievements a ON a.milestone_id = m.id AND a.user_id = m.user_id WHERE m.user_id = $1",
        vec![user.0.into()],
    ))
    .one(&db.conn)
    .await?
    .unwrap_or_default();
    let views = with_progress(db, &db.conn, user, rows).await?;
    Ok((views, counts))
}

/// The rows as views, each with its exercise's best value so far (one statement per chunk of
/// exercises, plus the bodyweight when a multiple needs it).
async fn with_progress<C: ConnectionTrait>(
    db: &Db,
    conn: &C,
    user: UserId,
    rows: Vec<MilestoneRow>,
) -> Result<Vec<MilestoneView>, QueryError> {
    #[derive(FromQueryResult)]
    struct Best {
        master_exercise_id: i64,
        top: Option<f64>,
        volume: Option<f64>,
    }
    let mut masters: Vec<i64> = rows.iter().map(|it| it.master_exercise_id).collect();
    masters.sort_unstable();
    masters.dedup();
    let mut bests = BTreeMap::new();
    // The id list appears twice in the statement under the same numbered parameters: bound once.
    for chunk in in_list_chunks(&masters, 1, db.param_limit) {
        let mut values: Vec<Value> = vec![user.0.into()];
        values.extend(chunk.iter().map(|id| Value::from(*id)));
        for it in
            Best::find_by_statement(raw(conn, &bests_sql(chunk.len()), values)).all(conn).await?
        {
            bests.insert(it.master_exercise_id, (it.top, it.volume.unwrap_or(0.0)));
        }
    }
    let needs_bodyweight =
        rows.iter().any(|it| it.milestone_type == MilestoneType::BodyweightMultiplier.as_str());
    let bodyweight = if needs_bodyweight { lifter(conn, user).await?.1 } else { None };
    rows.into_iter()
        .map(|it| {
            let kind: MilestoneType =
                QueryError::parse_stored("milestones.milestone_type", it.milestone_type)?;
            let (top, volume) = bests.get(&it.master_exercise_id).copied().unwrap_or((None, 0.0));
            Ok(MilestoneView {
                id: it.id,
                master_exercise_id: it.master_exercise_id,
                exercise_name: it.exercise_name,
                kind,
                target_value: it.target_value,
                is_system_default: it.is_system_default,
                is_customized: it.is_customized,
                experience_level: QueryError::parse_stored(
                    "milestones.experience_level",
                    it.experience_level,
                )?,
                created_at: it.created_at,
                achieved_at: it.achieved_at,
                achieved_value: it.achieved_value,
                achieved_session_id: it.achieved_session_id,
                current_value: kind.value(top, volume, bodyweight),
            })
        })
        .collect()
}

/// Inserts a milestone unless the user has the same one; returns its id either way.
#[expect(clippy::too_many_arguments, reason = "a milestone's columns")]
async fn insert_milestone(
    txn: &DatabaseTransaction,
    user: UserId,
    master_id: i64,
    kind: MilestoneType,
    target: f64,
    system_default: bool,
    level: ExperienceLevel,
    now: DateTime<Utc>,
) -> Result<i64, QueryError> {
    #[derive(FromQueryResult)]
    struct Id {
        id: i64,
    }
    let multiplier: Option<f64> = (kind == MilestoneType::BodyweightMultiplier).then_some(target);
    txn.execute_raw(raw(
        txn,
        "INSERT INTO milestones (user_id, master_exercise_id, milestone_type, target_value, target_multiplier, \
         is_system_default, is_customized, experience_level, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (user_id, master_exercise_id, milestone_type, target_value) DO NOTHING",
        vec![
            user.0.into(),
            master_id.into(),
            kind.as_str().into(),
            target.into(),
            multiplier.into(),
            system_default.into(),
            (!system_default).into(),
            level.as_str().into(),
            now.into(),
        ],
    ))
    .await?;
    Id::find_by_statement(raw(
        txn,
        "SELECT id FROM milestones WHERE user_id = $1 AND master_exercise_id = $2 AND milestone_type = $3 AND target_value = $4",
        vec![user.0.into(), master_id.into(), kind.as_str().into(), target.into()],
    ))
    .one(txn)
    .await?
    .map(|it| it.id)
    .ok_or(QueryError::Unavailable("milestone vanished"))
}

/// Adds a milestone of the user's own for one of their master exercises (the same one again is
/// the same milestone), and records it achieved if their history already reached it. `target` is
/// kilograms for a weight or a volume, a multiple for a bodyweight multiplier.
pub async fn add_milestone(
    db: &Db,
    user: UserId,
    master_id: i64,
    kind: MilestoneType,
    target: f64,
    now: DateTime<Utc>,
) -> Result<MilestoneView, QueryError> {
    let range = match kind {
        MilestoneType::AbsoluteWeight => Limits::WEIGHT_KG,
        MilestoneType::BodyweightMultiplier => Limits::BODYWEIGHT_MULTIPLE,
        MilestoneType::Volume => Limits::WORKOUT_VOLUME_KG,
    };
    check_range("target", target, &range)
        .map_err(|it| QueryError::Invalid(ValidationError(vec![it])))?;
    if target <= 0.0 {
        return Err(invalid("target", "must be more than 0"));
    }
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    master(txn, user, master_id).await?;
    let (level, _, _) = lifter(txn, user).await?;
    let id = insert_milestone(txn, user, master_id, kind, target, false, level, now).await?;
    record_achievements(db, txn, user, Scope::Master(master_id)).await?;
    let sql = format!("{MILESTONE} WHERE m.id = $1 AND m.user_id = $2");
    let rows = MilestoneRow::find_by_statement(raw(txn, &sql, vec![id.into(), user.0.into()]))
        .all(txn)
        .await?;
    let res = with_progress(db, txn, user, rows)
        .await?
        .pop()
        .ok_or(QueryError::Unavailable("milestone vanished"))?;
    write.commit().await?;
    Ok(res)
}

/// Which workouts achievement detection looks at.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    /// Every workout of one master exercise (a milestone just added).
    Master(i64),
    /// The workouts just saved.
    Sessions(&'a [i64]),
}

/// Per (unachieved milestone, workout of its exercise): the workout's heaviest counted weight and
/// volume, with the user's bodyweight. `{lines}` narrows the lines read.
pub(crate) fn candidates_sql(lines: &str, milestones: &str) -> String {
    format!(
        "SELECT m.id AS milestone_id, m.milestone_type, m.target_value, s.session_id, ws.workout_date, s.top, s.volume, \
           p.bodyweight_kg FROM milestones m JOIN master_exercises me ON me.id = m.master_exercise_id \
         JOIN (SELECT se.session_id, se.resolved_exercise_name AS name, MAX(se.weight_kg) AS top, \
               COALESCE(SUM(se.volume_load), 0) AS volume FROM session_exercises se \
               WHERE se.user_id = $1 AND se.set_type <> 'warmup'{lines} \
               GROUP BY se.session_id, se.resolved_exercise_name) s ON s.name = me.name \
         JOIN workout_sessions ws ON ws.id = s.session_id \
         LEFT JOIN user_preferences p ON p.user_id = m.user_id \
         WHERE m.user_id = $1{milestones} AND NOT EXISTS \
           (SELECT 1 FROM milestone_achievements a WHERE a.user_id = $1 AND a.milestone_id = m.id)"
    )
}

/// Records every milestone the workouts in `scope` reached and that was not achieved yet, at the
/// earliest such workout.
async fn record_achievements(
    db: &Db,
    txn: &DatabaseTransaction,
    user: UserId,
    scope: Scope<'_>,
) -> Result<(), QueryError> {
    #[derive(FromQueryResult)]
    struct Candidate {
        milestone_id: i64,
        milestone_type: String,
        target_value: f64,
        session_id: i64,
        workout_date: DateTime<Utc>,
        top: Option<f64>,
        volume: f64,
        bodyweight_kg: Option<f64>,
    }
    let mut found = Vec::new();
    match scope {
        Scope::Master(id) => {
            let sql = candidates_sql(
                " AND se.resolved_exercise_name = (SELECT name FROM master_exercises WHERE id = $2)",
                " AND m.master_exercise_id = $2",
            );
            found.extend(
                Candidate::find_by_statement(raw(txn, &sql, vec![user.0.into(), id.into()]))
                    .all(txn)
                    .await?,
            );
        }
        Scope::Sessions(ids) => {
            for chunk in in_list_chunks(ids, 1, db.param_limit) {
                let lines = format!(" AND se.session_id IN ({})", placeholders(2, chunk.len()));
                let mut values: Vec<Value> = vec![user.0.into()];
                values.extend(chunk.iter().map(|id| Value::from(*id)));
                let sql = candidates_sql(&lines, "");
                found.extend(Candidate::find_by_statement(raw(txn, &sql, values)).all(txn).await?);
            }
        }
    }
    // The earliest reaching workout per milestone.
    let mut first: BTreeMap<i64, (DateTime<Utc>, i64, f64)> = BTreeMap::new();
    for it in found {
        let kind: MilestoneType =
            QueryError::parse_stored("milestones.milestone_type", it.milestone_type)?;
        let Some(value) = kind.value(it.top, it.volume, it.bodyweight_kg) else { continue };
        // A target entered in pounds is reached by the same weight in pounds, to the gram.
        if value + 5e-4 < it.target_value {
            continue;
        }
        let key = (it.workout_date, it.session_id, value);
        first
            .entry(it.milestone_id)
            .and_modify(|e| {
                if (key.0, key.1) < (e.0, e.1) {
                    *e = key;
                }
            })
            .or_insert(key);
    }
    for (milestone, (at, session, value)) in first {
        txn.execute_raw(raw(
            txn,
            "INSERT INTO milestone_achievements (user_id, milestone_id, session_id, achieved_value, achieved_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, milestone_id) DO NOTHING",
            vec![user.0.into(), milestone.into(), session.into(), value.into(), at.into()],
        ))
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// PR forecasts.

/// A stored forecast with its exercise's name.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastView {
    pub master_exercise_id: i64,
    pub exercise_name: String,
    pub current_one_rm_kg: f64,
    pub forecasted_weight_kg: f64,
    pub estimated_weeks_low: i32,
    pub estimated_weeks_high: i32,
    pub confidence_percent: i32,
    pub trajectory: Trajectory,
    pub sessions_used: i32,
    pub calculated_at: DateTime<Utc>,
    pub id: i64,
}

#[derive(Debug, FromQueryResult)]
struct ForecastRow {
    id: i64,
    master_exercise_id: i64,
    exercise_name: String,
    current_one_rm_kg: f64,
    forecasted_weight_kg: f64,
    estimated_weeks_low: i32,
    estimated_weeks_high: i32,
    confidence_percent: i32,
    trajectory: String,
    sessions_used: i32,
    calculated_at: DateTime<Utc>,
}

impl TryFrom<ForecastRow> for ForecastView {
    type Error = QueryError;

    fn try_from(it: ForecastRow) -> Result<Self, QueryError> {
        Ok(Self {
            id: it.id,
            master_exercise_id: it.master_exercise_id,
            exercise_name: it.exercise_name,
            current_one_rm_kg: it.current_one_rm_kg,
            forecasted_weight_kg: it.forecasted_weight_kg,
            estimated_weeks_low: it.estimated_weeks_low,
            estimated_weeks_high: it.estimated_weeks_high,
            confidence_percent: it.confidence_percent,
            trajectory: QueryError::parse_stored("pr_forecasts.trajectory", it.trajectory)?,
            sessions_used: it.sessions_used,
            calculated_at: it.calculated_at,
        })
    }
}

const FORECAST: &str = "SELECT f.id, f.master_exercise_id, me.name AS exercise_name, f.current_one_rm_kg, \
     f.forecasted_weight_kg, f.estimated_weeks_low, f.estimated_weeks_high, f.confidence_percent, f.trajectory, \
     f.sessions_used, f.calculated_at FROM pr_forecasts f JOIN master_exercises me ON me.id = f.master_exercise_id";

/// The key a forecasts page starts after: confidence, then id.
pub type ForecastKey = (i32, i64);

/// A page of the user's stored forecasts, most confident first, after the key `($2, $3)`.
pub(crate) fn forecasts_page_sql() -> String {
    format!(
        "{FORECAST} WHERE f.user_id = $1 AND (f.confidence_percent < $2 OR (f.confidence_percent = $2 AND f.id < $3)) \
         ORDER BY f.confidence_percent DESC, f.id DESC LIMIT $4"
    )
}

/// A page of the user's stored forecasts, most confident first.
pub async fn forecasts(
    db: &Db,
    user: UserId,
    after: Option<ForecastKey>,
    limit: u64,
) -> Result<Vec<ForecastView>, QueryError> {
    let (confidence, id) = after.unwrap_or((i32::MAX, i64::MAX));
    let values = vec![user.0.into(), confidence.into(), id.into(), limit_value(limit)];
    let sql = forecasts_page_sql();
    let rows = ForecastRow::find_by_statement(stmt(db, &sql, values)).all(&db.conn).await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Forecasts the next e1RM record of one of the user's master exercises from its latest
/// workouts and stores it (replacing the last one); with no forecast (too few workouts, or not
/// rising) the stored one is removed and none is returned.
pub async fn forecast_pr(
    db: &Db,
    user: UserId,
    master_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<ForecastView>, QueryError> {
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let (name, _) = master(txn, user, master_id).await?;
    let (level, _, increment) = lifter(txn, user).await?;
    let workouts = recent_workouts(txn, user, &name).await?;
    let found: Option<Forecast> =
        forecast(&workouts, if increment > 0.0 { increment } else { 2.5 }, level);
    let Some(it) = found else {
        txn.execute_raw(raw(
            txn,
            "DELETE FROM pr_forecasts WHERE user_id = $1 AND master_exercise_id = $2",
            vec![user.0.into(), master_id.into()],
        ))
        .await?;
        write.commit().await?;
        return Ok(None);
    };
    txn.execute_raw(raw(
        txn,
        "INSERT INTO pr_forecasts (user_id, master_exercise_id, current_one_rm_kg, forecasted_weight_kg, \
         estimated_weeks_low, estimated_weeks_high, confidence_percent, trajectory, sessions_used, calculated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (user_id, master_exercise_id) DO UPDATE SET \
         current_one_rm_kg = excluded.current_one_rm_kg, forecasted_weight_kg = excluded.forecasted_weight_kg, \
         estimated_weeks_low = excluded.estimated_weeks_low, estimated_weeks_high = excluded.estimated_weeks_high, \
         confidence_percent = excluded.confidence_percent, trajectory = excluded.trajectory, \
         sessions_used = excluded.sessions_used, calculated_at = excluded.calculated_at",
        vec![
            user.0.into(),
            master_id.into(),
            it.current_one_rm_kg.into(),
            it.target_kg.into(),
            it.weeks_low.into(),
            it.weeks_high.into(),
            it.confidence_percent.into(),
            it.trajectory.as_str().into(),
            i32::try_from(it.workouts_used).unwrap_or(i32::MAX).into(),
            now.into(),
        ],
    ))
    .await?;
    let sql = format!("{FORECAST} WHERE f.user_id = $1 AND f.master_exercise_id = $2");
    let res = ForecastRow::find_by_statement(raw(txn, &sql, vec![user.0.into(), master_id.into()]))
        .one(txn)
        .await?
        .ok_or(QueryError::Unavailable("forecast vanished"))?
        .try_into()?;
    write.commit().await?;
    Ok(Some(res))
}

// ---------------------------------------------------------------------------------------------
// On save.

/// The user's tracked key lifts (out of maintenance) trained in the workouts `$2…`.
pub(crate) fn tracked_in_sql(n: usize) -> String {
    format!(
        "SELECT k.master_exercise_id AS id, me.name AS name FROM key_lifts k \
         JOIN master_exercises me ON me.id = k.master_exercise_id \
         WHERE k.user_id = $1 AND k.is_tracking AND NOT k.maintenance_mode AND EXISTS \
           (SELECT 1 FROM session_exercises se WHERE se.user_id = $1 AND se.resolved_exercise_name = me.name \
            AND se.session_id IN ({}))",
        placeholders(2, n)
    )
}

/// Inside a write that stored set lines of the workouts `sessions`: records the milestones they
/// reached and re-detects the plateaus of the tracked key lifts they trained.
pub(crate) async fn after_save(
    db: &Db,
    txn: &DatabaseTransaction,
    user: UserId,
    sessions: &[i64],
    now: DateTime<Utc>,
) -> Result<(), QueryError> {
    #[derive(FromQueryResult)]
    struct Lift {
        id: i64,
        name: String,
    }
    let mut sessions = sessions.to_vec();
    sessions.sort_unstable();
    sessions.dedup();
    if sessions.is_empty() {
        return Ok(());
    }
    record_achievements(db, txn, user, Scope::Sessions(&sessions)).await?;
    let mut lifts = Vec::new();
    for chunk in in_list_chunks(&sessions, 1, db.param_limit) {
        let mut values: Vec<Value> = vec![user.0.into()];
        values.extend(chunk.iter().map(|id| Value::from(*id)));
        lifts.extend(
            Lift::find_by_statement(raw(txn, &tracked_in_sql(chunk.len()), values))
                .all(txn)
                .await?,
        );
    }
    lifts.sort_by_key(|it| it.id);
    lifts.dedup_by_key(|it| it.id);
    for lift in lifts {
        let stall = detect_plateau(&recent_workouts(txn, user, &lift.name).await?);
        store_detection(txn, user, lift.id, stall, now).await?;
    }
    Ok(())
}
