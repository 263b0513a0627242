//! The progress pages beyond the dashboard: an exercise's detail (progression beside the previous
//! period, PR events, top sets), the strength pulse, set and rep distributions, daily volume a
//! page at a time, and the user's exercise list. Weights are shown in the requested or preferred
//! unit, rounded once (`units::shown`).

use async_graphql::connection::{Connection, OpaqueCursor};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;
use domain::Limits;
use query::progress::TimeRange as Range;
use query::{detail, highlights, overview};

use super::paging::{decode_after, fetch_count, page};
use super::types::ProgressPoint;
use super::units::{TimeRange, WeightUnit, round2, shown, shown_opt};
use super::{Within, caller, unit_and_today};
use crate::error::OrClient;

/// The first and last day of `range` ending `today`.
pub(super) fn period(range: TimeRange, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (today - chrono::Duration::days(Range::from(range).days() - 1), today)
}

/// What kind of record a PR event set.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "query::detail::PrKind")]
pub enum PrKind {
    /// The best estimated one-rep max.
    OneRm,
    /// The heaviest weight.
    Weight,
    /// The largest volume of one line (weight × reps × sets).
    Volume,
}

/// A set line that beat every earlier line of its exercise in one respect.
#[derive(Debug, SimpleObject)]
pub(crate) struct PrEvent {
    kind: PrKind,
    local_date: NaiveDate,
    /// The new record.
    value: f64,
    /// The record it beat; null for the exercise's first line.
    previous: Option<f64>,
    weight: f64,
    reps: Option<i32>,
    sets: i32,
}

/// A set line with its share of the period's best e1RM.
#[derive(Debug, SimpleObject)]
pub(crate) struct TopSet {
    local_date: NaiveDate,
    weight: f64,
    reps: Option<i32>,
    sets: i32,
    one_rm: Option<f64>,
    /// The line's e1RM as a percentage of the period's best.
    share_of_best: Option<f64>,
}

/// One period of an exercise.
#[derive(Debug, SimpleObject)]
pub(crate) struct ExercisePeriod {
    best_one_rm: Option<f64>,
    best_weight: Option<f64>,
    /// The largest volume of one line.
    best_line_volume: Option<f64>,
    volume: f64,
    session_count: i64,
    /// Each training day: best e1RM, heaviest weight, volume.
    days: Vec<ProgressPoint>,
}

/// An exercise's detail page over a period, beside the period of the same length before it.
#[derive(Debug, SimpleObject)]
#[graphql(complex)]
pub(crate) struct ExerciseProgress {
    exercise_name: String,
    unit: WeightUnit,
    current: ExercisePeriod,
    previous: ExercisePeriod,
    /// `current.bestOneRm - previous.bestOneRm` (null unless both exist).
    one_rm_change: Option<f64>,
    /// Volume change over the previous period, in percent (null without previous volume).
    volume_change_percent: Option<f64>,
    /// Sessions per week.
    frequency_per_week: f64,
    /// Least-squares slope of the daily best e1RM, per week; null with fewer than two days.
    trend_per_week: Option<f64>,
    /// PR events per 30 days of the period.
    prs_per_month: f64,
    /// The five lines with the largest share of the period's best e1RM.
    top_sets: Vec<TopSet>,
    /// Mean share of the period's best e1RM over its lines, in percent.
    average_intensity: Option<f64>,
    heaviest_set: Option<TopSet>,
    /// The latest line at or above 85% of the period's best e1RM.
    latest_heavy_set: Option<TopSet>,
    #[graphql(skip)]
    prs: Vec<PrEvent>,
}

#[async_graphql::ComplexObject]
impl ExerciseProgress {
    /// The period's PR events (e1RM, weight, volume), the latest `first`, oldest first. A PR beats
    /// every earlier line of the exercise, before the period too.
    async fn recent_prs(
        &self,
        #[graphql(default = 10, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
    ) -> Vec<PrEvent> {
        let first = usize::try_from(first).unwrap_or(0);
        let skip = self.prs.len().saturating_sub(first);
        self.prs[skip..]
            .iter()
            .map(|e| PrEvent {
                kind: e.kind,
                local_date: e.local_date,
                value: e.value,
                previous: e.previous,
                weight: e.weight,
                reps: e.reps,
                sets: e.sets,
            })
            .collect()
    }
}

fn shown_period(unit: domain::WeightUnit, it: &detail::Period) -> ExercisePeriod {
    ExercisePeriod {
        best_one_rm: shown_opt(unit, it.best_one_rm),
        best_weight: shown_opt(unit, it.best_weight),
        best_line_volume: shown_opt(unit, it.best_volume),
        volume: shown(unit, it.volume),
        session_count: it.sessions,
        days: it
            .days
            .iter()
            .map(|d| ProgressPoint {
                local_date: d.local_date,
                max_one_rm: shown_opt(unit, d.max_one_rm),
                top_weight: shown_opt(unit, d.top_weight),
                volume: shown(unit, d.volume),
            })
            .collect(),
    }
}

fn shown_top_set(unit: domain::WeightUnit, it: &detail::TopSet) -> TopSet {
    TopSet {
        local_date: it.local_date,
        weight: shown(unit, it.weight_kg),
        reps: it.reps,
        sets: it.sets,
        one_rm: shown_opt(unit, it.one_rm),
        share_of_best: it.share_of_best.map(round2),
    }
}

/// One day's totals over all exercises.
#[derive(Debug, SimpleObject)]
pub(crate) struct VolumeDay {
    local_date: NaiveDate,
    session_count: i64,
    /// Sets performed (a line of 3 × 10 is three).
    sets: i64,
    /// Reps performed (reps × sets).
    reps: i64,
    volume: f64,
    /// Distinct exercises trained.
    exercise_count: i64,
}

/// The rep ranges of the distribution.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "query::overview::RepRange")]
pub enum RepRange {
    OneToFive,
    SixToEight,
    NineToTwelve,
    ThirteenToFifteen,
    SixteenPlus,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct RepCount {
    reps: i32,
    sets: i64,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct RepRangeShare {
    range: RepRange,
    sets: i64,
    /// Percent of all sets.
    share: f64,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct SetsPerExercise {
    /// Sets an exercise got in one workout.
    sets: i64,
    /// How many times that happened.
    count: i64,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct SetRepCombination {
    sets: i32,
    reps: i32,
    /// Lines of this shape.
    lines: i64,
}

/// How the period's sets were shaped; a line of 3 × 10 is three sets of ten reps.
#[derive(Debug, SimpleObject)]
pub(crate) struct SetRepDistribution {
    total_sets: i64,
    /// The ten most frequent rep counts, most sets first.
    reps: Vec<RepCount>,
    /// Every rep range, in order.
    rep_ranges: Vec<RepRangeShare>,
    sets_per_exercise: Vec<SetsPerExercise>,
    /// The eight most frequent line shapes, most lines first.
    combinations: Vec<SetRepCombination>,
}

/// One exercise's best e1RM in the period and in the previous one.
#[derive(Debug, SimpleObject)]
pub(crate) struct PulseLift {
    exercise_name: String,
    one_rm: f64,
    /// The first day of the period the best was reached.
    local_date: NaiveDate,
    previous_one_rm: Option<f64>,
    /// Lines at or above 85% of this exercise's best of the period.
    heavy_sets: i64,
}

/// Strength over all exercises: the period's best e1RM against the previous period's.
#[derive(Debug, SimpleObject)]
pub(crate) struct StrengthPulse {
    unit: WeightUnit,
    /// The exercise with the period's best e1RM.
    top_lift: Option<PulseLift>,
    /// The previous period's best e1RM over all exercises.
    previous_best_one_rm: Option<f64>,
    heavy_sets: i64,
    /// Exercises trained in both periods whose best e1RM rose.
    exercises_improved: i64,
    /// Exercises trained in both periods.
    exercises_compared: i64,
    /// Every exercise trained in the period, by name.
    lifts: Vec<PulseLift>,
}

/// An exercise the user logged, under the name progress groups it by.
#[derive(Debug, SimpleObject)]
pub(crate) struct ExerciseListItem {
    name: String,
    /// The master exercise of that name, when it is one.
    master_exercise_id: Option<ID>,
    /// Other spellings logged for it.
    aliases: Vec<String>,
    last_used: NaiveDate,
    /// Set lines logged (warm-ups included).
    line_count: i64,
}

#[derive(Debug, Default)]
pub(super) struct ProgressQuery;

/// An exercise's totals over the period.
#[derive(Debug, SimpleObject)]
pub(crate) struct ExerciseVolume {
    exercise_name: String,
    volume: f64,
    sets: i64,
    reps: i64,
}

/// A PR event of one exercise.
#[derive(Debug, SimpleObject)]
pub(crate) struct ExercisePr {
    exercise_name: String,
    #[graphql(flatten)]
    event: PrEvent,
}

/// The period's PR events over every exercise.
#[derive(Debug, SimpleObject)]
pub(crate) struct PrHighlights {
    total: i64,
    one_rm: i64,
    weight: i64,
    volume: i64,
    /// The latest `first` events, newest first.
    events: Vec<ExercisePr>,
}

/// The period's volume.
#[derive(Debug, SimpleObject)]
pub(crate) struct VolumeHighlights {
    total_volume: f64,
    workouts: i64,
    /// Distinct exercises trained.
    exercise_count: i64,
    /// `totalVolume` per workout; null without workouts.
    average_workout_volume: Option<f64>,
    /// `totalVolume` per day of the period.
    volume_per_day: f64,
    /// The day with the most volume (the latest on ties).
    heaviest_day: Option<VolumeDay>,
    /// The exercise with the most volume (the first by name on ties).
    top_exercise: Option<ExerciseVolume>,
}

/// The ISO week with the most workouts.
#[derive(Debug, SimpleObject)]
pub(crate) struct BestWeek {
    week_start: NaiveDate,
    workouts: i64,
}

/// The period's streaks and regularity.
#[derive(Debug, SimpleObject)]
pub(crate) struct StreakHighlights {
    consistency: super::types::ConsistencyStats,
    workouts: i64,
    /// The latest of the busiest weeks.
    best_week: Option<BestWeek>,
    last_workout_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The progress page's highlight tabs over one period; each is read only when selected.
pub(crate) struct ProgressHighlights {
    unit: domain::WeightUnit,
    from: NaiveDate,
    to: NaiveDate,
}

#[Object]
impl ProgressHighlights {
    async fn unit(&self) -> WeightUnit {
        self.unit.into()
    }

    async fn from(&self) -> NaiveDate {
        self.from
    }

    async fn to(&self) -> NaiveDate {
        self.to
    }

    /// PR events: a line that beat every earlier line of its exercise (before the period too).
    async fn prs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
    ) -> Result<PrHighlights> {
        let (user, db) = caller(ctx)?;
        let all = highlights::period_prs(db, user, self.from, self.to).await.or_client(ctx)?;
        let count = |kind: detail::PrKind| {
            i64::try_from(all.iter().filter(|it| it.event.kind == kind).count()).unwrap_or(0)
        };
        let unit = self.unit;
        Ok(PrHighlights {
            total: i64::try_from(all.len()).unwrap_or(0),
            one_rm: count(detail::PrKind::OneRm),
            weight: count(detail::PrKind::Weight),
            volume: count(detail::PrKind::Volume),
            events: all
                .into_iter()
                .take(usize::try_from(first).unwrap_or(0))
                .map(|it| ExercisePr {
                    exercise_name: it.exercise,
                    event: shown_pr(unit, &it.event),
                })
                .collect(),
        })
    }

    async fn volume(&self, ctx: &Context<'_>) -> Result<VolumeHighlights> {
        let (user, db) = caller(ctx)?;
        let it =
            highlights::volume_highlights(db, user, self.from, self.to).await.or_client(ctx)?;
        let unit = self.unit;
        let days = (self.to - self.from).num_days() + 1;
        #[expect(clippy::cast_precision_loss, reason = "counts of days and workouts")]
        let per = |n: i64| (n > 0).then(|| shown(unit, it.total_volume / n as f64));
        Ok(VolumeHighlights {
            total_volume: shown(unit, it.total_volume),
            workouts: it.workouts,
            exercise_count: it.exercises,
            average_workout_volume: per(it.workouts),
            volume_per_day: per(days).unwrap_or(0.0),
            heaviest_day: it.heaviest_day.as_ref().map(|d| shown_day(unit, d)),
            top_exercise: it.top_exercise.map(|e| ExerciseVolume {
                exercise_name: e.name,
                volume: shown(unit, e.volume),
                sets: e.sets,
                reps: e.reps,
            }),
        })
    }

    async fn streaks(&self, ctx: &Context<'_>) -> Result<StreakHighlights> {
        let (user, db) = caller(ctx)?;
        let it =
            highlights::streak_highlights(db, user, self.from, self.to).await.or_client(ctx)?;
        Ok(StreakHighlights {
            consistency: it.consistency.into(),
            workouts: it.workouts,
            best_week: it.best_week.map(|(week_start, workouts)| BestWeek { week_start, workouts }),
            last_workout_at: it.last_workout_at,
        })
    }
}

fn shown_day(unit: domain::WeightUnit, d: &overview::VolumeDay) -> VolumeDay {
    VolumeDay {
        local_date: d.local_date,
        session_count: d.sessions,
        sets: d.sets,
        reps: d.reps,
        volume: shown(unit, d.volume),
        exercise_count: d.exercises,
    }
}

fn shown_pr(unit: domain::WeightUnit, e: &detail::PrEvent) -> PrEvent {
    PrEvent {
        kind: e.kind.into(),
        local_date: e.local_date,
        value: shown(unit, e.value),
        previous: shown_opt(unit, e.previous),
        weight: shown(unit, e.weight_kg),
        reps: e.reps,
        sets: e.sets,
    }
}

#[Object]
impl ProgressQuery {
    /// The highlights of the period `range` ending today (the original's three tabs: PRs,
    /// volume milestones, streaks), in the requested or preferred unit.
    async fn progress_highlights(
        &self,
        ctx: &Context<'_>,
        range: TimeRange,
        unit: Option<WeightUnit>,
    ) -> Result<ProgressHighlights> {
        let (user, db) = caller(ctx)?;
        let (unit, today) = unit_and_today(ctx, db, user, unit).await?;
        let (from, to) = period(range, today);
        Ok(ProgressHighlights { unit, from, to })
    }

    /// One exercise's detail over the range (its resolved name, as progress groups it): daily
    /// series beside the previous period, PR events, top sets and intensity.
    async fn exercise_progress(
        &self,
        ctx: &Context<'_>,
        exercise: String,
        range: TimeRange,
        unit: Option<WeightUnit>,
    ) -> Result<ExerciseProgress> {
        let (user, db) = caller(ctx)?;
        let (unit, today) = unit_and_today(ctx, db, user, unit).await?;
        let (from, to) = period(range, today);
        let name = exercise.trim().to_owned();
        let it = detail::exercise_progress_of(db, user, &name, from, to).await.or_client(ctx)?;
        let change = it.current.best_one_rm.zip(it.previous.best_one_rm).map(|(a, b)| a - b);
        let volume_change = (it.previous.volume > 0.0)
            .then(|| round2((it.current.volume - it.previous.volume) / it.previous.volume * 100.0));
        Ok(ExerciseProgress {
            exercise_name: name,
            unit: unit.into(),
            current: shown_period(unit, &it.current),
            previous: shown_period(unit, &it.previous),
            one_rm_change: shown_opt(unit, change),
            volume_change_percent: volume_change,
            frequency_per_week: round2(it.frequency_per_week),
            trend_per_week: shown_opt(unit, it.trend_per_week),
            prs_per_month: round2(it.prs_per_month),
            top_sets: it.top_sets.iter().map(|s| shown_top_set(unit, s)).collect(),
            average_intensity: it.average_intensity.map(round2),
            heaviest_set: it.heaviest_set.as_ref().map(|s| shown_top_set(unit, s)),
            latest_heavy_set: it.latest_heavy_set.as_ref().map(|s| shown_top_set(unit, s)),
            prs: it
                .prs
                .iter()
                .map(|e| PrEvent {
                    kind: e.kind.into(),
                    local_date: e.local_date,
                    value: shown(unit, e.value),
                    previous: shown_opt(unit, e.previous),
                    weight: shown(unit, e.weight_kg),
                    reps: e.reps,
                    sets: e.sets,
                })
                .collect(),
        })
    }

    /// Totals per training day over all exercises in the range, newest first, a page at a time.
    #[graphql(
        complexity = "usize::try_from(first).unwrap_or(usize::MAX).saturating_mul(child_complexity)"
    )]
    async fn volume_by_day(
        &self,
        ctx: &Context<'_>,
        range: TimeRange,
        #[graphql(default = 30, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
        unit: Option<WeightUnit>,
    ) -> Result<Connection<OpaqueCursor<NaiveDate>, VolumeDay>> {
        let (user, db) = caller(ctx)?;
        let (unit, today) = unit_and_today(ctx, db, user, unit).await?;
        let (from, to) = period(range, today);
        let before = decode_after::<NaiveDate>(ctx, after)?;
        let days = overview::volume_by_day(db, user, from, to, before, fetch_count(first))
            .await
            .or_client(ctx)?;
        Ok(page(
            days,
            first,
            before.is_some(),
            |d| OpaqueCursor(d.local_date),
            |d| shown_day(unit, &d),
        ))
    }

    /// How the range's sets were shaped: rep counts, rep ranges, sets per exercise per workout
    /// and the most frequent "sets × reps".
    async fn set_rep_distribution(
        &self,
        ctx: &Context<'_>,
        range: TimeRange,
    ) -> Result<SetRepDistribution> {
        let (user, db) = caller(ctx)?;
        let (_, today) = unit_and_today(ctx, db, user, None).await?;
        let (from, to) = period(range, today);
        let it = overview::set_rep_distribution(db, user, from, to).await.or_client(ctx)?;
        Ok(SetRepDistribution {
            total_sets: it.total_sets,
            reps: it.reps.into_iter().map(|(reps, sets)| RepCount { reps, sets }).collect(),
            rep_ranges: it
                .rep_ranges
                .into_iter()
                .map(|(range, sets, share)| RepRangeShare {
                    range: range.into(),
                    sets,
                    share: round2(share),
                })
                .collect(),
            sets_per_exercise: it
                .sets_per_exercise
                .into_iter()
                .map(|(sets, count)| SetsPerExercise { sets, count })
                .collect(),
            combinations: it
                .combinations
                .into_iter()
                .map(|(sets, reps, lines)| SetRepCombination { sets, reps, lines })
                .collect(),
        })
    }

    /// The range's best e1RM over all exercises against the previous period's, heavy sets and
    /// the top lift.
    async fn strength_pulse(
        &self,
        ctx: &Context<'_>,
        range: TimeRange,
        unit: Option<WeightUnit>,
    ) -> Result<StrengthPulse> {
        let (user, db) = caller(ctx)?;
        let (unit, today) = unit_and_today(ctx, db, user, unit).await?;
        let (from, to) = period(range, today);
        let it = overview::strength_pulse(db, user, from, to).await.or_client(ctx)?;
        let lift = |r: &overview::PulseRow| PulseLift {
            exercise_name: r.name.clone(),
            one_rm: shown(unit, r.current_best),
            local_date: r.best_date,
            previous_one_rm: shown_opt(unit, r.previous_best),
            heavy_sets: r.heavy_sets,
        };
        Ok(StrengthPulse {
            unit: unit.into(),
            top_lift: it.top_lift.as_ref().map(lift),
            previous_best_one_rm: shown_opt(unit, it.previous_best),
            heavy_sets: it.heavy_sets,
            exercises_improved: it.exercises_improved,
            exercises_compared: it.exercises_compared,
            lifts: it.exercises.iter().map(lift).collect(),
        })
    }

    /// Every exercise the user logged, most recently used first, with the other spellings logged
    /// for it.
    async fn exercise_list(&self, ctx: &Context<'_>) -> Result<Vec<ExerciseListItem>> {
        let (user, db) = caller(ctx)?;
        let list = overview::exercise_list(db, user).await.or_client(ctx)?;
        Ok(list
            .into_iter()
            .map(|e| ExerciseListItem {
                name: e.name,
                master_exercise_id: e.master_exercise_id.map(Into::into),
                aliases: e.aliases,
                last_used: e.last_used,
                line_count: e.lines,
            })
            .collect())
    }
}
