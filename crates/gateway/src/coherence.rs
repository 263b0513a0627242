//! Several gateways on one PostgreSQL database (issue 16): this gateway's listening connection,
//! and the fence every request passes before it uses a cache or a replica.
//!
//! Every write announces its users when it commits (`query::coherence`). [`listen`] keeps one
//! connection listening on the schema's channel and hands what it hears to `Db::hear`.
//!
//! Hearing is asynchronous: a read sent here right after another gateway's write returned could
//! arrive before the notification. Hence the fence ([`Coherence::sync`]): before a request uses a
//! cache or a replica, the listening task runs one statement on the listening connection, begun
//! after the request arrived. PostgreSQL signals the listening sessions inside the writer's
//! commit, before the writer learns of it, and a session delivers what it was signalled before
//! the `ReadyForQuery` of its next statement; so when that statement returns, every write
//! committed before the request arrived has been heard and applied. Concurrent requests share
//! one fence statement.
//!
//! A lost listening connection loses notifications: the gateway then serves nothing from its
//! caches and reads only the primary (a fence fails at once, or as soon as the connection is
//! found dead), reconnects, listens again, and starts over with every cache retired and every
//! user's reads needing a replica past the WAL position read after it listened again. The
//! driver's own silent reconnection is turned off, and each fence checks that its session is
//! still the one that subscribed.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use query::Db;
use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::{Notify, watch};

/// How long a request waits for a fence before it reads without caches and replicas.
const FENCE_TIMEOUT: Duration = Duration::from_secs(1);

/// The listening task's state, shared with the requests.
#[derive(Debug)]
pub struct Coherence {
    /// Whether the listening connection is subscribed now.
    listening: AtomicBool,
    /// Fences asked for so far; the task answers all of them up to what it read before its
    /// statement.
    requested: AtomicU64,
    wake: Notify,
    /// (fences answered, connections lost): a waiter gives up when the second moves.
    done: watch::Sender<(u64, u64)>,
    heard: AtomicU64,
    fences: AtomicU64,
}

impl Default for Coherence {
    fn default() -> Self {
        Self::new()
    }
}

impl Coherence {
    pub fn new() -> Self {
        Self {
            listening: AtomicBool::new(false),
            requested: AtomicU64::new(0),
            wake: Notify::new(),
            done: watch::Sender::new((0, 0)),
            heard: AtomicU64::new(0),
            fences: AtomicU64::new(0),
        }
    }

    /// Whether the listening connection is subscribed now.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Listening connections lost so far, notifications heard from other processes, fences run.
    pub fn counters(&self) -> (u64, u64, u64) {
        (
            self.done.borrow().1,
            self.heard.load(Ordering::Relaxed),
            self.fences.load(Ordering::Relaxed),
        )
    }

    /// Waits until every write committed anywhere before this call has been heard and applied;
    /// false when that cannot be known (not listening, the connection lost meanwhile, or no
    /// answer within a second): the caller must then use no cache and no replica.
    pub async fn sync(&self) -> bool {
        let mut done = self.done.subscribe();
        let losses = done.borrow().1;
        if !self.is_listening() {
            return false;
        }
        let ticket = self.requested.fetch_add(1, Ordering::AcqRel) + 1;
        self.wake.notify_one();
        let waited = tokio::time::timeout(
            FENCE_TIMEOUT,
            done.wait_for(|(answered, lost)| *answered >= ticket || *lost != losses),
        )
        .await;
        matches!(waited, Ok(Ok(state)) if state.1 == losses)
    }

    fn lost(&self) {
        self.listening.store(false, Ordering::Release);
        self.done.send_modify(|it| it.1 += 1);
    }
}

/// Keeps `db`'s caches and replica routing coherent with other processes' writes, for as long as
/// it runs (the gateway spawns it): listens, and on a lost connection forgets everything it
/// caches and reconnects, pausing after a failed attempt (doubling up to two seconds).
pub async fn listen(coherence: std::sync::Arc<Coherence>, db: Db, config: db::DbConfig) {
    let mut pause = Duration::from_millis(50);
    loop {
        match db::listener(&config).await {
            Ok(listener) => {
                let why = session(&coherence, &db, listener).await;
                coherence.lost();
                db.forget_everything(None);
                tracing::warn!(cause = %why, "lost the listening connection; caches off until it is back");
                pause = Duration::from_millis(50);
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot open the listening connection; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// The primary's WAL position, read on the listening connection, if it is still the session
/// `backend` that subscribed (else the driver reconnected and notifications may be lost).
async fn position(listener: &mut PgListener, backend: i32) -> Result<i64, String> {
    let (lsn, now): (i64, i32) = sea_orm::sqlx::query_as(
        "SELECT CAST(pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS BIGINT), pg_backend_pid()",
    )
    .fetch_one(listener)
    .await
    .map_err(|err| err.to_string())?;
    if now == backend { Ok(lsn) } else { Err("the session changed under the listener".into()) }
}

/// `first` and every notification already buffered: their payloads.
fn drain(listener: &mut PgListener, first: Option<String>) -> Vec<String> {
    let mut payloads: Vec<String> = first.into_iter().collect();
    while let Some(it) = listener.next_buffered() {
        payloads.push(it.payload().to_owned());
    }
    payloads
}

/// Applies what was heard. The replica routing needs a WAL position at or past those commits:
/// one read now, after they were received (a position read before could predate a commit whose
/// notification arrived with the same answer).
async fn apply(
    coherence: &Coherence,
    db: &Db,
    listener: &mut PgListener,
    backend: i32,
    payloads: &[String],
) -> Result<(), String> {
    if payloads.is_empty() {
        return Ok(());
    }
    let lsn = if db.replicas().is_some() { Some(position(listener, backend).await?) } else { None };
    let heard = db.hear(payloads.iter().map(String::as_str), lsn);
    coherence.heard.fetch_add(heard, Ordering::Relaxed);
    Ok(())
}

/// One listening connection's life: subscribe, start over, then hear and fence until it is
/// lost; returns why it ended.
async fn session(coherence: &Coherence, db: &Db, mut listener: PgListener) -> String {
    // A lost connection must end this session, never be replaced under it.
    listener.eager_reconnect(false);
    let sql = format!("SELECT {}, pg_backend_pid()", query::coherence::CHANNEL_SQL);
    let subscribed: Result<(String, i32), _> =
        sea_orm::sqlx::query_as(sea_orm::sqlx::AssertSqlSafe(sql)).fetch_one(&mut listener).await;
    let (channel, backend) = match subscribed {
        Ok(it) => it,
        Err(err) => return err.to_string(),
    };
    if let Err(err) = listener.listen(&channel).await {
        return err.to_string();
    }
    // Writes committed while nobody listened are unknown: start over from here.
    match position(&mut listener, backend).await {
        Ok(lsn) => db.forget_everything(Some(lsn)),
        Err(err) => return err,
    }
    coherence.listening.store(true, Ordering::Release);
    tracing::info!(%channel, "listening for other processes' writes");
    let mut answered = coherence.done.borrow().0;
    loop {
        let wanted = coherence.requested.load(Ordering::Acquire);
        if wanted > answered {
            // The fence: notifications signalled before this statement arrive before its answer.
            if let Err(err) = position(&mut listener, backend).await {
                return err;
            }
            let payloads = drain(&mut listener, None);
            if let Err(err) = apply(coherence, db, &mut listener, backend, &payloads).await {
                return err;
            }
            answered = wanted;
            coherence.fences.fetch_add(1, Ordering::Relaxed);
            coherence.done.send_modify(|it| it.0 = wanted);
            continue;
        }
        tokio::select! {
            got = listener.try_recv() => match got {
                Ok(Some(first)) => {
                    let payloads = drain(&mut listener, Some(first.payload().to_owned()));
                    if let Err(err) = apply(coherence, db, &mut listener, backend, &payloads).await {
                        return err;
                    }
                }
                Ok(None) => return "the connection closed".into(),
                Err(err) => return err.to_string(),
            },
            () = coherence.wake.notified() => {}
        }
    }
}
