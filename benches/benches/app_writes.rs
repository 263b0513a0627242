//! The application's writes on the original schema (phase 0: 19 indexes on the set-line table)
//! against the latest one (3), on the million-set-line seed: the claim of the design document's
//! index consolidation ("writes 15% faster") measured on what the app writes, not a bulk seed.
//!
//! - `saveWorkout`: a typical session of 6 exercises x 5 set lines, saved into one workout over
//!   and over (each save replaces its 30 lines, resolving names and deriving columns).
//! - `updateSets`: 5 of that workout's lines edited.
//!
//! Both schemas are measured in alternating blocks, three rounds, so drift on the machine lands
//! on both; each round prints p50/p95/p99 per schema and the ratio, then the spread of the
//! ratios. Needs `SWOLE_BENCH_PHASE0` (default `data/bench0.db`) and `SWOLE_BENCH_PHASE1`
//! (default `data/bench1.db`) seeded from the same arguments (see BENCHMARKS.md). The workout it
//! writes is deleted at the end.

mod common;

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use common::{seeded_db_url, timed};
use db::{DbConfig, ParamLimit};
use domain::{SetType, WeightUnit};
use hdrhistogram::Histogram;
use query::workouts::{self, ExerciseInput, SetInput, SetUpdate, StartInput};
use query::{Db, Flags, UserId};
use sea_orm::{ConnectionTrait, Statement};

/// A lifter other than the one the read benches use, so their figures are undisturbed.
const USER: i64 = 65;
const ROUNDS: usize = 3;
const CALLS_PER_BLOCK: usize = 300;

/// The session the app would save: the user's first template's lines, 5 sets each (1 warm-up).
fn session(template_lines: &[(i64, String)]) -> Vec<ExerciseInput> {
    template_lines
        .iter()
        .cycle()
        .take(6)
        .enumerate()
        .map(|(idx, (line, name))| ExerciseInput {
            template_exercise_id: Some(*line),
            exercise_name: name.clone(),
            sets: (0..5)
                .map(|set| SetInput {
                    set_type: if set == 0 { SetType::Warmup } else { SetType::Working },
                    weight: Some(40.0 + 10.0 * f64::from(set) + 5.0 * idx as f64),
                    unit: if idx % 2 == 0 { WeightUnit::Kg } else { WeightUnit::Lbs },
                    reps: Some(10 - set),
                    sets: None,
                    rpe: (set > 2).then_some(8.0),
                    rest_seconds: Some(120),
                    is_estimate: false,
                    is_default_applied: false,
                })
                .collect(),
        })
        .collect()
}

struct Target {
    name: &'static str,
    db: Db,
    workout: i64,
    /// The template lines the session is logged against.
    template_lines: Vec<(i64, String)>,
}

/// Opens one schema's database and starts the workout the bench saves into.
async fn target(
    name: &'static str,
    url: &str,
    phase: u32,
    flags: Flags,
    now: chrono::DateTime<Utc>,
) -> Target {
    let conn = db::connect(&DbConfig::new(url).expect("url")).await.expect("connect");
    let db = Db::new(conn, phase, ParamLimit::D1, flags).expect("flags fit the phase");
    let template =
        single(&db, &format!("SELECT MIN(id) FROM workout_templates WHERE user_id = {USER}")).await;
    let template_lines = db
        .conn
        .query_all_raw(Statement::from_string(
            db.conn.get_database_backend(),
            format!("SELECT id, exercise_name FROM template_exercises WHERE template_id = {template} ORDER BY order_index"),
        ))
        .await
        .expect("template lines")
        .iter()
        .map(|row| {
            (row.try_get_by_index::<i64>(0).expect("id"), row.try_get_by_index::<String>(1).expect("name"))
        })
        .collect::<Vec<_>>();
    let start = StartInput { template_id: Some(template), workout_date: now, copy_from: None };
    let (workout, _) = workouts::start(&db, UserId(USER), &start, now).await.expect("start");
    println!(
        "{name}: template {template} ({} lines), workout {}",
        template_lines.len(),
        workout.id
    );
    Target { name, db, workout: workout.id, template_lines }
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let now = Utc.with_ymd_and_hms(2025, 11, 25, 18, 0, 0).single().expect("valid instant");
    let targets = runtime.block_on(async {
        vec![
            target(
                "phase 0 (original schema)",
                &seeded_db_url("SWOLE_BENCH_PHASE0", "data/bench0.db"),
                0,
                Flags::ORIGINAL,
                now,
            )
            .await,
            target(
                "latest (phase 1)",
                &seeded_db_url("SWOLE_BENCH_PHASE1", "data/bench1.db"),
                1,
                Flags::OPTIMIZED,
                now,
            )
            .await,
        ]
    });

    let mut save_ratios = Vec::new();
    let mut update_ratios = Vec::new();
    for round in 1..=ROUNDS {
        let mut saves: Vec<Histogram<u64>> = Vec::new();
        let mut updates: Vec<Histogram<u64>> = Vec::new();
        for target in &targets {
            let exercises = session(&target.template_lines);
            saves.push(timed(&runtime, CALLS_PER_BLOCK, async || {
                black_box(
                    workouts::save(&target.db, UserId(USER), target.workout, &exercises, now)
                        .await
                        .expect("save"),
                );
            }));
            // Saving replaced the lines: edit 5 of the current ones.
            let lines: Vec<i64> = runtime.block_on(async {
                workouts::sets_for(&target.db, UserId(USER), &[target.workout])
                    .await
                    .expect("lines")
                    .iter()
                    .map(|it| it.id)
                    .collect()
            });
            assert_eq!(lines.len(), 30, "{}: a session of 30 set lines", target.name);
            let edits: Vec<SetUpdate> = lines
                .iter()
                .skip(1)
                .step_by(6)
                .take(5)
                .map(|id| SetUpdate {
                    id: *id,
                    weight: Some(102.5),
                    unit: WeightUnit::Kg,
                    reps: Some(5),
                })
                .collect();
            updates.push(timed(&runtime, CALLS_PER_BLOCK, async || {
                workouts::update_sets(&target.db, UserId(USER), &edits).await.expect("update");
            }));
        }
        println!("round {round}");
        save_ratios.push(report("  saveWorkout (30 set lines)", &targets, &saves));
        update_ratios.push(report("  updateSets (5 lines)", &targets, &updates));
    }
    let spread = |what: &str, ratios: &[(f64, f64)]| {
        let (p50s, p99s): (Vec<f64>, Vec<f64>) = ratios.iter().copied().unzip();
        let range = |v: &[f64]| {
            (v.iter().copied().fold(f64::MAX, f64::min), v.iter().copied().fold(f64::MIN, f64::max))
        };
        let (a, b) = range(&p50s);
        let (c, d) = range(&p99s);
        println!(
            "{what}: latest / phase 0 over {ROUNDS} rounds: p50 {a:.2}x to {b:.2}x, p99 {c:.2}x to {d:.2}x"
        );
    };
    spread("saveWorkout", &save_ratios);
    spread("updateSets", &update_ratios);
    runtime.block_on(async {
        for target in &targets {
            workouts::delete(&target.db, UserId(USER), target.workout).await.expect("clean up");
        }
    });
}

async fn single(db: &Db, sql: &str) -> i64 {
    db.conn
        .query_one_raw(Statement::from_string(db.conn.get_database_backend(), sql.to_owned()))
        .await
        .expect("query")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("integer")
}

/// Prints one operation's percentiles per schema and returns the ratios latest / phase 0 (p50, p99).
fn report(what: &str, targets: &[Target], hists: &[Histogram<u64>]) -> (f64, f64) {
    let q = |h: &Histogram<u64>, p: f64| h.value_at_quantile(p) as f64 / 1000.0;
    for (target, hist) in targets.iter().zip(hists) {
        println!(
            "{what} {:<26} p50 {:>7.3} ms  p95 {:>7.3} ms  p99 {:>7.3} ms",
            target.name,
            q(hist, 0.5),
            q(hist, 0.95),
            q(hist, 0.99)
        );
    }
    let ratio = |p: f64| q(&hists[1], p) / q(&hists[0], p);
    println!("{what} latest / phase 0: p50 {:.2}x  p99 {:.2}x", ratio(0.5), ratio(0.99));
    (ratio(0.5), ratio(0.99))
}
