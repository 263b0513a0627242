//! The bulk write path: many rows, few statements, none over the parameter limit.
//!
//! Rows are grouped into multi-row `INSERT`s of a fixed number of rows (the limit divided by the
//! columns a row sets), so every full chunk has the same SQL text and reuses one prepared
//! statement. The caller decides the transaction: pass a `DatabaseTransaction` to make the whole
//! write atomic.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityName, EntityTrait, Iterable,
    QueryTrait, Statement,
};

use crate::config::ParamLimit;

/// Why a bulk write failed.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("a {table} row sets {columns} columns, more than the limit of {limit} parameters")]
    RowTooWide { table: String, columns: usize, limit: usize },
    #[error("{table} rows must all set the same columns: row {row_idx} differs from the first")]
    RaggedRows { table: String, row_idx: usize },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// How many rows of `columns` columns fit in one statement under `limit`.
pub fn rows_per_statement(columns: usize, limit: ParamLimit) -> Option<usize> {
    (columns > 0 && columns <= limit.get()).then(|| limit.get() / columns)
}

/// Inserts `rows` in chunks that each bind at most `limit` parameters; returns rows written.
///
/// Every row must set the same columns (the usual case: rows built by one function).
pub async fn insert_chunked<A, C>(db: &C, rows: Vec<A>, limit: ParamLimit) -> Result<u64, BulkError>
where
    A: ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    let mut n_written = 0;
    for statement in insert_statements(db.get_database_backend(), rows, limit)? {
        n_written += db.execute_raw(statement).await?.rows_affected();
    }
    Ok(n_written)
}

/// Builds, without executing, the `INSERT` statements `insert_chunked` would run. Building is
/// pure, so a writer can build the next batch on another thread while the database executes this
/// one.
pub fn insert_statements<A>(
    backend: DbBackend,
    rows: Vec<A>,
    limit: ParamLimit,
) -> Result<Vec<Statement>, BulkError>
where
    A: ActiveModelTrait,
{
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let table = || A::Entity::default().table_name().to_owned();
    let set_mask = |row: &A| -> Vec<bool> {
        <A::Entity as EntityTrait>::Column::iter().map(|col| row.get(col).is_set()).collect()
    };
    let mask = set_mask(first);
    let columns = mask.iter().filter(|it| **it).count();
    if let Some(row_idx) = rows.iter().position(|row| set_mask(row) != mask) {
        return Err(BulkError::RaggedRows { table: table(), row_idx });
    }
    let Some(chunk_rows) = rows_per_statement(columns, limit) else {
        return Err(BulkError::RowTooWide { table: table(), columns, limit: limit.get() });
    };
    let mut res = Vec::with_capacity(rows.len().div_ceil(chunk_rows));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(chunk_rows).collect();
        res.push(<A::Entity as EntityTrait>::insert_many(chunk).build(backend));
    }
    Ok(res)
}
