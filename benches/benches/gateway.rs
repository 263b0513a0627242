//! The dashboard through the whole stack (HTTP request → axum → auth → async-graphql → service →
//! SQLite → JSON response) against the bare service call, same data, same run, on the phase-1
//! million-set-line seed (`SWOLE_BENCH_PHASE1`, default `data/bench1.db`; see BENCHMARKS.md).
//! "Now" is the evening of the seed's last day (2025-11-25), so the current YEAR holds the user's
//! last year of sets. The paths run in alternating blocks of 1,000 calls, three rounds; each
//! round prints p50/p95/p99 and the ratios, then the spread of the ratios.
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
use chrono::{DateTime, TimeZone, Utc};
use common::{interleaved, seeded_db_url, timed};
use db::{DbConfig, ParamLimit};
use gateway::{AppState, Auth, Clock, Limits, app};
use http_body_util::BodyExt;
use query::progress::{TimeRange, dashboard, user_today};
use query::{Db, Flags, UserId, workouts};
use tower::ServiceExt;

const USER: i64 = 64;
const ROUNDS: usize = 3;
const CALLS: usize = 1000;

/// The evening of the seed's last day, for the service call and the gateway's clock alike.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 25, 18, 0, 0).single().expect("valid instant")
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let url = seeded_db_url("SWOLE_BENCH_PHASE1", "data/bench1.db");
    let (db, router, token) = serve(&runtime, &url);
    let body = serde_json::json!({"query": "{ progressDashboard(range: YEAR, unit: KG) { current { sessionCount totalVolume totalSets totalReps maxOneRm exerciseCount } previous { sessionCount totalVolume totalSets totalReps maxOneRm exerciseCount } exercises { name sessionCount volume maxWeight maxOneRm } workoutDates } }"}).to_string();

    let paths = ["HTTP + GraphQL (whole stack)", "service (user_today + dashboard)"];
    interleaved("dashboard YEAR", &paths, ROUNDS, |i| {
        if i == 0 {
            timed(&runtime, CALLS, async || {
                black_box(post(&router, &token, &body, "progressDashboard").await);
            })
        } else {
            timed(&runtime, CALLS, async || {
                let today = user_today(&db, UserId(USER), now()).await.expect("today");
                black_box(
                    dashboard(&db, UserId(USER), TimeRange::Year, today).await.expect("dashboard"),
                );
            })
        }
    });

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
        Db::new(conn, 1, ParamLimit::D1, Flags::for_phase(1)).expect("phase 1")
    });
    let auth = Auth::new(b"bench-secret");
    let token = auth.token_for(UserId(USER), 3600);
    let router = app(AppState::with_clock(db.clone(), auth, Limits::DEFAULT, Clock::Fixed(now())));
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
    let paths = ["1 statement per workout", "1 batched statement", "HTTP + GraphQL (DataLoader)"];
    interleaved(&format!("{backend}: 20 workouts' sets"), &paths, ROUNDS, |i| match i {
        0 => timed(runtime, CALLS, async || {
            let page =
                workouts::workouts_page(db, UserId(USER), None, 21, false).await.expect("page");
            for w in page.iter().take(20) {
                black_box(workouts::sets_for(db, UserId(USER), &[w.id]).await.expect("sets"));
            }
        }),
        1 => timed(runtime, CALLS, async || {
            let page =
                workouts::workouts_page(db, UserId(USER), None, 21, false).await.expect("page");
            let ids: Vec<i64> = page.iter().take(20).map(|w| w.id).collect();
            black_box(workouts::sets_for(db, UserId(USER), &ids).await.expect("sets"));
        }),
        _ => timed(runtime, CALLS, async || {
            black_box(post(router, token, &query, "recentWorkouts").await);
        }),
    });
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
