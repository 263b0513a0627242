//! The dashboard through the whole stack (HTTP request → axum → auth → async-graphql → service →
//! SQLite → JSON response) against the bare service call, same data, same run, on the phase-1
//! million-set-line seed (`SWOLE_BENCH_PHASE1`, default `data/bench1.db`; see BENCHMARKS.md).
//! Prints p50/p95/p99 of 2,000 calls each and the overhead ratio.
//!
//! Then a nested list, 20 workouts with their set lines: through the whole stack (DataLoaders),
//! and at the service level as one batched statement per level against one statement per parent
//! (what resolving each workout's lines on its own would cost); on SQLite, and on PostgreSQL too
//! when `SWOLE_BENCH_PG_URL` names a database seeded the same way (where every statement is a
//! round trip).

mod common;

use std::hint::black_box;

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use common::{seeded_db_url, timed};
use db::{DbConfig, ParamLimit};
use gateway::{AppState, Auth, Limits, app};
use hdrhistogram::Histogram;
use http_body_util::BodyExt;
use query::progress::{TimeRange, dashboard, user_today};
use query::{Db, Flags, UserId, workouts};
use tower::ServiceExt;

const USER: i64 = 64;

fn main() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let url = seeded_db_url("SWOLE_BENCH_PHASE1", "data/bench1.db");
    let (db, router, token) = serve(&runtime, &url);
    let body = serde_json::json!({"query": "{ progressDashboard(range: YEAR, unit: KG) { current { sessionCount totalVolume totalSets totalReps maxOneRm exerciseCount } previous { sessionCount totalVolume totalSets totalReps maxOneRm exerciseCount } exercises { name sessionCount volume maxWeight maxOneRm } workoutDates } }"}).to_string();

    let service = timed(&runtime, 2000, async || {
        let today = user_today(&db, UserId(USER), Utc::now()).await.expect("today");
        black_box(dashboard(&db, UserId(USER), TimeRange::Year, today).await.expect("dashboard"));
    });
    let http = timed(&runtime, 2000, async || {
        black_box(post(&router, &token, &body, "progressDashboard").await);
    });
    report(&[
        ("service call (user_today + dashboard)", &service),
        ("HTTP + GraphQL (whole stack)", &http),
    ]);

    println!();
    nested_list(&runtime, &db, &router, &token, "SQLite");
    if let Ok(url) = std::env::var("SWOLE_BENCH_PG_URL") {
        let (db, router, token) = serve(&runtime, &url);
        println!();
        nested_list(&runtime, &db, &router, &token, "PostgreSQL");
    }
}

/// The services and the gateway's router over the phase-1 database at `url`, and a token.
fn serve(runtime: &tokio::runtime::Runtime, url: &str) -> (Db, axum::Router, String) {
    let db = runtime.block_on(async {
        let conn = db::connect(&DbConfig::new(url).expect("url")).await.expect("connect");
        Db::new(conn, 1, ParamLimit::D1, Flags::OPTIMIZED).expect("phase 1")
    });
    let auth = Auth::new(b"bench-secret");
    let token = auth.token_for(UserId(USER), 3600);
    let router = app(AppState::new(db.clone(), auth, Limits::DEFAULT));
    (db, router, token)
}

/// 20 workouts with their set lines: one statement per parent, one batched statement, and the
/// gateway (page + one DataLoader batch).
fn nested_list(
    runtime: &tokio::runtime::Runtime,
    db: &Db,
    router: &axum::Router,
    token: &str,
    backend: &str,
) {
    let query = serde_json::json!({"query": "{ recentWorkouts(first: 20) { edges { node { id localDate exercises { exerciseName sets { setType weight unit reps rpe } } } } } }"}).to_string();
    let per_parent = timed(runtime, 2000, async || {
        let page = workouts::workouts_page(db, UserId(USER), None, 21, false).await.expect("page");
        for w in page.iter().take(20) {
            black_box(workouts::sets_for(db, UserId(USER), &[w.id]).await.expect("sets"));
        }
    });
    let batched = timed(runtime, 2000, async || {
        let page = workouts::workouts_page(db, UserId(USER), None, 21, false).await.expect("page");
        let ids: Vec<i64> = page.iter().take(20).map(|w| w.id).collect();
        black_box(workouts::sets_for(db, UserId(USER), &ids).await.expect("sets"));
    });
    let through_gateway = timed(runtime, 2000, async || {
        black_box(post(router, token, &query, "recentWorkouts").await);
    });
    report(&[
        (&format!("{backend}: 20 workouts' sets, 1 statement each"), &per_parent),
        (&format!("{backend}: 20 workouts' sets, 1 batched statement"), &batched),
        (&format!("{backend}: HTTP + GraphQL (DataLoader)"), &through_gateway),
    ]);
}

/// Posts a GraphQL request; the answer must be data for `field`, not errors.
async fn post(router: &axum::Router, token: &str, body: &str, field: &str) -> axum::body::Bytes {
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body.to_owned()))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let expected = format!("{{\"data\":{{\"{field}\"");
    assert!(bytes.starts_with(expected.as_bytes()), "{}", String::from_utf8_lossy(&bytes));
    bytes
}

/// Prints each histogram's percentiles and the ratios of the first to the others.
fn report(rows: &[(&str, &Histogram<u64>)]) {
    let q = |h: &Histogram<u64>, p: f64| h.value_at_quantile(p) as f64 / 1000.0;
    for (label, h) in rows {
        println!(
            "{label:<42} p50 {:>7.3} ms  p95 {:>7.3} ms  p99 {:>7.3} ms",
            q(h, 0.5),
            q(h, 0.95),
            q(h, 0.99)
        );
    }
    let (base_label, base) = rows[0];
    for (label, h) in &rows[1..] {
        println!(
            "{label} / {base_label}: p50 {:.2}x  p95 {:.2}x  p99 {:.2}x",
            q(h, 0.5) / q(base, 0.5),
            q(h, 0.95) / q(base, 0.95),
            q(h, 0.99) / q(base, 0.99)
        );
    }
}
