//! User preferences: read (defaults when the user never saved any) and partial update (upsert).
//! `warmup_percentages` is stored as JSON text, as the original stored it.

use chrono::{DateTime, Utc};
use domain::{Limits, ValidationError, Violation, WeightUnit, check_range};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};

use crate::{Db, QueryError, UserId};

/// The preferences the frontend reads.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
struct Row {
    default_weight_unit: String,
    progression_type: String,
    target_workouts_per_week: f64,
    warmup_strategy: String,
    warmup_sets_count: i32,
    warmup_percentages: String,
    bodyweight_kg: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PreferencesView {
    pub default_weight_unit: WeightUnit,
    pub progression_type: String,
    pub target_workouts_per_week: f64,
    pub warmup_strategy: String,
    pub warmup_sets_count: i32,
    pub warmup_percentages: Vec<i32>,
    pub bodyweight_kg: Option<f64>,
}

/// A partial update: `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreferencesPatch {
    pub default_weight_unit: Option<WeightUnit>,
    pub progression_type: Option<String>,
    pub target_workouts_per_week: Option<f64>,
    pub warmup_strategy: Option<String>,
    pub warmup_sets_count: Option<i32>,
    pub warmup_percentages: Option<Vec<i32>>,
    pub bodyweight_kg: Option<f64>,
}

/// The user's row joined to their preferences: no row for an unknown user, nulls for a user who
/// never saved preferences.
pub(crate) const SELECT: &str = "SELECT p.user_id AS saved, p.default_weight_unit, p.progression_type, \
     p.target_workouts_per_week, p.warmup_strategy, p.warmup_sets_count, p.warmup_percentages, p.bodyweight_kg \
     FROM users u LEFT JOIN user_preferences p ON p.user_id = u.id WHERE u.id = $1";

fn parse_percentages(json: &str) -> Vec<i32> {
    json.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .filter_map(|it| it.trim().parse().ok())
        .collect()
}

fn defaults() -> Row {
    Row {
        default_weight_unit: "kg".to_owned(),
        progression_type: "linear".to_owned(),
        target_workouts_per_week: 3.0,
        warmup_strategy: "history".to_owned(),
        warmup_sets_count: 3,
        warmup_percentages: "[40,60,80]".to_owned(),
        bodyweight_kg: None,
    }
}

fn view(row: Row) -> Result<PreferencesView, QueryError> {
    Ok(PreferencesView {
        default_weight_unit: QueryError::parse_stored(
            "user_preferences.default_weight_unit",
            row.default_weight_unit,
        )?,
        progression_type: row.progression_type,
        target_workouts_per_week: row.target_workouts_per_week,
        warmup_strategy: row.warmup_strategy,
        warmup_sets_count: row.warmup_sets_count,
        warmup_percentages: parse_percentages(&row.warmup_percentages),
        bodyweight_kg: row.bodyweight_kg,
    })
}

/// The saved preferences, or the defaults; `NotFound` for an unknown user.
async fn row(db: &Db, user: UserId) -> Result<Row, QueryError> {
    #[derive(FromQueryResult)]
    struct Saved {
        saved: Option<i64>,
    }
    let stmt =
        Statement::from_sql_and_values(db.conn.get_database_backend(), SELECT, [user.0.into()]);
    let Some(found) = db.conn.query_one_raw(stmt).await? else {
        return Err(QueryError::NotFound { entity: "user", id: user.0 });
    };
    if Saved::from_query_result(&found, "")?.saved.is_none() {
        return Ok(defaults());
    }
    Ok(Row::from_query_result(&found, "")?)
}

/// The user's preferences, or the defaults when none were saved.
pub async fn get(db: &Db, user: UserId) -> Result<PreferencesView, QueryError> {
    view(row(db, user).await?)
}

fn one_of(field: &str, value: &str, allowed: &[&str], found: &mut Vec<Violation>) {
    if !allowed.contains(&value) {
        found.push(Violation {
            field: field.to_owned(),
            rule: format!("must be one of {}", allowed.join(", ")),
        });
    }
}

/// Applies `patch` (validated whole first) and returns the stored preferences.
pub async fn update(
    db: &Db,
    user: UserId,
    patch: &PreferencesPatch,
    now: DateTime<Utc>,
) -> Result<PreferencesView, QueryError> {
    let mut found = Vec::new();
    if let Some(it) = &patch.progression_type {
        one_of("progressionType", it, &["linear", "percentage", "adaptive"], &mut found);
    }
    if let Some(it) = &patch.warmup_strategy {
        one_of("warmupStrategy", it, &["percentage", "fixed", "history", "none"], &mut found);
    }
    if let Some(it) = patch.target_workouts_per_week {
        found.extend(
            check_range("targetWorkoutsPerWeek", it, &Limits::TARGET_WORKOUTS_PER_WEEK).err(),
        );
    }
    if let Some(it) = patch.warmup_sets_count {
        found.extend(check_range("warmupSetsCount", it, &Limits::WARMUP_SETS).err());
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
    if let Some(it) = patch.bodyweight_kg {
        found.extend(check_range("bodyweightKg", it, &Limits::BODYWEIGHT_KG).err());
    }
    if !found.is_empty() {
        return Err(QueryError::Invalid(ValidationError(found)));
    }
    let mut next = row(db, user).await?;
    if let Some(it) = patch.default_weight_unit {
        it.as_str().clone_into(&mut next.default_weight_unit);
    }
    if let Some(it) = &patch.progression_type {
        next.progression_type.clone_from(it);
    }
    if let Some(it) = patch.target_workouts_per_week {
        next.target_workouts_per_week = it;
    }
    if let Some(it) = &patch.warmup_strategy {
        next.warmup_strategy.clone_from(it);
    }
    if let Some(it) = patch.warmup_sets_count {
        next.warmup_sets_count = it;
    }
    if let Some(list) = &patch.warmup_percentages {
        next.warmup_percentages =
            format!("[{}]", list.iter().map(ToString::to_string).collect::<Vec<_>>().join(","));
    }
    if patch.bodyweight_kg.is_some() {
        next.bodyweight_kg = patch.bodyweight_kg;
    }
    let stmt = Statement::from_sql_and_values(
        db.conn.get_database_backend(),
        "INSERT INTO user_preferences (user_id, default_weight_unit, progression_type, target_workouts_per_week, \
         warmup_strategy, warmup_sets_count, warmup_percentages, bodyweight_kg, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (user_id) DO UPDATE SET default_weight_unit = excluded.default_weight_unit, \
         progression_type = excluded.progression_type, target_workouts_per_week = excluded.target_workouts_per_week, \
         warmup_strategy = excluded.warmup_strategy, warmup_sets_count = excluded.warmup_sets_count, \
         warmup_percentages = excluded.warmup_percentages, bodyweight_kg = excluded.bodyweight_kg, \
         updated_at = excluded.updated_at",
        [
            user.0.into(),
            next.default_weight_unit.clone().into(),
            next.progression_type.clone().into(),
            next.target_workouts_per_week.into(),
            next.warmup_strategy.clone().into(),
            next.warmup_sets_count.into(),
            next.warmup_percentages.clone().into(),
            next.bodyweight_kg.into(),
            now.into(),
        ],
    );
    db.conn.execute_raw(stmt).await?;
    view(next)
}
