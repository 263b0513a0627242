//! The API's output types and their conversions from the services' views. Weights the services
//! derive are shown through `units::shown` (the requested unit, rounded once).

use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use query::{exercises, preferences, progress, templates, workouts};

use super::children_of;
use super::units::{
    BodyweightSource, ExperienceLevel, ProgressionType, RecoveryPlannerStrategy, RightSwipeAction,
    SetType, WarmupRepsStrategy, WarmupStrategy, WeightUnit, shown, shown_opt,
};
use crate::loaders::{LinkedMasters, MasterLinks, TemplateLines, WorkoutSets};

#[derive(Debug, SimpleObject)]
pub(crate) struct ViewerView {
    pub(super) id: ID,
    pub(super) email: String,
    pub(super) display_name: Option<String>,
    pub(super) timezone: String,
    pub(super) preferred_unit: WeightUnit,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct PeriodTotals {
    pub(super) session_count: i64,
    pub(super) total_volume: f64,
    pub(super) total_sets: i64,
    pub(super) total_reps: i64,
    pub(super) max_one_rm: Option<f64>,
    pub(super) exercise_count: i64,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct ExerciseSummary {
    pub(super) name: String,
    pub(super) session_count: i64,
    pub(super) volume: f64,
    pub(super) max_weight: Option<f64>,
    pub(super) max_one_rm: Option<f64>,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct Dashboard {
    pub(super) unit: WeightUnit,
    pub(super) current: PeriodTotals,
    pub(super) previous: PeriodTotals,
    pub(super) exercises: Vec<ExerciseSummary>,
    pub(super) workout_dates: Vec<NaiveDate>,
}

impl PeriodTotals {
    /// Totals of a period, their weights shown in `unit`.
    pub(super) fn shown_in(it: &progress::PeriodTotals, unit: domain::WeightUnit) -> Self {
        Self {
            session_count: it.session_count,
            total_volume: shown(unit, it.total_volume),
            total_sets: it.total_sets,
            total_reps: it.total_reps,
            max_one_rm: shown_opt(unit, it.max_one_rm),
            exercise_count: it.exercise_count,
        }
    }
}

#[derive(Debug, SimpleObject)]
#[graphql(complex)]
#[expect(
    clippy::struct_field_names,
    reason = "the GraphQL field is workoutDate, as the original API named it"
)]
pub(crate) struct Workout {
    pub(super) id: ID,
    pub(super) template_id: Option<ID>,
    pub(super) workout_date: DateTime<Utc>,
    pub(super) local_date: NaiveDate,
    #[graphql(skip)]
    pub(super) key: i64,
}

impl From<workouts::WorkoutView> for Workout {
    fn from(it: workouts::WorkoutView) -> Self {
        Self {
            id: it.id.into(),
            template_id: it.template_id.map(ID::from),
            workout_date: it.workout_date,
            local_date: it.local_date,
            key: it.id,
        }
    }
}

#[ComplexObject]
impl Workout {
    /// The workout's exercises in the order they were logged, each with its set lines.
    async fn exercises(&self, ctx: &Context<'_>) -> Result<Vec<WorkoutExercise>> {
        let lines = children_of::<WorkoutSets>(ctx, self.key).await?;
        let mut res: Vec<WorkoutExercise> = Vec::new();
        for line in lines.iter() {
            let same = res.last().is_some_and(|last| {
                line.set_order > 0
                    && last.template_exercise_key == line.template_exercise_id
                    && last.exercise_name == line.exercise_name
            });
            if !same {
                res.push(WorkoutExercise {
                    template_exercise_id: line.template_exercise_id.map(ID::from),
                    exercise_name: line.exercise_name.clone(),
                    resolved_name: line.resolved_exercise_name.clone(),
                    sets: Vec::new(),
                    template_exercise_key: line.template_exercise_id,
                });
            }
            if let Some(last) = res.last_mut() {
                last.sets.push(SetLine::from(line));
            }
        }
        Ok(res)
    }
}

/// One exercise of a workout: its name as logged, the name it resolves to, and its set lines.
#[derive(Debug, SimpleObject)]
pub(crate) struct WorkoutExercise {
    pub(super) template_exercise_id: Option<ID>,
    pub(super) exercise_name: String,
    /// The linked master exercise's name, else the exercise's own: what progress is grouped by.
    pub(super) resolved_name: String,
    pub(super) sets: Vec<SetLine>,
    #[graphql(skip)]
    pub(super) template_exercise_key: Option<i64>,
}

#[derive(Debug, SimpleObject)]
#[graphql(complex)]
pub(crate) struct Template {
    pub(super) id: ID,
    pub(super) name: String,
    pub(super) created_at: DateTime<Utc>,
    /// When the latest workout started from this template took place; null when never used.
    pub(super) last_used: Option<DateTime<Utc>>,
    /// How many of the user's workouts were started from this template.
    pub(super) use_count: i64,
    #[graphql(skip)]
    pub(super) key: i64,
    #[graphql(skip)]
    pub(super) warmup: std::collections::BTreeMap<String, domain::WarmupStrategy>,
}

impl From<templates::TemplateView> for Template {
    fn from(it: templates::TemplateView) -> Self {
        Self {
            id: it.id.into(),
            name: it.name,
            created_at: it.created_at,
            last_used: it.last_used,
            use_count: it.use_count,
            key: it.id,
            warmup: it.warmup,
        }
    }
}

#[ComplexObject]
impl Template {
    /// The template's exercise lines, in order.
    async fn exercises(&self, ctx: &Context<'_>) -> Result<Vec<TemplateExercise>> {
        let lines = children_of::<TemplateLines>(ctx, self.key).await?;
        Ok(lines
            .iter()
            .map(|l| TemplateExercise {
                id: l.id.into(),
                template_id: l.template_id.into(),
                warmup_strategy: self.warmup.get(&l.exercise_name).map(|&it| it.into()),
                exercise_name: l.exercise_name.clone(),
                order_index: l.order_index,
                linking_rejected: l.linking_rejected,
                key: l.id,
            })
            .collect())
    }
}

/// An unlinked template exercise and how like a master's name its name is (0–1).
#[derive(Debug, SimpleObject)]
pub(crate) struct LinkCandidate {
    pub(super) template_exercise_id: ID,
    pub(super) template_id: ID,
    pub(super) exercise_name: String,
    pub(super) similarity: f64,
}

#[derive(Debug, SimpleObject)]
#[graphql(complex)]
pub(crate) struct MasterExercise {
    pub(super) id: ID,
    pub(super) name: String,
    pub(super) muscle_group: Option<String>,
    #[graphql(skip)]
    pub(super) key: i64,
}

impl MasterExercise {
    pub(super) fn new(id: i64, name: String, muscle_group: Option<String>) -> Self {
        Self { id: id.into(), name, muscle_group, key: id }
    }
}

impl From<exercises::MasterView> for MasterExercise {
    fn from(it: exercises::MasterView) -> Self {
        Self::new(it.id, it.name, it.muscle_group)
    }
}

#[ComplexObject]
impl MasterExercise {
    /// The template exercises linked to this master, by template and order (their count is the
    /// original's "linked count").
    async fn linked_exercises(&self, ctx: &Context<'_>) -> Result<Vec<TemplateExercise>> {
        let lines = children_of::<MasterLinks>(ctx, self.key).await?;
        Ok(lines
            .iter()
            .map(|l| TemplateExercise {
                id: l.id.into(),
                template_id: l.template_id.into(),
                exercise_name: l.exercise_name.clone(),
                order_index: l.order_index,
                linking_rejected: l.linking_rejected,
                warmup_strategy: l.warmup_strategy.map(Into::into),
                key: l.id,
            })
            .collect())
    }
}

#[derive(Debug, SimpleObject)]
pub(crate) struct PersonalRecord {
    pub(super) exercise_name: String,
    pub(super) max_weight: f64,
    pub(super) max_weight_date: NaiveDate,
    pub(super) max_one_rm: Option<f64>,
    pub(super) max_one_rm_date: Option<NaiveDate>,
    /// The best day's volume of the exercise (Σ weight × reps × sets), and the first day of it.
    pub(super) max_volume: Option<f64>,
    pub(super) max_volume_date: Option<NaiveDate>,
}

#[derive(Debug, SimpleObject)]
#[graphql(complex)]
pub(crate) struct TemplateExercise {
    pub(super) id: ID,
    pub(super) template_id: ID,
    pub(super) exercise_name: String,
    pub(super) order_index: i32,
    pub(super) linking_rejected: bool,
    /// The warm-up strategy the template sets for this exercise; null uses the user's preference.
    pub(super) warmup_strategy: Option<WarmupStrategy>,
    #[graphql(skip)]
    pub(super) key: i64,
}

#[ComplexObject]
impl TemplateExercise {
    /// The master exercise this line is linked to, if any.
    async fn master(&self, ctx: &Context<'_>) -> Result<Option<MasterExercise>> {
        let masters = children_of::<LinkedMasters>(ctx, self.key).await?;
        Ok(masters
            .first()
            .map(|m| MasterExercise::new(m.id, m.name.clone(), m.muscle_group.clone())))
    }
}

/// One set line: what the user typed (`setType`, `weight` in `unit`, `reps`, `sets`, `rpe`,
/// `restSeconds`), and the derived `weightKg` and `oneRmKg` (canonical kg, rounded to 0.01).
#[derive(Debug, SimpleObject)]
pub(crate) struct SetLine {
    pub(super) id: ID,
    pub(super) workout_id: ID,
    pub(super) set_order: i32,
    pub(super) set_type: SetType,
    pub(super) weight: Option<f64>,
    pub(super) unit: WeightUnit,
    pub(super) weight_kg: Option<f64>,
    pub(super) reps: Option<i32>,
    pub(super) sets: i32,
    pub(super) rpe: Option<f64>,
    pub(super) rest_seconds: Option<i32>,
    /// Estimated one-rep max in kg (none for warm-ups and for reps outside 1..=30).
    pub(super) one_rm_kg: Option<f64>,
}

impl From<&workouts::SetView> for SetLine {
    fn from(it: &workouts::SetView) -> Self {
        Self {
            id: it.id.into(),
            workout_id: it.session_id.into(),
            set_order: it.set_order,
            set_type: it.set_type.into(),
            weight: it.weight,
            unit: it.unit.into(),
            weight_kg: shown_opt(domain::WeightUnit::Kg, it.weight_kg),
            reps: it.reps,
            sets: it.sets,
            rpe: it.rpe,
            rest_seconds: it.rest_seconds,
            one_rm_kg: shown_opt(domain::WeightUnit::Kg, it.one_rm_estimate),
        }
    }
}

/// The latest workout of an exercise: the exercise's set lines in it and the heaviest of them.
#[derive(Debug, SimpleObject)]
pub(crate) struct LastExerciseData {
    pub(super) workout: Workout,
    pub(super) sets: Vec<SetLine>,
    /// The heaviest counted set (by weight, then reps); warm-ups never count.
    pub(super) best_set: Option<SetLine>,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct LinkingSuggestion {
    pub(super) template_exercise_id: ID,
    pub(super) exercise_name: String,
    pub(super) master_exercise_id: ID,
    pub(super) master_name: String,
    pub(super) score: f64,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct ProgressPoint {
    pub(super) local_date: NaiveDate,
    pub(super) max_one_rm: Option<f64>,
    pub(super) top_weight: Option<f64>,
    pub(super) volume: f64,
}

/// One ISO week of an exercise's trend: only weeks with counted sets. Weights in the answer's
/// unit.
#[derive(Debug, SimpleObject)]
pub(crate) struct TrendWeek {
    /// The Monday the week starts on, in the user's calendar.
    pub(super) week_start: NaiveDate,
    /// The week's best e1RM.
    pub(super) max_one_rm: Option<f64>,
    /// The best e1RM of the previous week that had one (possibly before the window).
    pub(super) previous_max_one_rm: Option<f64>,
    /// `maxOneRm - previousMaxOneRm`.
    pub(super) change: Option<f64>,
    pub(super) volume: f64,
    /// Counted sets.
    pub(super) sets: i64,
    /// Least-squares slope of the best e1RM over the last 8 weeks that had one, per week; null
    /// with fewer than two.
    pub(super) slope: Option<f64>,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct TopExercise {
    pub(super) name: String,
    pub(super) session_count: i64,
    pub(super) volume: f64,
    pub(super) last_date: NaiveDate,
    /// Sessions per week over the range.
    pub(super) frequency_per_week: f64,
    /// The mean of the exercise's daily best e1RM over the range.
    pub(super) average_one_rm: Option<f64>,
    /// First against last training day's best e1RM: ±5% or more is a trend; null with fewer than
    /// two days with an e1RM.
    pub(super) trend: Option<Trend>,
}

/// Which way an exercise's best e1RM went over a range.
#[derive(Debug, async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "query::analytics::Trend")]
pub(crate) enum Trend {
    Improving,
    Stable,
    Declining,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct ConsistencyStats {
    pub(super) workout_days: i64,
    pub(super) frequency_per_week: f64,
    pub(super) consistency_score: i64,
    pub(super) current_week_streak: i64,
    pub(super) longest_week_streak: i64,
    pub(super) current_day_streak: i64,
}

impl From<domain::Consistency> for ConsistencyStats {
    fn from(it: domain::Consistency) -> Self {
        Self {
            workout_days: it.workout_days,
            frequency_per_week: it.frequency_per_week,
            consistency_score: it.score,
            current_week_streak: it.current_week_streak,
            longest_week_streak: it.longest_week_streak,
            current_day_streak: it.current_day_streak,
        }
    }
}

#[derive(Debug, SimpleObject)]
#[expect(clippy::struct_excessive_bools, reason = "the original's preference switches")]
pub(crate) struct Preferences {
    /// The unit answers use when a query names none.
    pub(super) default_weight_unit: WeightUnit,
    /// Pre-fill a new set from the last one.
    pub(super) predictive_defaults_enabled: bool,
    pub(super) right_swipe_action: RightSwipeAction,
    /// Ask for an energy and sleep check-in before a workout.
    pub(super) enable_manual_wellness: bool,
    pub(super) progression_type: ProgressionType,
    /// The step of linear progression, in kg.
    pub(super) linear_progression_kg: f64,
    /// The step of percentage progression, in percent.
    pub(super) percentage_progression: f64,
    pub(super) target_workouts_per_week: f64,
    pub(super) warmup_strategy: WarmupStrategy,
    pub(super) warmup_sets_count: i32,
    /// Warm-up weights as percentages of the working weight, in order.
    pub(super) warmup_percentages: Vec<i32>,
    pub(super) warmup_reps_strategy: WarmupRepsStrategy,
    /// The reps of each warm-up set with the FIXED reps strategy.
    pub(super) warmup_fixed_reps: i32,
    pub(super) enable_movement_pattern_sharing: bool,
    pub(super) enable_recovery_planner: bool,
    pub(super) recovery_planner_strategy: RecoveryPlannerStrategy,
    /// How much recovery changes a plan, 1–10.
    pub(super) recovery_planner_sensitivity: i32,
    pub(super) auto_adjust_intensity: bool,
    pub(super) experience_level: ExperienceLevel,
    pub(super) bodyweight_kg: Option<f64>,
    pub(super) bodyweight_source: Option<BodyweightSource>,
}

impl From<preferences::PreferencesView> for Preferences {
    fn from(it: preferences::PreferencesView) -> Self {
        Self {
            default_weight_unit: it.default_weight_unit.into(),
            predictive_defaults_enabled: it.predictive_defaults_enabled,
            right_swipe_action: it.right_swipe_action.into(),
            enable_manual_wellness: it.enable_manual_wellness,
            progression_type: it.progression_type.into(),
            linear_progression_kg: it.linear_progression_kg,
            percentage_progression: it.percentage_progression,
            target_workouts_per_week: it.target_workouts_per_week,
            warmup_strategy: it.warmup_strategy.into(),
            warmup_sets_count: it.warmup_sets_count,
            warmup_percentages: it.warmup_percentages,
            warmup_reps_strategy: it.warmup_reps_strategy.into(),
            warmup_fixed_reps: it.warmup_fixed_reps,
            enable_movement_pattern_sharing: it.enable_movement_pattern_sharing,
            enable_recovery_planner: it.enable_recovery_planner,
            recovery_planner_strategy: it.recovery_planner_strategy.into(),
            recovery_planner_sensitivity: it.recovery_planner_sensitivity,
            auto_adjust_intensity: it.auto_adjust_intensity,
            experience_level: it.experience_level.into(),
            bodyweight_kg: it.bodyweight_kg,
            bodyweight_source: it.bodyweight_source.map(Into::into),
        }
    }
}
