//! Wellness check-ins: save one per workout, read it back, page the history, average two windows,
//! delete. Merged into the query and mutation roots.

use async_graphql::connection::{Connection, OpaqueCursor};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Limits;
use query::wellness;

use super::paging::{decode_after, fetch_count, page};
use super::{Within, caller, now, parse_id, unit_and_today};
use crate::error::OrClient;

/// The WHOOP figures the app showed at the check-in.
#[derive(Debug, Clone, InputObject, SimpleObject)]
#[graphql(input_name = "WhoopSnapshotInput")]
pub(crate) struct WhoopSnapshot {
    /// Percent, 0–100.
    recovery_score: Option<f64>,
    /// Percent, 0–100.
    sleep_performance: Option<f64>,
    /// Heart-rate variability, milliseconds.
    hrv_ms: Option<f64>,
    hrv_baseline_ms: Option<f64>,
    /// Resting heart rate, beats per minute.
    rhr_bpm: Option<f64>,
    rhr_baseline_bpm: Option<f64>,
    /// Yesterday's day strain, 0–21.
    yesterday_strain: Option<f64>,
}

impl From<WhoopSnapshot> for wellness::WhoopSnapshot {
    fn from(it: WhoopSnapshot) -> Self {
        Self {
            recovery_score: it.recovery_score,
            sleep_performance: it.sleep_performance,
            hrv_ms: it.hrv_ms,
            hrv_baseline_ms: it.hrv_baseline_ms,
            rhr_bpm: it.rhr_bpm,
            rhr_baseline_bpm: it.rhr_baseline_bpm,
            yesterday_strain: it.yesterday_strain,
        }
    }
}

impl From<wellness::WhoopSnapshot> for WhoopSnapshot {
    fn from(it: wellness::WhoopSnapshot) -> Self {
        Self {
            recovery_score: it.recovery_score,
            sleep_performance: it.sleep_performance,
            hrv_ms: it.hrv_ms,
            hrv_baseline_ms: it.hrv_baseline_ms,
            rhr_bpm: it.rhr_bpm,
            rhr_baseline_bpm: it.rhr_baseline_bpm,
            yesterday_strain: it.yesterday_strain,
        }
    }
}

/// A check-in before a workout.
#[derive(Debug, InputObject)]
pub(crate) struct WellnessInput {
    workout_id: ID,
    /// 1–10.
    energy_level: i32,
    /// 1–10.
    sleep_quality: i32,
    /// The device's IANA time zone.
    device_timezone: String,
    /// At most 500 characters.
    notes: Option<String>,
    whoop: Option<WhoopSnapshot>,
}

/// A saved check-in.
#[derive(Debug, SimpleObject)]
pub(crate) struct WellnessCheckIn {
    id: ID,
    workout_id: ID,
    /// The user's local date of the first submission.
    date: NaiveDate,
    energy_level: i32,
    sleep_quality: i32,
    device_timezone: String,
    submitted_at: DateTime<Utc>,
    /// Null when no WHOOP figures were given.
    whoop: Option<WhoopSnapshot>,
    notes: Option<String>,
}

impl From<wellness::CheckIn> for WellnessCheckIn {
    fn from(it: wellness::CheckIn) -> Self {
        Self {
            id: ID(it.id.to_string()),
            workout_id: ID(it.session_id.to_string()),
            date: it.date,
            energy_level: it.energy_level,
            sleep_quality: it.sleep_quality,
            device_timezone: it.device_timezone,
            submitted_at: it.submitted_at,
            whoop: it.whoop.map(Into::into),
            notes: it.notes,
        }
    }
}

/// Averages over the last `days` days, today included.
#[derive(Debug, SimpleObject)]
pub(crate) struct WellnessWindow {
    days: i32,
    entries: i64,
    average_energy: Option<f64>,
    average_sleep_quality: Option<f64>,
}

impl From<wellness::Window> for WellnessWindow {
    fn from(it: wellness::Window) -> Self {
        Self {
            days: it.days,
            entries: it.entries,
            average_energy: it.average_energy,
            average_sleep_quality: it.average_sleep_quality,
        }
    }
}

#[derive(Debug, SimpleObject)]
pub(crate) struct WellnessStats {
    /// The requested window.
    period: WellnessWindow,
    /// The last seven days.
    recent: WellnessWindow,
}

#[derive(Debug, Default)]
pub(crate) struct WellnessQuery;

#[Object]
impl WellnessQuery {
    /// The check-in of one of the caller's workouts; null when there is none.
    async fn wellness(&self, ctx: &Context<'_>, workout_id: ID) -> Result<Option<WellnessCheckIn>> {
        let (user, db) = caller(ctx)?;
        let session = parse_id(ctx, "workoutId", &workout_id)?;
        Ok(wellness::by_session(db, user, session).await.or_client(ctx)?.map(Into::into))
    }

    /// The caller's check-ins dated `from..=to` (either open), newest first.
    async fn wellness_history(
        &self,
        ctx: &Context<'_>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        #[graphql(default = 30, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<(NaiveDate, i64)>, WellnessCheckIn>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<(NaiveDate, i64)>(ctx, after)?;
        let rows =
            wellness::history(db, user, from, to, key, fetch_count(first)).await.or_client(ctx)?;
        Ok(page(rows, first, key.is_some(), |it| OpaqueCursor((it.date, it.id)), Into::into))
    }

    /// Average energy and sleep quality over the last `days` days and the last seven.
    async fn wellness_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30, validator(custom = "Within(Limits::WELLNESS_STATS_DAYS)"))]
        days: i32,
    ) -> Result<WellnessStats> {
        let (user, db) = caller(ctx)?;
        let (_, today) = unit_and_today(ctx, db, user, None).await?;
        let it = wellness::stats(db, user, days, today).await.or_client(ctx)?;
        Ok(WellnessStats { period: it.period.into(), recent: it.recent.into() })
    }
}

#[derive(Debug, Default)]
pub(crate) struct WellnessMutation;

#[Object]
impl WellnessMutation {
    /// Saves the check-in of one of the caller's workouts, replacing an earlier one. Dated the
    /// caller's today; a workout that began more than 24 hours ago takes none (no back-filling).
    async fn save_wellness(
        &self,
        ctx: &Context<'_>,
        input: WellnessInput,
    ) -> Result<WellnessCheckIn> {
        let (user, db) = caller(ctx)?;
        let session_id = parse_id(ctx, "workoutId", &input.workout_id)?;
        let (_, today) = unit_and_today(ctx, db, user, None).await?;
        let input = wellness::CheckInInput {
            session_id,
            energy_level: input.energy_level,
            sleep_quality: input.sleep_quality,
            device_timezone: input.device_timezone,
            notes: input.notes,
            whoop: input.whoop.map(Into::into),
        };
        Ok(wellness::save(db, user, &input, today, now(ctx)).await.or_client(ctx)?.into())
    }

    /// Deletes the check-in of one of the caller's workouts; `NOT_FOUND` when there is none.
    async fn delete_wellness(&self, ctx: &Context<'_>, workout_id: ID) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let session = parse_id(ctx, "workoutId", &workout_id)?;
        wellness::delete(db, user, session).await.or_client(ctx)?;
        Ok(true)
    }
}
