//! Shared plumbing of the services' reads: statements from SQL text, keyset-page parameters,
//! batched reads by parent ids, and the columns of a set line.

use sea_orm::{FromQueryResult, Statement, Value};

use crate::{Db, QueryError, UserId};
use db::chunk::in_list_chunks;

/// The columns of a set line as the API shows it (a macro, so `concat!` can build statements).
macro_rules! set_columns {
    () => {
        "id, session_id, template_exercise_id, exercise_name, resolved_exercise_name, set_order, \
         set_type, weight, unit, weight_kg, reps, sets, rpe, rest_seconds, one_rm_estimate"
    };
}
pub(crate) use set_columns;

pub(crate) fn stmt(db: &Db, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.conn.get_database_backend(), sql, values)
}

/// The parameters of a page sorted by `(name, id)`: the user, a `LIKE` pattern containing
/// `search` (its wildcards dropped), the key to start after, and the row count.
pub(crate) fn by_name_page_values(
    user: UserId,
    search: &str,
    after: Option<(String, i64)>,
    limit: u64,
) -> Vec<Value> {
    let pattern = format!("%{}%", search.replace(['%', '_'], ""));
    let (name, id) = after.unwrap_or((String::new(), 0));
    vec![
        user.0.into(),
        pattern.into(),
        name.into(),
        id.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
    ]
}

/// Runs `sql(n)` for each padded chunk of the distinct `ids`, the user bound first.
pub(crate) async fn by_ids<T: FromQueryResult>(
    db: &Db,
    user: UserId,
    sql: fn(usize) -> String,
    ids: &[i64],
) -> Result<Vec<T>, QueryError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut res = Vec::new();
    for chunk in in_list_chunks(&ids, 1, db.param_limit) {
        let values: Vec<Value> =
            std::iter::once(user.0).chain(chunk.iter().copied()).map(Value::from).collect();
        res.extend(T::find_by_statement(stmt(db, &sql(chunk.len()), values)).all(&db.conn).await?);
    }
    Ok(res)
}
