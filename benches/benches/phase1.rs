//! Phase 1: the dashboard of the heaviest user on the million-set-line seed, every range, with its
//! gain split into its three parts. Four paths run in alternating blocks, three rounds:
//!
//! 1. the original's statements and filter on the phase-0 schema (what the original ran);
//! 2. the same on the phase-1 schema: 1 / 2 is the index consolidation's part;
//! 3. the one statement without planner hints, phase 1: 2 / 3 is the single statement's part;
//! 4. the one statement as the optimized path runs it: 3 / 4 is the hints' part.
//!
//! Needs two databases seeded from the same arguments, one per phase (see BENCHMARKS.md):
//! `SWOLE_BENCH_PHASE0` (default `data/bench0.db`) and `SWOLE_BENCH_PHASE1` (default
//! `data/bench1.db`). "Today" is the seed's last day, 2025-11-25. After the percentiles,
//! criterion compares paths 1 and 4 on the YEAR range.

mod common;

use std::hint::black_box;

use chrono::NaiveDate;
use common::{interleaved, seeded_db_url, timed};
use criterion::Criterion;
use db::{DbConfig, ParamLimit};
use query::progress::{Plan, TimeRange, dashboard_by};
use query::{Db, Flags, UserId};
use sea_orm::{ConnectionTrait, Statement};

const ROUNDS: usize = 3;
const CALLS: usize = 1000;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 25).expect("valid date")
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (phase0, phase1, user) = runtime.block_on(async {
        let open = async |url: String, phase, flags| {
            let conn = db::connect(&DbConfig::new(&url).expect("url")).await.expect("connect");
            Db::new(conn, phase, ParamLimit::D1, flags).expect("flags fit the phase")
        };
        let phase0 =
            open(seeded_db_url("SWOLE_BENCH_PHASE0", "data/bench0.db"), 0, Flags::ORIGINAL).await;
        let phase1 =
            open(seeded_db_url("SWOLE_BENCH_PHASE1", "data/bench1.db"), 1, Flags::for_phase(1)).await;
        let sql = "SELECT user_id FROM session_exercises GROUP BY user_id ORDER BY COUNT(*) DESC, user_id LIMIT 1";
        let user = phase1
            .conn
            .query_one_raw(Statement::from_string(phase1.conn.get_database_backend(), sql))
            .await
            .expect("query")
            .expect("a seeded database")
            .try_get_by_index::<i64>(0)
            .expect("integer");
        (phase0, phase1, UserId(user))
    });
    let paths = [
        ("original, phase 0", &phase0, Plan::Original),
        ("original, phase 1", &phase1, Plan::Original),
        ("1 statement, no hints", &phase1, Plan::OneStatementUnhinted),
        ("1 statement, hints", &phase1, Plan::OneStatement),
    ];
    let labels: Vec<&str> = paths.iter().map(|p| p.0).collect();
    for range in TimeRange::ALL {
        interleaved(&format!("dashboard {range:?} (user {})", user.0), &labels, ROUNDS, |i| {
            let (_, db, plan) = paths[i];
            timed(&runtime, CALLS, async || {
                black_box(dashboard_by(db, plan, user, range, today()).await.expect("dashboard"));
            })
        });
    }

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("phase1/dashboard_year");
    for (label, db, plan) in [paths[0], paths[3]] {
        group.bench_function(label, |b| {
            b.to_async(&runtime).iter(|| async {
                black_box(
                    dashboard_by(db, plan, user, TimeRange::Year, today())
                        .await
                        .expect("dashboard"),
                )
            });
        });
    }
    group.finish();
    c.final_summary();
}
