//! User preferences: read (defaults when the user never saved any) and partial update (upsert).
//!
//! `warmup_percentages` is JSON text, as the original stored it. From phase 2 on, the list is also
//! the child table `user_warmup_percentages`, written with the JSON in the same transaction; on the
//! optimized path (`Flags::hot_columns`) reads take it from there and never parse JSON.

use chrono::{DateTime, Utc};
use domain::{
    BodyweightSource, ExperienceLevel, Limits, ProgressionType, RecoveryPlannerStrategy,
    RightSwipeAction, ValidationError, Violation, WarmupRepsStrategy, WarmupStrategy, WeightUnit,
    check_range,
};
use sea_orm::{ConnectionTrait, FromQueryResult, QueryResult, Statement};

use crate::flags::Path;
use crate::{Db, QueryError, UserId, writes};

/// The stored preferences row, words as stored (parsed into their enums by `view`).
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
#[expect(clippy::struct_excessive_bools, reason = "the original's preference switches")]
struct Row {
    default_weight_unit: String,
    predictive_defaults_enabled: bool,
    right_swipe_action: String,
    enable_manual_wellness: bool,
    progression_type: String,
    linear_progression_kg: f64,
    percentage_progression: f64,
    target_workouts_per_week: f64,
    warmup_strategy: String,
    warmup_sets_count: i32,
    warmup_reps_strategy: String,
    warmup_fixed_reps: i32,
    enable_movement_pattern_sharing: bool,
    enable_recovery_planner: bool,
    recovery_planner_strategy: String,
    recovery_planner_sensitivity: i32,
    auto_adjust_intensity: bool,
    experience_level: String,
    bodyweight_kg: Option<f64>,
    bodyweight_source: Option<String>,
}

/// Every preference the original's `user_preferences` held (its free JSON for the language-model
/// recovery planner aside), typed.
#[derive(Debug, Clone, PartialEq)]
#[expect(clippy::struct_excessive_bools, reason = "the original's preference switches")]
pub struct PreferencesView {
    pub default_weight_unit: WeightUnit,
    pub predictive_defaults_enabled: bool,
    pub right_swipe_action: RightSwipeAction,
    pub enable_manual_wellness: bool,
    pub progression_type: ProgressionType,
    pub linear_progression_kg: f64,
    pub percentage_progression: f64,
    pub target_workouts_per_week: f64,
    pub warmup_strategy: WarmupStrategy,
    pub warmup_sets_count: i32,
    pub warmup_percentages: Vec<i32>,
    pub warmup_reps_strategy: WarmupRepsStrategy,
    pub warmup_fixed_reps: i32,
    pub enable_movement_pattern_sharing: bool,
    pub enable_recovery_planner: bool,
    pub recovery_planner_strategy: RecoveryPlannerStrategy,
    pub recovery_planner_sensitivity: i32,
    pub auto_adjust_intensity: bool,
    pub experience_level: ExperienceLevel,
    pub bodyweight_kg: Option<f64>,
    pub bodyweight_source: Option<BodyweightSource>,
}

/// A partial update: `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreferencesPatch {
    pub default_weight_unit: Option<WeightUnit>,
    pub predictive_defaults_enabled: Option<bool>,
    pub right_swipe_action: Option<RightSwipeAction>,
    pub enable_manual_wellness: Option<bool>,
    pub progression_type: Option<ProgressionType>,
    pub linear_progression_kg: Option<f64>,
    pub percentage_progression: Option<f64>,
    pub target_workouts_per_week: Option<f64>,
    pub warmup_strategy: Option<WarmupStrategy>,
    pub warmup_sets_count: Option<i32>,
    pub warmup_percentages: Option<Vec<i32>>,
    pub warmup_reps_strategy: Option<WarmupRepsStrategy>,
    pub warmup_fixed_reps: Option<i32>,
    pub enable_movement_pattern_sharing: Option<bool>,
    pub enable_recovery_planner: Option<bool>,
    pub recovery_planner_strategy: Option<RecoveryPlannerStrategy>,
    pub recovery_planner_sensitivity: Option<i32>,
    pub auto_adjust_intensity: Option<bool>,
    pub experience_level: Option<ExperienceLevel>,
    pub bodyweight_kg: Option<f64>,
    pub bodyweight_source: Option<BodyweightSource>,
}

/// The stored columns a read selects, in `Row`'s order (a macro, so `concat!` builds statements).
macro_rules! columns {
    () => {
        "p.default_weight_unit, p.predictive_defaults_enabled, p.right_swipe_action, \
         p.enable_manual_wellness, p.progression_type, p.linear_progression_kg, p.percentage_progression, \
         p.target_workouts_per_week, p.warmup_strategy, p.warmup_sets_count, p.warmup_reps_strategy, \
         p.warmup_fixed_reps, p.enable_movement_pattern_sharing, p.enable_recovery_planner, \
         p.recovery_planner_strategy, p.recovery_planner_sensitivity, p.auto_adjust_intensity, \
         p.experience_level, p.bodyweight_kg, p.bodyweight_source"
    };
}

/// The user's row joined to their preferences: no row for an unknown user, nulls for a user who
/// never saved preferences. The warm-up percentages are the JSON text `warmup_percentages`.
pub(crate) const SELECT: &str = concat!(
    "SELECT p.user_id AS saved, ",
    columns!(),
    ", p.warmup_percentages FROM users u LEFT JOIN user_preferences p ON p.user_id = u.id WHERE u.id = $1"
);

/// As [`SELECT`], with the warm-up percentages from their columns (phase 2): one row per
/// percentage in order, or one row with a NULL `percent` when the list is empty or never saved.
pub(crate) const SELECT_COLUMNS: &str = concat!(
    "SELECT p.user_id AS saved, ",
    columns!(),
    ", w.percent FROM users u LEFT JOIN user_preferences p ON p.user_id = u.id \
     LEFT JOIN user_warmup_percentages w ON w.user_id = p.user_id WHERE u.id = $1 ORDER BY w.position"
);

/// The warm-up percentages the original's JSON text holds (`[40, 60, 80]`), without a JSON parser:
/// the text is always a flat array of integers.
fn parse_percentages(json: &str) -> Vec<i32> {
    json.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .filter_map(|it| it.trim().parse().ok())
        .collect()
}

fn to_json(list: &[i32]) -> String {
    format!("[{}]", list.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))
}

/// The stored preferences and warm-up list.
#[derive(Debug, Clone, PartialEq)]
struct Stored {
    row: Row,
    warmup_percentages: Vec<i32>,
}

/// The original's defaults, for a user who never saved preferences.
fn defaults() -> Stored {
    let row = Row {
        default_weight_unit: WeightUnit::Kg.as_str().to_owned(),
        predictive_defaults_enabled: false,
        right_swipe_action: RightSwipeAction::CollapseExpand.as_str().to_owned(),
        enable_manual_wellness: false,
        progression_type: ProgressionType::Linear.as_str().to_owned(),
        linear_progression_kg: 2.5,
        percentage_progression: 2.5,
        target_workouts_per_week: 3.0,
        warmup_strategy: WarmupStrategy::History.as_str().to_owned(),
        warmup_sets_count: 3,
        warmup_reps_strategy: WarmupRepsStrategy::MatchWorking.as_str().to_owned(),
        warmup_fixed_reps: 5,
        enable_movement_pattern_sharing: false,
        enable_recovery_planner: false,
        recovery_planner_strategy: RecoveryPlannerStrategy::Adaptive.as_str().to_owned(),
        recovery_planner_sensitivity: 5,
        auto_adjust_intensity: true,
        experience_level: ExperienceLevel::Intermediate.as_str().to_owned(),
        bodyweight_kg: None,
        bodyweight_source: None,
    };
    Stored { row, warmup_percentages: vec![40, 60, 80] }
}

fn view(Stored { row, warmup_percentages }: Stored) -> Result<PreferencesView, QueryError> {
    use QueryError as E;
    Ok(PreferencesView {
        default_weight_unit: E::parse_stored(
            "user_preferences.default_weight_unit",
            row.default_weight_unit,
        )?,
        predictive_defaults_enabled: row.predictive_defaults_enabled,
        right_swipe_action: E::parse_stored(
            "user_preferences.right_swipe_action",
            row.right_swipe_action,
        )?,
        enable_manual_wellness: row.enable_manual_wellness,
        progression_type: E::parse_stored(
            "user_preferences.progression_type",
            row.progression_type,
        )?,
        linear_progression_kg: row.linear_progression_kg,
        percentage_progression: row.percentage_progression,
        target_workouts_per_week: row.target_workouts_per_week,
        warmup_strategy: E::parse_stored("user_preferences.warmup_strategy", row.warmup_strategy)?,
        warmup_sets_count: row.warmup_sets_count,
        warmup_percentages,
        warmup_reps_strategy: E::parse_stored(
            "user_preferences.warmup_reps_strategy",
            row.warmup_reps_strategy,
        )?,
        warmup_fixed_reps: row.warmup_fixed_reps,
        enable_movement_pattern_sharing: row.enable_movement_pattern_sharing,
        enable_recovery_planner: row.enable_recovery_planner,
        recovery_planner_strategy: E::parse_stored(
            "user_preferences.recovery_planner_strategy",
            row.recovery_planner_strategy,
        )?,
        recovery_planner_sensitivity: row.recovery_planner_sensitivity,
        auto_adjust_intensity: row.auto_adjust_intensity,
        experience_level: E::parse_stored(
            "user_preferences.experience_level",
            row.experience_level,
        )?,
        bodyweight_kg: row.bodyweight_kg,
        bodyweight_source: row
            .bodyweight_source
            .map(|it| E::parse_stored("user_preferences.bodyweight_source", it))
            .transpose()?,
    })
}

/// The saved preferences, or the defaults; `NotFound` for an unknown user. Reads the JSON text
/// or the phase-2 columns as `Flags::hot_columns` says.
async fn stored<C: ConnectionTrait>(db: &Db, conn: &C, user: UserId) -> Result<Stored, QueryError> {
    #[derive(FromQueryResult)]
    struct Saved {
        saved: Option<i64>,
    }
    let columns = db.flags(user).hot_columns == Path::Optimized;
    let sql = if columns { SELECT_COLUMNS } else { SELECT };
    let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, [user.0.into()]);
    let rows: Vec<QueryResult> = conn.query_all_raw(stmt).await?;
    let Some(first) = rows.first() else {
        return Err(QueryError::NotFound { entity: "user", id: user.0 });
    };
    if Saved::from_query_result(first, "")?.saved.is_none() {
        return Ok(defaults());
    }
    let row = Row::from_query_result(first, "")?;
    let warmup_percentages = if columns {
        let mut list = Vec::with_capacity(rows.len());
        for it in &rows {
            list.extend(it.try_get::<Option<i32>>("", "percent")?);
        }
        list
    } else {
        parse_percentages(&first.try_get::<String>("", "warmup_percentages")?)
    };
    Ok(Stored { row, warmup_percentages })
}

/// The user's preferences, or the defaults when none were saved.
pub async fn get(db: &Db, user: UserId) -> Result<PreferencesView, QueryError> {
    view(stored(db, &db.conn, user).await?)
}

/// Applies `patch` (validated whole first) and returns the stored preferences.
pub async fn update(
    db: &Db,
    user: UserId,
    patch: &PreferencesPatch,
    now: DateTime<Utc>,
) -> Result<PreferencesView, QueryError> {
    let mut found = Vec::new();
    let mut range = |field: &str, value: Option<f64>, limits: &std::ops::RangeInclusive<f64>| {
        if let Some(it) = value {
            found.extend(check_range(field, it, limits).err());
        }
    };
    range("linearProgressionKg", patch.linear_progression_kg, &Limits::PROGRESSION_KG);
    range("percentageProgression", patch.percentage_progression, &Limits::PROGRESSION_PERCENT);
    range(
        "targetWorkoutsPerWeek",
        patch.target_workouts_per_week,
        &Limits::TARGET_WORKOUTS_PER_WEEK,
    );
    range("bodyweightKg", patch.bodyweight_kg, &Limits::BODYWEIGHT_KG);
    let counts = [
        ("warmupSetsCount", patch.warmup_sets_count, &Limits::WARMUP_SETS),
        ("warmupFixedReps", patch.warmup_fixed_reps, &Limits::WARMUP_FIXED_REPS),
        (
            "recoveryPlannerSensitivity",
            patch.recovery_planner_sensitivity,
            &Limits::PLANNER_SENSITIVITY,
        ),
    ];
    for (field, value, limits) in counts {
        if let Some(it) = value {
            found.extend(check_range(field, it, limits).err());
        }
    }
    if let Some(list) = &patch.warmup_percentages {
        if list.len() > 10 {
            found.push(Violation {
                field: "warmupPercentages".to_owned(),
                rule: "at most 10 entries".to_owned(),
            });
        }
        for (idx, it) in list.iter().enumerate() {
            found.extend(
                check_range(&format!("warmupPercentages[{idx}]"), *it, &Limits::WARMUP_PERCENT)
                    .err(),
            );
        }
    }
    if !found.is_empty() {
        return Err(QueryError::Invalid(ValidationError(found)));
    }
    let write = writes::begin(db, user).await?;
    let txn: &sea_orm::DatabaseTransaction = &write;
    let mut next = stored(db, txn, user).await?;
    apply(&mut next, patch);
    upsert(txn, user, &next, now).await?;
    if write.schema().has_hot_columns() {
        replace_warmup_percentages(txn, user, &next.warmup_percentages).await?;
    }
    write.commit().await?;
    view(next)
}

/// `patch` over `next`: `None` keeps the stored value.
fn apply(next: &mut Stored, patch: &PreferencesPatch) {
    fn set<T: Clone>(slot: &mut T, value: Option<&T>) {
        if let Some(it) = value {
            slot.clone_from(it);
        }
    }
    fn word<T: Copy + std::fmt::Display>(slot: &mut String, value: Option<T>) {
        if let Some(it) = value {
            *slot = it.to_string();
        }
    }
    let row = &mut next.row;
    word(&mut row.default_weight_unit, patch.default_weight_unit);
    set(&mut row.predictive_defaults_enabled, patch.predictive_defaults_enabled.as_ref());
    word(&mut row.right_swipe_action, patch.right_swipe_action);
    set(&mut row.enable_manual_wellness, patch.enable_manual_wellness.as_ref());
    word(&mut row.progression_type, patch.progression_type);
    set(&mut row.linear_progression_kg, patch.linear_progression_kg.as_ref());
    set(&mut row.percentage_progression, patch.percentage_progression.as_ref());
    set(&mut row.target_workouts_per_week, patch.target_workouts_per_week.as_ref());
    word(&mut row.warmup_strategy, patch.warmup_strategy);
    set(&mut row.warmup_sets_count, patch.warmup_sets_count.as_ref());
    set(&mut next.warmup_percentages, patch.warmup_percentages.as_ref());
    word(&mut row.warmup_reps_strategy, patch.warmup_reps_strategy);
    set(&mut row.warmup_fixed_reps, patch.warmup_fixed_reps.as_ref());
    set(&mut row.enable_movement_pattern_sharing, patch.enable_movement_pattern_sharing.as_ref());
    set(&mut row.enable_recovery_planner, patch.enable_recovery_planner.as_ref());
    word(&mut row.recovery_planner_strategy, patch.recovery_planner_strategy);
    set(&mut row.recovery_planner_sensitivity, patch.recovery_planner_sensitivity.as_ref());
    set(&mut row.auto_adjust_intensity, patch.auto_adjust_intensity.as_ref());
    word(&mut row.experience_level, patch.experience_level);
    if patch.bodyweight_kg.is_some() {
        row.bodyweight_kg = patch.bodyweight_kg;
    }
    if let Some(it) = patch.bodyweight_source {
        row.bodyweight_source = Some(it.to_string());
    }
}

/// Stores the preferences row, the warm-up percentages as JSON text included.
async fn upsert<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    next: &Stored,
    now: DateTime<Utc>,
) -> Result<(), QueryError> {
    let row = &next.row;
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO user_preferences (user_id, default_weight_unit, predictive_defaults_enabled, right_swipe_action, \
         enable_manual_wellness, progression_type, linear_progression_kg, percentage_progression, \
         target_workouts_per_week, warmup_strategy, warmup_sets_count, warmup_percentages, warmup_reps_strategy, \
         warmup_fixed_reps, enable_movement_pattern_sharing, enable_recovery_planner, recovery_planner_strategy, \
         recovery_planner_sensitivity, auto_adjust_intensity, experience_level, bodyweight_kg, bodyweight_source, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23) \
         ON CONFLICT (user_id) DO UPDATE SET default_weight_unit = excluded.default_weight_unit, \
         predictive_defaults_enabled = excluded.predictive_defaults_enabled, right_swipe_action = excluded.right_swipe_action, \
         enable_manual_wellness = excluded.enable_manual_wellness, progression_type = excluded.progression_type, \
         linear_progression_kg = excluded.linear_progression_kg, percentage_progression = excluded.percentage_progression, \
         target_workouts_per_week = excluded.target_workouts_per_week, warmup_strategy = excluded.warmup_strategy, \
         warmup_sets_count = excluded.warmup_sets_count, warmup_percentages = excluded.warmup_percentages, \
         warmup_reps_strategy = excluded.warmup_reps_strategy, warmup_fixed_reps = excluded.warmup_fixed_reps, \
         enable_movement_pattern_sharing = excluded.enable_movement_pattern_sharing, \
         enable_recovery_planner = excluded.enable_recovery_planner, recovery_planner_strategy = excluded.recovery_planner_strategy, \
         recovery_planner_sensitivity = excluded.recovery_planner_sensitivity, auto_adjust_intensity = excluded.auto_adjust_intensity, \
         experience_level = excluded.experience_level, bodyweight_kg = excluded.bodyweight_kg, \
         bodyweight_source = excluded.bodyweight_source, updated_at = excluded.updated_at",
        [
            user.0.into(),
            row.default_weight_unit.clone().into(),
            row.predictive_defaults_enabled.into(),
            row.right_swipe_action.clone().into(),
            row.enable_manual_wellness.into(),
            row.progression_type.clone().into(),
            row.linear_progression_kg.into(),
            row.percentage_progression.into(),
            row.target_workouts_per_week.into(),
            row.warmup_strategy.clone().into(),
            row.warmup_sets_count.into(),
            to_json(&next.warmup_percentages).into(),
            row.warmup_reps_strategy.clone().into(),
            row.warmup_fixed_reps.into(),
            row.enable_movement_pattern_sharing.into(),
            row.enable_recovery_planner.into(),
            row.recovery_planner_strategy.clone().into(),
            row.recovery_planner_sensitivity.into(),
            row.auto_adjust_intensity.into(),
            row.experience_level.clone().into(),
            row.bodyweight_kg.into(),
            row.bodyweight_source.clone().into(),
            now.into(),
        ],
    );
    conn.execute_raw(stmt).await?;
    Ok(())
}

/// Rewrites the user's `user_warmup_percentages` rows (phase 2): at most ten, validated.
async fn replace_warmup_percentages<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    list: &[i32],
) -> Result<(), QueryError> {
    let backend = conn.get_database_backend();
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        "DELETE FROM user_warmup_percentages WHERE user_id = $1",
        [user.0.into()],
    ))
    .await?;
    if list.is_empty() {
        return Ok(());
    }
    let mut values = Vec::with_capacity(list.len() * 3);
    let mut rows = Vec::with_capacity(list.len());
    for (position, percent) in list.iter().enumerate() {
        let at = values.len();
        rows.push(format!("(${}, ${}, ${})", at + 1, at + 2, at + 3));
        values.push(user.0.into());
        values.push(i32::try_from(position).unwrap_or(i32::MAX).into());
        values.push((*percent).into());
    }
    let sql = format!(
        "INSERT INTO user_warmup_percentages (user_id, position, percent) VALUES {}",
        rows.join(", ")
    );
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}
