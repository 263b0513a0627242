//! The query root: every read of the API, each scoped to the caller.

use async_graphql::connection::{Connection, OpaqueCursor};
use async_graphql::{Context, ID, Object, Result};
use chrono::DateTime;
use domain::Limits;
use query::progress::{self, TimeRange as Range};
use query::{analytics, exercises, preferences, templates, users, workouts};

use super::paging::TemplateCursor;
use super::paging::{decode_after, fetch_count, page};
use super::types::{
    ConsistencyStats, Dashboard, ExerciseSummary, LastExerciseData, LinkCandidate,
    LinkingSuggestion, MasterExercise, PeriodTotals, PersonalRecord, Preferences, ProgressPoint,
    SetLine, Template, TopExercise, TrendWeek, ViewerView, Workout,
};
use super::units::{TemplateOrder, TimeRange, WeightUnit, round2, shown, shown_opt};
use super::{Within, answer_unit, caller, now, parse_id, parse_opt_id, unit_and_today};
use crate::error::OrClient;

/// The query root: the core reads, the progress pages' reads, the check-ins and the key lifts.
#[derive(Debug, Default, async_graphql::MergedObject)]
pub struct QueryRoot(
    CoreQuery,
    super::progress::ProgressQuery,
    super::wellness::WellnessQuery,
    super::lifts::LiftsQuery,
    super::whoop::WhoopQuery,
);

#[derive(Debug, Default)]
pub(super) struct CoreQuery;

#[Object]
impl CoreQuery {
    /// The authenticated user.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<ViewerView> {
        let (user, db) = caller(ctx)?;
        let it = users::viewer(db, user).await.or_client(ctx)?;
        Ok(ViewerView {
            id: it.id.into(),
            email: it.email,
            display_name: it.display_name,
            timezone: it.timezone.to_string(),
            preferred_unit: it.default_weight_unit.into(),
        })
    }

    /// The user's preferences (the defaults until the user saves some).
    async fn preferences(&self, ctx: &Context<'_>) -> Result<Preferences> {
        let (user, db) = caller(ctx)?;
        Ok(preferences::get(db, user).await.or_client(ctx)?.into())
    }

    /// Totals of the current and the previous period, per-exercise aggregates and workout dates.
    async fn progress_dashboard(
        &self,
        ctx: &Context<'_>,
        range: TimeRange,
        unit: Option<WeightUnit>,
    ) -> Result<Dashboard> {
        let (user, db) = caller(ctx)?;
        let (unit_used, today) = unit_and_today(ctx, db, user, unit).await?;
        let it = progress::dashboard(db, user, range.into(), today).await.or_client(ctx)?;
        Ok(Dashboard {
            unit: unit_used.into(),
            current: PeriodTotals::shown_in(&it.current, unit_used),
            previous: PeriodTotals::shown_in(&it.previous, unit_used),
            exercises: it
                .exercises
                .into_iter()
                .map(|e| ExerciseSummary {
                    name: e.name,
                    session_count: e.session_count,
                    volume: shown(unit_used, e.volume),
                    max_weight: shown_opt(unit_used, e.max_weight),
                    max_one_rm: shown_opt(unit_used, e.max_one_rm),
                })
                .collect(),
            workout_dates: it.workout_dates,
        })
    }

    /// The user's workouts, newest first, a page at a time (at most 100).
    #[graphql(
        complexity = "usize::try_from(first).unwrap_or(usize::MAX).saturating_mul(child_complexity)"
    )]
    async fn recent_workouts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
        #[graphql(default = false)] include_empty: bool,
    ) -> Result<Connection<OpaqueCursor<(i64, i64)>, Workout>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<(i64, i64)>(ctx, after)?
            .map(|(millis, id)| (DateTime::from_timestamp_millis(millis).unwrap_or_default(), id));
        let rows = workouts::workouts_page(db, user, key, fetch_count(first), include_empty)
            .await
            .or_client(ctx)?;
        Ok(page(
            rows,
            first,
            key.is_some(),
            |w| OpaqueCursor((w.workout_date.timestamp_millis(), w.id)),
            Workout::from,
        ))
    }

    /// One of the user's workouts.
    async fn workout(&self, ctx: &Context<'_>, id: ID) -> Result<Workout> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        Ok(workouts::workout(db, user, id).await.or_client(ctx)?.into())
    }

    /// The user's templates whose name contains `search` (any case), in `orderBy` (by name, newest
    /// first, last used or most used), a page at a time, each with how often and how lately it
    /// was used.
    #[graphql(
        complexity = "usize::try_from(first).unwrap_or(usize::MAX).saturating_mul(child_complexity)"
    )]
    async fn templates(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] search: String,
        #[graphql(default)] order_by: TemplateOrder,
        #[graphql(default = 50, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<TemplateCursor>, Template>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<TemplateCursor>(ctx, after)?;
        let had_key = key.is_some();
        let order = templates::TemplateOrder::from(order_by);
        let rows = templates::templates_page(
            db,
            user,
            &search,
            order,
            key.map(TemplateCursor::into_key),
            fetch_count(first),
        )
        .await
        .or_client(ctx)?;
        Ok(page(
            rows,
            first,
            had_key,
            |t| OpaqueCursor(TemplateCursor::from_key(t.key(order))),
            Template::from,
        ))
    }

    /// The user's master exercises whose name contains `search`, by name, a page at a time.
    #[graphql(
        complexity = "usize::try_from(first).unwrap_or(usize::MAX).saturating_mul(child_complexity)"
    )]
    async fn master_exercises(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] search: String,
        #[graphql(default = 50, validator(custom = "Within(Limits::PAGE_SIZE)"))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<(String, i64)>, MasterExercise>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<(String, i64)>(ctx, after)?;
        let had_key = key.is_some();
        let rows = exercises::master_exercises_page(db, user, &search, key, fetch_count(first))
            .await
            .or_client(ctx)?;
        Ok(page(
            rows,
            first,
            had_key,
            |m| OpaqueCursor((m.normalized_name.clone(), m.id)),
            |m| MasterExercise::new(m.id, m.name, m.muscle_group),
        ))
    }

    /// One of the user's master exercises.
    async fn master_exercise(&self, ctx: &Context<'_>, id: ID) -> Result<MasterExercise> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        Ok(exercises::master_exercise(db, user, id).await.or_client(ctx)?.into())
    }

    /// The unlinked template exercises (linking not refused) at least `minimumSimilarity` (0–1)
    /// like one of the user's master exercises, most similar first: what `linkSimilarExercises`
    /// would link.
    async fn linking_candidates(
        &self,
        ctx: &Context<'_>,
        master_exercise_id: ID,
        #[graphql(default = 0.0)] minimum_similarity: f64,
    ) -> Result<Vec<LinkCandidate>> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "masterExerciseId", &master_exercise_id)?;
        let list =
            exercises::linking_candidates(db, user, id, minimum_similarity).await.or_client(ctx)?;
        Ok(list
            .into_iter()
            .map(|c| LinkCandidate {
                template_exercise_id: c.template_exercise_id.into(),
                template_id: c.template_id.into(),
                exercise_name: c.exercise_name,
                similarity: c.similarity,
            })
            .collect())
    }

    /// One of the user's templates.
    async fn template(&self, ctx: &Context<'_>, id: ID) -> Result<Template> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        Ok(templates::template(db, user, id).await.or_client(ctx)?.into())
    }

    /// The user's latest workout of an exercise (other than `excludeWorkoutId`, the one being
    /// logged) with that exercise's set lines; null when never trained. With `templateExerciseId`
    /// the exercise is what that line resolves to, so every line linked to the same master counts.
    async fn last_exercise_data(
        &self,
        ctx: &Context<'_>,
        exercise_name: String,
        template_exercise_id: Option<ID>,
        exclude_workout_id: Option<ID>,
    ) -> Result<Option<LastExerciseData>> {
        let (user, db) = caller(ctx)?;
        let te = parse_opt_id(ctx, "templateExerciseId", template_exercise_id.as_ref())?;
        let exclude = parse_opt_id(ctx, "excludeWorkoutId", exclude_workout_id.as_ref())?;
        let Some(last) = workouts::last_exercise_data(db, user, &exercise_name, te, exclude)
            .await
            .or_client(ctx)?
        else {
            return Ok(None);
        };
        Ok(Some(LastExerciseData {
            best_set: last.best_set().map(SetLine::from),
            sets: last.sets.iter().map(SetLine::from).collect(),
            workout: last.workout.into(),
        }))
    }

    /// Master exercises that unlinked template exercises probably mean.
    async fn linking_suggestions(&self, ctx: &Context<'_>) -> Result<Vec<LinkingSuggestion>> {
        let (user, db) = caller(ctx)?;
        let list = analytics::linking_suggestions(db, user, 0.8).await.or_client(ctx)?;
        Ok(list
            .into_iter()
            .map(|s| LinkingSuggestion {
                template_exercise_id: s.template_exercise_id.into(),
                exercise_name: s.exercise_name,
                master_exercise_id: s.master_exercise_id.into(),
                master_name: s.master_name,
                score: s.score,
            })
            .collect())
    }

    /// An exercise's best e1RM, top weight and volume per day over the range.
    async fn strength_progression(
        &self,
        ctx: &Context<'_>,
        exercise_name: String,
        range: TimeRange,
        unit: Option<WeightUnit>,
    ) -> Result<Vec<ProgressPoint>> {
        let (user, db) = caller(ctx)?;
        let (unit, today) = unit_and_today(ctx, db, user, unit).await?;
        let from = today - chrono::Duration::days(Range::from(range).days() - 1);
        let points = analytics::strength_progression(db, user, &exercise_name, from, today)
            .await
            .or_client(ctx)?;
        Ok(points
            .into_iter()
            .map(|p| ProgressPoint {
                local_date: p.local_date,
                max_one_rm: shown_opt(unit, p.max_one_rm),
                top_weight: shown_opt(unit, p.top_weight),
                volume: shown(unit, p.volume),
            })
            .collect())
    }

    /// An exercise's weekly trend over the last `weeks` ISO weeks up to the current one, oldest
    /// first, weeks with counted sets only.
    async fn exercise_trends(
        &self,
        ctx: &Context<'_>,
        exercise: String,
        #[graphql(default = 12, validator(custom = "Within(Limits::TREND_WEEKS)"))] weeks: i32,
        unit: Option<WeightUnit>,
    ) -> Result<Vec<TrendWeek>> {
        let (user, db) = caller(ctx)?;
        let (unit, today) = unit_and_today(ctx, db, user, unit).await?;
        let weeks = u32::try_from(weeks).unwrap_or(1);
        let list = analytics::exercise_trends(db, user, exercise.trim(), weeks, today)
            .await
            .or_client(ctx)?;
        Ok(list
            .into_iter()
            .map(|w| TrendWeek {
                week_start: w.week_start,
                max_one_rm: shown_opt(unit, w.max_one_rm),
                previous_max_one_rm: shown_opt(unit, w.previous_max_one_rm),
                change: shown_opt(unit, w.change),
                volume: shown(unit, w.volume),
                sets: w.sets,
                slope: shown_opt(unit, w.slope),
            })
            .collect())
    }

    /// The exercises trained in most sessions over the range (at most 50), with their frequency,
    /// average e1RM and trend.
    async fn top_exercises(
        &self,
        ctx: &Context<'_>,
        range: TimeRange,
        #[graphql(default = 10, validator(custom = "Within(Limits::RANKING_SIZE)"))] first: i32,
        unit: Option<WeightUnit>,
    ) -> Result<Vec<TopExercise>> {
        let (user, db) = caller(ctx)?;
        let (unit, today) = unit_and_today(ctx, db, user, unit).await?;
        let days = Range::from(range).days();
        let from = today - chrono::Duration::days(days - 1);
        let list =
            analytics::top_exercises(db, user, from, today, u32::try_from(first).unwrap_or(1))
                .await
                .or_client(ctx)?;
        // The daily series only when a field needs it: one more statement.
        let fields = ctx.look_ahead();
        let strength = if fields.field("averageOneRm").exists() || fields.field("trend").exists() {
            let names: Vec<String> = list.iter().map(|t| t.name.clone()).collect();
            analytics::strength_of(db, user, &names, from, today).await.or_client(ctx)?
        } else {
            std::collections::HashMap::new()
        };
        Ok(list
            .into_iter()
            .map(|t| {
                let over = strength.get(&t.name);
                TopExercise {
                    frequency_per_week: round2(t.session_count as f64 * 7.0 / days as f64),
                    average_one_rm: shown_opt(unit, over.and_then(|it| it.average_one_rm)),
                    trend: over.and_then(|it| it.trend).map(Into::into),
                    name: t.name,
                    session_count: t.session_count,
                    volume: shown(unit, t.volume),
                    last_date: t.last_date,
                }
            })
            .collect())
    }

    /// Best weight, e1RM and day's volume per exercise, in the requested unit; only the named
    /// `exercises` when given.
    async fn personal_records(
        &self,
        ctx: &Context<'_>,
        unit: Option<WeightUnit>,
        exercises: Option<Vec<String>>,
    ) -> Result<Vec<PersonalRecord>> {
        let (user, db) = caller(ctx)?;
        let unit = answer_unit(ctx, db, user, unit).await?;
        let list = analytics::personal_records(db, user).await.or_client(ctx)?;
        let wanted: Option<std::collections::HashSet<String>> =
            exercises.map(|it| it.iter().map(|n| n.trim().to_owned()).collect());
        Ok(list
            .into_iter()
            .filter(|p| wanted.as_ref().is_none_or(|w| w.contains(&p.name)))
            .map(|p| PersonalRecord {
                exercise_name: p.name,
                max_weight: shown(unit, p.max_weight),
                max_weight_date: p.max_weight_date,
                max_one_rm: shown_opt(unit, p.max_one_rm),
                max_one_rm_date: p.max_one_rm_date,
                max_volume: shown_opt(unit, p.max_volume),
                max_volume_date: p.max_volume_date,
            })
            .collect())
    }

    /// Consistency over the range and streaks over the whole history.
    async fn consistency_stats(
        &self,
        ctx: &Context<'_>,
        range: TimeRange,
    ) -> Result<ConsistencyStats> {
        let (user, db) = caller(ctx)?;
        let today = progress::user_today(db, user, now(ctx)).await.or_client(ctx)?;
        let days = Range::from(range).days();
        Ok(analytics::consistency_stats(db, user, today, days).await.or_client(ctx)?.into())
    }
}
