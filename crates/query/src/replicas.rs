//! Reads on PostgreSQL streaming replicas, with read-your-writes (issue 16).
//!
//! Every write's commit notes, per user it touched, the primary's WAL position after the commit
//! (`pg_current_wal_lsn()`, one statement, only when replicas are configured). A user's reads go
//! to a replica only if it has replayed past that position; otherwise to the primary, until one
//! has. What each replica has replayed, and how far behind it is, is read by [`Replicas::poll`]
//! (every few milliseconds, by the gateway's task), never per query. A replica that does not
//! answer, or is further behind than the bound, is skipped until a later poll finds it well.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::UserId;

/// One replica's pool and what the last poll found.
#[derive(Debug)]
pub struct Replica {
    pub name: String,
    pub conn: DatabaseConnection,
    /// WAL bytes replayed (`pg_last_wal_replay_lsn()` as a number).
    replayed: AtomicI64,
    /// Milliseconds behind the primary at the last poll (0 when it has replayed everything).
    lag_ms: AtomicI64,
    healthy: AtomicBool,
}

/// Where a request's reads went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Primary,
    Replica(usize),
}

/// The replicas, the bound on their lag, and the WAL position of each user's last write.
#[derive(Debug)]
pub struct Replicas {
    pub replicas: Vec<Replica>,
    max_lag: Duration,
    /// User → (WAL position after their last write, when). Entries older than `FORGET` go: by then
    /// every healthy replica has replayed them (the lag bound is far smaller).
    written: Mutex<HashMap<UserId, (i64, Instant)>>,
    /// The WAL position every user's reads need at least: writes of other processes may have been
    /// missed before it (`coherence` sets it each time it starts listening).
    floor: AtomicI64,
    next: AtomicUsize,
    /// Routing decisions so far: to the primary, to a replica.
    to_primary: AtomicU64,
    to_replica: AtomicU64,
}

/// How long a write's position is remembered.
const FORGET: Duration = Duration::from_mins(1);

/// The numeric WAL position of an `pg_lsn` expression.
fn lsn_number(expr: &str) -> String {
    format!("CAST(pg_wal_lsn_diff({expr}, '0/0') AS BIGINT)")
}

impl Replicas {
    pub fn new(replicas: Vec<(String, DatabaseConnection)>, max_lag: Duration) -> Self {
        Self {
            replicas: replicas
                .into_iter()
                .map(|(name, conn)| Replica {
                    name,
                    conn,
                    replayed: AtomicI64::new(-1),
                    lag_ms: AtomicI64::new(i64::MAX),
                    healthy: AtomicBool::new(false),
                })
                .collect(),
            max_lag,
            written: Mutex::new(HashMap::new()),
            floor: AtomicI64::new(0),
            next: AtomicUsize::new(0),
            to_primary: AtomicU64::new(0),
            to_replica: AtomicU64::new(0),
        }
    }

    /// Notes that `users` wrote, the primary's WAL now at `lsn` (after their commit). A position
    /// learnt late (another process's write, heard after this one's) never lowers what is noted.
    pub(crate) fn wrote(&self, users: &[UserId], lsn: i64) {
        if let Ok(mut written) = self.written.lock() {
            let now = Instant::now();
            written.retain(|_, (_, at)| now.duration_since(*at) < FORGET);
            for user in users {
                let noted = written.entry(*user).or_insert((lsn, now));
                *noted = (noted.0.max(lsn), now);
            }
        }
    }

    /// Notes that any user may have written up to `lsn`: from now on every read needs a replica
    /// that has replayed it.
    pub(crate) fn wrote_anyone(&self, lsn: i64) {
        self.floor.fetch_max(lsn, Ordering::AcqRel);
    }

    /// The primary's WAL position now (after a commit: at or past the commit record).
    pub(crate) async fn primary_lsn<C: ConnectionTrait>(conn: &C) -> Result<i64, sea_orm::DbErr> {
        let sql = format!("SELECT {}", lsn_number("pg_current_wal_lsn()"));
        let row =
            conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql)).await?;
        Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
    }

    /// Where `user`'s reads should go now: a healthy replica within the lag bound that has
    /// replayed the user's last write (round robin among them), else the primary.
    pub fn target(&self, user: Option<UserId>) -> Target {
        let needed = user
            .and_then(|u| self.written.lock().ok().and_then(|w| w.get(&u).map(|it| it.0)))
            .unwrap_or(i64::MIN)
            .max(self.floor.load(Ordering::Acquire));
        let bound = i64::try_from(self.max_lag.as_millis()).unwrap_or(i64::MAX);
        let n = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let target = (0..n)
            .map(|i| (start + i) % n.max(1))
            .find(|&i| {
                let r = &self.replicas[i];
                r.healthy.load(Ordering::Relaxed)
                    && r.lag_ms.load(Ordering::Relaxed) <= bound
                    && r.replayed.load(Ordering::Relaxed) >= needed
            })
            .map_or(Target::Primary, Target::Replica);
        let counter = if target == Target::Primary { &self.to_primary } else { &self.to_replica };
        counter.fetch_add(1, Ordering::Relaxed);
        target
    }

    /// How many requests were routed to the primary and to a replica so far.
    pub fn served(&self) -> (u64, u64) {
        (self.to_primary.load(Ordering::Relaxed), self.to_replica.load(Ordering::Relaxed))
    }

    /// Marks a replica that just failed a read as unhealthy until the next poll finds it well.
    pub fn failed(&self, index: usize) {
        if let Some(r) = self.replicas.get(index) {
            r.healthy.store(false, Ordering::Relaxed);
        }
    }

    /// The primary's WAL position, for [`Replicas::poll`] (on the primary's reader pool).
    pub async fn current_lsn(primary: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
        Self::primary_lsn(primary).await
    }

    /// Reads replica `index`'s replay position and lag against the primary's `primary_lsn`; one
    /// that fails is unhealthy until a later poll finds it well. (The caller bounds its time: a
    /// replica that does not answer is as bad as one that refuses, `failed`.)
    pub async fn poll(&self, index: usize, primary_lsn: i64) {
        let Some(r) = self.replicas.get(index) else { return };
        let sql = format!(
            "SELECT {}, CAST(COALESCE(EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())) \
             * 1000, 0) AS BIGINT)",
            lsn_number("pg_last_wal_replay_lsn()")
        );
        let stmt = Statement::from_string(r.conn.get_database_backend(), sql);
        match r.conn.query_one_raw(stmt).await {
            Ok(Some(row)) => {
                let replayed: i64 = row.try_get_by_index(0).unwrap_or(-1);
                let since_last: i64 = row.try_get_by_index(1).unwrap_or(i64::MAX);
                // Caught up: no lag, however long ago the last transaction was replayed.
                let lag = if replayed >= primary_lsn { 0 } else { since_last.max(0) };
                r.replayed.store(replayed, Ordering::Relaxed);
                r.lag_ms.store(lag, Ordering::Relaxed);
                r.healthy.store(replayed >= 0, Ordering::Relaxed);
            }
            _ => r.healthy.store(false, Ordering::Relaxed),
        }
    }

    /// Each replica's name, health and lag in milliseconds, as last polled.
    pub fn status(&self) -> Vec<(String, bool, i64)> {
        self.replicas
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    r.healthy.load(Ordering::Relaxed),
                    r.lag_ms.load(Ordering::Relaxed),
                )
            })
            .collect()
    }
}
