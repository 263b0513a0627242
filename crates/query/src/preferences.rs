//! User preferences: read (defaults when the user never saved any) and partial update (upsert).
//!
//! `warmup_percentages` is JSON text, as the original stored it. From phase 2 on, the list is also
//! the child table `user_warmup_percentages`, written with the JSON in the same transaction; on the
//! optimized path (`Flags::hot_columns`) reads take it from there and never parse JSON.

use chrono::{DateTime, Utc};
use domain::{Limits, ValidationError, Violation, WeightUnit, check_range};
use sea_orm::{ConnectionTrait, FromQueryResult, QueryResult, Statement};

use crate::flags::Path;
use crate::{Db, QueryError, UserId, writes};

/// The preferences the frontend reads.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
struct Row {
    default_weight_unit: String,
    progression_type: String,
    target_workouts_per_week: f64,
    warmup_strategy: String,
    warmup_sets_count: i32,
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
/// never saved preferences. The warm-up percentages are the JSON text `warmup_percentages`.
pub(crate) const SELECT: &str = "SELECT p.user_id AS saved, p.default_weight_unit, p.progression_type, \
     p.target_workouts_per_week, p.warmup_strategy, p.warmup_sets_count, p.warmup_percentages, p.bodyweight_kg \
     FROM users u LEFT JOIN user_preferences p ON p.user_id = u.id WHERE u.id = $1";

/// As [`SELECT`], with the warm-up percentages from their columns (phase 2): one row per
/// percentage in order, or one row with a NULL `percent` when the list is empty or never saved.
pub(crate) const SELECT_COLUMNS: &str = "SELECT p.user_id AS saved, p.default_weight_unit, p.progression_type, \
     p.target_workouts_per_week, p.warmup_strategy, p.warmup_sets_count, p.bodyweight_kg, w.percent \
     FROM users u LEFT JOIN user_preferences p ON p.user_id = u.id \
     LEFT JOIN user_warmup_percentages w ON w.user_id = p.user_id WHERE u.id = $1 ORDER BY w.position";

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

fn defaults() -> Stored {
    let row = Row {
        default_weight_unit: "kg".to_owned(),
        progression_type: "linear".to_owned(),
        target_workouts_per_week: 3.0,
        warmup_strategy: "history".to_owned(),
        warmup_sets_count: 3,
        bodyweight_kg: None,
    };
    Stored { row, warmup_percentages: vec![40, 60, 80] }
}

fn view(Stored { row, warmup_percentages }: Stored) -> Result<PreferencesView, QueryError> {
    Ok(PreferencesView {
        default_weight_unit: QueryError::parse_stored(
            "user_preferences.default_weight_unit",
            row.default_weight_unit,
        )?,
        progression_type: row.progression_type,
        target_workouts_per_week: row.target_workouts_per_week,
        warmup_strategy: row.warmup_strategy,
        warmup_sets_count: row.warmup_sets_count,
        warmup_percentages,
        bodyweight_kg: row.bodyweight_kg,
    })
}

/// The saved preferences, or the defaults; `NotFound` for an unknown user. Reads the JSON text
/// or the phase-2 columns as `Flags::hot_columns` says.
async fn stored<C: ConnectionTrait>(db: &Db, conn: &C, user: UserId) -> Result<Stored, QueryError> {
    #[derive(FromQueryResult)]
    struct Saved {
        saved: Option<i64>,
    }
    let columns = db.flags.hot_columns == Path::Optimized;
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
    let write = writes::begin(db, user).await?;
    let txn: &sea_orm::DatabaseTransaction = &write;
    let mut next = stored(db, txn, user).await?;
    apply(&mut next, patch);
    upsert(txn, user, &next, now).await?;
    if db.has_hot_columns() {
        replace_warmup_percentages(txn, user, &next.warmup_percentages).await?;
    }
    write.commit().await?;
    view(next)
}

/// `patch` over `next`: `None` keeps the stored value.
fn apply(next: &mut Stored, patch: &PreferencesPatch) {
    let row = &mut next.row;
    if let Some(it) = patch.default_weight_unit {
        it.as_str().clone_into(&mut row.default_weight_unit);
    }
    if let Some(it) = &patch.progression_type {
        row.progression_type.clone_from(it);
    }
    if let Some(it) = patch.target_workouts_per_week {
        row.target_workouts_per_week = it;
    }
    if let Some(it) = &patch.warmup_strategy {
        row.warmup_strategy.clone_from(it);
    }
    if let Some(it) = patch.warmup_sets_count {
        row.warmup_sets_count = it;
    }
    if let Some(list) = &patch.warmup_percentages {
        next.warmup_percentages.clone_from(list);
    }
    if patch.bodyweight_kg.is_some() {
        row.bodyweight_kg = patch.bodyweight_kg;
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
            row.default_weight_unit.clone().into(),
            row.progression_type.clone().into(),
            row.target_workouts_per_week.into(),
            row.warmup_strategy.clone().into(),
            row.warmup_sets_count.into(),
            to_json(&next.warmup_percentages).into(),
            row.bodyweight_kg.into(),
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
