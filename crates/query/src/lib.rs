//! Query services: the SQL behind the frontend's workouts, templates, exercises and progress.
//!
//! Every phase-1 item of the performance design exists here twice, chosen at run time by `Flags`:
//! the `Original` path reproduces the original system's query pattern, the `Optimized` path is the
//! design's. Both are real and tested equal, because rollout falls back to the original and every
//! benchmark compares the two. Every statement binds at most the configured parameter limit, and
//! every query is scoped to the calling user.

mod sql;

pub mod analytics;
mod cached;
pub mod catalogue;
pub mod coherence;
pub mod detail;
mod error;
pub mod exercises;
pub mod exports;
mod flags;
pub mod highlights;
pub mod lifts;
pub mod overview;
mod owned;
pub mod preferences;
pub mod progress;
pub mod replicas;
pub mod resolution;
mod summaries;
pub mod templates;
pub mod users;
pub mod wellness;
pub mod whoop;
pub mod workouts;
mod writes;

use std::sync::Arc;

use db::{ParamLimit, PoolStats, Pools};
use sea_orm::DatabaseConnection;

pub use cache::{CacheConfig, CacheStats};
pub use cached::{CacheSettings, Caches, warm};
pub use db::chunk::{IN_BUCKETS, bucket_for, in_list_chunks};
pub use error::QueryError;
pub use flags::{Flags, Item, Path, Percents, Rollout, Snapshot, bucket, is_on};

/// Reading and storing the rollout's switches (`rollout_flags`).
pub mod rollout {
    pub use crate::flags::{MIGRATION_GATE, ROLLOUT_LOCK, read, schema_phase, store};
}

/// A user's id. Every service method takes the caller's id and never returns another user's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// What every service holds: the reader and writer pools, the rollout state (the schema phase and
/// the path switches), the parameter limit and the caches (none unless `with_caches`).
#[derive(Debug, Clone)]
pub struct Db {
    /// The pool reads run on. Writes go through `writes`, the only holder of the writer pool.
    pub conn: DatabaseConnection,
    writer: writes::Writer,
    rollout: Arc<Rollout>,
    pub param_limit: ParamLimit,
    caches: Option<Arc<Caches>>,
    /// Set on a request's services that could not confirm they heard every write
    /// (`bypassing_caches`): they read past the caches to the database, and still retire.
    bypass_caches: bool,
    /// This process's name in the notifications of its writes (`coherence`).
    instance: Arc<str>,
    /// PostgreSQL read replicas, when configured (`with_replicas`).
    replicas: Option<Arc<replicas::Replicas>>,
    /// The WHOOP payload dictionaries last loaded (`whoop::codec`).
    whoop_codec: Arc<std::sync::Mutex<Option<Arc<::whoop::Codec>>>>,
}

impl Db {
    /// Services over one pool for reads and writes with fixed `flags`; checks that the flags only
    /// ask for what the schema has.
    pub fn new(
        conn: DatabaseConnection,
        phase: u32,
        param_limit: ParamLimit,
        flags: Flags,
    ) -> Result<Self, QueryError> {
        Self::from_pools(Pools { write: conn.clone(), read: conn }, phase, param_limit, flags)
    }

    /// Services over a writer pool and a reader pool (`db::connect_pools`) with fixed `flags`.
    pub fn from_pools(
        pools: Pools,
        phase: u32,
        param_limit: ParamLimit,
        flags: Flags,
    ) -> Result<Self, QueryError> {
        if let Some(item) =
            Item::ALL.into_iter().find(|it| flags.get(*it) != flags.capped(phase).get(*it))
        {
            return Err(QueryError::Unavailable(item.needs()));
        }
        Ok(Self::with_rollout(pools, param_limit, Rollout::fixed(phase, flags)))
    }

    /// Services whose paths follow `rollout` (the gateway's: the database's switches, re-read by
    /// [`Db::refresh_rollout`]).
    pub fn with_rollout(pools: Pools, param_limit: ParamLimit, rollout: Rollout) -> Self {
        Self {
            conn: pools.read,
            writer: writes::Writer::new(pools.write),
            rollout: Arc::new(rollout),
            param_limit,
            caches: None,
            bypass_caches: false,
            instance: coherence::instance_name().into(),
            replicas: None,
            whoop_codec: Arc::default(),
        }
    }

    /// The same services with read replicas: [`Db::for_reads_of`] routes each user's reads.
    #[must_use]
    pub fn with_replicas(self, replicas: replicas::Replicas) -> Self {
        Self { replicas: Some(Arc::new(replicas)), ..self }
    }

    pub fn replicas(&self) -> Option<&replicas::Replicas> {
        self.replicas.as_deref()
    }

    /// The services for one request of `user`: reads on a replica that has replayed the user's
    /// last write, or on the primary (the same services; writes always go to the primary).
    pub fn for_reads_of(&self, user: Option<UserId>) -> (Self, replicas::Target) {
        let Some(replicas) = &self.replicas else {
            return (self.clone(), replicas::Target::Primary);
        };
        match replicas.target(user) {
            replicas::Target::Replica(i) => {
                let conn = replicas.replicas[i].conn.clone();
                (Self { conn, ..self.clone() }, replicas::Target::Replica(i))
            }
            replicas::Target::Primary => (self.clone(), replicas::Target::Primary),
        }
    }

    /// The schema phase reads run against, as last read.
    pub fn phase(&self) -> u32 {
        self.rollout.phase()
    }

    /// The path of every item for one request of `user`.
    pub fn flags(&self, user: UserId) -> Flags {
        self.rollout.flags(user, self.phase())
    }

    /// The rollout state as last read.
    pub fn rollout(&self) -> Snapshot {
        self.rollout.snapshot()
    }

    /// Re-reads the schema phase and the switches (on the reader pool).
    pub async fn refresh_rollout(&self) -> Result<Snapshot, QueryError> {
        Ok(self.rollout.refresh(&self.conn).await?)
    }

    /// The same services with a new set of caches.
    #[must_use]
    pub fn with_caches(self, settings: CacheSettings) -> Self {
        Self { caches: Some(Arc::new(Caches::new(settings))), ..self }
    }

    pub fn caches(&self) -> Option<&Caches> {
        self.caches.as_deref()
    }

    /// The caches reads may be served from: none when bypassed for this request.
    fn live_caches(&self) -> Option<&Caches> {
        self.caches.as_deref().filter(|_| !self.bypass_caches)
    }

    /// Retires `user`'s cached answers; called by `writes` after each commit.
    fn retire_cached(&self, user: UserId) {
        if let Some(caches) = &self.caches {
            caches.retire(user);
        }
    }

    /// The writer's and the reader's pool figures.
    pub fn pool_stats(&self) -> (PoolStats, PoolStats) {
        (self.writer.pool_stats(), db::pool_stats(&self.conn))
    }

    /// Checks that both pools answer.
    pub async fn ping(&self) -> Result<(), QueryError> {
        use sea_orm::ConnectionTrait;
        self.writer.ping().await?;
        self.conn.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// The database's size in bytes: SQLite's pages, PostgreSQL's `pg_database_size`.
    pub async fn database_bytes(&self) -> Result<u64, QueryError> {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let backend = self.conn.get_database_backend();
        let sql = match backend {
            DbBackend::Sqlite => {
                "SELECT p.page_count * s.page_size AS bytes FROM pragma_page_count() p, pragma_page_size() s"
            }
            _ => "SELECT CAST(pg_database_size(current_database()) AS BIGINT) AS bytes",
        };
        let row = self.conn.query_one_raw(Statement::from_string(backend, sql)).await?;
        let bytes = row.map(|it| it.try_get::<i64>("", "bytes")).transpose()?.unwrap_or(0);
        Ok(u64::try_from(bytes).unwrap_or(0))
    }
}
