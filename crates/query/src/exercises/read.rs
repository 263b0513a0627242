//! How master exercises are read: a page of them, all of a user's, the template exercises
//! linked to one, and the masters of many template exercises at once (for the gateway's loaders).

use sea_orm::FromQueryResult;

use crate::sql::{by_ids, by_name_page_values, stmt};
use crate::{Db, QueryError, UserId};
use db::chunk::placeholders;

pub(crate) const MASTERS_PAGE: &str = "SELECT id, name, muscle_group, normalized_name FROM master_exercises \
     WHERE user_id = $1 AND normalized_name LIKE $2 AND (normalized_name > $3 OR (normalized_name = $3 AND id > $4)) \
     ORDER BY normalized_name, id LIMIT $5";
pub(crate) const MASTERS: &str = "SELECT id, name, muscle_group FROM master_exercises WHERE user_id = $1 ORDER BY normalized_name";
pub(crate) const LINKED_TO: &str = "SELECT template_exercise_id AS id FROM exercise_links \
     WHERE user_id = $1 AND master_exercise_id = $2 ORDER BY template_exercise_id";

/// Every read of this module, by the service call that runs it (for plan inspection).
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("exercises.masters_page", MASTERS_PAGE),
    ("exercises.masters", MASTERS),
    ("exercises.linked_to", LINKED_TO),
];

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct MasterView {
    pub id: i64,
    pub name: String,
    pub muscle_group: Option<String>,
}

/// A master exercise with its sort key, for keyset pagination.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct MasterPageRow {
    pub id: i64,
    pub name: String,
    pub muscle_group: Option<String>,
    pub normalized_name: String,
}

/// A page of the user's master exercises whose normalized name contains `search`, by name,
/// strictly after the `(normalized_name, id)` key.
pub async fn master_exercises_page(
    db: &Db,
    user: UserId,
    search: &str,
    after: Option<(String, i64)>,
    limit: u64,
) -> Result<Vec<MasterPageRow>, QueryError> {
    let search = domain::normalize_exercise_name(search);
    let values = by_name_page_values(user, &search, after, limit);
    Ok(MasterPageRow::find_by_statement(stmt(db, MASTERS_PAGE, values)).all(&db.conn).await?)
}

/// The user's master exercises, by normalized name.
pub async fn master_exercises(db: &Db, user: UserId) -> Result<Vec<MasterView>, QueryError> {
    Ok(MasterView::find_by_statement(stmt(db, MASTERS, vec![user.0.into()])).all(&db.conn).await?)
}

/// A master exercise a template exercise is linked to.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct LinkedMaster {
    pub template_exercise_id: i64,
    pub id: i64,
    pub name: String,
    pub muscle_group: Option<String>,
}

/// The batched read of linked masters (see `crate::sql::by_ids`).
pub(crate) fn linked_masters_for_sql(n: usize) -> String {
    format!(
        "SELECT el.template_exercise_id, me.id, me.name, me.muscle_group FROM exercise_links el \
         JOIN master_exercises me ON me.id = el.master_exercise_id \
         WHERE +el.user_id = $1 AND el.template_exercise_id IN ({}) ORDER BY el.template_exercise_id",
        placeholders(2, n)
    )
}

/// The master exercises the user's template exercises `template_exercise_ids` are linked to;
/// unlinked ones are absent.
pub async fn linked_masters_for(
    db: &Db,
    user: UserId,
    template_exercise_ids: &[i64],
) -> Result<Vec<LinkedMaster>, QueryError> {
    by_ids(db, user, linked_masters_for_sql, template_exercise_ids).await
}
