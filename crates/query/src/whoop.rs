//! WHOOP data: webhook deliveries and their queue, records stored from WHOOP (fetched for an
//! event, or imported from an export), and the reads the app shows (recovery, sleep and
//! workouts as keyset pages, readiness for a day), all from columns.
//!
//! The queue is `webhook_events` itself (phase 3): a delivery is recorded in one statement and
//! answered; a row with status `received` is work to do, claimed by setting `next_attempt_at`
//! to the end of a lease (one statement that only one claimant can win, on both backends), and
//! finished as `processed`, `ignored` or `failed`. A process that dies holding a lease leaves
//! the row to be claimed again when the lease ends, so nothing acknowledged is lost; storing a
//! record is an upsert by WHOOP's id, so processing twice writes nothing twice.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};
use whoop::{Action, Kind, Record};

use crate::sql::stmt;
use crate::writes::{self, Write};
use crate::{Db, QueryError, UserId};

/// What a delivery turned out to be, before any event in it is believed.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Refused before reading the body (signature, timestamp): the reason.
    Rejected(&'static str),
    /// Signed, but not a delivery: the reason, naming the field.
    Malformed(String),
    /// A signed, well-formed delivery.
    Event(whoop::Event),
}

/// What became of a recorded delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded and queued for processing (the `webhook_events` id).
    Queued(i64),
    /// The same WHOOP id, event type and trace id were delivered before: nothing written.
    Duplicate,
    /// Recorded, and nothing to do: the reason (`unknown user`, `unknown event type`).
    Ignored(&'static str),
    /// Recorded as refused.
    Rejected,
}

/// The most bytes of a refused body kept in the audit log.
const MAX_REFUSED_BODY: usize = 4 * 1024;

fn storage_required(schema: writes::Schema) -> Result<(), QueryError> {
    if schema.has_whoop_storage() {
        Ok(())
    } else {
        Err(QueryError::Unavailable("WHOOP ingestion needs schema phase 3"))
    }
}

/// Records a delivery in `webhook_events`, one statement after the connection lookup.
pub async fn record_delivery(
    db: &Db,
    verdict: &Verdict,
    body: &[u8],
    headers: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, QueryError> {
    let write = writes::begin_for_any(db).await?;
    storage_required(write.schema())?;
    let backend = write.get_database_backend();
    let insert = "INSERT INTO webhook_events (provider, event_type, user_id, external_user_id, \
                  external_entity_id, payload, headers, status, error, trace_id, attempts, \
                  created_at) VALUES ('whoop', $1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)";
    let outcome = match verdict {
        Verdict::Rejected(_) | Verdict::Malformed(_) => {
            let reason = match verdict {
                Verdict::Malformed(r) => format!("malformed body: {r}"),
                Verdict::Rejected(r) => (*r).to_owned(),
                Verdict::Event(_) => String::new(),
            };
            let kept = &body[..body.len().min(MAX_REFUSED_BODY)];
            let values: Vec<Value> = vec![
                "unknown".into(),
                Option::<i64>::None.into(),
                Option::<String>::None.into(),
                Option::<String>::None.into(),
                String::from_utf8_lossy(kept).into_owned().into(),
                headers.into(),
                "rejected".into(),
                reason.into(),
                Option::<String>::None.into(),
                now.into(),
            ];
            write.execute_raw(Statement::from_sql_and_values(backend, insert, values)).await?;
            Outcome::Rejected
        }
        Verdict::Event(event) => {
            let user = connected_user(&*write, event.whoop_user_id).await?;
            let (status, error) = match (user, event.kind()) {
                (None, _) => ("ignored", Some("unknown user")),
                (_, None) => ("ignored", Some("unknown event type")),
                _ => ("received", None),
            };
            let values: Vec<Value> = vec![
                event.event_type.clone().into(),
                user.into(),
                event.whoop_user_id.to_string().into(),
                event.id.clone().into(),
                String::from_utf8_lossy(body).into_owned().into(),
                headers.into(),
                status.into(),
                error.map(str::to_owned).into(),
                event.trace_id.clone().into(),
                now.into(),
            ];
            let sql = format!(
                "{insert} ON CONFLICT (provider, external_entity_id, event_type, trace_id) \
                 DO NOTHING RETURNING id"
            );
            let row =
                write.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
            match (row, error) {
                (None, _) => Outcome::Duplicate,
                (Some(_), Some(reason)) => Outcome::Ignored(reason),
                (Some(row), None) => Outcome::Queued(row.try_get_by_index(0)?),
            }
        }
    };
    write.commit().await?;
    Ok(outcome)
}

/// Our user for a WHOOP user, if connected.
async fn connected_user<C: ConnectionTrait>(
    db: &C,
    whoop_user: i64,
) -> Result<Option<i64>, QueryError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT user_id FROM whoop_connections WHERE whoop_user_id = $1",
            [whoop_user.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?)
}

/// Connects one of our users to a WHOOP user (replacing an earlier connection of either).
pub async fn connect(
    db: &Db,
    user: UserId,
    whoop_user: i64,
    access_token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), QueryError> {
    let write = writes::begin(db, user).await?;
    storage_required(write.schema())?;
    let backend = write.get_database_backend();
    write
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "DELETE FROM whoop_connections WHERE user_id = $1 OR whoop_user_id = $2",
            [user.0.into(), whoop_user.into()],
        ))
        .await?;
    write
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO whoop_connections (user_id, whoop_user_id, access_token, connected_at) \
             VALUES ($1, $2, $3, $4)",
            [user.0.into(), whoop_user.into(), access_token.map(str::to_owned).into(), now.into()],
        ))
        .await?;
    write.commit().await
}

/// A queued event, claimed for processing until its lease ends.
#[derive(Debug, Clone)]
pub struct Job {
    pub event_id: i64,
    pub user: UserId,
    pub whoop_user: i64,
    pub kind: Kind,
    pub action: Action,
    pub entity_id: String,
    pub token: Option<String>,
    pub attempts: i32,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, FromQueryResult)]
struct QueuedRow {
    id: i64,
    event_type: String,
    user_id: Option<i64>,
    external_entity_id: Option<String>,
    attempts: i32,
    created_at: DateTime<Utc>,
    whoop_user_id: Option<i64>,
    access_token: Option<String>,
}

/// Claims the oldest queued event that is due, if any: its lease ends at `now + lease`.
pub async fn claim(
    db: &Db,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<Job>, QueryError> {
    if db.phase() < 3 {
        return Ok(None);
    }
    loop {
        let candidate = QueuedRow::find_by_statement(stmt(
            db,
            "SELECT e.id, e.event_type, e.user_id, e.external_entity_id, e.attempts, e.created_at, \
             c.whoop_user_id, c.access_token FROM webhook_events e \
             LEFT JOIN whoop_connections c ON c.user_id = e.user_id \
             WHERE e.status = 'received' AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= $1) \
             ORDER BY e.id LIMIT 1",
            vec![now.into()],
        ))
        .one(&db.conn)
        .await?;
        let Some(row) = candidate else { return Ok(None) };
        let write = writes::begin_for_any(db).await?;
        let won = write
            .execute_raw(Statement::from_sql_and_values(
                write.get_database_backend(),
                "UPDATE webhook_events SET next_attempt_at = $1, attempts = attempts + 1 \
                 WHERE id = $2 AND status = 'received' \
                 AND (next_attempt_at IS NULL OR next_attempt_at <= $3)",
                [(now + lease).into(), row.id.into(), now.into()],
            ))
            .await?
            .rows_affected()
            == 1;
        write.commit().await?;
        if !won {
            continue; // another worker took it first
        }
        let (Some(user), Some((kind, action)), Some(whoop_user)) =
            (row.user_id, whoop::Event::kind_of(&row.event_type), row.whoop_user_id)
        else {
            // The user was disconnected (or deleted) since the delivery: nothing to do.
            finish(db, row.id, "ignored", Some("no WHOOP connection any more"), now).await?;
            continue;
        };
        return Ok(Some(Job {
            event_id: row.id,
            user: UserId(user),
            whoop_user,
            kind,
            action,
            entity_id: row.external_entity_id.unwrap_or_default(),
            token: row.access_token,
            attempts: row.attempts + 1,
            received_at: row.created_at,
        }));
    }
}

/// Ends an event: `processed`, `ignored` or `failed`.
pub async fn finish(
    db: &Db,
    event_id: i64,
    status: &'static str,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), QueryError> {
    let write = writes::begin_for_any(db).await?;
    mark_finished(&write, event_id, status, error, now, None).await?;
    write.commit().await
}

/// The statement that ends an event, with the time it took from its delivery when known.
async fn mark_finished(
    write: &Write<'_>,
    event_id: i64,
    status: &'static str,
    error: Option<&str>,
    now: DateTime<Utc>,
    took_ms: Option<i64>,
) -> Result<(), QueryError> {
    write
        .execute_raw(Statement::from_sql_and_values(
            write.get_database_backend(),
            "UPDATE webhook_events SET status = $1, error = $2, processed_at = $3, \
             next_attempt_at = NULL, processing_time_ms = $4 WHERE id = $5",
            [
                status.into(),
                error.map(str::to_owned).into(),
                now.into(),
                took_ms.into(),
                event_id.into(),
            ],
        ))
        .await?;
    Ok(())
}

/// Puts an event back for a later attempt at `at`, noting why.
pub async fn retry_at(
    db: &Db,
    event_id: i64,
    at: DateTime<Utc>,
    error: &str,
) -> Result<(), QueryError> {
    let write = writes::begin_for_any(db).await?;
    write
        .execute_raw(Statement::from_sql_and_values(
            write.get_database_backend(),
            "UPDATE webhook_events SET next_attempt_at = $1, error = $2 WHERE id = $3 \
             AND status = 'received'",
            [at.into(), error.to_owned().into(), event_id.into()],
        ))
        .await?;
    write.commit().await
}

/// Applies a claimed job: stores the fetched record (`Some`), or deletes it (a deletion event),
/// and finishes the event in the same transaction. `fetched == None` for an update means WHOOP
/// no longer has the record: the event is ignored.
pub async fn apply(
    db: &Db,
    job: &Job,
    fetched: Option<&str>,
    now: DateTime<Utc>,
) -> Result<&'static str, QueryError> {
    let mut write = writes::begin(db, job.user).await?;
    storage_required(write.schema())?;
    let (status, error) = match (job.action, fetched) {
        (Action::Deleted, _) => {
            delete(&write, job.user, job.kind, &job.entity_id).await?;
            ("processed", None)
        }
        (Action::Updated, None) => {
            ("ignored", Some("WHOOP has no such record any more".to_owned()))
        }
        (Action::Updated, Some(raw)) => match Record::parse(Some(job.kind), raw) {
            Err(e) => ("failed", Some(e.to_string())),
            Ok(record) if record.whoop_user_id() != job.whoop_user => {
                ("failed", Some("the record belongs to another WHOOP user".to_owned()))
            }
            Ok(record) => {
                let codec = codec(db, &write).await?;
                store(&mut write, job.user, &codec, &record, Some(now)).await?;
                ("processed", None)
            }
        },
    };
    let took = (now - job.received_at).num_milliseconds().max(0);
    mark_finished(&write, job.event_id, status, error.as_deref(), now, Some(took)).await?;
    write.commit().await?;
    Ok(status)
}

/// The payload codec for a write: the dictionaries `db` holds when the database's versions are
/// still the ones it loaded (one small statement, no dictionary bytes), else loaded afresh.
/// Versions are never reused (the migration stamps new ones past the clock), so equal versions
/// mean equal dictionaries; preparing them (a level-19 compression dictionary each) is the cost
/// this saves on every stored record.
async fn codec(db: &Db, write: &Write<'_>) -> Result<std::sync::Arc<whoop::Codec>, QueryError> {
    let rows = write
        .query_all_raw(Statement::from_string(
            write.get_database_backend(),
            "SELECT version FROM whoop_dictionaries ORDER BY version",
        ))
        .await?;
    let versions =
        rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect::<Result<Vec<_>, _>>()?;
    let cached = db.whoop_codec.lock().ok().and_then(|it| it.clone());
    if let Some(codec) = cached.filter(|it| it.versions() == versions) {
        return Ok(codec);
    }
    let codec = std::sync::Arc::new(migration::whoop_codec(&**write).await?);
    if let Ok(mut slot) = db.whoop_codec.lock() {
        *slot = Some(codec.clone());
    }
    Ok(codec)
}

/// Deletes a record of `user` (a sleep takes its recovery with it: WHOOP deletes both).
async fn delete(write: &Write<'_>, user: UserId, kind: Kind, id: &str) -> Result<(), QueryError> {
    let backend = write.get_database_backend();
    let targets: &[(&str, &str)] = match kind {
        Kind::Workout => &[("whoop_workouts", "whoop_workout_id")],
        Kind::Recovery => &[("whoop_recovery", "whoop_recovery_id")],
        Kind::Sleep => {
            &[("whoop_recovery", "whoop_recovery_id"), ("whoop_sleep", "whoop_sleep_id")]
        }
    };
    for (table, column) in targets {
        write
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!("DELETE FROM {table} WHERE user_id = $1 AND {column} = $2"),
                [user.0.into(), id.to_owned().into()],
            ))
            .await?;
    }
    Ok(())
}

/// The compressed payload columns of a record of `table`.
fn packed(
    codec: &whoop::Codec,
    table: &str,
    raw: &str,
) -> Result<(Vec<u8>, Option<i64>), QueryError> {
    let p = codec
        .compress(table, raw)
        .map_err(|e| QueryError::Corrupt { column: "raw_data", value: e.to_string() })?;
    Ok((p.bytes, p.dictionary))
}

/// Upserts one record of `user` by WHOOP's id (a row of another user with that id is left
/// alone), with its payload compressed and every column the reads use.
async fn store(
    write: &mut Write<'_>,
    user: UserId,
    codec: &whoop::Codec,
    record: &Record,
    received: Option<DateTime<Utc>>,
) -> Result<(), QueryError> {
    let backend = write.get_database_backend();
    let (table, key, columns, values): (&str, &str, &[&str], Vec<Value>) = match record {
        Record::Cycle(c) => {
            let (zstd, dict) = packed(codec, "whoop_cycles", &c.raw)?;
            (
                "whoop_cycles",
                "whoop_cycle_id",
                &[
                    "user_id",
                    "whoop_cycle_id",
                    "start_time",
                    "end_time",
                    "timezone_offset",
                    "score_state",
                    "day_strain",
                    "kilojoule",
                    "average_heart_rate",
                    "max_heart_rate",
                    "raw_data",
                    "raw_zstd",
                    "raw_dict",
                    "created_at",
                    "updated_at",
                ],
                vec![
                    user.0.into(),
                    c.id.clone().into(),
                    c.start.into(),
                    c.end.into(),
                    c.timezone_offset.clone().into(),
                    c.score_state.clone().into(),
                    c.strain.into(),
                    c.kilojoule.into(),
                    c.average_heart_rate.into(),
                    c.max_heart_rate.into(),
                    String::new().into(),
                    zstd.into(),
                    dict.into(),
                    c.created_at.into(),
                    c.updated_at.into(),
                ],
            )
        }
        Record::Sleep(s) => {
            let (zstd, dict) = packed(codec, "whoop_sleep", &s.raw)?;
            let tier = s.performance.map(|p| domain::SleepQualityTier::of(p).as_str().to_owned());
            (
                "whoop_sleep",
                "whoop_sleep_id",
                &[
                    "user_id",
                    "whoop_sleep_id",
                    "cycle_id",
                    "start_time",
                    "end_time",
                    "timezone_offset",
                    "nap",
                    "score_state",
                    "sleep_performance_percentage",
                    "total_sleep_time_milli",
                    "sleep_efficiency_percentage",
                    "slow_wave_sleep_time_milli",
                    "rem_sleep_time_milli",
                    "light_sleep_time_milli",
                    "wake_time_milli",
                    "disturbance_count",
                    "sleep_consistency_percentage",
                    "respiratory_rate",
                    "sleep_need_baseline_milli",
                    "raw_data",
                    "raw_zstd",
                    "raw_dict",
                    "sleep_quality_tier",
                    "webhook_received_at",
                    "created_at",
                    "updated_at",
                ],
                vec![
                    user.0.into(),
                    s.id.clone().into(),
                    s.cycle_id.clone().into(),
                    s.start.into(),
                    s.end.into(),
                    s.timezone_offset.clone().into(),
                    s.nap.into(),
                    s.score_state.clone().into(),
                    s.performance.into(),
                    s.total_sleep_milli.into(),
                    s.efficiency.into(),
                    s.slow_wave_milli.into(),
                    s.rem_milli.into(),
                    s.light_milli.into(),
                    s.awake_milli.into(),
                    s.disturbances.into(),
                    s.consistency.into(),
                    s.respiratory_rate.into(),
                    s.need_baseline_milli.into(),
                    String::new().into(),
                    zstd.into(),
                    dict.into(),
                    tier.into(),
                    received.into(),
                    s.created_at.into(),
                    s.updated_at.into(),
                ],
            )
        }
        Record::Recovery(r) => {
            let (zstd, dict) = packed(codec, "whoop_recovery", &r.raw)?;
            let context = recovery_context(write, user, r).await?;
            let tier = r.recovery_score.map(|v| domain::RecoveryTier::of(v).as_str().to_owned());
            (
                "whoop_recovery",
                "whoop_recovery_id",
                &[
                    "user_id",
                    "whoop_recovery_id",
                    "cycle_id",
                    "date",
                    "score_state",
                    "recovery_score",
                    "hrv_rmssd_milli",
                    "hrv_rmssd_baseline",
                    "resting_heart_rate",
                    "resting_heart_rate_baseline",
                    "respiratory_rate",
                    "respiratory_rate_baseline",
                    "raw_data",
                    "raw_zstd",
                    "raw_dict",
                    "recovery_score_tier",
                    "timezone_offset",
                    "webhook_received_at",
                    "created_at",
                    "updated_at",
                ],
                vec![
                    user.0.into(),
                    r.sleep_id.clone().into(),
                    r.cycle_id.clone().into(),
                    context.date.into(),
                    r.score_state.clone().into(),
                    r.recovery_score.into(),
                    r.hrv_rmssd_milli.into(),
                    context.hrv_baseline.into(),
                    r.resting_heart_rate.into(),
                    context.rhr_baseline.into(),
                    context.respiratory_rate.into(),
                    context.respiratory_baseline.into(),
                    String::new().into(),
                    zstd.into(),
                    dict.into(),
                    tier.into(),
                    context.timezone_offset.into(),
                    received.into(),
                    r.created_at.into(),
                    r.updated_at.into(),
                ],
            )
        }
        Record::Workout(w) => (
            "whoop_workouts",
            "whoop_workout_id",
            &[
                "user_id",
                "whoop_workout_id",
                "start_time",
                "end_time",
                "timezone_offset",
                "sport_name",
                "score_state",
                "score",
                "during",
                "zone_duration",
                "strain",
                "average_heart_rate",
                "max_heart_rate",
                "kilojoule",
                "distance_meter",
                "created_at",
                "updated_at",
            ],
            vec![
                user.0.into(),
                w.id.clone().into(),
                w.start.into(),
                w.end.into(),
                w.timezone_offset.clone().into(),
                w.sport_name.clone().into(),
                w.score_state.clone().into(),
                w.score_json.clone().into(),
                Some(w.during_json.clone()).into(),
                w.zone_json.clone().into(),
                w.strain.into(),
                w.average_heart_rate.into(),
                w.max_heart_rate.into(),
                w.kilojoule.into(),
                w.distance_meter.into(),
                w.created_at.into(),
                w.updated_at.into(),
            ],
        ),
    };
    let placeholders = (1..=columns.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let updates = columns
        .iter()
        .filter(|c| **c != "user_id" && **c != key && **c != "created_at")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({placeholders}) ON CONFLICT ({key}) DO UPDATE SET \
         {updates} WHERE {table}.user_id = excluded.user_id",
        columns.join(", ")
    );
    write.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    write.touches(user);
    Ok(())
}

/// What a recovery row takes from its sleep and from the user's previous recoveries.
struct RecoveryContext {
    /// When the sleep ended (the morning it scores), or when WHOOP created the recovery.
    date: DateTime<Utc>,
    timezone_offset: String,
    respiratory_rate: Option<f64>,
    /// Means of the last 7 recoveries before this one (WHOOP's API gives no baselines).
    hrv_baseline: Option<f64>,
    rhr_baseline: Option<f64>,
    respiratory_baseline: Option<f64>,
}

async fn recovery_context(
    write: &Write<'_>,
    user: UserId,
    r: &whoop::Recovery,
) -> Result<RecoveryContext, QueryError> {
    let backend = write.get_database_backend();
    let sleep = write
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT end_time, timezone_offset, respiratory_rate FROM whoop_sleep \
             WHERE user_id = $1 AND whoop_sleep_id = $2",
            [user.0.into(), r.sleep_id.clone().into()],
        ))
        .await?;
    let (date, timezone_offset, respiratory_rate) = match sleep {
        Some(row) => (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?),
        None => (r.created_at, "+00:00".to_owned(), None),
    };
    let base = write
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT AVG(hrv_rmssd_milli), AVG(resting_heart_rate), AVG(respiratory_rate) FROM \
             (SELECT hrv_rmssd_milli, resting_heart_rate, respiratory_rate FROM whoop_recovery \
              WHERE user_id = $1 AND date < $2 AND whoop_recovery_id <> $3 \
              AND hrv_rmssd_milli IS NOT NULL ORDER BY date DESC LIMIT 7) AS recent",
            [user.0.into(), date.into(), r.sleep_id.clone().into()],
        ))
        .await?;
    let mean = |i: usize| -> Result<Option<f64>, QueryError> {
        Ok(base.as_ref().map(|row| row.try_get_by_index::<Option<f64>>(i)).transpose()?.flatten())
    };
    let round1 = |v: Option<f64>| v.map(|x| (x * 10.0).round() / 10.0);
    Ok(RecoveryContext {
        date,
        timezone_offset,
        respiratory_rate,
        hrv_baseline: round1(mean(0)?).or(r.hrv_rmssd_milli),
        rhr_baseline: round1(mean(1)?).or(r.resting_heart_rate),
        respiratory_baseline: round1(mean(2)?).or(respiratory_rate),
    })
}

/// How an import went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    pub records: usize,
    pub transactions: usize,
}

/// Imports an export for `user`: sleeps before recoveries (a recovery reads its sleep), each
/// batch of `batch` records one transaction, every record an upsert by WHOOP's id, so a re-run
/// (or a run after a crash) writes nothing twice. `progress` hears the records done so far.
pub async fn import(
    db: &Db,
    user: UserId,
    export: &whoop::Export,
    batch: usize,
    mut progress: impl FnMut(usize),
) -> Result<Imported, QueryError> {
    let records: Vec<Record> = export
        .cycles
        .iter()
        .cloned()
        .map(Record::Cycle)
        .chain(export.sleeps.iter().cloned().map(Record::Sleep))
        .chain(export.recoveries.iter().cloned().map(Record::Recovery))
        .chain(export.workouts.iter().cloned().map(Record::Workout))
        .collect();
    let mut done = Imported::default();
    for chunk in records.chunks(batch.max(1)) {
        let mut write = writes::begin(db, user).await?;
        storage_required(write.schema())?;
        let codec = codec(db, &write).await?;
        for record in chunk {
            store(&mut write, user, &codec, record, None).await?;
        }
        write.commit().await?;
        done.records += chunk.len();
        done.transactions += 1;
        progress(done.records);
    }
    Ok(done)
}

/// A page's position: after the row with this time and id (newest first).
pub type PageKey = (DateTime<Utc>, i64);

fn page_values(user: UserId, after: Option<PageKey>, first: u64) -> Vec<Value> {
    // A bound both backends order correctly (SQLite compares instants as RFC 3339 text, in which
    // chrono's `MAX_UTC`, year +262142, sorts first).
    let far = NaiveDate::from_ymd_opt(9999, 12, 31)
        .unwrap_or_default()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let (at, id) = after.unwrap_or((far, i64::MAX));
    vec![user.0.into(), at.into(), id.into(), i64::try_from(first).unwrap_or(i64::MAX).into()]
}

/// One recovery, as the app shows it.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct RecoveryView {
    pub id: i64,
    pub whoop_recovery_id: String,
    pub cycle_id: String,
    pub date: DateTime<Utc>,
    pub score_state: String,
    pub recovery_score: Option<f64>,
    pub hrv_rmssd_milli: Option<f64>,
    pub hrv_rmssd_baseline: Option<f64>,
    pub resting_heart_rate: Option<f64>,
    pub resting_heart_rate_baseline: Option<f64>,
    pub respiratory_rate: Option<f64>,
}

/// The user's recoveries, newest first, a keyset page.
pub async fn recoveries(
    db: &Db,
    user: UserId,
    after: Option<PageKey>,
    first: u64,
) -> Result<Vec<RecoveryView>, QueryError> {
    Ok(RecoveryView::find_by_statement(stmt(
        db,
        "SELECT id, whoop_recovery_id, cycle_id, date, score_state, recovery_score, \
         hrv_rmssd_milli, hrv_rmssd_baseline, resting_heart_rate, resting_heart_rate_baseline, \
         respiratory_rate FROM whoop_recovery WHERE user_id = $1 AND (date, id) < ($2, $3) \
         ORDER BY date DESC, id DESC LIMIT $4",
        page_values(user, after, first),
    ))
    .all(&db.conn)
    .await?)
}

/// One sleep, as the app shows it.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct SleepView {
    pub id: i64,
    pub whoop_sleep_id: String,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub nap: bool,
    pub score_state: String,
    pub sleep_performance_percentage: Option<f64>,
    pub total_sleep_time_milli: Option<i64>,
    pub sleep_efficiency_percentage: Option<f64>,
    pub slow_wave_sleep_time_milli: Option<i64>,
    pub rem_sleep_time_milli: Option<i64>,
    pub light_sleep_time_milli: Option<i64>,
    pub wake_time_milli: Option<i64>,
    pub disturbance_count: Option<i32>,
    pub respiratory_rate: Option<f64>,
}

/// The user's sleeps, newest first, a keyset page.
pub async fn sleeps(
    db: &Db,
    user: UserId,
    after: Option<PageKey>,
    first: u64,
) -> Result<Vec<SleepView>, QueryError> {
    Ok(SleepView::find_by_statement(stmt(
        db,
        "SELECT id, whoop_sleep_id, start_time, end_time, nap, score_state, \
         sleep_performance_percentage, total_sleep_time_milli, sleep_efficiency_percentage, \
         slow_wave_sleep_time_milli, rem_sleep_time_milli, light_sleep_time_milli, \
         wake_time_milli, disturbance_count, respiratory_rate FROM whoop_sleep \
         WHERE user_id = $1 AND (start_time, id) < ($2, $3) \
         ORDER BY start_time DESC, id DESC LIMIT $4",
        page_values(user, after, first),
    ))
    .all(&db.conn)
    .await?)
}

/// One WHOOP workout, as the app shows it.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct WorkoutView {
    pub id: i64,
    pub whoop_workout_id: String,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub sport_name: String,
    pub score_state: String,
    pub strain: Option<f64>,
    pub average_heart_rate: Option<i32>,
    pub max_heart_rate: Option<i32>,
    pub kilojoule: Option<f64>,
    pub distance_meter: Option<f64>,
}

/// The user's WHOOP workouts, newest first, a keyset page. From phase 3 the score is read from
/// its columns; below it, from the `score` JSON text, as the original's clients did.
pub async fn workouts(
    db: &Db,
    user: UserId,
    after: Option<PageKey>,
    first: u64,
) -> Result<Vec<WorkoutView>, QueryError> {
    let score = if db.phase() >= 3 {
        "strain, average_heart_rate, max_heart_rate, kilojoule, distance_meter".to_owned()
    } else {
        let field = |key: &str, ty: &str| match db.conn.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                format!("CAST(CAST(score AS jsonb) ->> '{key}' AS {ty}) AS {key}")
            }
            _ => format!("CAST(json_extract(score, '$.{key}') AS {ty}) AS {key}"),
        };
        [
            field("strain", "DOUBLE PRECISION"),
            field("average_heart_rate", "INTEGER"),
            field("max_heart_rate", "INTEGER"),
            field("kilojoule", "DOUBLE PRECISION"),
            field("distance_meter", "DOUBLE PRECISION"),
        ]
        .join(", ")
    };
    let sql = format!(
        "SELECT id, whoop_workout_id, start_time, end_time, sport_name, score_state, {score} \
         FROM whoop_workouts WHERE user_id = $1 AND (start_time, id) < ($2, $3) \
         ORDER BY start_time DESC, id DESC LIMIT $4"
    );
    Ok(WorkoutView::find_by_statement(stmt(db, &sql, page_values(user, after, first)))
        .all(&db.conn)
        .await?)
}

/// Readiness for one day (the original's `getReadinessAggregation`), from the recovery of that
/// morning and the sleep that ended it.
#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    pub date: NaiveDate,
    pub score: f64,
    pub recovery_score: f64,
    pub sleep_performance: f64,
    pub hrv: domain::VersusBaseline,
    pub resting_heart_rate: domain::VersusBaseline,
}

/// The readiness of `user` on `date` (their calendar day, from the recovery's time zone offset
/// as WHOOP reported it), or `None` without a scored recovery and sleep that morning.
pub async fn readiness(
    db: &Db,
    user: UserId,
    date: NaiveDate,
) -> Result<Option<Readiness>, QueryError> {
    // Recoveries of the day, widened by the largest UTC offsets; the day is checked in Rust.
    let from = date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - Duration::hours(14);
    let to = from + Duration::hours(24 + 28);
    let rows = RecoveryDay::find_by_statement(stmt(
        db,
        "SELECT r.date, r.timezone_offset, r.recovery_score, r.hrv_rmssd_milli, \
         r.hrv_rmssd_baseline, r.resting_heart_rate, r.resting_heart_rate_baseline, \
         s.sleep_performance_percentage FROM whoop_recovery r \
         LEFT JOIN whoop_sleep s ON s.user_id = r.user_id AND s.whoop_sleep_id = r.whoop_recovery_id \
         WHERE r.user_id = $1 AND r.date >= $2 AND r.date < $3 AND r.recovery_score IS NOT NULL \
         ORDER BY r.date DESC",
        vec![user.0.into(), from.into(), to.into()],
    ))
    .all(&db.conn)
    .await?;
    for row in rows {
        if local_date(row.date, &row.timezone_offset) != Some(date) {
            continue;
        }
        let r = row;
        let (Some(recovery), Some(sleep)) = (r.recovery_score, r.sleep_performance_percentage)
        else {
            continue;
        };
        let hrv = r.hrv_rmssd_milli.map_or(domain::VersusBaseline::Normal, |v| {
            domain::VersusBaseline::hrv(v, r.hrv_rmssd_baseline)
        });
        let rhr = r.resting_heart_rate.map_or(domain::VersusBaseline::Normal, |v| {
            domain::VersusBaseline::resting_heart_rate(v, r.resting_heart_rate_baseline)
        });
        return Ok(Some(Readiness {
            date,
            score: domain::readiness(recovery, sleep, hrv, rhr),
            recovery_score: recovery,
            sleep_performance: sleep,
            hrv,
            resting_heart_rate: rhr,
        }));
    }
    Ok(None)
}

#[derive(Debug, FromQueryResult)]
struct RecoveryDay {
    date: DateTime<Utc>,
    timezone_offset: String,
    recovery_score: Option<f64>,
    hrv_rmssd_milli: Option<f64>,
    hrv_rmssd_baseline: Option<f64>,
    resting_heart_rate: Option<f64>,
    resting_heart_rate_baseline: Option<f64>,
    sleep_performance_percentage: Option<f64>,
}

/// The calendar date of `at` at WHOOP's `±hh:mm` (or `Z`) offset.
fn local_date(at: DateTime<Utc>, offset: &str) -> Option<NaiveDate> {
    let offset = if offset == "Z" { "+00:00" } else { offset };
    let parsed = chrono::FixedOffset::from_str_offset(offset)?;
    Some(at.with_timezone(&parsed).date_naive())
}

trait FromStrOffset: Sized {
    fn from_str_offset(s: &str) -> Option<Self>;
}

impl FromStrOffset for chrono::FixedOffset {
    fn from_str_offset(s: &str) -> Option<Self> {
        let (sign, rest) = match s.as_bytes().first()? {
            b'+' => (1, &s[1..]),
            b'-' => (-1, &s[1..]),
            _ => return None,
        };
        let (h, m) = rest.split_once(':')?;
        let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
        chrono::FixedOffset::east_opt(sign * secs)
    }
}
