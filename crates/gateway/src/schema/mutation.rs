//! The mutation root: every write of the API, each scoped to the caller and one transaction.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use domain::Limits;
use query::{exercises, preferences, templates, workouts};

use super::types::{MasterExercise, Preferences, Template, Workout};
use super::units::{
    BodyweightSource, ExperienceLevel, ProgressionType, RecoveryPlannerStrategy, RightSwipeAction,
    SetType, WarmupRepsStrategy, WarmupStrategy, WeightUnit,
};
use super::{AtMost, caller, now, parse_id, parse_opt_id};
use crate::error::OrClient;

/// A partial preferences update: omitted fields keep their value.
#[derive(Debug, InputObject)]
pub(crate) struct PreferencesInput {
    default_weight_unit: Option<WeightUnit>,
    predictive_defaults_enabled: Option<bool>,
    right_swipe_action: Option<RightSwipeAction>,
    enable_manual_wellness: Option<bool>,
    progression_type: Option<ProgressionType>,
    linear_progression_kg: Option<f64>,
    percentage_progression: Option<f64>,
    target_workouts_per_week: Option<f64>,
    warmup_strategy: Option<WarmupStrategy>,
    warmup_sets_count: Option<i32>,
    warmup_percentages: Option<Vec<i32>>,
    warmup_reps_strategy: Option<WarmupRepsStrategy>,
    warmup_fixed_reps: Option<i32>,
    enable_movement_pattern_sharing: Option<bool>,
    enable_recovery_planner: Option<bool>,
    recovery_planner_strategy: Option<RecoveryPlannerStrategy>,
    recovery_planner_sensitivity: Option<i32>,
    auto_adjust_intensity: Option<bool>,
    experience_level: Option<ExperienceLevel>,
    bodyweight_kg: Option<f64>,
    bodyweight_source: Option<BodyweightSource>,
}

/// One set line of a saved workout.
#[derive(Debug, InputObject)]
pub(crate) struct SetInput {
    #[graphql(default)]
    set_type: SetType,
    weight: Option<f64>,
    unit: WeightUnit,
    reps: Option<i32>,
    sets: Option<i32>,
    rpe: Option<f64>,
    rest_seconds: Option<i32>,
}

/// One exercise of a saved workout.
#[derive(Debug, InputObject)]
pub(crate) struct ExerciseInput {
    template_exercise_id: Option<ID>,
    exercise_name: String,
    sets: Vec<SetInput>,
}

/// A whole workout, idempotent by `clientKey`: saved into the started workout `workoutId` (its
/// set lines replaced), or, without it, as a new workout at `workoutDate` (the offline case).
#[derive(Debug, InputObject)]
pub(crate) struct SaveWorkoutInput {
    client_key: String,
    /// The workout `startWorkout` handed out; absent to create one.
    workout_id: Option<ID>,
    template_id: Option<ID>,
    /// Required without `workoutId`; with it, moves the workout when given.
    workout_date: Option<DateTime<Utc>>,
    exercises: Vec<ExerciseInput>,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct SaveWorkoutPayload {
    workout: Workout,
    /// The client key had been saved before: nothing was written.
    replayed: bool,
}

/// The service's input; ids that are not ids are refused with their path after `prefix`.
fn to_workout_input(
    ctx: &Context<'_>,
    input: SaveWorkoutInput,
    prefix: &str,
) -> Result<workouts::WorkoutInput> {
    let session_id = parse_opt_id(ctx, &format!("{prefix}workoutId"), input.workout_id.as_ref())?;
    let template_id =
        parse_opt_id(ctx, &format!("{prefix}templateId"), input.template_id.as_ref())?;
    let mut exercises = Vec::with_capacity(input.exercises.len());
    for (idx, it) in input.exercises.into_iter().enumerate() {
        let template_exercise_id = parse_opt_id(
            ctx,
            &format!("{prefix}exercises[{idx}].templateExerciseId"),
            it.template_exercise_id.as_ref(),
        )?;
        exercises.push(workouts::ExerciseInput {
            template_exercise_id,
            exercise_name: it.exercise_name,
            sets: it
                .sets
                .into_iter()
                .map(|s| workouts::SetInput {
                    set_type: s.set_type.into(),
                    weight: s.weight,
                    unit: s.unit.into(),
                    reps: s.reps,
                    sets: s.sets,
                    rpe: s.rpe,
                    rest_seconds: s.rest_seconds,
                    is_estimate: false,
                    is_default_applied: false,
                })
                .collect(),
        });
    }
    Ok(workouts::WorkoutInput {
        client_key: input.client_key,
        session_id,
        template_id,
        workout_date: input.workout_date,
        exercises,
    })
}

/// A change to one stored set line.
#[derive(Debug, InputObject)]
pub(crate) struct SetUpdateInput {
    id: ID,
    weight: Option<f64>,
    unit: WeightUnit,
    reps: Option<i32>,
}

/// One exercise line of a template update: `id` of a line to keep, or none for a new line.
#[derive(Debug, InputObject)]
pub(crate) struct TemplateLineInput {
    id: Option<ID>,
    exercise_name: String,
    /// The line's warm-up strategy; absent uses the user's preference. Lines of one exercise
    /// share it (the template keeps one per exercise name).
    warmup_strategy: Option<WarmupStrategy>,
}

/// A line `addTemplateExercises` appends: linked to `masterExerciseId`, or refusing linking, or
/// (neither) linked to the master of its name, created when missing.
#[derive(Debug, InputObject)]
pub(crate) struct NewTemplateLineInput {
    exercise_name: String,
    master_exercise_id: Option<ID>,
    #[graphql(default)]
    reject_linking: bool,
}

#[derive(Debug, SimpleObject)]
pub(crate) struct CreateMasterExercisePayload {
    master: MasterExercise,
    /// False when the user already had a master of this name (compared normalized): it is
    /// returned unchanged.
    created: bool,
}

/// The mutation root: the core writes, the check-ins and the key lifts.
#[derive(Debug, Default, async_graphql::MergedObject)]
pub struct MutationRoot(
    CoreMutation,
    super::wellness::WellnessMutation,
    super::lifts::LiftsMutation,
);

#[derive(Debug, Default)]
pub(super) struct CoreMutation;

#[Object]
impl CoreMutation {
    /// Starts a workout now (or at `workoutDate`, at most a day ahead), optionally from a template
    /// and with the set lines of another of the user's workouts (`copyFrom`, "repeat workout").
    /// Without `copyFrom`, the user's empty workout of the same template started in the last two
    /// minutes is handed out again instead of a new one, so a double tap leaves no stray workout.
    async fn start_workout(
        &self,
        ctx: &Context<'_>,
        template_id: Option<ID>,
        workout_date: Option<DateTime<Utc>>,
        copy_from: Option<ID>,
    ) -> Result<Workout> {
        let (user, db) = caller(ctx)?;
        let now = now(ctx);
        let input = workouts::StartInput {
            template_id: parse_opt_id(ctx, "templateId", template_id.as_ref())?,
            workout_date: workout_date.unwrap_or(now),
            copy_from: parse_opt_id(ctx, "copyFrom", copy_from.as_ref())?,
        };
        let (workout, _reused) = workouts::start(db, user, &input, now).await.or_client(ctx)?;
        Ok(workout.into())
    }

    /// Saves a whole workout in one transaction: into the started workout `input.workoutId`, or as
    /// a new one. Replaying the same `clientKey` writes nothing and answers with the first save.
    async fn save_workout(
        &self,
        ctx: &Context<'_>,
        input: SaveWorkoutInput,
    ) -> Result<SaveWorkoutPayload> {
        let (user, db) = caller(ctx)?;
        let input = to_workout_input(ctx, input, "")?;
        let (workout, replayed) =
            workouts::save_workout(db, user, &input, now(ctx)).await.or_client(ctx)?;
        Ok(SaveWorkoutPayload { workout: workout.into(), replayed })
    }

    /// An offline queue's batch (at most `Limits::WORKOUTS_PER_BATCH`), in one transaction: all saved or, when any item is
    /// refused, none. Each item is idempotent by its `clientKey`, so a replayed batch writes nothing.
    async fn save_workouts(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "AtMost(Limits::WORKOUTS_PER_BATCH)"))] inputs: Vec<
            SaveWorkoutInput,
        >,
    ) -> Result<Vec<SaveWorkoutPayload>> {
        let (user, db) = caller(ctx)?;
        let mut list = Vec::with_capacity(inputs.len());
        for (idx, input) in inputs.into_iter().enumerate() {
            list.push(to_workout_input(ctx, input, &format!("inputs[{idx}]."))?);
        }
        let saved = workouts::save_workouts(db, user, &list, now(ctx)).await.or_client(ctx)?;
        Ok(saved
            .into_iter()
            .map(|(workout, replayed)| SaveWorkoutPayload { workout: workout.into(), replayed })
            .collect())
    }

    /// Changes weight, unit and reps of stored set lines (their e1RM and volume are re-derived).
    async fn update_sets(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "AtMost(Limits::SET_UPDATES)"))] updates: Vec<SetUpdateInput>,
    ) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let mut list = Vec::with_capacity(updates.len());
        for (idx, it) in updates.into_iter().enumerate() {
            let id = parse_id(ctx, &format!("updates[{idx}].id"), &it.id)?;
            list.push(workouts::SetUpdate {
                id,
                weight: it.weight,
                unit: it.unit.into(),
                reps: it.reps,
            });
        }
        workouts::update_sets(db, user, &list, now(ctx)).await.or_client(ctx)?;
        Ok(true)
    }

    /// Creates a template; with a `dedupeKey` a replay returns the first template.
    async fn create_template(
        &self,
        ctx: &Context<'_>,
        name: String,
        dedupe_key: Option<String>,
        #[graphql(validator(custom = "AtMost(Limits::TEMPLATE_LINES)"))] exercises: Vec<String>,
    ) -> Result<Template> {
        let (user, db) = caller(ctx)?;
        let id = templates::create(db, user, &name, dedupe_key.as_deref(), &exercises, now(ctx))
            .await
            .or_client(ctx)?;
        Ok(templates::template(db, user, id).await.or_client(ctx)?.into())
    }

    /// Renames a template and sets its lines; kept lines keep their ids, links and history.
    async fn update_template(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
        #[graphql(validator(custom = "AtMost(Limits::TEMPLATE_LINES)"))] exercises: Vec<
            TemplateLineInput,
        >,
    ) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        let mut lines = Vec::with_capacity(exercises.len());
        for (idx, it) in exercises.into_iter().enumerate() {
            let line_id = parse_opt_id(ctx, &format!("exercises[{idx}].id"), it.id.as_ref())?;
            lines.push(templates::LineInput {
                id: line_id,
                exercise_name: it.exercise_name,
                warmup_strategy: it.warmup_strategy.map(Into::into),
            });
        }
        templates::update(db, user, id, &name, &lines, now(ctx)).await.or_client(ctx)?;
        Ok(true)
    }

    /// Copies one of the user's templates with its lines in order, their links and its warm-up
    /// settings, as `name` or "<name> Copy"; a name the user already has gets " (2)", " (3)", ….
    async fn duplicate_template(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
    ) -> Result<Template> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        let copy =
            templates::duplicate(db, user, id, name.as_deref(), now(ctx)).await.or_client(ctx)?;
        Ok(templates::template(db, user, copy).await.or_client(ctx)?.into())
    }

    /// Appends lines to one of the user's templates, each with its linking decision, in one
    /// transaction.
    async fn add_template_exercises(
        &self,
        ctx: &Context<'_>,
        template_id: ID,
        #[graphql(validator(custom = "AtMost(Limits::TEMPLATE_LINES)"))] exercises: Vec<
            NewTemplateLineInput,
        >,
    ) -> Result<Template> {
        let (user, db) = caller(ctx)?;
        let template_id = parse_id(ctx, "templateId", &template_id)?;
        let mut lines = Vec::with_capacity(exercises.len());
        for (idx, it) in exercises.into_iter().enumerate() {
            let master_exercise_id = parse_opt_id(
                ctx,
                &format!("exercises[{idx}].masterExerciseId"),
                it.master_exercise_id.as_ref(),
            )?;
            lines.push(templates::NewLine {
                exercise_name: it.exercise_name,
                master_exercise_id,
                reject_linking: it.reject_linking,
            });
        }
        templates::add_lines(db, user, template_id, &lines, now(ctx)).await.or_client(ctx)?;
        Ok(templates::template(db, user, template_id).await.or_client(ctx)?.into())
    }

    /// Deletes one of the user's templates (its workouts stay).
    async fn delete_template(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        templates::delete(db, user, id).await.or_client(ctx)?;
        Ok(true)
    }

    /// Updates the given preferences (all validated before anything is stored).
    async fn update_preferences(
        &self,
        ctx: &Context<'_>,
        input: PreferencesInput,
    ) -> Result<Preferences> {
        let (user, db) = caller(ctx)?;
        let patch = preferences::PreferencesPatch {
            default_weight_unit: input.default_weight_unit.map(Into::into),
            predictive_defaults_enabled: input.predictive_defaults_enabled,
            right_swipe_action: input.right_swipe_action.map(Into::into),
            enable_manual_wellness: input.enable_manual_wellness,
            progression_type: input.progression_type.map(Into::into),
            linear_progression_kg: input.linear_progression_kg,
            percentage_progression: input.percentage_progression,
            target_workouts_per_week: input.target_workouts_per_week,
            warmup_strategy: input.warmup_strategy.map(Into::into),
            warmup_sets_count: input.warmup_sets_count,
            warmup_percentages: input.warmup_percentages,
            warmup_reps_strategy: input.warmup_reps_strategy.map(Into::into),
            warmup_fixed_reps: input.warmup_fixed_reps,
            enable_movement_pattern_sharing: input.enable_movement_pattern_sharing,
            enable_recovery_planner: input.enable_recovery_planner,
            recovery_planner_strategy: input.recovery_planner_strategy.map(Into::into),
            recovery_planner_sensitivity: input.recovery_planner_sensitivity,
            auto_adjust_intensity: input.auto_adjust_intensity,
            experience_level: input.experience_level.map(Into::into),
            bodyweight_kg: input.bodyweight_kg,
            bodyweight_source: input.bodyweight_source.map(Into::into),
        };
        Ok(preferences::update(db, user, &patch, now(ctx)).await.or_client(ctx)?.into())
    }

    /// Deletes one of the user's workouts.
    async fn delete_workout(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        workouts::delete(db, user, id).await.or_client(ctx)?;
        Ok(true)
    }

    /// Links a template exercise to a master exercise.
    async fn link_exercise(
        &self,
        ctx: &Context<'_>,
        template_exercise_id: ID,
        master_exercise_id: ID,
    ) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let te = parse_id(ctx, "templateExerciseId", &template_exercise_id)?;
        let master = parse_id(ctx, "masterExerciseId", &master_exercise_id)?;
        exercises::link(db, user, te, master).await.or_client(ctx)?;
        Ok(true)
    }

    /// Removes a template exercise's link.
    async fn unlink_exercise(&self, ctx: &Context<'_>, template_exercise_id: ID) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let te = parse_id(ctx, "templateExerciseId", &template_exercise_id)?;
        exercises::unlink(db, user, te, false).await.or_client(ctx)?;
        Ok(true)
    }

    /// Removes a template exercise's link and stops suggesting one.
    async fn reject_linking(&self, ctx: &Context<'_>, template_exercise_id: ID) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let te = parse_id(ctx, "templateExerciseId", &template_exercise_id)?;
        exercises::unlink(db, user, te, true).await.or_client(ctx)?;
        Ok(true)
    }

    /// The user's master exercise of `name` (compared normalized), created when missing.
    async fn create_master_exercise(
        &self,
        ctx: &Context<'_>,
        name: String,
        muscle_group: Option<String>,
    ) -> Result<CreateMasterExercisePayload> {
        let (user, db) = caller(ctx)?;
        let (master, created) =
            exercises::create_master(db, user, &name, muscle_group.as_deref(), now(ctx))
                .await
                .or_client(ctx)?;
        Ok(CreateMasterExercisePayload { master: master.into(), created })
    }

    /// Renames one of the user's master exercises; every line linked to it resolves to the new
    /// name at once (history included).
    async fn rename_master_exercise(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
    ) -> Result<MasterExercise> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        exercises::rename_master(db, user, id, &name).await.or_client(ctx)?;
        Ok(exercises::master_exercise(db, user, id).await.or_client(ctx)?.into())
    }

    /// Links every unlinked template exercise whose name is at least `minimumSimilarity` (0–1)
    /// like the master's, except lines whose linking the user refused; answers how many.
    async fn link_similar_exercises(
        &self,
        ctx: &Context<'_>,
        master_exercise_id: ID,
        #[graphql(default = 0.7)] minimum_similarity: f64,
    ) -> Result<u64> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "masterExerciseId", &master_exercise_id)?;
        exercises::link_similar(db, user, id, minimum_similarity, now(ctx)).await.or_client(ctx)
    }

    /// Removes every link to one of the user's master exercises (the master stays); answers how
    /// many lines were unlinked.
    async fn unlink_all_exercises(&self, ctx: &Context<'_>, master_exercise_id: ID) -> Result<u64> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "masterExerciseId", &master_exercise_id)?;
        exercises::unlink_all(db, user, id).await.or_client(ctx)
    }

    /// Moves every link of `sourceId` to `targetId` and deletes the source.
    async fn merge_master_exercises(
        &self,
        ctx: &Context<'_>,
        source_id: ID,
        target_id: ID,
    ) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let source = parse_id(ctx, "sourceId", &source_id)?;
        let target = parse_id(ctx, "targetId", &target_id)?;
        exercises::merge(db, user, source, target).await.or_client(ctx)?;
        Ok(true)
    }
}
