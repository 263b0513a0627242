//! Monitoring: `/metrics` in Prometheus text after real requests, statements counted per request
//! (loader batches included), and the slow-query log naming SQL and user but never a value.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use db::ParamLimit;
use gateway::{AppState, Auth, Clock, Limits};
use http_body_util::BodyExt;
use query::{CacheSettings, Db, Flags};
use serde_json::json;
use test_support::{TestDb, backend_tests};
use tower::ServiceExt;

use super::{now, run, seed};

async fn observed(t: &TestDb, caches: bool, slow: Duration) -> AppState {
    seed(t).await;
    let mut pools = t.pools().await;
    gateway::monitor::observe_pool(&mut pools.write, "write", slow);
    gateway::monitor::observe_pool(&mut pools.read, "read", slow);
    let mut db =
        Db::from_pools(pools, migration::LATEST_PHASE, ParamLimit::D1, Flags::OPTIMIZED).unwrap();
    if caches {
        db = db.with_caches(CacheSettings::default());
    }
    AppState::with_clock(db, Auth::new(b"test-secret"), Limits::DEFAULT, Clock::Fixed(now()))
        .with_slow_query(slow)
}

async fn scrape(state: &AppState) -> String {
    let res = gateway::app(state.clone())
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// The value of the sample line of exactly `series` (0 when absent: nothing recorded yet).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.rsplit_once(' ').is_some_and(|(name, _)| name == series))
        .and_then(|l| l.rsplit(' ').next())
        .map_or(0.0, |it| it.parse().unwrap())
}

/// How much `series` grew between two scrapes. The registry is the process's: under nextest each
/// test has its own process; under `cargo test` other tests may add to it, so checks are lower
/// bounds, each failing if the instrumentation is missing.
fn grew(before: &str, after: &str, series: &str) -> f64 {
    sample(after, series) - sample(before, series)
}

/// A writer the log lines of this test's thread go to.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

backend_tests! {
    async fn metrics_describe_requests_statements_pools_caches_and_aggregation(t: &TestDb) {
        let state = observed(t, true, Duration::from_mins(1)).await;
        let before = scrape(&state).await;
        assert!(run(&state, Some(1), "{ progressDashboard(range: MONTH) { unit } }", json!({})).await["errors"].is_null());
        run(&state, Some(1), "{ progressDashboard(range: MONTH) { unit } }", json!({})).await;
        let missing = run(&state, Some(1), r#"{ workout(id: "987654321") { id } }"#, json!({})).await;
        assert_eq!(missing["errors"][0]["extensions"]["code"], "NOT_FOUND");
        let input = json!({"clientKey": "m-1", "workoutDate": now().to_rfc3339(), "exercises": [{"exerciseName": "Squat", "sets": [{"weight": 100.0, "unit": "KG", "reps": 5}]}]});
        let saved = run(&state, Some(1), "mutation($i: SaveWorkoutInput!) { saveWorkout(input: $i) { replayed } }", json!({"i": input})).await;
        assert!(saved["errors"].is_null(), "{saved}");

        let after = scrape(&state).await;
        let grew = |series: &str| grew(&before, &after, series);
        assert!(grew("swole_graphql_requests_total") >= 4.0);
        assert!(grew("swole_graphql_request_duration_seconds_count") >= 4.0);
        assert!(grew("swole_graphql_errors_total{code=\"NOT_FOUND\"}") >= 1.0);
        assert!(grew("swole_graphql_field_duration_seconds_count{field=\"progressDashboard\"}") >= 2.0);
        assert!(grew("swole_graphql_field_duration_seconds_count{field=\"saveWorkout\"}") >= 1.0);
        assert!(after.contains("swole_graphql_request_duration_seconds_bucket{le=\"0.05\"}"), "the design's 50 ms is a bucket edge");
        assert!(grew("swole_db_statement_duration_seconds_count{pool=\"write\"}") >= 3.0, "the save's statements");
        assert!(grew("swole_db_statement_duration_seconds_count{pool=\"read\"}") >= 2.0);
        assert!(grew("swole_aggregation_duration_seconds_count") >= 1.0, "the save's recomputation");
        assert!(after.contains("swole_db_pool_connections{pool=\"write\",state=\"max\"}"));
        assert!(after.contains("swole_db_pool_connections{pool=\"read\",state=\"in_use\"}"));
        // The second dashboard was a hit of the progress cache.
        assert!(grew("swole_cache_hits_total{cache=\"progress\"}") >= 1.0, "{after}");
        assert!(sample(&after, "swole_db_bytes") > 0.0);
    }

    async fn statements_are_counted_per_request_loader_batches_included(t: &TestDb) {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let state = observed(t, false, Duration::from_mins(1)).await;
        let q = "{ recentWorkouts(first: 20) { edges { node { id exercises { resolvedName sets { weight } } } } } }";
        assert!(run(&state, Some(1), q, json!({})).await["errors"].is_null());
        // The page and one batched load of every workout's lines, run in a task of its own (the
        // figure STATEMENTS_PER_REQUEST asserts at the connection).
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        let line = text.lines().find(|l| l.contains("graphql request")).unwrap();
        assert!(line.contains("statements=2"), "{line}");
        let scraped = scrape(&state).await;
        assert!(sample(&scraped, "swole_graphql_statements_per_request_sum") >= 2.0);
    }

    async fn the_slow_query_log_names_sql_and_user_never_values(t: &TestDb) {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        // Every statement and request is "slow" at a zero threshold.
        let state = observed(t, false, Duration::ZERO).await;
        let input = json!({"clientKey": "value-that-must-not-leak", "workoutDate": now().to_rfc3339(), "exercises": [{"exerciseName": "Squat", "sets": [{"weight": 123.25, "unit": "KG", "reps": 5}]}]});
        let saved = run(&state, Some(1), "mutation($i: SaveWorkoutInput!) { saveWorkout(input: $i) { replayed } }", json!({"i": input})).await;
        assert!(saved["errors"].is_null(), "{saved}");
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        let statements: Vec<&str> = text.lines().filter(|l| l.contains("slow statement")).collect();
        assert!(statements.iter().any(|l| l.contains("user=1") && l.contains("workout_client_keys") && l.contains("request_id=\"req-")), "{text}");
        assert!(text.lines().any(|l| l.contains("slow request") && l.contains("user=1")), "{text}");
        assert!(!text.contains("value-that-must-not-leak") && !text.contains("123.25"), "a bound value reached the log:\n{text}");
    }
}
