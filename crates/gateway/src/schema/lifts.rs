//! Key lifts, plateaus, milestones and PR forecasts: lists as connections with their counts, the
//! writes that add, toggle, detect, resolve and forecast. Weights in the requested or preferred
//! unit. Merged into the query and mutation roots.

use async_graphql::connection::{Connection, OpaqueCursor};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use domain::Limits;
use query::lifts;

use super::paging::{decode_after, fetch_count, page, page_with};
use super::units::{ExperienceLevel, WeightUnit, round2, shown};
use super::{Within, answer_unit, caller, now, parse_id, parse_opt_id};
use crate::error::{ErrorCode, OrClient, client_error};

/// How long a plateau has lasted.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Severity")]
pub enum Severity {
    /// Three stalled workouts.
    Low,
    /// Four or five.
    Medium,
    /// Six or more.
    High,
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::PlateauStatus")]
pub enum PlateauStatus {
    Active,
    Resolved,
}

/// Which plateaus a list holds.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlateauFilter {
    #[default]
    All,
    Active,
    Resolved,
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Trajectory")]
pub enum Trajectory {
    Improving,
    Stable,
    Declining,
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::MilestoneType")]
pub enum MilestoneType {
    /// The heaviest weight of a counted line.
    AbsoluteWeight,
    /// That weight as a multiple of bodyweight (preferences' `bodyweightKg`).
    BodyweightMultiplier,
    /// The weight moved on the exercise in one workout.
    Volume,
}

/// Which milestones a list holds.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum MilestoneFilter {
    #[default]
    All,
    Achieved,
    Upcoming,
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::PlateauKind")]
pub enum PlateauKind {
    Strength,
    Hypertrophy,
    Endurance,
    Technique,
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Rule")]
pub enum RecommendationRule {
    Deload,
    MicroLoading,
    RepRangeChange,
    VolumeIncrease,
    TechniqueWork,
    RecoveryCheck,
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Priority")]
pub enum Priority {
    High,
    Medium,
    Low,
}

/// What `toggleKeyLift` does.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "query::lifts::KeyLiftAction")]
pub enum KeyLiftAction {
    /// Tracked, out of maintenance.
    Track,
    /// Neither tracked nor in maintenance.
    Untrack,
    /// In maintenance: listed, but not checked for plateaus.
    Maintenance,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct KeyLift {
    id: ID,
    master_exercise_id: ID,
    exercise_name: String,
    is_tracking: bool,
    maintenance_mode: bool,
    created_at: DateTime<Utc>,
}

impl From<lifts::KeyLiftView> for KeyLift {
    fn from(it: lifts::KeyLiftView) -> Self {
        Self {
            id: ID(it.id.to_string()),
            master_exercise_id: ID(it.master_exercise_id.to_string()),
            exercise_name: it.exercise_name,
            is_tracking: it.is_tracking,
            maintenance_mode: it.maintenance_mode,
            created_at: it.created_at,
        }
    }
}

/// The whole list's counts, beside a page of key lifts.
#[derive(Debug, SimpleObject)]
#[expect(clippy::struct_field_names, reason = "the connection convention's `totalCount`")]
pub(crate) struct KeyLiftCounts {
    total_count: i64,
    tracking_count: i64,
    maintenance_count: i64,
}

/// One piece of advice for a plateau.
#[derive(Debug, SimpleObject)]
pub(crate) struct Recommendation {
    rule: RecommendationRule,
    description: String,
    action: String,
    priority: Priority,
}

fn advice(
    severity: domain::Severity,
    level: domain::ExperienceLevel,
    kind: Option<domain::PlateauKind>,
) -> Vec<Recommendation> {
    domain::recommendations(severity, level, kind)
        .into_iter()
        .map(|it| Recommendation {
            rule: it.rule.into(),
            description: it.description.to_owned(),
            action: it.action.to_owned(),
            priority: it.priority.into(),
        })
        .collect()
}

/// A key lift's stall: the record top set its latest workouts did not beat.
#[derive(Debug, SimpleObject)]
pub(crate) struct Plateau {
    id: ID,
    master_exercise_id: ID,
    exercise_name: String,
    unit: WeightUnit,
    stalled_weight: f64,
    stalled_reps: i32,
    /// Workouts since the record, none better.
    session_count: i32,
    severity: Severity,
    status: PlateauStatus,
    detected_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    /// Advice for this stall and the lifter's experience, most urgent first.
    recommendations: Vec<Recommendation>,
}

fn plateau(
    unit: domain::WeightUnit,
    level: domain::ExperienceLevel,
    it: lifts::PlateauView,
) -> Plateau {
    Plateau {
        id: ID(it.id.to_string()),
        master_exercise_id: ID(it.master_exercise_id.to_string()),
        exercise_name: it.exercise_name,
        unit: unit.into(),
        stalled_weight: shown(unit, it.stalled_weight_kg),
        stalled_reps: it.stalled_reps,
        session_count: it.session_count,
        severity: it.severity.into(),
        status: it.status.into(),
        detected_at: it.detected_at,
        resolved_at: it.resolved_at,
        recommendations: advice(it.severity, level, None),
    }
}

#[derive(Debug, SimpleObject)]
pub(crate) struct PlateauCounts {
    active_count: i64,
    resolved_count: i64,
}

/// A strength target for one exercise, with progress.
#[derive(Debug, SimpleObject)]
pub(crate) struct Milestone {
    id: ID,
    master_exercise_id: ID,
    exercise_name: String,
    #[graphql(name = "type")]
    kind: MilestoneType,
    /// The unit of `target`, `currentValue` and `achievedValue`; null for a bodyweight multiple.
    unit: Option<WeightUnit>,
    target: f64,
    /// The best so far; null for a bodyweight multiple without a bodyweight.
    current_value: Option<f64>,
    /// `currentValue` as a percentage of `target`, at most 100.
    progress_percent: Option<f64>,
    achieved: bool,
    achieved_at: Option<DateTime<Utc>>,
    achieved_value: Option<f64>,
    /// The workout that reached it (null once that workout is deleted).
    achieved_workout_id: Option<ID>,
    is_system_default: bool,
    is_customized: bool,
    experience_level: ExperienceLevel,
    created_at: DateTime<Utc>,
}

fn milestone(unit: domain::WeightUnit, it: lifts::MilestoneView) -> Milestone {
    let weight = it.kind != domain::MilestoneType::BodyweightMultiplier;
    let show = |v: f64| if weight { shown(unit, v) } else { round2(v) };
    Milestone {
        id: ID(it.id.to_string()),
        master_exercise_id: ID(it.master_exercise_id.to_string()),
        exercise_name: it.exercise_name,
        kind: it.kind.into(),
        unit: weight.then_some(unit.into()),
        target: show(it.target_value),
        current_value: it.current_value.map(show),
        progress_percent: it
            .current_value
            .map(|c| round2(domain::progress_percent(c, it.target_value))),
        achieved: it.achieved_at.is_some(),
        achieved_at: it.achieved_at,
        achieved_value: it.achieved_value.map(show),
        achieved_workout_id: it.achieved_session_id.map(|id| ID(id.to_string())),
        is_system_default: it.is_system_default,
        is_customized: it.is_customized,
        experience_level: it.experience_level.into(),
        created_at: it.created_at,
    }
}

#[derive(Debug, SimpleObject)]
#[expect(clippy::struct_field_names, reason = "the connection convention's `totalCount`")]
pub(crate) struct MilestoneCounts {
    total_count: i64,
    achieved_count: i64,
    upcoming_count: i64,
}

/// A forecast of an exercise's next e1RM record.
#[derive(Debug, SimpleObject)]
pub(crate) struct PrForecast {
    master_exercise_id: ID,
    exercise_name: String,
    unit: WeightUnit,
    /// The best e1RM of the latest workouts.
    current_one_rm: f64,
    /// The next step of the user's progression increment above it.
    forecasted_weight: f64,
    estimated_weeks_low: i32,
    estimated_weeks_high: i32,
    confidence_percent: i32,
    trajectory: Trajectory,
    /// Workouts the forecast was fitted on.
    workouts_used: i32,
    calculated_at: DateTime<Utc>,
}

fn forecast(unit: domain::WeightUnit, it: lifts::ForecastView) -> PrForecast {
    PrForecast {
        master_exercise_id: ID(it.master_exercise_id.to_string()),
        exercise_name: it.exercise_name,
        unit: unit.into(),
        current_one_rm: shown(unit, it.current_one_rm_kg),
        forecasted_weight: shown(unit, it.forecasted_weight_kg),
        estimated_weeks_low: it.estimated_weeks_low,
        estimated_weeks_high: it.estimated_weeks_high,
        confidence_percent: it.confidence_percent,
        trajectory: it.trajectory.into(),
        workouts_used: it.sessions_used,
        calculated_at: it.calculated_at,
    }
}

#[derive(Debug, Default)]
pub(crate) struct LiftsQuery;

#[Object]
impl LiftsQuery {
    /// The caller's key lifts, newest first, with the whole list's counts.
    async fn key_lifts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] tracking_only: bool,
        #[graphql(default = 20, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, KeyLift, KeyLiftCounts>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<i64>(ctx, after)?;
        let (rows, counts) = lifts::key_lifts(db, user, tracking_only, key, fetch_count(first))
            .await
            .or_client(ctx)?;
        let counts = KeyLiftCounts {
            total_count: counts.total,
            tracking_count: counts.tracking,
            maintenance_count: counts.maintenance,
        };
        Ok(page_with(rows, first, key.is_some(), counts, |it| OpaqueCursor(it.id), Into::into))
    }

    /// The caller's plateaus, latest first, with the counts of active and resolved ones.
    async fn plateaus(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] status: PlateauFilter,
        unit: Option<WeightUnit>,
        #[graphql(default = 20, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Plateau, PlateauCounts>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<i64>(ctx, after)?;
        let unit = answer_unit(ctx, db, user, unit).await?;
        let status = match status {
            PlateauFilter::All => None,
            PlateauFilter::Active => Some(domain::PlateauStatus::Active),
            PlateauFilter::Resolved => Some(domain::PlateauStatus::Resolved),
        };
        let (rows, counts) =
            lifts::plateaus(db, user, status, key, fetch_count(first)).await.or_client(ctx)?;
        let level = lifts::experience_level(db, user).await.or_client(ctx)?;
        let counts = PlateauCounts { active_count: counts.active, resolved_count: counts.resolved };
        Ok(page_with(
            rows,
            first,
            key.is_some(),
            counts,
            |it| OpaqueCursor(it.id),
            |it| plateau(unit, level, it),
        ))
    }

    /// Advice for a stall of one of the caller's master exercises: for its active plateau's
    /// severity (or a fresh stall without one), narrowed by the kind of plateau when given.
    async fn plateau_recommendations(
        &self,
        ctx: &Context<'_>,
        master_exercise_id: ID,
        kind: Option<PlateauKind>,
    ) -> Result<Vec<Recommendation>> {
        let (user, db) = caller(ctx)?;
        let master = parse_id(ctx, "masterExerciseId", &master_exercise_id)?;
        let active = lifts::active_plateau(db, user, master).await.or_client(ctx)?;
        if active.is_none() {
            // Ownership: an unknown or foreign master is NOT_FOUND, not generic advice.
            ::query::exercises::master_exercise(db, user, master).await.or_client(ctx)?;
        }
        let level = lifts::experience_level(db, user).await.or_client(ctx)?;
        let severity = active.map_or(domain::Severity::Low, |it| it.severity);
        Ok(advice(severity, level, kind.map(Into::into)))
    }

    /// The caller's milestones, newest first, each with progress, and the counts.
    async fn milestones(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] status: MilestoneFilter,
        unit: Option<WeightUnit>,
        #[graphql(default = 20, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Milestone, MilestoneCounts>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<i64>(ctx, after)?;
        let unit = answer_unit(ctx, db, user, unit).await?;
        let achieved = match status {
            MilestoneFilter::All => None,
            MilestoneFilter::Achieved => Some(true),
            MilestoneFilter::Upcoming => Some(false),
        };
        let (rows, counts) =
            lifts::milestones(db, user, achieved, key, fetch_count(first)).await.or_client(ctx)?;
        let counts = MilestoneCounts {
            total_count: counts.total,
            achieved_count: counts.achieved,
            upcoming_count: counts.total - counts.achieved,
        };
        Ok(page_with(
            rows,
            first,
            key.is_some(),
            counts,
            |it| OpaqueCursor(it.id),
            |it| milestone(unit, it),
        ))
    }

    /// The caller's stored PR forecasts, most confident first.
    async fn pr_forecasts(
        &self,
        ctx: &Context<'_>,
        unit: Option<WeightUnit>,
        #[graphql(default = 20, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<(i32, i64)>, PrForecast>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<(i32, i64)>(ctx, after)?;
        let unit = answer_unit(ctx, db, user, unit).await?;
        let rows = lifts::forecasts(db, user, key, fetch_count(first)).await.or_client(ctx)?;
        Ok(page(
            rows,
            first,
            key.is_some(),
            |it| OpaqueCursor((it.confidence_percent, it.id)),
            |it| forecast(unit, it),
        ))
    }
}

#[derive(Debug, Default)]
pub(crate) struct LiftsMutation;

#[Object]
impl LiftsMutation {
    /// Makes one of the caller's master exercises a key lift, with default bodyweight-multiple
    /// milestones when it is one of the big lifts; `BAD_USER_INPUT` if it is one already.
    async fn add_key_lift(
        &self,
        ctx: &Context<'_>,
        master_exercise_id: ID,
        #[graphql(default = true)] tracking: bool,
        #[graphql(default = false)] maintenance: bool,
    ) -> Result<KeyLift> {
        let (user, db) = caller(ctx)?;
        let master = parse_id(ctx, "masterExerciseId", &master_exercise_id)?;
        let res = lifts::add_key_lift(db, user, master, tracking, maintenance, now(ctx));
        Ok(res.await.or_client(ctx)?.into())
    }

    /// Sets a key lift's switches, creating it when missing. Give the master exercise, or a
    /// template line (its linked master, or one created and linked).
    async fn toggle_key_lift(
        &self,
        ctx: &Context<'_>,
        master_exercise_id: Option<ID>,
        template_exercise_id: Option<ID>,
        action: KeyLiftAction,
    ) -> Result<KeyLift> {
        let (user, db) = caller(ctx)?;
        let master = parse_opt_id(ctx, "masterExerciseId", master_exercise_id.as_ref())?;
        let line = parse_opt_id(ctx, "templateExerciseId", template_exercise_id.as_ref())?;
        let target = match (master, line) {
            (Some(id), None) => lifts::LiftTarget::Master(id),
            (None, Some(id)) => lifts::LiftTarget::TemplateExercise(id),
            _ => {
                return Err(client_error(
                    ctx,
                    ErrorCode::BadUserInput,
                    "masterExerciseId: give exactly one of masterExerciseId and templateExerciseId",
                ));
            }
        };
        let res = lifts::toggle_key_lift(db, user, target, action.into(), now(ctx));
        Ok(res.await.or_client(ctx)?.into())
    }

    /// Detects a plateau of one of the caller's tracked key lifts now (a plateau a new record
    /// broke is resolved); returns the active plateau, if any.
    async fn detect_plateau(
        &self,
        ctx: &Context<'_>,
        master_exercise_id: ID,
        unit: Option<WeightUnit>,
    ) -> Result<Option<Plateau>> {
        let (user, db) = caller(ctx)?;
        let master = parse_id(ctx, "masterExerciseId", &master_exercise_id)?;
        let found = lifts::detect(db, user, master, now(ctx)).await.or_client(ctx)?;
        let unit = answer_unit(ctx, db, user, unit).await?;
        let level = lifts::experience_level(db, user).await.or_client(ctx)?;
        Ok(found.map(|it| plateau(unit, level, it)))
    }

    /// Marks one of the caller's plateaus resolved.
    async fn resolve_plateau(
        &self,
        ctx: &Context<'_>,
        id: ID,
        unit: Option<WeightUnit>,
    ) -> Result<Plateau> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        let it = lifts::resolve_plateau(db, user, id, now(ctx)).await.or_client(ctx)?;
        let unit = answer_unit(ctx, db, user, unit).await?;
        let level = lifts::experience_level(db, user).await.or_client(ctx)?;
        Ok(plateau(unit, level, it))
    }

    /// Adds a milestone for one of the caller's master exercises (the same one twice is one),
    /// achieved at once if the history reached it. `target` is in `unit` (or the preferred unit)
    /// for a weight or a volume, a multiple for `BODYWEIGHT_MULTIPLIER`.
    async fn add_milestone(
        &self,
        ctx: &Context<'_>,
        master_exercise_id: ID,
        #[graphql(name = "type")] kind: MilestoneType,
        target: f64,
        unit: Option<WeightUnit>,
    ) -> Result<Milestone> {
        let (user, db) = caller(ctx)?;
        let master = parse_id(ctx, "masterExerciseId", &master_exercise_id)?;
        let unit = answer_unit(ctx, db, user, unit).await?;
        let kind: domain::MilestoneType = kind.into();
        let target = match kind {
            domain::MilestoneType::BodyweightMultiplier => target,
            _ => unit.to_kg(target),
        };
        let it =
            lifts::add_milestone(db, user, master, kind, target, now(ctx)).await.or_client(ctx)?;
        Ok(milestone(unit, it))
    }

    /// Forecasts the next e1RM record of one of the caller's master exercises from its latest
    /// workouts and stores it; null (and the stored one removed) with too few workouts or no
    /// rise.
    async fn forecast_pr(
        &self,
        ctx: &Context<'_>,
        master_exercise_id: ID,
        unit: Option<WeightUnit>,
    ) -> Result<Option<PrForecast>> {
        let (user, db) = caller(ctx)?;
        let master = parse_id(ctx, "masterExerciseId", &master_exercise_id)?;
        let found = lifts::forecast_pr(db, user, master, now(ctx)).await.or_client(ctx)?;
        let unit = answer_unit(ctx, db, user, unit).await?;
        Ok(found.map(|it| forecast(unit, it)))
    }
}
