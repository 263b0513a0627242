//! Monitoring: Prometheus metrics at `GET /metrics` and the slow-query log.
//!
//! Metrics go through the `metrics` facade (the services record theirs too: aggregation time and
//! failures) into one process-wide recorder from `metrics-exporter-prometheus`, rendered as
//! Prometheus text on each scrape. A scrape also samples what has no event of its own: the pools
//! (open, idle, in use, maximum), the caches' counters and sizes, and the database's bytes (at
//! most once a minute: on PostgreSQL `pg_database_size` reads the data directory).
//!
//! Every label value comes from a closed set (root fields of the schema, error codes, pool and
//! cache names), so no client can grow the number of series. The slow-query log names the
//! statement's SQL text (its placeholders, never the bound values), the request id and the user.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use query::{Db, Item};
use sea_orm::DatabaseConnection;

/// Latency buckets, seconds: 0.5 ms to 10 s, tight where the design's targets are (50 ms, 200 ms).
const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Statements per request buckets.
const STATEMENT_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 32.0, 64.0];

/// How often a scrape may re-read the database's size.
const BYTES_EVERY: Duration = Duration::from_mins(1);

/// The process-wide recorder's handle, installed on first use. A process has one recorder; every
/// gateway in it (tests build many) renders the same registry.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
            .and_then(|it| {
                it.set_buckets_for_metric(
                    Matcher::Full("swole_graphql_statements_per_request".to_owned()),
                    STATEMENT_BUCKETS,
                )
            });
        let recorder = match builder {
            Ok(it) => it.build_recorder(),
            // Only an empty bucket list fails, and the lists above are not empty.
            Err(_) => PrometheusBuilder::new().build_recorder(),
        };
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!(
                "a metrics recorder was already installed; /metrics shows only this one's"
            );
        }
        handle
    })
}

/// What one request has done so far, for the metric callbacks of the pools.
#[derive(Debug, Default)]
pub struct RequestMeter {
    pub user: Option<i64>,
    pub request_id: String,
    statements: AtomicU64,
}

impl RequestMeter {
    pub fn new(user: Option<i64>, request_id: &str) -> Self {
        Self { user, request_id: request_id.to_owned(), statements: AtomicU64::new(0) }
    }

    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

tokio::task_local! {
    /// The request the current task works for (DataLoader batches inherit it: `loaders`).
    pub static REQUEST: Arc<RequestMeter>;
}

/// Records every statement of `conn`'s pool: its duration (by pool), failures, the request's
/// statement count, and a slow-query log line past `slow`.
pub fn observe_pool(conn: &mut DatabaseConnection, pool: &'static str, slow: Duration) {
    conn.set_metric_callback(move |info| {
        histogram!("swole_db_statement_duration_seconds", "pool" => pool)
            .record(info.elapsed.as_secs_f64());
        if info.failed {
            counter!("swole_db_statement_failures_total", "pool" => pool).increment(1);
        }
        let request = REQUEST
            .try_with(|it| {
                it.statements.fetch_add(1, Ordering::Relaxed);
                (it.user, it.request_id.clone())
            })
            .ok();
        if info.elapsed >= slow {
            let (user, request_id) = request.unwrap_or((None, String::new()));
            tracing::warn!(
                request_id,
                user,
                pool,
                elapsed_ms = info.elapsed.as_secs_f64() * 1000.0,
                sql = %info.statement.sql,
                "slow statement"
            );
        }
    });
}

/// Times each root field of every operation (`swole_graphql_field_duration_seconds{field}`):
/// the API's operations as the frontend calls them, one series per field of the schema.
#[derive(Debug, Clone, Copy)]
pub struct FieldTimer;

impl ExtensionFactory for FieldTimer {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FieldTimer)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for FieldTimer {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() || info.is_for_introspection {
            return next.run(ctx, info).await;
        }
        let field = info.name.to_owned();
        let started = Instant::now();
        let res = next.run(ctx, info).await;
        histogram!("swole_graphql_field_duration_seconds", "field" => field)
            .record(started.elapsed().as_secs_f64());
        res
    }
}

/// Records one finished GraphQL request: duration, statements, error codes.
pub fn record_request(elapsed: Duration, statements: u64, codes: &[String]) {
    histogram!("swole_graphql_request_duration_seconds").record(elapsed.as_secs_f64());
    #[expect(clippy::cast_precision_loss, reason = "statement counts are small")]
    histogram!("swole_graphql_statements_per_request").record(statements as f64);
    counter!("swole_graphql_requests_total").increment(1);
    for code in codes {
        counter!("swole_graphql_errors_total", "code" => code.clone()).increment(1);
    }
}

/// The database size, sampled at most every [`BYTES_EVERY`].
#[derive(Debug, Default)]
pub struct BytesSample(Mutex<Option<(Instant, u64)>>);

impl BytesSample {
    async fn refresh(&self, db: &Db) {
        let fresh =
            self.0.lock().ok().and_then(|it| *it).is_some_and(|(at, _)| at.elapsed() < BYTES_EVERY);
        if fresh {
            return;
        }
        match db.database_bytes().await {
            Ok(bytes) => {
                #[expect(clippy::cast_precision_loss, reason = "a gauge is a float")]
                gauge!("swole_db_bytes").set(bytes as f64);
                if let Ok(mut it) = self.0.lock() {
                    *it = Some((Instant::now(), bytes));
                }
            }
            Err(err) => tracing::warn!(error = %err, "sampling the database size failed"),
        }
    }
}

/// Samples the gauges a scrape reports, then renders every metric as Prometheus text.
/// `capacity` is the storage the database may fill (`--storage-capacity-bytes`), for the alert
/// on the share used.
pub async fn render(db: &Db, bytes: &BytesSample, capacity: u64) -> String {
    let handle = handle();
    #[expect(clippy::cast_precision_loss, reason = "a gauge is a float")]
    gauge!("swole_db_capacity_bytes").set(capacity as f64);
    let (write, read) = db.pool_stats();
    for (pool, it) in [("write", write), ("read", read)] {
        gauge!("swole_db_pool_connections", "pool" => pool, "state" => "open").set(it.size);
        gauge!("swole_db_pool_connections", "pool" => pool, "state" => "idle").set(it.idle);
        gauge!("swole_db_pool_connections", "pool" => pool, "state" => "in_use")
            .set(it.size.saturating_sub(it.idle));
        gauge!("swole_db_pool_connections", "pool" => pool, "state" => "max").set(it.max);
    }
    if let Some(caches) = db.caches() {
        for (name, stats, weight, len) in caches.stats() {
            counter!("swole_cache_hits_total", "cache" => name).absolute(stats.hits);
            counter!("swole_cache_misses_total", "cache" => name).absolute(stats.misses);
            counter!("swole_cache_expired_total", "cache" => name).absolute(stats.expired);
            counter!("swole_cache_evictions_total", "cache" => name).absolute(stats.evictions);
            counter!("swole_cache_loads_total", "cache" => name).absolute(stats.loads);
            #[expect(clippy::cast_precision_loss, reason = "a gauge is a float")]
            {
                gauge!("swole_cache_bytes", "cache" => name).set(weight as f64);
                gauge!("swole_cache_entries", "cache" => name).set(len as f64);
            }
        }
    }
    let rollout = db.rollout();
    gauge!("swole_schema_phase").set(rollout.phase);
    for item in Item::ALL {
        gauge!("swole_rollout_percent", "item" => item.name()).set(rollout.effective(item));
    }
    bytes.refresh(db).await;
    handle.render()
}

/// The listening connection's state (`coherence`): `swole_listening` (1 while subscribed),
/// `swole_listener_lost_total`, `swole_writes_heard_total` (other processes' writes heard) and
/// `swole_fences_total` (fence statements run for requests).
pub(crate) fn record_coherence(coherence: &crate::coherence::Coherence) {
    let (lost, heard, fences) = coherence.counters();
    gauge!("swole_listening").set(if coherence.is_listening() { 1.0 } else { 0.0 });
    counter!("swole_listener_lost_total").absolute(lost);
    counter!("swole_writes_heard_total").absolute(heard);
    counter!("swole_fences_total").absolute(fences);
}

/// Counts one request's reads by where they went (`primary` or `replica`), when replicas are
/// configured: `swole_reads_total{target}`.
pub(crate) fn record_read_target(target: &'static str) {
    counter!("swole_reads_total", "target" => target).increment(1);
}

/// Polls the read replicas every `every` (their replayed WAL position and lag, for
/// `Db::for_reads_of`); a replica that does not answer within `timeout` is skipped until it
/// does. Gauges: `swole_replica_lag_ms{replica}` and `swole_replica_healthy{replica}`.
pub async fn follow_replicas(db: Db, every: Duration, timeout: Duration) {
    let Some(replicas) = db.replicas() else { return };
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Ok(Ok(primary)) =
            tokio::time::timeout(timeout, query::replicas::Replicas::current_lsn(&db.conn)).await
        else {
            continue;
        };
        for i in 0..replicas.replicas.len() {
            if tokio::time::timeout(timeout, replicas.poll(i, primary)).await.is_err() {
                replicas.failed(i);
            }
        }
        for (name, healthy, lag) in replicas.status() {
            #[expect(clippy::cast_precision_loss, reason = "a gauge")]
            let lag = if lag == i64::MAX { f64::NAN } else { lag as f64 };
            gauge!("swole_replica_lag_ms", "replica" => name.clone()).set(lag);
            gauge!("swole_replica_healthy", "replica" => name).set(if healthy { 1.0 } else { 0.0 });
        }
    }
}

/// Re-reads the rollout's switches and the schema phase every `every`, for as long as it runs
/// (the gateway spawns it and aborts it at shutdown). A failed read keeps the last state and is
/// logged; a change is logged once.
pub async fn follow_rollout(db: Db, every: Duration) {
    let mut last = db.rollout();
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match db.refresh_rollout().await {
            Ok(now) if now != last => {
                let percents: Vec<String> = Item::ALL
                    .iter()
                    .map(|it| format!("{}={}", it.name(), now.effective(*it)))
                    .collect();
                tracing::info!(phase = now.phase, flags = %percents.join(" "), "rollout changed");
                last = now;
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "re-reading the rollout's switches failed"),
        }
    }
}
