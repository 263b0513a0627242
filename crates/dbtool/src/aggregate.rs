//! `dbtool aggregate`: rebuild the summary tables from the set lines, or check them against a
//! rebuild, user by user, on a live database.
//!
//! A rebuild replaces one user's rows in one write transaction, so readers see either the old
//! rows or the new ones and writers wait at most one user's rebuild. A check reads one user's set
//! lines and stored rows from one snapshot (a read transaction; `REPEATABLE READ` on PostgreSQL),
//! so a write committed meanwhile cannot show up as a difference.

use aggregation::{compute_user, rebuild_user, stored_user};
use db::ParamLimit;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, IsolationLevel, Statement,
    TransactionOptions, TransactionTrait,
};

/// The users to visit: `only`, or every user, in id order.
pub async fn users(conn: &DatabaseConnection, only: Option<i64>) -> Result<Vec<i64>, DbErr> {
    let backend = conn.get_database_backend();
    let stmt = match only {
        Some(id) => Statement::from_sql_and_values(
            backend,
            "SELECT id FROM users WHERE id = $1",
            [id.into()],
        ),
        None => Statement::from_string(backend, "SELECT id FROM users ORDER BY id"),
    };
    conn.query_all_raw(stmt).await?.iter().map(|row| row.try_get_by_index::<i64>(0)).collect()
}

/// Rebuilds the summaries of `users`, one transaction each; calls `done` after each user.
/// Returns the rows written.
pub async fn rebuild(
    conn: &DatabaseConnection,
    users: &[i64],
    limit: ParamLimit,
    mut done: impl FnMut(),
) -> anyhow::Result<usize> {
    let mut rows = 0;
    for user in users {
        let txn = db::begin_write(conn).await?;
        rows += rebuild_user(&txn, *user, limit).await?;
        txn.commit().await?;
        done();
    }
    Ok(rows)
}

/// A read transaction that sees one snapshot throughout: `REPEATABLE READ, READ ONLY` on
/// PostgreSQL; on SQLite (WAL) every read transaction does.
pub(crate) fn snapshot_options(backend: DbBackend) -> TransactionOptions {
    match backend {
        DbBackend::Postgres => TransactionOptions {
            isolation_level: Some(IsolationLevel::RepeatableRead),
            access_mode: Some(AccessMode::ReadOnly),
            ..TransactionOptions::default()
        },
        _ => TransactionOptions::default(),
    }
}

/// Compares the stored summaries of `users` with a rebuild; returns every difference (empty when
/// they agree). Calls `done` after each user. Writes nothing.
pub async fn check(
    conn: &DatabaseConnection,
    users: &[i64],
    mut done: impl FnMut(),
) -> anyhow::Result<Vec<String>> {
    let options = snapshot_options(conn.get_database_backend());
    let mut res = Vec::new();
    for user in users {
        let txn = conn.begin_with_options(options).await?;
        let stored = stored_user(&txn, *user).await?;
        let expected = compute_user(&txn, *user).await?;
        txn.rollback().await?;
        res.extend(
            stored.differences(&expected).into_iter().map(|it| format!("user {user}: {it}")),
        );
        done();
    }
    Ok(res)
}
