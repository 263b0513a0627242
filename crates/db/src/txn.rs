//! The one way to open a transaction that writes.
//!
//! On SQLite a transaction that starts by reading and then writes (`BEGIN DEFERRED`, the default)
//! holds a read snapshot; if another connection commits while it waits for the write lock, SQLite
//! refuses the upgrade at once with `SQLITE_BUSY_SNAPSHOT` instead of waiting out `busy_timeout`.
//! `BEGIN IMMEDIATE` takes the write lock first, so a writer waits its turn and then succeeds.
//! PostgreSQL ignores the SQLite mode.

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// Begins a transaction that will write: `BEGIN IMMEDIATE` on SQLite, `BEGIN` on PostgreSQL.
pub async fn begin_write(conn: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    conn.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
