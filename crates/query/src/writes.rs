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

/// A transaction that writes, the schema it writes to, and the users whose data it changes.
#[derive(Debug)]
pub(crate) struct Write<'a> {
    db: &'a Db,
    txn: DatabaseTransaction,
    schema: Schema,
    users: Vec<UserId>,
}

/// The schema as one write transaction sees it: its phase, read inside the transaction after the
/// lock that a migration also takes (SQLite's write lock; on PostgreSQL a shared advisory lock
/// that `rollout apply` takes exclusively around each migration step). It cannot change before
/// the commit, so a write maintains exactly the tables that exist, also while an operator moves
/// the database between phases under a running gateway; the live phase the reads follow is only
/// re-read every second or so.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema {
    phase: u32,
}

impl Schema {
    /// Whether the phase-1 exercise-resolution cache exists and must be maintained.
    pub(crate) fn has_resolution_cache(self) -> bool {
        self.phase >= 1
    }

    /// Whether `workout_client_keys` (phase 1) exists: saves are idempotent by client key.
    pub(crate) fn has_client_keys(self) -> bool {
        self.phase >= 1
    }

    /// Whether the phase-2 summary tables exist and must be maintained by every write.
    pub(crate) fn has_summaries(self) -> bool {
        self.phase >= 2
    }

    /// Whether the phase-2 rows for hot JSON fields exist and must be written with their source.
    pub(crate) fn has_hot_columns(self) -> bool {
        self.phase >= 2
    }

    /// Whether phase 3's WHOOP storage exists: compressed payloads, workout score columns, the
    /// webhook queue and WHOOP connections.
    pub(crate) fn has_whoop_storage(self) -> bool {
        self.phase >= 3
    }
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
    let mut write = open(db, Some(user)).await?;
    write.touches(user);
    Ok(write)
}

/// Begins a write whose users are known only as it runs (a clean-up over every user): each
/// must be named with [`Write::touches`] before the commit.
pub(crate) async fn begin_for_any(db: &Db) -> Result<Write<'_>, QueryError> {
    open(db, None).await
}

/// `BEGIN`, the migration gate, the user's row lock and the schema phase (three statements on
/// PostgreSQL, two on SQLite, whose `BEGIN IMMEDIATE` is the gate and the lock).
async fn open(db: &Db, user: Option<UserId>) -> Result<Write<'_>, QueryError> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let txn = db::begin_write(&db.writer.0).await?;
    let backend = txn.get_database_backend();
    let row = if backend == DbBackend::Postgres {
        // The gate first, before any other lock: a migration step waits for the writes that
        // hold it and new writes wait for the step, and nobody waits holding a row lock.
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_advisory_xact_lock_shared($1)",
            [crate::flags::MIGRATION_GATE.into()],
        ))
        .await?;
        txn.query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT (SELECT COUNT(*) FROM seaql_migrations) AS n, \
             (SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE) AS locked",
            [user.map(|it| it.0).into()],
        ))
        .await?
    } else {
        txn.query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM seaql_migrations",
        ))
        .await?
    };
    let applied = row.map(|it| it.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
    let phase = migration::phase_of_applied(usize::try_from(applied).unwrap_or(0)).unwrap_or(0);
    Ok(Write { db, txn, schema: Schema { phase }, users: Vec::new() })
}

impl Write<'_> {
    /// The schema this transaction writes to.
    pub(crate) fn schema(&self) -> Schema {
        self.schema
    }

    /// Notes that this write changes `user`'s data.
    pub(crate) fn touches(&mut self, user: UserId) {
        if !self.users.contains(&user) {
            self.users.push(user);
        }
    }

    /// Commits, then retires the cached answers of every user the write touched. On PostgreSQL
    /// the transaction first announces those users to other processes (`coherence`): the
    /// notification goes out exactly when the commit does.
    pub(crate) async fn commit(self) -> Result<(), QueryError> {
        use sea_orm::{ConnectionTrait, DbBackend};
        if self.txn.get_database_backend() == DbBackend::Postgres && !self.users.is_empty() {
            crate::coherence::announce(&self.txn, &self.db.instance, &self.users).await?;
        }
        self.txn.commit().await?;
        if let Some(replicas) = self.db.replicas() {
            // Read-your-writes: these users read from the primary until a replica has replayed
            // past this point. A failure to learn it must not fail a committed write: the users
            // are then noted at the newest position any replica could need.
            let lsn =
                crate::replicas::Replicas::primary_lsn(&self.db.writer.0).await.unwrap_or(i64::MAX);
            replicas.wrote(&self.users, lsn);
        }
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
