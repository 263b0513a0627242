//! How templates are read: a template by id, a page of templates, a template's lines, and the
//! lines of many templates at once (for the gateway's loaders).

use sea_orm::FromQueryResult;

use crate::sql::{by_ids, by_name_page_values, stmt};
use crate::{Db, QueryError, UserId};
use db::chunk::placeholders;

pub(crate) const TEMPLATE_BY_ID: &str =
    "SELECT id, name, dedupe_key FROM workout_templates WHERE user_id = $1 AND id = $2";
/// Case-insensitive on both backends (SQLite's `LIKE` is, PostgreSQL's is not).
pub(crate) const TEMPLATES_PAGE: &str = "SELECT id, name, dedupe_key FROM workout_templates \
     WHERE user_id = $1 AND LOWER(name) LIKE $2 AND (name > $3 OR (name = $3 AND id > $4)) \
     ORDER BY name, id LIMIT $5";
pub(crate) const TEMPLATE_EXERCISES: &str = "SELECT id, template_id, exercise_name, order_index, linking_rejected FROM template_exercises \
     WHERE user_id = $1 AND template_id = $2 ORDER BY order_index, id";

/// Every read of this module, by the service call that runs it (for plan inspection).
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("templates.by_id", TEMPLATE_BY_ID),
    ("templates.page", TEMPLATES_PAGE),
    ("templates.exercises", TEMPLATE_EXERCISES),
];

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct TemplateView {
    pub id: i64,
    pub name: String,
    pub dedupe_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct TemplateExerciseView {
    pub id: i64,
    pub template_id: i64,
    pub exercise_name: String,
    pub order_index: i32,
    pub linking_rejected: bool,
}

/// One of the user's templates; another user's id is `NotFound`, like an unknown one.
pub async fn template(db: &Db, user: UserId, id: i64) -> Result<TemplateView, QueryError> {
    TemplateView::find_by_statement(stmt(db, TEMPLATE_BY_ID, vec![user.0.into(), id.into()]))
        .one(&db.conn)
        .await?
        .ok_or(QueryError::NotFound { entity: "template", id })
}

/// A page of the user's templates whose name contains `search` (any case), by name, strictly
/// after the `(name, id)` key.
pub async fn templates_page(
    db: &Db,
    user: UserId,
    search: &str,
    after: Option<(String, i64)>,
    limit: u64,
) -> Result<Vec<TemplateView>, QueryError> {
    let values = by_name_page_values(user, &search.trim().to_lowercase(), after, limit);
    Ok(TemplateView::find_by_statement(stmt(db, TEMPLATES_PAGE, values)).all(&db.conn).await?)
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
