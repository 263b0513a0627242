//! The one way services write: [`begin`] a transaction on the writer pool for the users it
//! changes, and [`Write::commit`] it, which then retires those users' cached answers.
//!
//! Nothing else in the crate can reach the writer pool ([`Writer`]'s connection is private to
//! this module) and the reader pool refuses writes (`db::connect_pools`), so a write that skipped
//! the invalidation cannot exist: it would not compile, or it would fail at its first statement.
//! The order matters: invalidating before the commit would let a concurrent read cache the old
//! rows again under the new generation; invalidating after it means a user's next read, issued
//! after the write returned, misses the cache and reads the committed rows.

use std::ops::Deref;

use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use crate::{Db, QueryError, UserId};

/// The writer pool. Private: only this module opens transactions on it.
#[derive(Debug, Clone)]
pub(crate) struct Writer(DatabaseConnection);

impl Writer {
    pub(crate) fn new(conn: DatabaseConnection) -> Self {
        Self(conn)
    }

    pub(crate) fn pool_stats(&self) -> db::PoolStats {
        db::pool_stats(&self.0)
    }

    pub(crate) async fn ping(&self) -> Result<(), QueryError> {
        use sea_orm::ConnectionTrait;
        self.0.execute_unprepared("SELECT 1").await?;
        Ok(())
    }
}

/// A transaction that writes, and the users whose data it changes.
#[derive(Debug)]
pub(crate) struct Write<'a> {
    db: &'a Db,
    txn: DatabaseTransaction,
    users: Vec<UserId>,
}

/// Begins a write of `user`'s data: `BEGIN IMMEDIATE` on SQLite (one writer at a time), `BEGIN`
/// on PostgreSQL followed by a lock on the user's row, so that one user's writes run one after
/// another there too.
///
/// Without that lock two concurrent writes of one user under READ COMMITTED each recompute the
/// same summary day, both find its row missing and both insert it: the second fails on the
/// primary key (found by `cargo xtask loadtest` on PostgreSQL). `FOR NO KEY UPDATE` conflicts
/// only with itself and stronger locks: reads never wait, and foreign-key checks of rows that
/// reference the user (`FOR KEY SHARE`) pass. Writes of different users still run in parallel.
pub(crate) async fn begin(db: &Db, user: UserId) -> Result<Write<'_>, QueryError> {
    use sea_orm::ConnectionTrait;
    let mut write = begin_for_any(db).await?;
    write.touches(user);
    if write.txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        write
            .txn
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE",
                [user.0.into()],
            ))
            .await?;
    }
    Ok(write)
}

/// Begins a write whose users are known only as it runs (a clean-up over every user): each
/// must be named with [`Write::touches`] before the commit.
pub(crate) async fn begin_for_any(db: &Db) -> Result<Write<'_>, QueryError> {
    let txn = db::begin_write(&db.writer.0).await?;
    Ok(Write { db, txn, users: Vec::new() })
}

impl Write<'_> {
    /// Notes that this write changes `user`'s data.
    pub(crate) fn touches(&mut self, user: UserId) {
        if !self.users.contains(&user) {
            self.users.push(user);
        }
    }

    /// Commits, then retires the cached answers of every user the write touched.
    pub(crate) async fn commit(self) -> Result<(), QueryError> {
        self.txn.commit().await?;
        for user in self.users {
            self.db.retire_cached(user);
        }
        Ok(())
    }
}

impl Deref for Write<'_> {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// A savepoint inside a write: released into the enclosing transaction, or rolled back alone.
#[derive(Debug)]
pub(crate) struct Savepoint(DatabaseTransaction);

/// Opens a savepoint in `txn` (one item of a batch that may be undone alone).
pub(crate) async fn savepoint(txn: &DatabaseTransaction) -> Result<Savepoint, QueryError> {
    #[expect(
        clippy::disallowed_methods,
        reason = "a savepoint inside the caller's write transaction, which began IMMEDIATE"
    )]
    let inner = txn.begin().await?;
    Ok(Savepoint(inner))
}

impl Savepoint {
    /// Keeps its changes in the enclosing transaction (visible to others at its commit).
    pub(crate) async fn release(self) -> Result<(), QueryError> {
        self.0.commit().await?;
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<(), QueryError> {
        self.0.rollback().await?;
        Ok(())
    }
}

impl Deref for Savepoint {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.0
    }
}
