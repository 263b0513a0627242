//! The dashboard through the whole stack (HTTP request → axum → auth → async-graphql → service →
//! SQLite → JSON response) against the bare service call, same data, same run, on the phase-1
//! million-set-line seed (`SWOLE_BENCH_PHASE1`, default `data/bench1.db`; see BENCHMARKS.md).
//! Prints p50/p95/p99 of 2,000 calls each and the overhead ratio.

mod common;

use std::hint::black_box;

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use common::timed;
use db::{DbConfig, ParamLimit};
use gateway::{AppState, Auth, Limits, app};
use hdrhistogram::Histogram;
use http_body_util::BodyExt;
use query::progress::{TimeRange, dashboard, user_today};
use query::{Db, Flags, UserId};
use tower::ServiceExt;

const USER: i64 = 64;

fn main() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = std::env::var("SWOLE_BENCH_PHASE1")
        .unwrap_or_else(|_| root.join("data/bench1.db").display().to_string());
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: seed it first (see BENCHMARKS.md)"
    );
    let db = runtime.block_on(async {
        let conn = db::connect(&DbConfig::new(&format!("sqlite://{path}")).expect("url"))
            .await
            .expect("connect");
        Db::new(conn, 1, ParamLimit::D1, Flags::OPTIMIZED).expect("phase 1")
    });
    let auth = Auth::new(b"bench-secret");
    let token = auth.token_for(UserId(USER), 3600);
    let state = AppState::new(db.clone(), auth, Limits::DEFAULT);
    let router = app(state);
    let body = serde_json::json!({"query": "{ progressDashboard(range: YEAR, unit: KG) { current { sessionCount totalVolume totalSets totalReps maxOneRm exerciseCount } previous { sessionCount totalVolume totalSets totalReps maxOneRm exerciseCount } exercises { name sessionCount volume maxWeight maxOneRm } workoutDates } }"}).to_string();

    let service = timed(&runtime, 2000, async || {
        let today = user_today(&db, UserId(USER), Utc::now()).await.expect("today");
        black_box(dashboard(&db, UserId(USER), TimeRange::Year, today).await.expect("dashboard"));
    });
    let http = timed(&runtime, 2000, async || {
        let request = Request::post("/graphql")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(body.clone()))
            .expect("request");
        let response = router.clone().oneshot(request).await.expect("response");
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        assert!(
            bytes.starts_with(b"{\"data\":{\"progressDashboard\""),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        black_box(bytes);
    });
    let q = |h: &Histogram<u64>, p: f64| h.value_at_quantile(p) as f64 / 1000.0;
    for (label, h) in [
        ("service call (user_today + dashboard)", &service),
        ("HTTP + GraphQL (whole stack)", &http),
    ] {
        println!(
            "{label:<40} p50 {:>7.3} ms  p95 {:>7.3} ms  p99 {:>7.3} ms",
            q(h, 0.5),
            q(h, 0.95),
            q(h, 0.99)
        );
    }
    println!(
        "whole stack / service: p50 {:.2}x  p99 {:.2}x",
        q(&http, 0.5) / q(&service, 0.5),
        q(&http, 0.99) / q(&service, 0.99)
    );
}
