//! The GraphQL schema: the gateway's own types (converted from the services' views) and resolvers.
//!
//! Every resolver starts with `caller(ctx)`, the one choke point that yields the authenticated user
//! (or `UNAUTHENTICATED`) and the services; every service call is scoped to that user, so another
//! user's ids answer `NOT_FOUND` exactly like ids that do not exist.

use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use std::sync::Arc;

use async_graphql::{
    ComplexObject, Context, EmptySubscription, Enum, ID, InputObject, Object, Result, Schema,
    SimpleObject,
};
use chrono::{DateTime, NaiveDate, Utc};
use domain::WeightUnit as Unit;
use query::progress::{self, TimeRange as Range};
use query::{Db, UserId, analytics, exercises, preferences, reads, templates, workouts};

use crate::error::{client_error, to_client};
use crate::http::Limits;
use crate::loaders::{Batched, LinkedMasters, LoaderOf, TemplateLines, WorkoutSets};

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The authenticated user of a request (absent when the request carried no valid token).
#[derive(Debug, Clone, Copy)]
pub struct Viewer(pub UserId);

/// Builds the schema with every limit from `limits`; introspection is off in production.
pub fn build_schema(db: Db, limits: &Limits) -> AppSchema {
    let mut builder = Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .data(db)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(limits.max_depth.max(8))
        .limit_directives(8);
    if limits.production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The choke point: the calling user and the services, or `UNAUTHENTICATED`.
fn caller<'a>(ctx: &Context<'a>) -> Result<(UserId, &'a Db)> {
    let viewer = ctx
        .data_opt::<Viewer>()
        .ok_or_else(|| client_error(ctx, "UNAUTHENTICATED", "authentication required"))?;
    let db = ctx.data::<Db>().map_err(|_| client_error(ctx, "INTERNAL", "internal error"))?;
    Ok((viewer.0, db))
}

/// The rows `B` holds for `parent`, batched with every other parent the request asks about.
async fn children_of<B: Batched>(ctx: &Context<'_>, parent: i64) -> Result<Arc<[B::Row]>> {
    caller(ctx)?;
    let loader =
        ctx.data::<LoaderOf<B>>().map_err(|_| client_error(ctx, "INTERNAL", "internal error"))?;
    let rows = loader.load_one(parent).await.map_err(|e| to_client(ctx, &e))?;
    Ok(rows.unwrap_or_else(|| Arc::from([])))
}

/// The sort key a page starts after, from the `after` cursor a previous page handed out.
fn decode_after<K: serde::de::DeserializeOwned + serde::Serialize>(
    ctx: &Context<'_>,
    after: Option<String>,
) -> Result<Option<K>> {
    use async_graphql::connection::CursorType;
    after
        .map(|cursor| {
            OpaqueCursor::<K>::decode_cursor(&cursor).map(|it| it.0).map_err(|_| {
                client_error(ctx, "BAD_USER_INPUT", "after: not a cursor from this list")
            })
        })
        .transpose()
}

/// The rows to fetch for a page of `first`: one more tells whether a next page exists.
fn fetch_count(first: i32) -> u64 {
    u64::try_from(first).unwrap_or(0) + 1
}

/// A connection page of `first` from `rows` fetched with `fetch_count(first)`.
fn page<R, C, N>(
    mut rows: Vec<R>,
    first: i32,
    has_previous: bool,
    cursor: impl Fn(&R) -> C,
    node: impl Fn(R) -> N,
) -> Connection<C, N>
where
    C: async_graphql::connection::CursorType + Send + Sync,
    N: async_graphql::OutputType,
{
    let first = usize::try_from(first).unwrap_or(0);
    let has_next = rows.len() > first;
    rows.truncate(first);
    let mut res = Connection::new(has_previous, has_next);
    res.edges.extend(rows.into_iter().map(|row| Edge::new(cursor(&row), node(row))));
    res
}

fn parse_id(ctx: &Context<'_>, field: &str, id: &ID) -> Result<i64> {
    id.parse::<i64>()
        .map_err(|_| client_error(ctx, "BAD_USER_INPUT", format!("{field}: must be an id")))
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum TimeRange {
    Week,
    Month,
    Quarter,
    Year,
}

impl From<TimeRange> for Range {
    fn from(it: TimeRange) -> Self {
        match it {
            TimeRange::Week => Self::Week,
            TimeRange::Month => Self::Month,
            TimeRange::Quarter => Self::Quarter,
            TimeRange::Year => Self::Year,
        }
    }
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum WeightUnit {
    Kg,
    Lbs,
}

impl From<Unit> for WeightUnit {
    fn from(it: Unit) -> Self {
        match it {
            Unit::Kg => Self::Kg,
            Unit::Lbs => Self::Lbs,
        }
    }
}

/// A unit as stored (`kg`, `lbs`); kg for anything else, which the schema's checks rule out.
fn stored_unit(text: &str) -> Unit {
    text.parse().unwrap_or(Unit::Kg)
}

impl From<WeightUnit> for Unit {
    fn from(it: WeightUnit) -> Self {
        match it {
            WeightUnit::Kg => Self::Kg,
            WeightUnit::Lbs => Self::Lbs,
        }
    }
}

/// The unit to answer in and the user's local "today", from one read of the user's row.
async fn unit_and_today(
    ctx: &Context<'_>,
    db: &Db,
    user: UserId,
    requested: Option<WeightUnit>,
) -> Result<(Unit, NaiveDate)> {
    let viewer = reads::viewer(db, user).await.map_err(|e| to_client(ctx, &e))?;
    let unit = requested.map_or_else(|| stored_unit(&viewer.default_weight_unit), Into::into);
    let zone: domain::UserTimeZone = viewer.timezone.parse().unwrap_or(domain::UserTimeZone::UTC);
    Ok((unit, domain::local_date(Utc::now(), zone)))
}

/// The unit to answer in: the requested one, else the user's preferred one.
async fn answer_unit(
    ctx: &Context<'_>,
    db: &Db,
    user: UserId,
    requested: Option<WeightUnit>,
) -> Result<Unit> {
    if let Some(unit) = requested {
        return Ok(unit.into());
    }
    let viewer = reads::viewer(db, user).await.map_err(|e| to_client(ctx, &e))?;
    Ok(stored_unit(&viewer.default_weight_unit))
}

#[derive(Debug, SimpleObject)]
pub struct ViewerView {
    id: ID,
    email: String,
    display_name: Option<String>,
    timezone: String,
    preferred_unit: WeightUnit,
}

#[derive(Debug, SimpleObject)]
pub struct PeriodTotals {
    session_count: i64,
    total_volume: f64,
    total_sets: i64,
    total_reps: i64,
    max_one_rm: Option<f64>,
    exercise_count: i64,
}

#[derive(Debug, SimpleObject)]
pub struct ExerciseSummary {
    name: String,
    session_count: i64,
    volume: f64,
    max_weight: Option<f64>,
    max_one_rm: Option<f64>,
}

#[derive(Debug, SimpleObject)]
pub struct Dashboard {
    unit: WeightUnit,
    current: PeriodTotals,
    previous: PeriodTotals,
    exercises: Vec<ExerciseSummary>,
    workout_dates: Vec<NaiveDate>,
}

fn totals(it: &progress::PeriodTotals, unit: Unit) -> PeriodTotals {
    PeriodTotals {
        session_count: it.session_count,
        total_volume: unit.from_kg(it.total_volume),
        total_sets: it.total_sets,
        total_reps: it.total_reps,
        max_one_rm: it.max_one_rm.map(|w| unit.from_kg(w)),
        exercise_count: it.exercise_count,
    }
}

#[derive(Debug, SimpleObject)]
#[graphql(complex)]
#[expect(
    clippy::struct_field_names,
    reason = "the GraphQL field is workoutDate, as the original API named it"
)]
pub struct Workout {
    id: ID,
    template_id: Option<ID>,
    workout_date: DateTime<Utc>,
    local_date: NaiveDate,
    #[graphql(skip)]
    key: i64,
}

impl From<reads::WorkoutView> for Workout {
    fn from(it: reads::WorkoutView) -> Self {
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
pub struct WorkoutExercise {
    template_exercise_id: Option<ID>,
    exercise_name: String,
    /// The linked master exercise's name, else the exercise's own: what progress is grouped by.
    resolved_name: String,
    sets: Vec<SetLine>,
    #[graphql(skip)]
    template_exercise_key: Option<i64>,
}

#[derive(Debug, SimpleObject)]
#[graphql(complex)]
pub struct Template {
    id: ID,
    name: String,
    #[graphql(skip)]
    key: i64,
}

impl From<reads::TemplateView> for Template {
    fn from(it: reads::TemplateView) -> Self {
        Self { id: it.id.into(), name: it.name, key: it.id }
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
                exercise_name: l.exercise_name.clone(),
                order_index: l.order_index,
                linking_rejected: l.linking_rejected,
                key: l.id,
            })
            .collect())
    }
}

#[derive(Debug, SimpleObject)]
pub struct MasterExercise {
    id: ID,
    name: String,
    muscle_group: Option<String>,
}

#[derive(Debug, SimpleObject)]
pub struct PersonalRecord {
    exercise_name: String,
    max_weight: f64,
    max_weight_date: NaiveDate,
    max_one_rm: Option<f64>,
    max_one_rm_date: Option<NaiveDate>,
}

#[derive(Debug, SimpleObject)]
#[graphql(complex)]
pub struct TemplateExercise {
    id: ID,
    exercise_name: String,
    order_index: i32,
    linking_rejected: bool,
    #[graphql(skip)]
    key: i64,
}

#[ComplexObject]
impl TemplateExercise {
    /// The master exercise this line is linked to, if any.
    async fn master(&self, ctx: &Context<'_>) -> Result<Option<MasterExercise>> {
        let masters = children_of::<LinkedMasters>(ctx, self.key).await?;
        Ok(masters.first().map(|m| MasterExercise {
            id: m.id.into(),
            name: m.name.clone(),
            muscle_group: m.muscle_group.clone(),
        }))
    }
}

/// One set line: `weight` as the user typed it, in `unit`; `weightKg` and `oneRmKg` canonical.
#[derive(Debug, SimpleObject)]
pub struct SetLine {
    id: ID,
    workout_id: ID,
    set_order: i32,
    set_type: SetType,
    weight: Option<f64>,
    unit: WeightUnit,
    weight_kg: Option<f64>,
    reps: Option<i32>,
    sets: i32,
    rpe: Option<f64>,
    /// Estimated one-rep max in kg (none for warm-ups and for reps outside 1..=30).
    one_rm_kg: Option<f64>,
}

impl From<&reads::SetView> for SetLine {
    fn from(it: &reads::SetView) -> Self {
        Self {
            id: it.id.into(),
            workout_id: it.session_id.into(),
            set_order: it.set_order,
            set_type: match it.set_type.parse() {
                Ok(domain::SetType::Warmup) => SetType::Warmup,
                Ok(domain::SetType::Drop) => SetType::Drop,
                Ok(domain::SetType::Failure) => SetType::Failure,
                _ => SetType::Working,
            },
            weight: it.weight,
            unit: stored_unit(&it.unit).into(),
            weight_kg: it.weight_kg,
            reps: it.reps,
            sets: it.sets,
            rpe: it.rpe,
            one_rm_kg: it.one_rm_estimate,
        }
    }
}

/// The latest workout of an exercise: the exercise's set lines in it and the heaviest of them.
#[derive(Debug, SimpleObject)]
pub struct LastExerciseData {
    workout: Workout,
    sets: Vec<SetLine>,
    /// The heaviest counted set (by weight, then reps); warm-ups never count.
    best_set: Option<SetLine>,
}

#[derive(Debug, SimpleObject)]
pub struct LinkingSuggestion {
    template_exercise_id: ID,
    exercise_name: String,
    master_exercise_id: ID,
    master_name: String,
    score: f64,
}

#[derive(Debug, SimpleObject)]
pub struct ProgressPoint {
    local_date: NaiveDate,
    max_one_rm: Option<f64>,
    top_weight: Option<f64>,
    volume: f64,
}

#[derive(Debug, SimpleObject)]
pub struct TopExercise {
    name: String,
    session_count: i64,
    volume: f64,
    last_date: NaiveDate,
}

#[derive(Debug, SimpleObject)]
pub struct ConsistencyStats {
    workout_days: i64,
    frequency_per_week: f64,
    consistency_score: i64,
    current_week_streak: i64,
    longest_week_streak: i64,
    current_day_streak: i64,
}

#[derive(Debug, SimpleObject)]
pub struct Preferences {
    default_weight_unit: WeightUnit,
    progression_type: String,
    target_workouts_per_week: f64,
    warmup_strategy: String,
    warmup_sets_count: i32,
    warmup_percentages: Vec<i32>,
    bodyweight_kg: Option<f64>,
}

impl From<preferences::PreferencesView> for Preferences {
    fn from(it: preferences::PreferencesView) -> Self {
        Self {
            default_weight_unit: it.default_weight_unit.into(),
            progression_type: it.progression_type,
            target_workouts_per_week: it.target_workouts_per_week,
            warmup_strategy: it.warmup_strategy,
            warmup_sets_count: it.warmup_sets_count,
            warmup_percentages: it.warmup_percentages,
            bodyweight_kg: it.bodyweight_kg,
        }
    }
}

/// A partial preferences update: omitted fields keep their value.
#[derive(Debug, InputObject)]
pub struct PreferencesInput {
    default_weight_unit: Option<WeightUnit>,
    progression_type: Option<String>,
    target_workouts_per_week: Option<f64>,
    warmup_strategy: Option<String>,
    warmup_sets_count: Option<i32>,
    warmup_percentages: Option<Vec<i32>>,
    bodyweight_kg: Option<f64>,
}

#[derive(Debug, Default)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// The authenticated user.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<ViewerView> {
        let (user, db) = caller(ctx)?;
        let it = reads::viewer(db, user).await.map_err(|e| to_client(ctx, &e))?;
        Ok(ViewerView {
            id: it.id.into(),
            email: it.email,
            display_name: it.display_name,
            timezone: it.timezone,
            preferred_unit: stored_unit(&it.default_weight_unit).into(),
        })
    }

    /// The user's preferences (the defaults until the user saves some).
    async fn preferences(&self, ctx: &Context<'_>) -> Result<Preferences> {
        let (user, db) = caller(ctx)?;
        Ok(preferences::get(db, user).await.map_err(|e| to_client(ctx, &e))?.into())
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
        let it = progress::dashboard(db, user, range.into(), today)
            .await
            .map_err(|e| to_client(ctx, &e))?;
        Ok(Dashboard {
            unit: unit_used.into(),
            current: totals(&it.current, unit_used),
            previous: totals(&it.previous, unit_used),
            exercises: it
                .exercises
                .into_iter()
                .map(|e| ExerciseSummary {
                    name: e.name,
                    session_count: e.session_count,
                    volume: unit_used.from_kg(e.volume),
                    max_weight: e.max_weight.map(|w| unit_used.from_kg(w)),
                    max_one_rm: e.max_one_rm.map(|w| unit_used.from_kg(w)),
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
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<(i64, i64)>, Workout>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<(i64, i64)>(ctx, after)?
            .map(|(millis, id)| (DateTime::from_timestamp_millis(millis).unwrap_or_default(), id));
        let rows = reads::workouts_page(db, user, key, fetch_count(first))
            .await
            .map_err(|e| to_client(ctx, &e))?;
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
        Ok(reads::workout(db, user, id).await.map_err(|e| to_client(ctx, &e))?.into())
    }

    /// The user's templates whose name contains `search` (any case), by name, a page at a time.
    #[graphql(
        complexity = "usize::try_from(first).unwrap_or(usize::MAX).saturating_mul(child_complexity)"
    )]
    async fn templates(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] search: String,
        #[graphql(default = 50, validator(minimum = 1, maximum = 100))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<(String, i64)>, Template>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<(String, i64)>(ctx, after)?;
        let had_key = key.is_some();
        let rows = reads::templates_page(db, user, &search, key, fetch_count(first))
            .await
            .map_err(|e| to_client(ctx, &e))?;
        Ok(page(rows, first, had_key, |t| OpaqueCursor((t.name.clone(), t.id)), Template::from))
    }

    /// The user's master exercises whose name contains `search`, by name, a page at a time.
    #[graphql(
        complexity = "usize::try_from(first).unwrap_or(usize::MAX).saturating_mul(child_complexity)"
    )]
    async fn master_exercises(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] search: String,
        #[graphql(default = 50, validator(minimum = 1, maximum = 100))] first: i32,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<(String, i64)>, MasterExercise>> {
        let (user, db) = caller(ctx)?;
        let key = decode_after::<(String, i64)>(ctx, after)?;
        let had_key = key.is_some();
        let rows = reads::master_exercises_page(db, user, &search, key, fetch_count(first))
            .await
            .map_err(|e| to_client(ctx, &e))?;
        Ok(page(
            rows,
            first,
            had_key,
            |m| OpaqueCursor((m.normalized_name.clone(), m.id)),
            |m| MasterExercise { id: m.id.into(), name: m.name, muscle_group: m.muscle_group },
        ))
    }

    /// One of the user's templates.
    async fn template(&self, ctx: &Context<'_>, id: ID) -> Result<Template> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        Ok(reads::template(db, user, id).await.map_err(|e| to_client(ctx, &e))?.into())
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
        let te =
            template_exercise_id.map(|id| parse_id(ctx, "templateExerciseId", &id)).transpose()?;
        let exclude =
            exclude_workout_id.map(|id| parse_id(ctx, "excludeWorkoutId", &id)).transpose()?;
        let Some(last) = reads::last_exercise_data(db, user, &exercise_name, te, exclude)
            .await
            .map_err(|e| to_client(ctx, &e))?
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
        let list =
            analytics::linking_suggestions(db, user, 0.8).await.map_err(|e| to_client(ctx, &e))?;
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
            .map_err(|e| to_client(ctx, &e))?;
        Ok(points
            .into_iter()
            .map(|p| ProgressPoint {
                local_date: p.local_date,
                max_one_rm: p.max_one_rm.map(|w| unit.from_kg(w)),
                top_weight: p.top_weight.map(|w| unit.from_kg(w)),
                volume: unit.from_kg(p.volume),
            })
            .collect())
    }

    /// The exercises trained in most sessions over the range (at most 50).
    async fn top_exercises(
        &self,
        ctx: &Context<'_>,
        range: TimeRange,
        #[graphql(default = 10, validator(minimum = 1, maximum = 50))] first: u32,
        unit: Option<WeightUnit>,
    ) -> Result<Vec<TopExercise>> {
        let (user, db) = caller(ctx)?;
        let (unit, today) = unit_and_today(ctx, db, user, unit).await?;
        let from = today - chrono::Duration::days(Range::from(range).days() - 1);
        let list = analytics::top_exercises(db, user, from, today, first)
            .await
            .map_err(|e| to_client(ctx, &e))?;
        Ok(list
            .into_iter()
            .map(|t| TopExercise {
                name: t.name,
                session_count: t.session_count,
                volume: unit.from_kg(t.volume),
                last_date: t.last_date,
            })
            .collect())
    }

    /// Best weight and e1RM per exercise, in the requested unit.
    async fn personal_records(
        &self,
        ctx: &Context<'_>,
        unit: Option<WeightUnit>,
    ) -> Result<Vec<PersonalRecord>> {
        let (user, db) = caller(ctx)?;
        let unit = answer_unit(ctx, db, user, unit).await?;
        let list = analytics::personal_records(db, user).await.map_err(|e| to_client(ctx, &e))?;
        Ok(list
            .into_iter()
            .map(|p| PersonalRecord {
                exercise_name: p.name,
                max_weight: unit.from_kg(p.max_weight),
                max_weight_date: p.max_weight_date,
                max_one_rm: p.max_one_rm.map(|w| unit.from_kg(w)),
                max_one_rm_date: p.max_one_rm_date,
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
        let today =
            progress::user_today(db, user, Utc::now()).await.map_err(|e| to_client(ctx, &e))?;
        let days = Range::from(range).days();
        let it = analytics::consistency_stats(db, user, today, days)
            .await
            .map_err(|e| to_client(ctx, &e))?;
        Ok(ConsistencyStats {
            workout_days: it.workout_days,
            frequency_per_week: it.frequency_per_week,
            consistency_score: it.score,
            current_week_streak: it.current_week_streak,
            longest_week_streak: it.longest_week_streak,
            current_day_streak: it.current_day_streak,
        })
    }
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum SetType {
    Warmup,
    #[default]
    Working,
    Drop,
    Failure,
}

/// One set line of a saved workout.
#[derive(Debug, InputObject)]
pub struct SetInput {
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
pub struct ExerciseInput {
    template_exercise_id: Option<ID>,
    exercise_name: String,
    sets: Vec<SetInput>,
}

/// A whole workout, idempotent by `clientKey`.
#[derive(Debug, InputObject)]
pub struct SaveWorkoutInput {
    client_key: String,
    template_id: Option<ID>,
    workout_date: DateTime<Utc>,
    exercises: Vec<ExerciseInput>,
}

#[derive(Debug, SimpleObject)]
pub struct SaveWorkoutPayload {
    workout: Workout,
    /// The client key had been saved before: nothing was written.
    replayed: bool,
}

/// The service's input; ids that are not ids are refused with their path after `prefix`.
fn to_new_workout(
    ctx: &Context<'_>,
    input: SaveWorkoutInput,
    prefix: &str,
) -> Result<workouts::NewWorkout> {
    let template_id = input
        .template_id
        .map(|id| parse_id(ctx, &format!("{prefix}templateId"), &id))
        .transpose()?;
    let mut exercises = Vec::with_capacity(input.exercises.len());
    for (idx, it) in input.exercises.into_iter().enumerate() {
        let template_exercise_id = it
            .template_exercise_id
            .map(|id| parse_id(ctx, &format!("{prefix}exercises[{idx}].templateExerciseId"), &id))
            .transpose()?;
        exercises.push(workouts::ExerciseInput {
            template_exercise_id,
            exercise_name: it.exercise_name,
            sets: it
                .sets
                .into_iter()
                .map(|s| workouts::SetInput {
                    set_type: match s.set_type {
                        SetType::Warmup => domain::SetType::Warmup,
                        SetType::Working => domain::SetType::Working,
                        SetType::Drop => domain::SetType::Drop,
                        SetType::Failure => domain::SetType::Failure,
                    },
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
    Ok(workouts::NewWorkout {
        client_key: input.client_key,
        template_id,
        workout_date: input.workout_date,
        exercises,
    })
}

/// A change to one stored set line.
#[derive(Debug, InputObject)]
pub struct SetUpdateInput {
    id: ID,
    weight: Option<f64>,
    unit: WeightUnit,
    reps: Option<i32>,
}

/// One exercise line of a template update: `id` of a line to keep, or none for a new line.
#[derive(Debug, InputObject)]
pub struct TemplateLineInput {
    id: Option<ID>,
    exercise_name: String,
}

#[derive(Debug, Default)]
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Starts a workout now (or at `workoutDate`, at most a day ahead), optionally from a template.
    async fn start_workout(
        &self,
        ctx: &Context<'_>,
        template_id: Option<ID>,
        workout_date: Option<DateTime<Utc>>,
    ) -> Result<Workout> {
        let (user, db) = caller(ctx)?;
        let template = template_id.map(|id| parse_id(ctx, "templateId", &id)).transpose()?;
        let now = Utc::now();
        let it = workouts::start(db, user, template, workout_date.unwrap_or(now), now)
            .await
            .map_err(|e| to_client(ctx, &e))?;
        Ok(it.into())
    }

    /// Saves a whole workout in one transaction; replaying the same `clientKey` creates nothing.
    async fn save_workout(
        &self,
        ctx: &Context<'_>,
        input: SaveWorkoutInput,
    ) -> Result<SaveWorkoutPayload> {
        let (user, db) = caller(ctx)?;
        let input = to_new_workout(ctx, input, "")?;
        let (workout, replayed) = workouts::save_new(db, user, &input, Utc::now())
            .await
            .map_err(|e| to_client(ctx, &e))?;
        Ok(SaveWorkoutPayload { workout: workout.into(), replayed })
    }

    /// An offline queue's batch (at most 20), in one transaction: all saved or, when any item is
    /// refused, none. Each item is idempotent by its `clientKey`, so a replayed batch writes nothing.
    async fn save_workouts(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_items = 20))] inputs: Vec<SaveWorkoutInput>,
    ) -> Result<Vec<SaveWorkoutPayload>> {
        let (user, db) = caller(ctx)?;
        let mut list = Vec::with_capacity(inputs.len());
        for (idx, input) in inputs.into_iter().enumerate() {
            list.push(to_new_workout(ctx, input, &format!("inputs[{idx}]."))?);
        }
        let saved = workouts::save_new_batch(db, user, &list, Utc::now())
            .await
            .map_err(|e| to_client(ctx, &e))?;
        Ok(saved
            .into_iter()
            .map(|(workout, replayed)| SaveWorkoutPayload { workout: workout.into(), replayed })
            .collect())
    }

    /// Changes weight, unit and reps of stored set lines (their e1RM and volume are re-derived).
    async fn update_sets(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_items = 500))] updates: Vec<SetUpdateInput>,
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
        workouts::update_sets(db, user, &list).await.map_err(|e| to_client(ctx, &e))?;
        Ok(true)
    }

    /// Creates a template; with a `dedupeKey` a replay returns the first template.
    async fn create_template(
        &self,
        ctx: &Context<'_>,
        name: String,
        dedupe_key: Option<String>,
        #[graphql(validator(max_items = 50))] exercises: Vec<String>,
    ) -> Result<Template> {
        let (user, db) = caller(ctx)?;
        let id = templates::create(db, user, &name, dedupe_key.as_deref(), &exercises, Utc::now())
            .await
            .map_err(|e| to_client(ctx, &e))?;
        Ok(reads::template(db, user, id).await.map_err(|e| to_client(ctx, &e))?.into())
    }

    /// Renames a template and sets its lines; kept lines keep their ids, links and history.
    async fn update_template(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
        #[graphql(validator(max_items = 50))] exercises: Vec<TemplateLineInput>,
    ) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        let mut lines = Vec::with_capacity(exercises.len());
        for (idx, it) in exercises.into_iter().enumerate() {
            let line_id =
                it.id.map(|v| parse_id(ctx, &format!("exercises[{idx}].id"), &v)).transpose()?;
            lines.push(templates::LineInput { id: line_id, exercise_name: it.exercise_name });
        }
        templates::update(db, user, id, &name, &lines, Utc::now())
            .await
            .map_err(|e| to_client(ctx, &e))?;
        Ok(true)
    }

    /// Deletes one of the user's templates (its workouts stay).
    async fn delete_template(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        templates::delete(db, user, id).await.map_err(|e| to_client(ctx, &e))?;
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
            progression_type: input.progression_type,
            target_workouts_per_week: input.target_workouts_per_week,
            warmup_strategy: input.warmup_strategy,
            warmup_sets_count: input.warmup_sets_count,
            warmup_percentages: input.warmup_percentages,
            bodyweight_kg: input.bodyweight_kg,
        };
        Ok(preferences::update(db, user, &patch, Utc::now())
            .await
            .map_err(|e| to_client(ctx, &e))?
            .into())
    }

    /// Deletes one of the user's workouts.
    async fn delete_workout(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let id = parse_id(ctx, "id", &id)?;
        workouts::delete(db, user, id).await.map_err(|e| to_client(ctx, &e))?;
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
        exercises::link(db, user, te, master).await.map_err(|e| to_client(ctx, &e))?;
        Ok(true)
    }

    /// Removes a template exercise's link.
    async fn unlink_exercise(&self, ctx: &Context<'_>, template_exercise_id: ID) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let te = parse_id(ctx, "templateExerciseId", &template_exercise_id)?;
        exercises::unlink(db, user, te, false).await.map_err(|e| to_client(ctx, &e))?;
        Ok(true)
    }

    /// Removes a template exercise's link and stops suggesting one.
    async fn reject_linking(&self, ctx: &Context<'_>, template_exercise_id: ID) -> Result<bool> {
        let (user, db) = caller(ctx)?;
        let te = parse_id(ctx, "templateExerciseId", &template_exercise_id)?;
        exercises::unlink(db, user, te, true).await.map_err(|e| to_client(ctx, &e))?;
        Ok(true)
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
        exercises::merge(db, user, source, target).await.map_err(|e| to_client(ctx, &e))?;
        Ok(true)
    }
}
