//! The default workload against the real gateway over seeded data, on both backends: every
//! operation answers without error, the gateway reports its statements and its metrics.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any error")]

use std::time::Duration;

use datagen::SeedConfig;
use db::ParamLimit;
use gateway::{AppState, Auth, Limits};
use loadtest::run::{Arrival, RunConfig, Target};
use loadtest::workload::Workload;
use query::{CacheSettings, Db, Flags};
use sea_orm::ConnectionTrait;
use test_support::{TestDb, backend_tests};

/// Seeds `t` at `phase` and serves it as the binary would: the phase's paths, caches only on the
/// latest phase (the baseline of `--compare` runs without, as the original did).
async fn serve_at(t: &TestDb, phase: u32) -> String {
    let end = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let config = SeedConfig::new(3, 8, 42, end, i64::from(phase), 100).unwrap();
    datagen::write::prepare(&t.db, &config, false).await.unwrap();
    datagen::write::write_all(&t.db, &config, |_| {}).await.unwrap();
    let mut pools = t.pools().await;
    gateway::monitor::observe_pool(&mut pools.write, "write", Duration::from_secs(10));
    gateway::monitor::observe_pool(&mut pools.read, "read", Duration::from_secs(10));
    let mut db = Db::from_pools(pools, phase, ParamLimit::D1, Flags::for_phase(phase)).unwrap();
    if phase == migration::LATEST_PHASE {
        db = db.with_caches(CacheSettings::default());
    }
    let state = AppState::new(db, Auth::new(b"load-secret"), Limits::DEFAULT);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, gateway::app(state)).await.unwrap() });
    format!("http://{addr}")
}

/// The gateway of `serve`, answering WHOOP webhooks signed with `secret` (no worker: the test
/// counts what the endpoint recorded).
async fn serve_webhooks(t: &TestDb, secret: &[u8]) -> String {
    let end = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let config = SeedConfig::new(3, 8, 42, end, i64::from(migration::LATEST_PHASE), 100).unwrap();
    datagen::write::prepare(&t.db, &config, false).await.unwrap();
    datagen::write::write_all(&t.db, &config, |_| {}).await.unwrap();
    let db =
        Db::from_pools(t.pools().await, migration::LATEST_PHASE, ParamLimit::D1, Flags::OPTIMIZED)
            .unwrap();
    let state = AppState::new(db, Auth::new(b"load-secret"), Limits::DEFAULT)
        .with_webhooks(gateway::webhooks::Webhooks::new(secret));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, gateway::app(state)).await.unwrap() });
    format!("http://{addr}")
}

async fn serve(t: &TestDb) -> String {
    serve_at(t, migration::LATEST_PHASE).await
}

backend_tests! {
    async fn the_default_workload_runs_clean_against_the_gateway(t: &TestDb) {
        // Errors the gateway logs show in the test's output when it fails.
        let _ = tracing_subscriber::fmt().with_env_filter("error").with_test_writer().try_init();
        let base = serve(t).await;
        let mut workload = Workload::default_workload();
        workload.users.count = 3;
        let tokens = loadtest::target::tokens("load-secret", 3);
        let users = loadtest::target::discover(&base, &tokens, &workload).await.unwrap();
        assert!(users.values().all(|u| u.has(&["exercise".to_owned(), "set".to_owned(), "master".to_owned()])), "{users:?}");
        let target = Target { base, tokens, users, webhook_secret: None };
        let config = RunConfig {
            rate: 60.0,
            duration: Duration::from_secs(4),
            warmup: Duration::from_millis(500),
            arrival: Arrival::Poisson,
            seed: 3,
            max_in_flight: 1_000,
            max_lag: Duration::from_millis(50),
        };
        let report = loadtest::measure(&workload, &target, &config, &|_, _, _| {}).await.unwrap();
        assert!(report.overall.count >= 150, "{}", report.overall.count);
        assert!(report.overall.errors.is_empty(), "{:?}", report.operations.iter().filter(|o| !o.errors.is_empty()).map(|o| (&o.name, &o.errors)).collect::<Vec<_>>());
        assert!(report.operations.len() >= 8, "most operations were drawn: {:?}", report.operations.iter().map(|o| &o.name).collect::<Vec<_>>());
        assert!(report.overall.statements_per_request.is_some_and(|n| n > 0.0), "{:?}", report.operations.iter().map(|o| (&o.name, o.statements_per_request)).collect::<Vec<_>>());
        let server = report.server.as_ref().unwrap();
        assert!(server.statements_per_request.is_some() && server.cache_hit_rate.is_some(), "{server:?}");
        let json = serde_json::to_value(&report).unwrap();
        assert!(json["overall"]["p99_ms"].is_number() && json["timeline"].as_array().is_some_and(|t| !t.is_empty()));
        let html = loadtest::report::html(&report);
        assert!(html.contains("<svg") && html.contains("dashboard_month") && !html.contains("http-equiv"));
    }

    async fn the_webhook_workload_is_signed_and_every_delivery_recorded(t: &TestDb) {
        let _ = tracing_subscriber::fmt().with_env_filter("error").with_test_writer().try_init();
        let base = serve_webhooks(t, b"hook-secret").await;
        let mut workload = Workload::parse(include_str!("../webhooks.toml")).unwrap();
        workload.users.count = 3;
        let target = Target {
            base,
            tokens: std::collections::BTreeMap::new(),
            users: std::collections::BTreeMap::new(),
            webhook_secret: Some(b"hook-secret".to_vec()),
        };
        let config = RunConfig {
            rate: 50.0,
            duration: Duration::from_secs(2),
            warmup: Duration::ZERO,
            arrival: Arrival::Constant,
            seed: 5,
            max_in_flight: 1_000,
            max_lag: Duration::from_millis(50),
        };
        let report = loadtest::measure(&workload, &target, &config, &|_, _, _| {}).await.unwrap();
        assert_eq!(report.overall.count, 100);
        assert!(report.overall.errors.is_empty(), "{:?}", report.overall.errors);
        assert_eq!(report.operations.len(), 4);
        // Every delivery recorded once (signed, fresh, distinct trace ids).
        let n = t.db.query_one_raw(sea_orm::Statement::from_string(t.db.get_database_backend(), "SELECT COUNT(*) FROM webhook_events WHERE status <> 'rejected'")).await.unwrap().unwrap();
        assert_eq!(n.try_get_by_index::<i64>(0).unwrap(), 100);
    }

    async fn compare_interleaves_the_baseline_and_the_latest(t: &TestDb) {
        let _ = tracing_subscriber::fmt().with_env_filter("error").with_test_writer().try_init();
        let baseline_db = if t.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            TestDb::postgres().await.unwrap()
        } else {
            TestDb::sqlite().await
        };
        let latest = serve(t).await;
        let baseline = serve_at(&baseline_db, 0).await;
        let mut workload = Workload::default_workload();
        workload.users.count = 3;
        let tokens = loadtest::target::tokens("load-secret", 3);
        let users = loadtest::target::discover(&latest, &tokens, &workload).await.unwrap();
        let a = Target { base: baseline, tokens: tokens.clone(), users: users.clone(), webhook_secret: None };
        let b = Target { base: latest, tokens, users, webhook_secret: None };
        let config = RunConfig {
            rate: 40.0,
            duration: Duration::from_secs(1),
            warmup: Duration::from_millis(200),
            arrival: Arrival::Constant,
            seed: 5,
            max_in_flight: 1_000,
            max_lag: Duration::from_millis(50),
        };
        let it = loadtest::compare(&workload, &a, &b, &config, 2, &|_, _, _| {}).await.unwrap();
        // The same schedule on both sides: 40 requests per window, two windows each.
        assert_eq!((it.baseline.overall.count, it.latest.overall.count), (80, 80));
        assert!(it.baseline.overall.errors.is_empty(), "{:?}", it.baseline.operations.iter().filter(|o| !o.errors.is_empty()).map(|o| (&o.name, &o.errors)).collect::<Vec<_>>());
        assert!(it.latest.overall.errors.is_empty(), "{:?}", it.latest.overall.errors);
        assert_eq!(it.ratios[0].name, "overall");
        assert!(it.ratios.iter().all(|r| r.p50 > 0.0), "{:?}", it.ratios);
        // The baseline runs the original's paths with no caches: every dashboard costs the user's
        // row and the original's four statements, as its gateway reported them. (Both gateways
        // here share this process's metrics registry, so its cache counters cannot tell them
        // apart; the binaries run as separate processes.)
        let dashboards = it.baseline.operations.iter().filter(|o| o.name.starts_with("dashboard_"));
        assert!(dashboards.clone().count() > 0);
        for op in dashboards {
            assert_eq!(op.statements_per_request, Some(5.0), "{}", op.name);
        }
        assert!(it.latest.server.as_ref().unwrap().cache_hit_rate.is_some());
    }
}
