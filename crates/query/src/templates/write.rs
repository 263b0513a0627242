//! Templates: create (idempotent by dedupe key), update in place, delete.
//!
//! Creating or renaming an exercise line links it to the user's master exercise of the same
//! normalized name, creating the master when there is none, unless the user rejected linking for
//! that line. Updating keeps the ids of lines that stay, so their links and the history of set
//! lines that point at them survive (the original deleted and re-inserted every line). Each write
//! is one transaction that refreshes the resolutions it changed.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use domain::{
    Limits, ValidationError, Violation, WarmupStrategy, check_name, normalize_exercise_name,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult, Statement, Value};

use super::read::{parse_warmup, warmup_text};
use crate::owned::{Owned, delete_owned, ensure_owned};
use crate::resolution::refresh;
use crate::writes::Schema;
use crate::{Db, QueryError, UserId, writes};

/// One exercise line of a template update: `id` of an existing line to keep, or `None` for a new
/// line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    pub id: Option<i64>,
    pub exercise_name: String,
    /// The line's warm-up strategy; `None` uses the user's preference.
    pub warmup_strategy: Option<WarmupStrategy>,
}

#[derive(Debug, FromQueryResult)]
struct Id {
    id: i64,
}

#[derive(Debug, FromQueryResult)]
struct Line {
    id: i64,
    exercise_name: String,
    linking_rejected: bool,
}

fn stmt(txn: &DatabaseTransaction, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(txn.get_database_backend(), sql, values)
}

fn validate(name: &str, lines: &[String]) -> Result<(String, Vec<String>), QueryError> {
    let mut found = Vec::new();
    let name = check_name("name", name).map_err(|it| found.push(it)).ok();
    if lines.len() > Limits::EXERCISES_PER_WORKOUT {
        found.push(Violation {
            field: "exercises".to_owned(),
            rule: format!("at most {} exercises per template", Limits::EXERCISES_PER_WORKOUT),
        });
    }
    let mut res = Vec::with_capacity(lines.len());
    for (idx, line) in lines.iter().enumerate() {
        match check_name(&format!("exercises[{idx}].exerciseName"), line) {
            Ok(it) => res.push(it),
            Err(it) => found.push(it),
        }
    }
    match name {
        Some(name) if found.is_empty() => Ok((name, res)),
        _ => Err(QueryError::Invalid(ValidationError(found))),
    }
}

/// Links line `te_id` named `name` to the user's master of that normalized name, creating it.
async fn auto_link(
    txn: &DatabaseTransaction,
    user: UserId,
    te_id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), QueryError> {
    let normalized = normalize_exercise_name(name);
    let find = stmt(
        txn,
        "SELECT id FROM master_exercises WHERE user_id = $1 AND normalized_name = $2",
        vec![user.0.into(), normalized.clone().into()],
    );
    let master = if let Some(it) = Id::find_by_statement(find).one(txn).await? {
        it.id
    } else {
        let insert = stmt(
            txn,
            "INSERT INTO master_exercises (user_id, name, normalized_name, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
            vec![user.0.into(), name.into(), normalized.into(), now.into()],
        );
        Id::find_by_statement(insert)
            .one(txn)
            .await?
            .ok_or(QueryError::Unavailable("insert returned no id"))?
            .id
    };
    txn.execute_raw(stmt(
        txn,
        "INSERT INTO exercise_links (user_id, template_exercise_id, master_exercise_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (template_exercise_id) DO UPDATE SET master_exercise_id = excluded.master_exercise_id",
        vec![user.0.into(), te_id.into(), master.into(), now.into()],
    ))
    .await?;
    Ok(())
}

/// The master of one of the user's template lines: the one it links to, else the user's master
/// of its name (created when missing), linked now — inside the caller's write, names kept fresh.
pub(crate) async fn master_of_line(
    db: &Db,
    schema: Schema,
    txn: &DatabaseTransaction,
    user: UserId,
    te_id: i64,
    now: DateTime<Utc>,
) -> Result<i64, QueryError> {
    #[derive(FromQueryResult)]
    struct Line {
        exercise_name: String,
        master_exercise_id: Option<i64>,
    }
    ensure_owned(txn, user, Owned::TemplateExercise, te_id).await?;
    let find = || {
        stmt(
            txn,
            "SELECT te.exercise_name, el.master_exercise_id FROM template_exercises te \
             LEFT JOIN exercise_links el ON el.template_exercise_id = te.id WHERE te.id = $1 AND te.user_id = $2",
            vec![te_id.into(), user.0.into()],
        )
    };
    let line = Line::find_by_statement(find())
        .one(txn)
        .await?
        .ok_or(QueryError::NotFound { entity: "template exercise", id: te_id })?;
    if let Some(id) = line.master_exercise_id {
        return Ok(id);
    }
    auto_link(txn, user, te_id, &line.exercise_name, now).await?;
    refresh(db, schema, txn, user, &[te_id]).await?;
    Line::find_by_statement(find())
        .one(txn)
        .await?
        .and_then(|it| it.master_exercise_id)
        .ok_or(QueryError::Unavailable("link vanished"))
}

/// How a new template line is linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Linking {
    /// To the user's master of the same normalized name, created when missing.
    Auto,
    /// To this master (known to be the user's).
    To(i64),
    /// Not at all, and the refusal is recorded.
    Rejected,
}

/// Inserts line `name` at `order` of a template and links it as `linking` says.
async fn insert_line(
    txn: &DatabaseTransaction,
    user: UserId,
    template_id: i64,
    name: &str,
    order: usize,
    linking: Linking,
    now: DateTime<Utc>,
) -> Result<i64, QueryError> {
    let insert = stmt(
        txn,
        "INSERT INTO template_exercises (user_id, template_id, exercise_name, order_index, linking_rejected, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        vec![
            user.0.into(),
            template_id.into(),
            name.into(),
            i32::try_from(order).unwrap_or(i32::MAX).into(),
            (linking == Linking::Rejected).into(),
            now.into(),
        ],
    );
    let id = Id::find_by_statement(insert)
        .one(txn)
        .await?
        .ok_or(QueryError::Unavailable("insert returned no id"))?
        .id;
    match linking {
        Linking::Auto => auto_link(txn, user, id, name, now).await?,
        Linking::To(master) => {
            txn.execute_raw(stmt(
                txn,
                "INSERT INTO exercise_links (user_id, template_exercise_id, master_exercise_id, created_at) VALUES ($1, $2, $3, $4)",
                vec![user.0.into(), id.into(), master.into(), now.into()],
            ))
            .await?;
        }
        Linking::Rejected => {}
    }
    Ok(id)
}

/// Creates a template with its exercise lines. With a `dedupe_key` the call is idempotent: a
/// replay returns the template the first call created.
pub async fn create(
    db: &Db,
    user: UserId,
    name: &str,
    dedupe_key: Option<&str>,
    exercises: &[String],
    now: DateTime<Utc>,
) -> Result<i64, QueryError> {
    let (name, lines) = validate(name, exercises)?;
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    if let Some(key) = dedupe_key {
        let find = stmt(
            txn,
            "SELECT id FROM workout_templates WHERE user_id = $1 AND dedupe_key = $2",
            vec![user.0.into(), key.into()],
        );
        if let Some(existing) = Id::find_by_statement(find).one(txn).await? {
            return Ok(existing.id);
        }
    }
    let insert = stmt(
        txn,
        "INSERT INTO workout_templates (user_id, name, dedupe_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        vec![user.0.into(), name.into(), dedupe_key.into(), now.into()],
    );
    let template_id = Id::find_by_statement(insert)
        .one(txn)
        .await?
        .ok_or(QueryError::Unavailable("insert returned no id"))?
        .id;
    let mut ids = Vec::with_capacity(lines.len());
    for (order, line) in lines.iter().enumerate() {
        ids.push(insert_line(txn, user, template_id, line, order, Linking::Auto, now).await?);
    }
    refresh(db, write.schema(), txn, user, &ids).await?;
    write.commit().await?;
    Ok(template_id)
}

/// Renames a template and sets its lines: listed existing lines keep their id (renamed lines are
/// re-linked by name unless linking was rejected), new lines are added, unlisted lines are removed
/// (their past set lines keep their names).
pub async fn update(
    db: &Db,
    user: UserId,
    template_id: i64,
    name: &str,
    lines: &[LineInput],
    now: DateTime<Utc>,
) -> Result<(), QueryError> {
    let names: Vec<String> = lines.iter().map(|it| it.exercise_name.clone()).collect();
    let (name, clean) = validate(name, &names)?;
    let warmup = warmup_of(lines, &clean)?;
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let renamed = txn
        .execute_raw(stmt(
            txn,
            "UPDATE workout_templates SET name = $1, warmup_config = $2, updated_at = $3 WHERE id = $4 AND user_id = $5",
            vec![name.into(), warmup_text(&warmup).into(), now.into(), template_id.into(), user.0.into()],
        ))
        .await?;
    if renamed.rows_affected() == 0 {
        return Err(QueryError::NotFound { entity: "template", id: template_id });
    }
    let existing = Line::find_by_statement(stmt(
        txn,
        "SELECT id, exercise_name, linking_rejected FROM template_exercises WHERE user_id = $1 AND template_id = $2",
        vec![user.0.into(), template_id.into()],
    ))
    .all(txn)
    .await?;
    let mut touched = Vec::new();
    for (order, (input, line_name)) in lines.iter().zip(&clean).enumerate() {
        match input.id {
            Some(id) => {
                let Some(old) = existing.iter().find(|it| it.id == id) else {
                    return Err(QueryError::NotFound { entity: "template exercise", id });
                };
                txn.execute_raw(stmt(
                    txn,
                    "UPDATE template_exercises SET exercise_name = $1, order_index = $2 WHERE id = $3",
                    vec![line_name.clone().into(), i32::try_from(order).unwrap_or(i32::MAX).into(), id.into()],
                ))
                .await?;
                if old.exercise_name != *line_name {
                    if !old.linking_rejected {
                        auto_link(txn, user, id, line_name, now).await?;
                    }
                    touched.push(id);
                }
            }
            None => {
                touched.push(
                    insert_line(txn, user, template_id, line_name, order, Linking::Auto, now)
                        .await?,
                );
            }
        }
    }
    for old in existing.iter().filter(|old| !lines.iter().any(|it| it.id == Some(old.id))) {
        txn.execute_raw(stmt(
            txn,
            "DELETE FROM template_exercises WHERE id = $1",
            vec![old.id.into()],
        ))
        .await?;
    }
    refresh(db, write.schema(), txn, user, &touched).await?;
    write.commit().await?;
    Ok(())
}

/// The template's warm-up map from its lines (the original keyed it by exercise name): two lines of
/// one exercise with different strategies are refused.
fn warmup_of(
    lines: &[LineInput],
    names: &[String],
) -> Result<BTreeMap<String, WarmupStrategy>, QueryError> {
    let mut map: BTreeMap<String, WarmupStrategy> = BTreeMap::new();
    let mut found = Vec::new();
    for (idx, (line, name)) in lines.iter().zip(names).enumerate() {
        let Some(strategy) = line.warmup_strategy else { continue };
        match map.insert(name.clone(), strategy) {
            Some(earlier) if earlier != strategy => found.push(Violation {
                field: format!("exercises[{idx}].warmupStrategy"),
                rule: format!("must equal the warm-up strategy of the earlier line of {name}"),
            }),
            _ => {}
        }
    }
    if found.is_empty() { Ok(map) } else { Err(ValidationError(found).into()) }
}

#[derive(Debug, FromQueryResult)]
struct Source {
    name: String,
    warmup_config: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct SourceLine {
    exercise_name: String,
    linking_rejected: bool,
    master_exercise_id: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct Name {
    name: String,
}

/// The name a copy gets: `name` (by default "<source> Copy"), else the first of "<name> (2)",
/// "<name> (3)", … that none of the user's templates has.
fn free_name(name: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(name) {
        return name.to_owned();
    }
    // One of the first `taken.len() + 2` numbers is free (pigeonhole).
    (2..taken.len() + 3)
        .map(|n| format!("{name} ({n})"))
        .find(|it| !taken.contains(it))
        .unwrap_or_else(|| name.to_owned())
}

/// Copies one of the user's templates with its lines in order: each line keeps its link (or its
/// rejection of linking) and the template its warm-up settings. The copy is named `name`, or
/// "<source> Copy", made unique among the user's templates with " (2)", " (3)", ….
pub async fn duplicate(
    db: &Db,
    user: UserId,
    template_id: i64,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, QueryError> {
    let wanted = name
        .map(|it| check_name("name", it))
        .transpose()
        .map_err(|it| ValidationError(vec![it]))?;
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let source = Source::find_by_statement(stmt(
        txn,
        "SELECT name, warmup_config FROM workout_templates WHERE user_id = $1 AND id = $2",
        vec![user.0.into(), template_id.into()],
    ))
    .one(txn)
    .await?
    .ok_or(QueryError::NotFound { entity: "template", id: template_id })?;
    parse_warmup(source.warmup_config.clone())?;
    let base = wanted.unwrap_or_else(|| format!("{} Copy", source.name));
    let taken: HashSet<String> = Name::find_by_statement(stmt(
        txn,
        "SELECT name FROM workout_templates WHERE user_id = $1",
        vec![user.0.into()],
    ))
    .all(txn)
    .await?
    .into_iter()
    .map(|it| it.name)
    .collect();
    let copy_name = free_name(&base, &taken);
    let copy_name = check_name("name", &copy_name).map_err(|it| ValidationError(vec![it]))?;
    let insert = stmt(
        txn,
        "INSERT INTO workout_templates (user_id, name, warmup_config, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        vec![user.0.into(), copy_name.into(), source.warmup_config.into(), now.into()],
    );
    let copy = Id::find_by_statement(insert)
        .one(txn)
        .await?
        .ok_or(QueryError::Unavailable("insert returned no id"))?
        .id;
    let lines = SourceLine::find_by_statement(stmt(
        txn,
        "SELECT te.exercise_name, te.linking_rejected, l.master_exercise_id FROM template_exercises te \
         LEFT JOIN exercise_links l ON l.template_exercise_id = te.id \
         WHERE te.user_id = $1 AND te.template_id = $2 ORDER BY te.order_index, te.id",
        vec![user.0.into(), template_id.into()],
    ))
    .all(txn)
    .await?;
    let mut ids = Vec::with_capacity(lines.len());
    for (order, line) in lines.iter().enumerate() {
        let linking = match line.master_exercise_id {
            Some(master) => Linking::To(master),
            None if line.linking_rejected => Linking::Rejected,
            None => Linking::Auto,
        };
        ids.push(insert_line(txn, user, copy, &line.exercise_name, order, linking, now).await?);
    }
    refresh(db, write.schema(), txn, user, &ids).await?;
    write.commit().await?;
    Ok(copy)
}

/// A line `add_lines` appends: linked to `master_exercise_id`, or refusing linking, or (neither)
/// linked by name like every new line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub exercise_name: String,
    pub master_exercise_id: Option<i64>,
    pub reject_linking: bool,
}

#[derive(Debug, FromQueryResult)]
struct Count {
    n: i64,
    next: Option<i32>,
}

/// Appends lines to one of the user's templates, each with its linking decision (the original's
/// `bulkCreateAndLinkExercises`); returns the new lines' ids.
pub async fn add_lines(
    db: &Db,
    user: UserId,
    template_id: i64,
    lines: &[NewLine],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, QueryError> {
    let mut found = Vec::new();
    let mut names = Vec::with_capacity(lines.len());
    for (idx, line) in lines.iter().enumerate() {
        match check_name(&format!("exercises[{idx}].exerciseName"), &line.exercise_name) {
            Ok(it) => names.push(it),
            Err(it) => found.push(it),
        }
        if line.reject_linking && line.master_exercise_id.is_some() {
            found.push(Violation {
                field: format!("exercises[{idx}].rejectLinking"),
                rule: "cannot be combined with masterExerciseId".to_owned(),
            });
        }
    }
    if !found.is_empty() {
        return Err(ValidationError(found).into());
    }
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    crate::owned::ensure_owned(txn, user, Owned::Template, template_id).await?;
    for master in lines.iter().filter_map(|it| it.master_exercise_id) {
        crate::owned::ensure_owned(txn, user, Owned::MasterExercise, master).await?;
    }
    let have = Count::find_by_statement(stmt(
        txn,
        "SELECT COUNT(*) AS n, MAX(order_index) + 1 AS next FROM template_exercises WHERE user_id = $1 AND template_id = $2",
        vec![user.0.into(), template_id.into()],
    ))
    .one(txn)
    .await?
    .ok_or(QueryError::Unavailable("count returned no row"))?;
    if usize::try_from(have.n).unwrap_or(usize::MAX).saturating_add(lines.len())
        > Limits::TEMPLATE_LINES
    {
        return Err(ValidationError(vec![Violation {
            field: "exercises".to_owned(),
            rule: format!(
                "a template holds at most {} lines; it has {}",
                Limits::TEMPLATE_LINES,
                have.n
            ),
        }])
        .into());
    }
    let first = usize::try_from(have.next.unwrap_or(0)).unwrap_or(0);
    let mut ids = Vec::with_capacity(lines.len());
    for (idx, (line, name)) in lines.iter().zip(&names).enumerate() {
        let linking = match line.master_exercise_id {
            Some(master) => Linking::To(master),
            None if line.reject_linking => Linking::Rejected,
            None => Linking::Auto,
        };
        ids.push(insert_line(txn, user, template_id, name, first + idx, linking, now).await?);
    }
    refresh(db, write.schema(), txn, user, &ids).await?;
    write.commit().await?;
    Ok(ids)
}

/// Deletes one of the user's templates; its sessions stay, detached from it.
pub async fn delete(db: &Db, user: UserId, template_id: i64) -> Result<(), QueryError> {
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    delete_owned(txn, user, Owned::Template, template_id).await?;
    write.commit().await
}
