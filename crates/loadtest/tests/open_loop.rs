//! The generator is open-loop: against a server that stalls for one second once, the requests
//! scheduled during the stall are late by up to that second, and the percentiles show it. A
//! closed-loop generator (send, wait, send) would have sent one request into the stall and
//! reported one slow sample.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any error")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use loadtest::run::{Arrival, RunConfig, Target};
use loadtest::workload::Workload;

/// A server whose requests are served one at a time; the first request after 500 ms holds the
/// line for one second.
async fn stalling_server() -> String {
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    let stalled = Arc::new(AtomicBool::new(false));
    let started = std::time::Instant::now();
    let app = Router::new().route(
        "/graphql",
        post(move || {
            let lock = Arc::clone(&lock);
            let stalled = Arc::clone(&stalled);
            async move {
                let _serial = lock.lock().await;
                if started.elapsed() > Duration::from_millis(500)
                    && !stalled.swap(true, Ordering::SeqCst)
                {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                r#"{"data":{"ok":true}}"#
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_shows_in_the_percentiles_of_every_request_scheduled_during_it() {
    let base = stalling_server().await;
    let workload = Workload::parse(
        "[users]\ncount = 1\n[[operation]]\nname = \"ping\"\nweight = 1\nquery = \"{ ok }\"\n",
    )
    .unwrap();
    let target = Target {
        base,
        tokens: std::collections::BTreeMap::new(),
        users: std::collections::BTreeMap::new(),
        webhook_secret: None,
    };
    let config = RunConfig {
        rate: 200.0,
        duration: Duration::from_secs(3),
        warmup: Duration::ZERO,
        arrival: Arrival::Constant,
        seed: 1,
        max_in_flight: 10_000,
        max_lag: Duration::from_millis(10),
    };
    let report = loadtest::measure(&workload, &target, &config, &|_, _, _| {}).await.unwrap();
    assert!(report.generator.kept_schedule, "{:?}", report.generator);
    assert_eq!(report.overall.count, 600, "every scheduled request was sent and answered");
    assert!(report.overall.errors.is_empty(), "{:?}", report.overall.errors);
    // About 200 requests were scheduled during the stall; each waited from its intended send
    // time until the stall ended, so roughly a third of all samples are late, up to a second.
    assert!(report.overall.max_ms >= 900.0, "{}", report.overall.max_ms);
    assert!(report.overall.p99_ms >= 900.0, "p99 {}", report.overall.p99_ms);
    assert!(report.overall.p95_ms >= 700.0, "p95 {}", report.overall.p95_ms);
    let late = report.timeline.iter().filter(|s| s.max_ms >= 500.0).count();
    assert!(late >= 1, "{:?}", report.timeline);
    // The median request was not in the stall.
    assert!(report.overall.p50_ms < 100.0, "p50 {}", report.overall.p50_ms);
}
