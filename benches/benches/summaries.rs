//! Phase 2: progress reads on the summary tables against the same reads on raw set lines, on the
//! million-set-line seed, heaviest lifter, every dashboard range, in alternating blocks, three
//! rounds (see BENCHMARKS.md):
//!
//! 1. the original path on the phase-0 schema (what the original ran);
//! 2. the phase-1 statement over raw set lines, on the phase-2 database (the rollout fallback);
//! 3. the phase-2 statement over the summaries, same database;
//! 4. the same through the progress cache (`query::progress::dashboard` on a `Db` with caches):
//!    a hit after the block's first call, as for a user who reads again before writing.
//!
//! Then preference reads (PDR §5) on the phase-2 database: the warm-up percentages parsed from
//! their JSON text against read from their columns.
//!
//! Needs `SWOLE_BENCH_PHASE0` (default `data/bench0.db`) and `SWOLE_BENCH_PHASE2` (default
//! `data/bench2.db`) seeded from the same arguments; with `SWOLE_BENCH_PG_URL` naming a
//! PostgreSQL database seeded the same way at phase 2, paths 2 and 3 run there too.

mod common;

use std::hint::black_box;

use chrono::NaiveDate;
use common::{interleaved, seeded_db_url, timed};
use db::{DbConfig, ParamLimit};
use query::progress::{Plan, TimeRange, dashboard, dashboard_by};
use query::{CacheSettings, Db, Flags, Path, UserId};

const ROUNDS: usize = 3;
const CALLS: usize = 1000;
/// The heaviest lifter of the seed (11,252 set lines).
const USER: UserId = UserId(64);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 25).expect("valid date")
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let open = |url: String, phase: u32| {
        runtime.block_on(async {
            let conn = db::connect(&DbConfig::new(&url).expect("url")).await.expect("connect");
            Db::new(conn, phase, ParamLimit::D1, Flags::for_phase(phase)).expect("flags fit")
        })
    };
    let phase0 = open(seeded_db_url("SWOLE_BENCH_PHASE0", "data/bench0.db"), 0);
    let phase2 = open(seeded_db_url("SWOLE_BENCH_PHASE2", "data/bench2.db"), 2);
    let cached2 = phase2.clone().with_caches(CacheSettings::default());
    let sqlite = [
        ("original, phase 0", &phase0, Some(Plan::Original)),
        ("raw rows, phase 2", &phase2, Some(Plan::OneStatement)),
        ("summaries, phase 2", &phase2, Some(Plan::Summaries)),
        ("cached, phase 2", &cached2, None),
    ];
    run(&runtime, "SQLite", &sqlite);
    preferences(&runtime, "SQLite", &phase2);
    if let Ok(url) = std::env::var("SWOLE_BENCH_PG_URL") {
        let pg = open(url, 2);
        let cached = pg.clone().with_caches(CacheSettings::default());
        let paths = [
            ("raw rows, phase 2", &pg, Some(Plan::OneStatement)),
            ("summaries, phase 2", &pg, Some(Plan::Summaries)),
            ("cached, phase 2", &cached, None),
        ];
        run(&runtime, "PostgreSQL", &paths);
        preferences(&runtime, "PostgreSQL", &pg);
    }
}

/// `preferences` of the heaviest lifter, JSON text against columns, on the same database.
fn preferences(runtime: &tokio::runtime::Runtime, backend: &str, db: &Db) {
    let with = |hot_columns| {
        let flags = Flags { hot_columns, ..db.flags(query::UserId(1)) };
        Db::new(db.conn.clone(), db.phase(), db.param_limit, flags)
            .expect("phase 2 has the columns")
    };
    let paths = [("JSON text", with(Path::Original)), ("columns", with(Path::Optimized))];
    let labels: Vec<&str> = paths.iter().map(|p| p.0).collect();
    interleaved(&format!("{backend} preferences"), &labels, ROUNDS, |i| {
        timed(runtime, CALLS * 10, async || {
            black_box(query::preferences::get(&paths[i].1, USER).await.expect("preferences"));
        })
    });
}

/// Each path's dashboard: a plan run directly, or `None` for the cached service call.
fn run(runtime: &tokio::runtime::Runtime, backend: &str, paths: &[(&str, &Db, Option<Plan>)]) {
    let labels: Vec<&str> = paths.iter().map(|p| p.0).collect();
    for range in TimeRange::ALL {
        interleaved(&format!("{backend} dashboard {range:?}"), &labels, ROUNDS, |i| {
            let (_, db, plan) = paths[i];
            timed(runtime, CALLS, async || {
                let answer = match plan {
                    Some(plan) => dashboard_by(db, plan, USER, range, today()).await,
                    None => dashboard(db, USER, range, today()).await,
                };
                black_box(answer.expect("dashboard"));
            })
        });
    }
}
