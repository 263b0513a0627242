//! Exercise resolution: which name (and master exercise) a template exercise stands for.
//!
//! The resolved name is the linked master exercise's name, else the template exercise's own name.
//! `load_resolved_exercise_name_map` answers it on two paths: `Original` joins the sources
//! (template exercise, link, master) for each chunk of at most 70 ids, as the original's
//! `loadResolvedExerciseNameMap` did (`ORIGINAL_CHUNK`); `Optimized` reads
//! `exercise_resolution_cache` in one statement per chunk. (PDR §2 filed the original as an "N+1";
//! it was a batched query, and the baseline reproduces that, not a slower variant.)
//!
//! The cache is maintained by `refresh`, called in the same transaction as every write that
//! changes a resolution (template exercise created or renamed, link, unlink, merge, master
//! renamed), which also rewrites the denormalized `session_exercises.resolved_exercise_name`; so
//! neither is ever stale. Rows of deleted template exercises go with them (foreign key cascade).

use std::collections::HashMap;

use aggregation::Rows;
use db::chunk::{in_list_chunks, placeholders};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};

use crate::summaries::Tracker;
use crate::writes::Schema;
use crate::{Db, Path, QueryError, UserId};

/// What a template exercise resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub name: String,
    pub master_exercise_id: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct ResolvedRow {
    template_exercise_id: i64,
    resolved_name: String,
    master_exercise_id: Option<i64>,
}

impl ResolvedRow {
    fn into_pair(self) -> (i64, Resolved) {
        (
            self.template_exercise_id,
            Resolved { name: self.resolved_name, master_exercise_id: self.master_exercise_id },
        )
    }
}

/// The original's chunk: `loadResolvedExerciseNameMap` sent at most 70 ids per query.
pub(crate) const ORIGINAL_CHUNK: usize = 70;

/// The resolution joined from its sources (template exercise, link, master exercise) for an `IN`
/// list of `n` ids (`$1` is the user; the original did not scope by user, this path does).
pub(crate) fn resolve_joined_sql(n: usize) -> String {
    format!(
        "SELECT te.id AS template_exercise_id, COALESCE(me.name, te.exercise_name) AS resolved_name, \
         me.id AS master_exercise_id \
         FROM template_exercises te \
         LEFT JOIN exercise_links el ON el.template_exercise_id = te.id \
         LEFT JOIN master_exercises me ON me.id = el.master_exercise_id \
         WHERE te.user_id = $1 AND te.id IN ({})",
        placeholders(2, n)
    )
}

/// Resolves `template_exercise_ids` of `user`. Unknown ids and other users' ids are simply absent;
/// an empty list runs no statement.
pub async fn load_resolved_exercise_name_map<C: ConnectionTrait>(
    db: &Db,
    conn: &C,
    user: UserId,
    template_exercise_ids: &[i64],
) -> Result<HashMap<i64, Resolved>, QueryError> {
    match db.flags(user).resolution_cache {
        Path::Original => original(db, conn, user, template_exercise_ids).await,
        Path::Optimized => from_cache(db, conn, user, template_exercise_ids).await,
    }
}

/// The original's pattern: the distinct ids in chunks of at most `ORIGINAL_CHUNK` (fewer when the
/// parameter limit is lower), one joined statement each, unpadded.
async fn original<C: ConnectionTrait>(
    db: &Db,
    conn: &C,
    user: UserId,
    ids: &[i64],
) -> Result<HashMap<i64, Resolved>, QueryError> {
    let mut distinct = ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let chunk_size = ORIGINAL_CHUNK.min(db.param_limit.get().saturating_sub(1)).max(1);
    let mut res = HashMap::with_capacity(distinct.len());
    let backend = conn.get_database_backend();
    for chunk in distinct.chunks(chunk_size) {
        let values =
            std::iter::once(Value::from(user.0)).chain(chunk.iter().map(|id| Value::from(*id)));
        let stmt = Statement::from_sql_and_values(backend, resolve_joined_sql(chunk.len()), values);
        let rows = ResolvedRow::find_by_statement(stmt).all(conn).await?;
        res.extend(rows.into_iter().map(ResolvedRow::into_pair));
    }
    Ok(res)
}

async fn from_cache<C: ConnectionTrait>(
    db: &Db,
    conn: &C,
    user: UserId,
    ids: &[i64],
) -> Result<HashMap<i64, Resolved>, QueryError> {
    let mut res = HashMap::with_capacity(ids.len());
    let backend = conn.get_database_backend();
    for chunk in in_list_chunks(ids, 1, db.param_limit) {
        let sql = cache_lookup_sql(chunk.len());
        let values =
            std::iter::once(Value::from(user.0)).chain(chunk.iter().map(|id| Value::from(*id)));
        let rows =
            ResolvedRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
                .all(conn)
                .await?;
        res.extend(rows.into_iter().map(ResolvedRow::into_pair));
    }
    Ok(res)
}

/// The cache lookup for an `IN` list of `n` ids (`$1` is the user).
pub(crate) fn cache_lookup_sql(n: usize) -> String {
    format!(
        "SELECT template_exercise_id, resolved_name, master_exercise_id FROM exercise_resolution_cache \
         WHERE user_id = $1 AND template_exercise_id IN ({})",
        placeholders(2, n)
    )
}

/// Upserts the cache rows of `n` template exercises (`$1` is the user).
pub(crate) fn refresh_cache_sql(n: usize) -> String {
    format!(
        "INSERT INTO exercise_resolution_cache (template_exercise_id, user_id, master_exercise_id, resolved_name) \
         SELECT te.id, te.user_id, me.id, COALESCE(me.name, te.exercise_name) \
         FROM template_exercises te \
         LEFT JOIN exercise_links el ON el.template_exercise_id = te.id \
         LEFT JOIN master_exercises me ON me.id = el.master_exercise_id \
         WHERE te.user_id = $1 AND te.id IN ({}) \
         ON CONFLICT (template_exercise_id) DO UPDATE SET master_exercise_id = excluded.master_exercise_id, \
         resolved_name = excluded.resolved_name",
        placeholders(2, n)
    )
}

/// Rewrites the denormalized names of the set lines of `n` template exercises (`$1` is the user).
/// The unary `+` keeps SQLite on the `template_exercise_id` index instead of walking every set line
/// of the user.
pub(crate) fn refresh_lines_sql(n: usize) -> String {
    format!(
        "UPDATE session_exercises SET resolved_exercise_name = ( \
             SELECT COALESCE(me.name, te.exercise_name) FROM template_exercises te \
             LEFT JOIN exercise_links el ON el.template_exercise_id = te.id \
             LEFT JOIN master_exercises me ON me.id = el.master_exercise_id \
             WHERE te.id = session_exercises.template_exercise_id) \
         WHERE +user_id = $1 AND template_exercise_id IN ({})",
        placeholders(2, n)
    )
}

/// Recomputes the resolution of `template_exercise_ids` (the user's own; others are ignored):
/// the cache rows (when the schema has the cache), the denormalized names of their set lines and
/// (from phase 2) the summaries of the days those lines lie on, which the new names move between
/// exercises. Call it inside the transaction of the write that changed them.
pub(crate) async fn refresh<C: ConnectionTrait>(
    db: &Db,
    schema: Schema,
    conn: &C,
    user: UserId,
    template_exercise_ids: &[i64],
) -> Result<(), QueryError> {
    let mut tracker = Tracker::new(db, schema);
    tracker.rows(conn, user, Rows::TemplateExercises, template_exercise_ids).await?;
    let backend = conn.get_database_backend();
    for chunk in in_list_chunks(template_exercise_ids, 1, db.param_limit) {
        let values: Vec<Value> = std::iter::once(Value::from(user.0))
            .chain(chunk.iter().map(|id| Value::from(*id)))
            .collect();
        if schema.has_resolution_cache() {
            let sql = refresh_cache_sql(chunk.len());
            conn.execute_raw(Statement::from_sql_and_values(backend, sql, values.clone())).await?;
        }
        let sql = refresh_lines_sql(chunk.len());
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    // The lines' exercises before the rename (above) and after it: the rows both change.
    tracker.rows(conn, user, Rows::TemplateExercises, template_exercise_ids).await?;
    tracker.apply(conn).await
}
