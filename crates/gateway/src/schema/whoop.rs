//! WHOOP recovery, sleep and workouts as cursor connections, newest first, and the day's
//! readiness: every field from a column (the tiers from the scores by `domain`'s bands), never
//! from a stored payload. Merged into the query root.

use async_graphql::connection::{Connection, OpaqueCursor};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Limits;
use query::whoop;

use super::paging::{decode_after, fetch_count, page};
use super::{Within, caller};
use crate::error::OrClient;

/// A page position: an instant (nanoseconds) and a row id.
type Cursor = OpaqueCursor<(i64, i64)>;

fn cursor(at: DateTime<Utc>, id: i64) -> Cursor {
    OpaqueCursor((at.timestamp_nanos_opt().unwrap_or(i64::MAX), id))
}

fn key(it: Option<(i64, i64)>) -> Option<whoop::PageKey> {
    it.map(|(nanos, id)| (DateTime::from_timestamp_nanos(nanos), id))
}

/// WHOOP's recovery colour band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum RecoveryTier {
    Low,
    Medium,
    High,
}

/// The original's sleep-quality band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum SleepQualityTier {
    Poor,
    Fair,
    Good,
    Excellent,
}

/// A morning measure against its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum VersusBaseline {
    /// HRV more than 10 % under its baseline, resting heart rate more than 5 % over it.
    Worse,
    Normal,
    /// HRV more than 10 % over its baseline, resting heart rate more than 5 % under it.
    Better,
}

impl From<domain::VersusBaseline> for VersusBaseline {
    fn from(it: domain::VersusBaseline) -> Self {
        match it {
            domain::VersusBaseline::Worse => Self::Worse,
            domain::VersusBaseline::Normal => Self::Normal,
            domain::VersusBaseline::Better => Self::Better,
        }
    }
}

/// A WHOOP recovery (one per sleep that scored one).
#[derive(Debug, SimpleObject)]
pub(crate) struct WhoopRecovery {
    id: ID,
    /// WHOOP's id: the id of the sleep it was scored from.
    whoop_id: String,
    cycle_id: String,
    /// When the sleep it scores ended.
    date: DateTime<Utc>,
    /// `SCORED`, `PENDING_SCORE` or `UNSCORABLE`.
    score_state: String,
    /// Percent, 0–100.
    recovery_score: Option<f64>,
    tier: Option<RecoveryTier>,
    hrv_ms: Option<f64>,
    hrv_baseline_ms: Option<f64>,
    resting_heart_rate: Option<f64>,
    resting_heart_rate_baseline: Option<f64>,
    respiratory_rate: Option<f64>,
}

impl From<whoop::RecoveryView> for WhoopRecovery {
    fn from(it: whoop::RecoveryView) -> Self {
        let tier = it.recovery_score.map(|s| match domain::RecoveryTier::of(s) {
            domain::RecoveryTier::Low => RecoveryTier::Low,
            domain::RecoveryTier::Medium => RecoveryTier::Medium,
            domain::RecoveryTier::High => RecoveryTier::High,
        });
        Self {
            id: ID(it.id.to_string()),
            whoop_id: it.whoop_recovery_id,
            cycle_id: it.cycle_id,
            date: it.date,
            score_state: it.score_state,
            recovery_score: it.recovery_score,
            tier,
            hrv_ms: it.hrv_rmssd_milli,
            hrv_baseline_ms: it.hrv_rmssd_baseline,
            resting_heart_rate: it.resting_heart_rate,
            resting_heart_rate_baseline: it.resting_heart_rate_baseline,
            respiratory_rate: it.respiratory_rate,
        }
    }
}

/// A WHOOP sleep (or nap).
#[derive(Debug, SimpleObject)]
pub(crate) struct WhoopSleep {
    id: ID,
    whoop_id: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    nap: bool,
    score_state: String,
    /// Percent, 0–100.
    performance: Option<f64>,
    quality_tier: Option<SleepQualityTier>,
    /// Light + slow-wave + REM, milliseconds.
    total_sleep_ms: Option<i64>,
    efficiency: Option<f64>,
    slow_wave_ms: Option<i64>,
    rem_ms: Option<i64>,
    light_ms: Option<i64>,
    awake_ms: Option<i64>,
    disturbances: Option<i32>,
    respiratory_rate: Option<f64>,
}

impl From<whoop::SleepView> for WhoopSleep {
    fn from(it: whoop::SleepView) -> Self {
        let quality_tier =
            it.sleep_performance_percentage.map(|p| match domain::SleepQualityTier::of(p) {
                domain::SleepQualityTier::Poor => SleepQualityTier::Poor,
                domain::SleepQualityTier::Fair => SleepQualityTier::Fair,
                domain::SleepQualityTier::Good => SleepQualityTier::Good,
                domain::SleepQualityTier::Excellent => SleepQualityTier::Excellent,
            });
        Self {
            id: ID(it.id.to_string()),
            whoop_id: it.whoop_sleep_id,
            start: it.start_time,
            end: it.end_time,
            nap: it.nap,
            score_state: it.score_state,
            performance: it.sleep_performance_percentage,
            quality_tier,
            total_sleep_ms: it.total_sleep_time_milli,
            efficiency: it.sleep_efficiency_percentage,
            slow_wave_ms: it.slow_wave_sleep_time_milli,
            rem_ms: it.rem_sleep_time_milli,
            light_ms: it.light_sleep_time_milli,
            awake_ms: it.wake_time_milli,
            disturbances: it.disturbance_count,
            respiratory_rate: it.respiratory_rate,
        }
    }
}

/// A WHOOP workout (WHOOP records no exercises or sets).
#[derive(Debug, SimpleObject)]
pub(crate) struct WhoopWorkout {
    id: ID,
    whoop_id: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    sport_name: String,
    score_state: String,
    /// 0–21.
    strain: Option<f64>,
    average_heart_rate: Option<i32>,
    max_heart_rate: Option<i32>,
    kilojoule: Option<f64>,
    distance_meter: Option<f64>,
}

impl From<whoop::WorkoutView> for WhoopWorkout {
    fn from(it: whoop::WorkoutView) -> Self {
        Self {
            id: ID(it.id.to_string()),
            whoop_id: it.whoop_workout_id,
            start: it.start_time,
            end: it.end_time,
            sport_name: it.sport_name,
            score_state: it.score_state,
            strain: it.strain,
            average_heart_rate: it.average_heart_rate,
            max_heart_rate: it.max_heart_rate,
            kilojoule: it.kilojoule,
            distance_meter: it.distance_meter,
        }
    }
}

/// The original's readiness for a day.
#[derive(Debug, SimpleObject)]
pub(crate) struct Readiness {
    date: NaiveDate,
    /// 0–1: 0.4 × recovery + 0.3 × sleep performance + 0.2 × HRV score + 0.1 × RHR score, where a
    /// measure worse than its baseline scores 0.6, normal 0.8 and better 0.9.
    score: f64,
    recovery_score: f64,
    sleep_performance: f64,
    hrv: VersusBaseline,
    resting_heart_rate: VersusBaseline,
}

#[derive(Debug, Default)]
pub(crate) struct WhoopQuery;

#[Object]
impl WhoopQuery {
    /// The caller's WHOOP recoveries, newest first.
    async fn whoop_recovery(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<Cursor, WhoopRecovery>> {
        let (user, db) = caller(ctx)?;
        let after = decode_after::<(i64, i64)>(ctx, after)?;
        let rows =
            whoop::recoveries(db, user, key(after), fetch_count(first)).await.or_client(ctx)?;
        Ok(page(rows, first, after.is_some(), |it| cursor(it.date, it.id), Into::into))
    }

    /// The caller's WHOOP sleeps, newest first.
    async fn whoop_sleep(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<Cursor, WhoopSleep>> {
        let (user, db) = caller(ctx)?;
        let after = decode_after::<(i64, i64)>(ctx, after)?;
        let rows = whoop::sleeps(db, user, key(after), fetch_count(first)).await.or_client(ctx)?;
        Ok(page(rows, first, after.is_some(), |it| cursor(it.start_time, it.id), Into::into))
    }

    /// The caller's WHOOP workouts, newest first.
    async fn whoop_workouts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<Cursor, WhoopWorkout>> {
        let (user, db) = caller(ctx)?;
        let after = decode_after::<(i64, i64)>(ctx, after)?;
        let rows =
            whoop::workouts(db, user, key(after), fetch_count(first)).await.or_client(ctx)?;
        Ok(page(rows, first, after.is_some(), |it| cursor(it.start_time, it.id), Into::into))
    }

    /// The caller's readiness on `date` (the calendar day of the recovery, at WHOOP's offset),
    /// or null without a scored recovery and sleep that morning.
    async fn readiness(&self, ctx: &Context<'_>, date: NaiveDate) -> Result<Option<Readiness>> {
        let (user, db) = caller(ctx)?;
        let it = whoop::readiness(db, user, date).await.or_client(ctx)?;
        Ok(it.map(|r| Readiness {
            date: r.date,
            score: r.score,
            recovery_score: r.recovery_score,
            sleep_performance: r.sleep_performance,
            hrv: r.hrv.into(),
            resting_heart_rate: r.resting_heart_rate.into(),
        }))
    }
}
