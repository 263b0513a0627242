//! Phase 1, original path vs optimized path, on the million-set-line seed:
//! the dashboard of the heaviest user (every range) and the exercise-name map for 200 ids.
//!
//! Needs two databases seeded from the same arguments, one per phase (see BENCHMARKS.md):
//! `SWOLE_BENCH_PHASE0` (default `data/bench0.db`) and `SWOLE_BENCH_PHASE1` (default
//! `data/bench1.db`). Besides criterion's report it prints p50/p95/p99 of each path from 2,000
//! timed calls and the ratios original/optimized.

mod common;

use std::hint::black_box;

use chrono::NaiveDate;
use common::{seeded_db_url, timed};
use criterion::Criterion;
use db::{DbConfig, ParamLimit};
use hdrhistogram::Histogram;
use query::progress::{TimeRange, dashboard};
use query::resolution::load_resolved_exercise_name_map;
use query::{Db, Flags, UserId};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const TODAY: (i32, u32, u32) = (2025, 11, 25);

struct Fixture {
    original_phase0: Db,
    original_phase1: Db,
    optimized_phase1: Db,
    heaviest_user: UserId,
    name_map_user: UserId,
    ids: Vec<i64>,
}

async fn open(url: &str) -> DatabaseConnection {
    db::connect(&DbConfig::new(url).expect("valid url")).await.expect("connect")
}

async fn scalar(conn: &DatabaseConnection, sql: &str) -> Vec<i64> {
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect("query")
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0).expect("integer"))
        .collect()
}

async fn fixture() -> Fixture {
    let phase0 = open(&seeded_db_url("SWOLE_BENCH_PHASE0", "data/bench0.db")).await;
    let phase1 = open(&seeded_db_url("SWOLE_BENCH_PHASE1", "data/bench1.db")).await;
    let heaviest = scalar(
        &phase1,
        "SELECT user_id FROM session_exercises GROUP BY user_id ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .await[0];
    let name_map_user = scalar(
        &phase1,
        "SELECT user_id FROM template_exercises GROUP BY user_id ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .await[0];
    // The user's own template exercises first, then other users' (which must come back absent).
    let ids = scalar(
        &phase1,
        &format!("SELECT id FROM template_exercises ORDER BY CASE WHEN user_id = {name_map_user} THEN 0 ELSE 1 END, id LIMIT 200"),
    )
    .await;
    let db = |conn: &DatabaseConnection, phase, flags| {
        Db::new(conn.clone(), phase, ParamLimit::D1, flags).expect("flags fit the phase")
    };
    Fixture {
        original_phase0: db(&phase0, 0, Flags::ORIGINAL),
        original_phase1: db(&phase1, 1, Flags::ORIGINAL),
        optimized_phase1: db(&phase1, 1, Flags::OPTIMIZED),
        heaviest_user: UserId(heaviest),
        name_map_user: UserId(name_map_user),
        ids,
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).expect("valid date")
}

fn report(what: &str, original: &Histogram<u64>, optimized: &Histogram<u64>) {
    let q = |h: &Histogram<u64>, p: f64| h.value_at_quantile(p) as f64 / 1000.0;
    println!(
        "{what:<44} original p50 {:>8.3} ms p95 {:>8.3} ms p99 {:>8.3} ms | optimized p50 {:>7.3} ms p95 {:>7.3} ms p99 {:>7.3} ms | ratio p50 {:>6.1}x p99 {:>6.1}x",
        q(original, 0.5),
        q(original, 0.95),
        q(original, 0.99),
        q(optimized, 0.5),
        q(optimized, 0.95),
        q(optimized, 0.99),
        q(original, 0.5) / q(optimized, 0.5),
        q(original, 0.99) / q(optimized, 0.99),
    );
}

fn percentiles(runtime: &tokio::runtime::Runtime, f: &Fixture) {
    println!("phase 1 percentiles, 2,000 calls each (original = phase-0 schema + original path):");
    for range in TimeRange::ALL {
        let a = timed(runtime, 2000, async || {
            black_box(
                dashboard(&f.original_phase0, f.heaviest_user, range, today())
                    .await
                    .expect("dashboard"),
            );
        });
        let b = timed(runtime, 2000, async || {
            black_box(
                dashboard(&f.optimized_phase1, f.heaviest_user, range, today())
                    .await
                    .expect("dashboard"),
            );
        });
        report(&format!("dashboard {range:?} (user {})", f.heaviest_user.0), &a, &b);
        let c = timed(runtime, 2000, async || {
            black_box(
                dashboard(&f.original_phase1, f.heaviest_user, range, today())
                    .await
                    .expect("dashboard"),
            );
        });
        report("  same schema (phase 1): original vs optimized", &c, &b);
    }
    let a = timed(runtime, 2000, async || {
        black_box(
            load_resolved_exercise_name_map(
                &f.original_phase0,
                &f.original_phase0.conn,
                f.name_map_user,
                &f.ids,
            )
            .await
            .expect("map"),
        );
    });
    let b = timed(runtime, 2000, async || {
        black_box(
            load_resolved_exercise_name_map(
                &f.optimized_phase1,
                &f.optimized_phase1.conn,
                f.name_map_user,
                &f.ids,
            )
            .await
            .expect("map"),
        );
    });
    report(&format!("name map, {} ids (user {})", f.ids.len(), f.name_map_user.0), &a, &b);
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let f = runtime.block_on(fixture());
    percentiles(&runtime, &f);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("phase1/dashboard_year");
    for (label, db) in
        [("original_phase0", &f.original_phase0), ("optimized_phase1", &f.optimized_phase1)]
    {
        group.bench_function(label, |b| {
            b.to_async(&runtime).iter(|| async {
                black_box(
                    dashboard(db, f.heaviest_user, TimeRange::Year, today())
                        .await
                        .expect("dashboard"),
                )
            });
        });
    }
    group.finish();
    let mut group = c.benchmark_group("phase1/name_map_200");
    for (label, db) in
        [("original_phase0", &f.original_phase0), ("optimized_phase1", &f.optimized_phase1)]
    {
        group.bench_function(label, |b| {
            b.to_async(&runtime).iter(|| async {
                black_box(
                    load_resolved_exercise_name_map(db, &db.conn, f.name_map_user, &f.ids)
                        .await
                        .expect("map"),
                )
            });
        });
    }
    group.finish();
    c.final_summary();
}
