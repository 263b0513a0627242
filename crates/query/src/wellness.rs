//! Wellness check-ins (the original's `wellness.ts`): before a workout the lifter rates energy and
//! sleep quality (1–10), optionally with notes and the WHOOP figures the app showed.
//!
//! One check-in per (user, workout), saved again in place. No back-filling: the check-in's date is
//! the user's local date when it is submitted (never an input), and a workout that began more than
//! `Limits::WELLNESS_BACKFILL_HOURS` ago takes no new check-in — the original computed that bound
//! and never applied it. History is a keyset page by date; stats average two windows ending today
//! (the requested days and the last seven) in one statement.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{Limits, UserTimeZone, ValidationError, Violation, check_range};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};

use crate::sql::stmt;
use crate::{Db, QueryError, UserId, writes};

/// The WHOOP figures a check-in carries (the original's `whoopData`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WhoopSnapshot {
    pub recovery_score: Option<f64>,
    pub sleep_performance: Option<f64>,
    pub hrv_ms: Option<f64>,
    pub hrv_baseline_ms: Option<f64>,
    pub rhr_bpm: Option<f64>,
    pub rhr_baseline_bpm: Option<f64>,
    pub yesterday_strain: Option<f64>,
}

/// A check-in to save for the workout `session_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInInput {
    pub session_id: i64,
    pub energy_level: i32,
    pub sleep_quality: i32,
    /// The device's IANA zone when it was submitted.
    pub device_timezone: String,
    pub notes: Option<String>,
    pub whoop: Option<WhoopSnapshot>,
}

/// A stored check-in.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    pub id: i64,
    pub session_id: i64,
    /// The user's local date of the first submission.
    pub date: NaiveDate,
    pub energy_level: i32,
    pub sleep_quality: i32,
    pub device_timezone: String,
    pub submitted_at: DateTime<Utc>,
    pub whoop: Option<WhoopSnapshot>,
    pub notes: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    id: i64,
    session_id: i64,
    date: NaiveDate,
    energy_level: i32,
    sleep_quality: i32,
    device_timezone: String,
    submitted_at: DateTime<Utc>,
    has_whoop_data: bool,
    whoop_recovery_score: Option<f64>,
    whoop_sleep_performance: Option<f64>,
    whoop_hrv_ms: Option<f64>,
    whoop_hrv_baseline_ms: Option<f64>,
    whoop_rhr_bpm: Option<f64>,
    whoop_rhr_baseline_bpm: Option<f64>,
    whoop_yesterday_strain: Option<f64>,
    notes: Option<String>,
}

impl From<Row> for CheckIn {
    fn from(row: Row) -> Self {
        let whoop = row.has_whoop_data.then_some(WhoopSnapshot {
            recovery_score: row.whoop_recovery_score,
            sleep_performance: row.whoop_sleep_performance,
            hrv_ms: row.whoop_hrv_ms,
            hrv_baseline_ms: row.whoop_hrv_baseline_ms,
            rhr_bpm: row.whoop_rhr_bpm,
            rhr_baseline_bpm: row.whoop_rhr_baseline_bpm,
            yesterday_strain: row.whoop_yesterday_strain,
        });
        Self {
            id: row.id,
            session_id: row.session_id,
            date: row.date,
            energy_level: row.energy_level,
            sleep_quality: row.sleep_quality,
            device_timezone: row.device_timezone,
            submitted_at: row.submitted_at,
            whoop,
            notes: row.notes,
        }
    }
}

macro_rules! columns {
    () => {
        "id, session_id, date, energy_level, sleep_quality, device_timezone, submitted_at, \
         has_whoop_data, whoop_recovery_score, whoop_sleep_performance, whoop_hrv_ms, \
         whoop_hrv_baseline_ms, whoop_rhr_bpm, whoop_rhr_baseline_bpm, whoop_yesterday_strain, notes"
    };
}

pub(crate) const BY_SESSION: &str =
    concat!("SELECT ", columns!(), " FROM wellness_data WHERE user_id = $1 AND session_id = $2");

/// A page of the user's check-ins in `$2..=$3`, newest first, after the key `($4, $5)`.
pub(crate) const HISTORY: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM wellness_data WHERE user_id = $1 AND date >= $2 AND date <= $3 \
     AND (date < $4 OR (date = $4 AND id < $5)) ORDER BY date DESC, id DESC LIMIT $6"
);

/// Both windows' averages over the check-ins from `$2` (the earlier window's start) to `$4`; `$3`
/// starts the requested window, `$5` the recent one.
pub(crate) const STATS: &str = "SELECT \
     SUM(CASE WHEN date >= $3 THEN 1 ELSE 0 END) AS period_entries, \
     AVG(CASE WHEN date >= $3 THEN CAST(energy_level AS DOUBLE PRECISION) END) AS period_energy, \
     AVG(CASE WHEN date >= $3 THEN CAST(sleep_quality AS DOUBLE PRECISION) END) AS period_sleep, \
     SUM(CASE WHEN date >= $5 THEN 1 ELSE 0 END) AS recent_entries, \
     AVG(CASE WHEN date >= $5 THEN CAST(energy_level AS DOUBLE PRECISION) END) AS recent_energy, \
     AVG(CASE WHEN date >= $5 THEN CAST(sleep_quality AS DOUBLE PRECISION) END) AS recent_sleep \
     FROM wellness_data WHERE user_id = $1 AND date >= $2 AND date <= $4";

/// The days of the recent window of [`stats`].
pub const RECENT_DAYS: i32 = 7;

/// Every broken rule of `input`, with paths relative to the input object.
fn violations(input: &CheckInInput) -> Vec<Violation> {
    let mut found = Vec::new();
    found.extend(check_range("energyLevel", input.energy_level, &Limits::WELLNESS_SCORE).err());
    found.extend(check_range("sleepQuality", input.sleep_quality, &Limits::WELLNESS_SCORE).err());
    if input.device_timezone.parse::<UserTimeZone>().is_err() {
        found.push(Violation {
            field: "deviceTimezone".to_owned(),
            rule: "must be an IANA time zone such as Europe/Berlin".to_owned(),
        });
    }
    if input.notes.as_ref().is_some_and(|it| it.chars().count() > Limits::WELLNESS_NOTES_CHARS) {
        found.push(Violation {
            field: "notes".to_owned(),
            rule: format!("must be at most {} characters", Limits::WELLNESS_NOTES_CHARS),
        });
    }
    if let Some(w) = &input.whoop {
        let checks = [
            ("whoop.recoveryScore", w.recovery_score, &Limits::PERCENT),
            ("whoop.sleepPerformance", w.sleep_performance, &Limits::PERCENT),
            ("whoop.hrvMs", w.hrv_ms, &Limits::HRV_MS),
            ("whoop.hrvBaselineMs", w.hrv_baseline_ms, &Limits::HRV_MS),
            ("whoop.rhrBpm", w.rhr_bpm, &Limits::HEART_RATE_BPM),
            ("whoop.rhrBaselineBpm", w.rhr_baseline_bpm, &Limits::HEART_RATE_BPM),
            ("whoop.yesterdayStrain", w.yesterday_strain, &Limits::STRAIN),
        ];
        for (field, value, range) in checks {
            if let Some(it) = value {
                found.extend(check_range(field, it, range).err());
            }
        }
    }
    found
}

/// Saves the check-in for a workout of the user's (replacing an earlier one), dated `today` (the
/// user's local date) on first save; `NotFound` for a workout that is not the user's.
pub async fn save(
    db: &Db,
    user: UserId,
    input: &CheckInInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<CheckIn, QueryError> {
    let found = violations(input);
    if !found.is_empty() {
        return Err(QueryError::Invalid(ValidationError(found)));
    }
    let write = writes::begin(db, user).await?;
    let txn: &sea_orm::DatabaseTransaction = &write;
    let began = workout_began(txn, user, input.session_id).await?;
    if began < now - Duration::hours(Limits::WELLNESS_BACKFILL_HOURS) {
        return Err(QueryError::Invalid(ValidationError(vec![Violation {
            field: "workoutId".to_owned(),
            rule: format!(
                "the workout began more than {} hours ago: check-ins cannot be back-filled",
                Limits::WELLNESS_BACKFILL_HOURS
            ),
        }])));
    }
    let whoop = input.whoop.clone().unwrap_or_default();
    let values: Vec<Value> = vec![
        user.0.into(),
        input.session_id.into(),
        today.into(),
        input.energy_level.into(),
        input.sleep_quality.into(),
        input.device_timezone.clone().into(),
        now.into(),
        input.whoop.is_some().into(),
        whoop.recovery_score.into(),
        whoop.sleep_performance.into(),
        whoop.hrv_ms.into(),
        whoop.hrv_baseline_ms.into(),
        whoop.rhr_bpm.into(),
        whoop.rhr_baseline_bpm.into(),
        whoop.yesterday_strain.into(),
        input.notes.clone().into(),
    ];
    txn.execute_raw(Statement::from_sql_and_values(
        txn.get_database_backend(),
        "INSERT INTO wellness_data (user_id, session_id, date, energy_level, sleep_quality, device_timezone, \
         submitted_at, has_whoop_data, whoop_recovery_score, whoop_sleep_performance, whoop_hrv_ms, \
         whoop_hrv_baseline_ms, whoop_rhr_bpm, whoop_rhr_baseline_bpm, whoop_yesterday_strain, notes, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $7, $7) \
         ON CONFLICT (user_id, session_id) DO UPDATE SET energy_level = excluded.energy_level, \
         sleep_quality = excluded.sleep_quality, device_timezone = excluded.device_timezone, \
         submitted_at = excluded.submitted_at, has_whoop_data = excluded.has_whoop_data, \
         whoop_recovery_score = excluded.whoop_recovery_score, \
         whoop_sleep_performance = excluded.whoop_sleep_performance, whoop_hrv_ms = excluded.whoop_hrv_ms, \
         whoop_hrv_baseline_ms = excluded.whoop_hrv_baseline_ms, whoop_rhr_bpm = excluded.whoop_rhr_bpm, \
         whoop_rhr_baseline_bpm = excluded.whoop_rhr_baseline_bpm, \
         whoop_yesterday_strain = excluded.whoop_yesterday_strain, notes = excluded.notes, \
         updated_at = excluded.updated_at",
        values,
    ))
    .await?;
    let saved = Row::find_by_statement(Statement::from_sql_and_values(
        txn.get_database_backend(),
        BY_SESSION,
        [user.0.into(), input.session_id.into()],
    ))
    .one(txn)
    .await?
    .ok_or(QueryError::NotFound { entity: "check-in", id: input.session_id })?;
    write.commit().await?;
    Ok(saved.into())
}

/// When the user's workout `session` began; `NotFound` if it is not theirs.
async fn workout_began<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    session: i64,
) -> Result<DateTime<Utc>, QueryError> {
    #[derive(FromQueryResult)]
    struct Began {
        workout_date: DateTime<Utc>,
    }
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT workout_date FROM workout_sessions WHERE id = $1 AND user_id = $2",
        [session.into(), user.0.into()],
    );
    Began::find_by_statement(stmt)
        .one(conn)
        .await?
        .map(|it| it.workout_date)
        .ok_or(QueryError::NotFound { entity: "workout", id: session })
}

/// The check-in of the user's workout `session`, if any (another user's workout has none).
pub async fn by_session(
    db: &Db,
    user: UserId,
    session: i64,
) -> Result<Option<CheckIn>, QueryError> {
    let row = Row::find_by_statement(stmt(db, BY_SESSION, vec![user.0.into(), session.into()]))
        .one(&db.conn)
        .await?;
    Ok(row.map(Into::into))
}

/// The key a history page starts after: the last check-in's date and id.
pub type HistoryKey = (NaiveDate, i64);

/// Up to `limit` of the user's check-ins dated `from..=to` (either open), newest first, after
/// `after`.
pub async fn history(
    db: &Db,
    user: UserId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    after: Option<HistoryKey>,
    limit: u64,
) -> Result<Vec<CheckIn>, QueryError> {
    // Open bounds as dates both backends hold.
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    let (after_date, after_id) = after.unwrap_or((last, i64::MAX));
    let values: Vec<Value> = vec![
        user.0.into(),
        from.unwrap_or(first).into(),
        to.unwrap_or(last).into(),
        after_date.into(),
        after_id.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
    ];
    let rows = Row::find_by_statement(stmt(db, HISTORY, values)).all(&db.conn).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Averages over one window of days ending today.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub days: i32,
    pub entries: i64,
    pub average_energy: Option<f64>,
    pub average_sleep_quality: Option<f64>,
}

/// The requested window and the last [`RECENT_DAYS`] days.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub period: Window,
    pub recent: Window,
}

/// Averages of the user's check-ins over the last `days` days and the last seven, today
/// included in both.
pub async fn stats(
    db: &Db,
    user: UserId,
    days: i32,
    today: NaiveDate,
) -> Result<Stats, QueryError> {
    #[derive(FromQueryResult)]
    struct Averages {
        period_entries: Option<i64>,
        period_energy: Option<f64>,
        period_sleep: Option<f64>,
        recent_entries: Option<i64>,
        recent_energy: Option<f64>,
        recent_sleep: Option<f64>,
    }
    check_range("days", days, &Limits::WELLNESS_STATS_DAYS)
        .map_err(|it| QueryError::Invalid(ValidationError(vec![it])))?;
    let start = |n: i32| today - Duration::days(i64::from(n) - 1);
    let (period_start, recent_start) = (start(days), start(RECENT_DAYS));
    let values: Vec<Value> = vec![
        user.0.into(),
        period_start.min(recent_start).into(),
        period_start.into(),
        today.into(),
        recent_start.into(),
    ];
    let it = Averages::find_by_statement(stmt(db, STATS, values))
        .one(&db.conn)
        .await?
        .ok_or(QueryError::Unavailable("an aggregate returned no row"))?;
    Ok(Stats {
        period: Window {
            days,
            entries: it.period_entries.unwrap_or(0),
            average_energy: it.period_energy,
            average_sleep_quality: it.period_sleep,
        },
        recent: Window {
            days: RECENT_DAYS,
            entries: it.recent_entries.unwrap_or(0),
            average_energy: it.recent_energy,
            average_sleep_quality: it.recent_sleep,
        },
    })
}

/// Deletes the check-in of the user's workout `session`; `NotFound` if there is none.
pub async fn delete(db: &Db, user: UserId, session: i64) -> Result<(), QueryError> {
    let write = writes::begin(db, user).await?;
    let done = write
        .execute_raw(Statement::from_sql_and_values(
            write.get_database_backend(),
            "DELETE FROM wellness_data WHERE user_id = $1 AND session_id = $2",
            [user.0.into(), session.into()],
        ))
        .await?;
    if done.rows_affected() == 0 {
        return Err(QueryError::NotFound { entity: "check-in", id: session });
    }
    write.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CheckInInput {
        CheckInInput {
            session_id: 1,
            energy_level: 7,
            sleep_quality: 6,
            device_timezone: "Europe/Berlin".to_owned(),
            notes: None,
            whoop: None,
        }
    }

    #[test]
    fn every_broken_rule_is_named_with_its_field() {
        let cases: Vec<(CheckInInput, Vec<&str>)> = vec![
            (input(), vec![]),
            (CheckInInput { energy_level: 0, ..input() }, vec!["energyLevel"]),
            (
                CheckInInput { energy_level: 11, sleep_quality: 0, ..input() },
                vec!["energyLevel", "sleepQuality"],
            ),
            (
                CheckInInput { device_timezone: "Mars/Base".to_owned(), ..input() },
                vec!["deviceTimezone"],
            ),
            (CheckInInput { notes: Some("x".repeat(500)), ..input() }, vec![]),
            (CheckInInput { notes: Some("é".repeat(501)), ..input() }, vec!["notes"]),
            (
                CheckInInput {
                    whoop: Some(WhoopSnapshot {
                        recovery_score: Some(101.0),
                        hrv_ms: Some(0.0),
                        rhr_bpm: Some(55.0),
                        yesterday_strain: Some(22.0),
                        ..WhoopSnapshot::default()
                    }),
                    ..input()
                },
                vec!["whoop.recoveryScore", "whoop.hrvMs", "whoop.yesterdayStrain"],
            ),
        ];
        for (case, expected) in cases {
            let fields: Vec<String> = violations(&case).into_iter().map(|it| it.field).collect();
            assert_eq!(fields, expected, "{case:?}");
        }
    }
}
