//! The bulk write path: many rows, few statements, none over the parameter limit.
//!
//! Rows are grouped into multi-row `INSERT`s of a fixed number of rows (the limit divided by the
//! columns a row sets), so every full chunk has the same SQL text and reuses one prepared
//! statement. The caller decides the transaction: pass a `DatabaseTransaction` to make the whole
//! write atomic.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityName, EntityTrait, Iterable};

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
    let Some(first) = rows.first() else {
        return Ok(0);
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
    let mut n_written = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(chunk_rows).collect();
        n_written += <A::Entity as EntityTrait>::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(n_written)
}
