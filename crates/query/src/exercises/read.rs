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

pub(crate) const MASTER_BY_ID: &str =
    "SELECT id, name, muscle_group FROM master_exercises WHERE user_id = $1 AND id = $2";
/// The user's template exercises that no master links and whose linking the user did not refuse
/// (`$2` is `false`): what a bulk link may link.
pub(crate) const UNLINKED: &str = "SELECT te.id AS template_exercise_id, te.template_id, te.exercise_name FROM template_exercises te \
     WHERE te.user_id = $1 AND te.linking_rejected = $2 \
       AND NOT EXISTS (SELECT 1 FROM exercise_links el WHERE el.template_exercise_id = te.id) ORDER BY te.id";

/// Every read of this module, by the service call that runs it (for plan inspection).
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("exercises.masters_page", MASTERS_PAGE),
    ("exercises.masters", MASTERS),
    ("exercises.linked_to", LINKED_TO),
    ("exercises.master_by_id", MASTER_BY_ID),
    ("exercises.unlinked", UNLINKED),
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

/// One of the user's master exercises; another user's id is `NotFound`, like an unknown one.
pub async fn master_exercise(db: &Db, user: UserId, id: i64) -> Result<MasterView, QueryError> {
    MasterView::find_by_statement(stmt(db, MASTER_BY_ID, vec![user.0.into(), id.into()]))
        .one(&db.conn)
        .await?
        .ok_or(QueryError::NotFound { entity: "master exercise", id })
}

/// An unlinked template exercise and how like a master's name its name is.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct LinkCandidate {
    pub template_exercise_id: i64,
    pub template_id: i64,
    pub exercise_name: String,
    #[sea_orm(skip)]
    pub similarity: f64,
}

/// The user's unlinked (and not refused) template exercises at least `minimum_similarity` like
/// `master`'s name, most similar first (then by id): exactly what `link_similar` links.
pub(crate) fn similar_to(
    master: &MasterView,
    unlinked: Vec<LinkCandidate>,
    minimum_similarity: f64,
) -> Vec<LinkCandidate> {
    let mut res: Vec<LinkCandidate> = unlinked
        .into_iter()
        .map(|it| LinkCandidate {
            similarity: domain::name_similarity(&it.exercise_name, &master.name),
            ..it
        })
        .filter(|it| it.similarity >= minimum_similarity)
        .collect();
    res.sort_by(|a, b| {
        b.similarity
            .total_cmp(&a.similarity)
            .then(a.template_exercise_id.cmp(&b.template_exercise_id))
    });
    res
}

/// What `link_similar` would link for one of the user's master exercises (the original's
/// `getLinkingDetails` potential links).
pub async fn linking_candidates(
    db: &Db,
    user: UserId,
    master_exercise_id: i64,
    minimum_similarity: f64,
) -> Result<Vec<LinkCandidate>, QueryError> {
    domain::check_range("minimumSimilarity", minimum_similarity, &domain::Limits::SIMILARITY)
        .map_err(|it| domain::ValidationError(vec![it]))?;
    let master = master_exercise(db, user, master_exercise_id).await?;
    let unlinked =
        LinkCandidate::find_by_statement(stmt(db, UNLINKED, vec![user.0.into(), false.into()]))
            .all(&db.conn)
            .await?;
    Ok(similar_to(&master, unlinked, minimum_similarity))
}

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
struct LinkedLineRow {
    master_exercise_id: i64,
    id: i64,
    template_id: i64,
    exercise_name: String,
    order_index: i32,
    linking_rejected: bool,
    warmup_config: Option<String>,
}

/// A template exercise linked to a master exercise, with the warm-up strategy its template sets
/// for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedLine {
    pub master_exercise_id: i64,
    pub id: i64,
    pub template_id: i64,
    pub exercise_name: String,
    pub order_index: i32,
    pub linking_rejected: bool,
    pub warmup_strategy: Option<domain::WarmupStrategy>,
}

/// The batched read of the lines linked to masters (see `crate::sql::by_ids`).
pub(crate) fn lines_linked_to_sql(n: usize) -> String {
    format!(
        "SELECT el.master_exercise_id, te.id, te.template_id, te.exercise_name, te.order_index, te.linking_rejected, \
         t.warmup_config FROM exercise_links el JOIN template_exercises te ON te.id = el.template_exercise_id \
         JOIN workout_templates t ON t.id = te.template_id \
         WHERE el.user_id = $1 AND el.master_exercise_id IN ({}) \
         ORDER BY el.master_exercise_id, te.template_id, te.order_index, te.id",
        placeholders(2, n)
    )
}

/// The template exercises linked to the user's masters `master_exercise_ids`, by master.
pub async fn lines_linked_to(
    db: &Db,
    user: UserId,
    master_exercise_ids: &[i64],
) -> Result<Vec<LinkedLine>, QueryError> {
    let rows: Vec<LinkedLineRow> =
        by_ids(db, user, lines_linked_to_sql, master_exercise_ids).await?;
    rows.into_iter()
        .map(|row| {
            let warmup = crate::templates::read::parse_warmup(row.warmup_config)?;
            Ok(LinkedLine {
                warmup_strategy: warmup.get(&row.exercise_name).copied(),
                master_exercise_id: row.master_exercise_id,
                id: row.id,
                template_id: row.template_id,
                exercise_name: row.exercise_name,
                order_index: row.order_index,
                linking_rejected: row.linking_rejected,
            })
        })
        .collect()
}
