//! How templates are read: a template by id, a page of templates in one of four orders (with how
//! often and how lately each was used), a template's lines, and the lines of many templates at once
//! (for the gateway's loaders).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::{ValidationError, Violation, WarmupStrategy};
use sea_orm::{FromQueryResult, Value};

use crate::sql::{by_ids, stmt};
use crate::{Db, QueryError, UserId};
use db::chunk::placeholders;

/// A template's columns and its use: the latest workout started from it and how many there are
/// (the original's `lastUsed` and `totalSessions`), each a correlated read of the
/// `workout_sessions (template_id)` index.
macro_rules! template_columns {
    () => {
        "t.id, t.name, t.dedupe_key, t.warmup_config, t.created_at, \
         (SELECT MAX(s.workout_date) FROM workout_sessions s WHERE s.template_id = t.id AND s.user_id = t.user_id) AS last_used, \
         (SELECT COUNT(*) FROM workout_sessions s WHERE s.template_id = t.id AND s.user_id = t.user_id) AS use_count"
    };
}

pub(crate) const TEMPLATE_BY_ID: &str = concat!(
    "SELECT ",
    template_columns!(),
    " FROM workout_templates t WHERE t.user_id = $1 AND t.id = $2"
);
pub(crate) const TEMPLATE_EXERCISES: &str = "SELECT id, template_id, exercise_name, order_index, linking_rejected FROM template_exercises \
     WHERE user_id = $1 AND template_id = $2 ORDER BY order_index, id";

/// Every read of this module, by the service call that runs it (for plan inspection).
pub(crate) const STATEMENTS: &[(&str, &str)] =
    &[("templates.by_id", TEMPLATE_BY_ID), ("templates.exercises", TEMPLATE_EXERCISES)];

/// The orders a list of templates comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateOrder {
    /// By name (then id), A to Z.
    Name,
    /// Newest first (the original's default, `recent`).
    Newest,
    /// Latest workout first; never-used templates last, by id.
    LastUsed,
    /// Most workouts first, then by id.
    MostUsed,
}

impl TemplateOrder {
    pub const ALL: [Self; 4] = [Self::Name, Self::Newest, Self::LastUsed, Self::MostUsed];
}

/// Where a page of templates starts: the sort key of the last template of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateKey {
    Name(String, i64),
    Newest(DateTime<Utc>, i64),
    LastUsed(Option<DateTime<Utc>>, i64),
    MostUsed(i64, i64),
}

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
struct TemplateRow {
    id: i64,
    name: String,
    dedupe_key: Option<String>,
    warmup_config: Option<String>,
    created_at: DateTime<Utc>,
    last_used: Option<DateTime<Utc>>,
    use_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateView {
    pub id: i64,
    pub name: String,
    pub dedupe_key: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The latest workout started from this template.
    pub last_used: Option<DateTime<Utc>>,
    /// How many of the user's workouts were started from it.
    pub use_count: i64,
    /// The warm-up strategy per exercise name, where the template sets one (the original's
    /// `warmup_config` map); an exercise without one uses the user's preference.
    pub warmup: BTreeMap<String, WarmupStrategy>,
}

impl TemplateView {
    /// This template's place in a list sorted by `order`.
    pub fn key(&self, order: TemplateOrder) -> TemplateKey {
        match order {
            TemplateOrder::Name => TemplateKey::Name(self.name.clone(), self.id),
            TemplateOrder::Newest => TemplateKey::Newest(self.created_at, self.id),
            TemplateOrder::LastUsed => TemplateKey::LastUsed(self.last_used, self.id),
            TemplateOrder::MostUsed => TemplateKey::MostUsed(self.use_count, self.id),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct TemplateExerciseView {
    pub id: i64,
    pub template_id: i64,
    pub exercise_name: String,
    pub order_index: i32,
    pub linking_rejected: bool,
}

/// The warm-up map as the original stored it: a JSON object of exercise name to strategy.
pub(crate) fn parse_warmup(
    text: Option<String>,
) -> Result<BTreeMap<String, WarmupStrategy>, QueryError> {
    let Some(text) = text else { return Ok(BTreeMap::new()) };
    let corrupt =
        || QueryError::Corrupt { column: "workout_templates.warmup_config", value: text.clone() };
    let map: BTreeMap<String, String> = serde_json::from_str(&text).map_err(|_| corrupt())?;
    map.into_iter()
        .map(|(name, strategy)| Ok((name, strategy.parse().map_err(|_| corrupt())?)))
        .collect()
}

/// The text `parse_warmup` reads: `None` for an empty map, so a template without warm-up
/// settings stores NULL as the original did.
pub(crate) fn warmup_text(map: &BTreeMap<String, WarmupStrategy>) -> Option<String> {
    if map.is_empty() {
        return None;
    }
    let words: BTreeMap<&str, &str> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    serde_json::to_string(&words).ok()
}

impl TryFrom<TemplateRow> for TemplateView {
    type Error = QueryError;

    fn try_from(row: TemplateRow) -> Result<Self, QueryError> {
        Ok(Self {
            warmup: parse_warmup(row.warmup_config)?,
            id: row.id,
            name: row.name,
            dedupe_key: row.dedupe_key,
            created_at: row.created_at,
            last_used: row.last_used,
            use_count: row.use_count,
        })
    }
}

/// The statement of a page in `order`, starting after a key of the given shape (`None`: the first
/// page; `Some(false)`: after a never-used template in `LastUsed`). Parameters: the user, the
/// `LIKE` pattern, the key's parts, the row count.
pub(crate) fn page_sql(order: TemplateOrder, after: Option<bool>) -> String {
    let (keyset, order_by) = match order {
        TemplateOrder::Name => ("(x.name > $3 OR (x.name = $3 AND x.id > $4))", "x.name, x.id"),
        TemplateOrder::Newest => (
            "(x.created_at < $3 OR (x.created_at = $3 AND x.id < $4))",
            "x.created_at DESC, x.id DESC",
        ),
        TemplateOrder::LastUsed if after == Some(false) => {
            ("(x.last_used IS NULL AND x.id > $3)", "(x.last_used IS NULL), x.last_used DESC, x.id")
        }
        TemplateOrder::LastUsed => (
            "(x.last_used < $3 OR (x.last_used = $3 AND x.id > $4) OR x.last_used IS NULL)",
            "(x.last_used IS NULL), x.last_used DESC, x.id",
        ),
        TemplateOrder::MostUsed => {
            ("(x.use_count < $3 OR (x.use_count = $3 AND x.id > $4))", "x.use_count DESC, x.id")
        }
    };
    let (filter, limit) = match after {
        None => ("TRUE".to_owned(), 3),
        Some(false) => (keyset.to_owned(), 4),
        Some(true) => (keyset.to_owned(), 5),
    };
    format!(
        "SELECT * FROM (SELECT {} FROM workout_templates t WHERE t.user_id = $1 AND LOWER(t.name) LIKE $2) x \
         WHERE {filter} ORDER BY {order_by} LIMIT ${limit}",
        template_columns!()
    )
}

/// One of the user's templates; another user's id is `NotFound`, like an unknown one.
pub async fn template(db: &Db, user: UserId, id: i64) -> Result<TemplateView, QueryError> {
    TemplateRow::find_by_statement(stmt(db, TEMPLATE_BY_ID, vec![user.0.into(), id.into()]))
        .one(&db.conn)
        .await?
        .ok_or(QueryError::NotFound { entity: "template", id })?
        .try_into()
}

/// A page of the user's templates whose name contains `search` (any case), in `order`, strictly
/// after `after` (a key of the same order, else `Invalid`).
pub async fn templates_page(
    db: &Db,
    user: UserId,
    search: &str,
    order: TemplateOrder,
    after: Option<TemplateKey>,
    limit: u64,
) -> Result<Vec<TemplateView>, QueryError> {
    let pattern = format!("%{}%", search.trim().to_lowercase().replace(['%', '_'], ""));
    let mut values: Vec<Value> = vec![user.0.into(), pattern.into()];
    let shape = match (order, after) {
        (_, None) => None,
        (TemplateOrder::Name, Some(TemplateKey::Name(name, id))) => {
            values.extend([name.into(), id.into()]);
            Some(true)
        }
        (TemplateOrder::Newest, Some(TemplateKey::Newest(at, id)))
        | (TemplateOrder::LastUsed, Some(TemplateKey::LastUsed(Some(at), id))) => {
            values.extend([at.into(), id.into()]);
            Some(true)
        }
        (TemplateOrder::LastUsed, Some(TemplateKey::LastUsed(None, id))) => {
            values.push(id.into());
            Some(false)
        }
        (TemplateOrder::MostUsed, Some(TemplateKey::MostUsed(uses, id))) => {
            values.extend([uses.into(), id.into()]);
            Some(true)
        }
        (_, Some(_)) => {
            return Err(ValidationError(vec![Violation {
                field: "after".to_owned(),
                rule: "must be a cursor of a list in the same order".to_owned(),
            }])
            .into());
        }
    };
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let rows = TemplateRow::find_by_statement(stmt(db, &page_sql(order, shape), values))
        .all(&db.conn)
        .await?;
    rows.into_iter().map(TemplateView::try_from).collect()
}

/// The exercise lines of one of the user's templates, in order.
pub async fn template_exercises(
    db: &Db,
    user: UserId,
    template_id: i64,
) -> Result<Vec<TemplateExerciseView>, QueryError> {
    Ok(TemplateExerciseView::find_by_statement(stmt(
        db,
        TEMPLATE_EXERCISES,
        vec![user.0.into(), template_id.into()],
    ))
    .all(&db.conn)
    .await?)
}

/// The batched read of template lines (see `crate::sql::by_ids`).
pub(crate) fn template_lines_for_sql(n: usize) -> String {
    format!(
        "SELECT id, template_id, exercise_name, order_index, linking_rejected FROM template_exercises \
         WHERE user_id = $1 AND template_id IN ({}) ORDER BY template_id, order_index, id",
        placeholders(2, n)
    )
}

/// The exercise lines of the user's templates `template_ids`, by template, in order.
pub async fn template_lines_for(
    db: &Db,
    user: UserId,
    template_ids: &[i64],
) -> Result<Vec<TemplateExerciseView>, QueryError> {
    by_ids(db, user, template_lines_for_sql, template_ids).await
}
