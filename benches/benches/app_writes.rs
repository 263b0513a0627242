//! The application's writes on the original schema (phase 0: 19 indexes on the set-line table),
//! on phase 1 (3 indexes) and on phase 2 (3 indexes plus the summaries every write maintains),
//! on the million-set-line seed: the claim of the design document's index consolidation
//! ("writes 15% faster") measured on what the app writes, not a bulk seed, and what the
//! summaries' maintenance adds to it.
//!
//! - `saveWorkout`: a typical session of 6 exercises x 5 set lines, saved into one workout over
//!   and over (each save replaces its 30 lines, resolving names and deriving columns); the weights
//!   alternate between two values from call to call, so every save changes the day's figures.
//! - `updateSets`: 5 of that workout's lines edited, alternating between two weights likewise.
//! - a re-link: unlink and link back the user's template exercise with the most lines in the
//!   last year (each moves all its lines to another resolved name).
//!
//! Both schemas are measured in alternating blocks, three rounds, so drift on the machine lands
//! on both; each round prints p50/p95/p99 per schema and the ratio phase 0 / latest (the
//! speed-up), then the spread of the ratios. Needs `SWOLE_BENCH_PHASE0`, `SWOLE_BENCH_PHASE1` and
//! `SWOLE_BENCH_PHASE2` (defaults `data/bench0.db`, `data/bench1.db`, `data/bench2.db`) seeded
//! from the same arguments (see BENCHMARKS.md). The workout it
//! writes is deleted at the end.

mod common;

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use common::{interleaved, seeded_db_url, timed};
use db::{DbConfig, ParamLimit};
use domain::{SetType, WeightUnit};
use query::exercises;
use query::workouts::{self, ExerciseInput, SetInput, SetUpdate, StartInput};
use query::{Db, Flags, UserId};
use sea_orm::{ConnectionTrait, Statement};

/// A lifter other than the one the read benches use, so their figures are undisturbed.
const USER: i64 = 65;
const ROUNDS: usize = 3;
const CALLS_PER_BLOCK: usize = 300;
const RELINKS_PER_BLOCK: usize = 30;

/// The session the app would save: the user's first template's lines, 5 sets each (1 warm-up).
fn session(template_lines: &[(i64, String)], extra_kg: f64) -> Vec<ExerciseInput> {
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
                    weight: Some(40.0 + 10.0 * f64::from(set) + 5.0 * idx as f64 + extra_kg),
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
                "phase 1 (indexes, cache)",
                &seeded_db_url("SWOLE_BENCH_PHASE1", "data/bench1.db"),
                1,
                Flags::for_phase(1),
                now,
            )
            .await,
            target(
                "phase 2 (+ summaries)",
                &seeded_db_url("SWOLE_BENCH_PHASE2", "data/bench2.db"),
                2,
                Flags::for_phase(2),
                now,
            )
            .await,
        ]
    });

    let labels: Vec<&str> = targets.iter().map(|t| t.name).collect();
    let sessions: Vec<[Vec<ExerciseInput>; 2]> = targets
        .iter()
        .map(|t| [session(&t.template_lines, 0.0), session(&t.template_lines, 2.5)])
        .collect();
    interleaved("saveWorkout (30 set lines)", &labels, ROUNDS, |i| {
        let (target, versions) = (&targets[i], &sessions[i]);
        let mut call = 0usize;
        timed(&runtime, CALLS_PER_BLOCK, async || {
            call += 1;
            let exercises = &versions[call % 2];
            black_box(
                workouts::save(&target.db, UserId(USER), target.workout, exercises, now)
                    .await
                    .expect("save"),
            );
        })
    });
    // Saving replaced the lines; editing keeps them: edit 5 of the current ones.
    let edits: Vec<[Vec<SetUpdate>; 2]> =
        targets.iter().map(|t| [edits(&runtime, t, 102.5), edits(&runtime, t, 105.0)]).collect();
    interleaved("updateSets (5 lines)", &labels, ROUNDS, |i| {
        let (target, versions) = (&targets[i], &edits[i]);
        let mut call = 0usize;
        timed(&runtime, CALLS_PER_BLOCK, async || {
            call += 1;
            workouts::update_sets(
                &target.db,
                UserId(USER),
                &versions[call % 2],
                chrono::Utc::now(),
            )
            .await
            .expect("update");
        })
    });
    // A re-link: the user's linked template exercise with the most set lines in the last year is
    // unlinked and linked back, each moving all its lines to another name (and, from phase 2,
    // recomputing every day and week they lie on).
    let relinks: Vec<(i64, i64)> = targets.iter().map(|t| relink_target(&runtime, t)).collect();
    interleaved("unlink + link (a year of lines, twice)", &labels, ROUNDS, |i| {
        let (target, (template_exercise, master)) = (&targets[i], relinks[i]);
        timed(&runtime, RELINKS_PER_BLOCK, async || {
            exercises::unlink(&target.db, UserId(USER), template_exercise, false)
                .await
                .expect("unlink");
            exercises::link(&target.db, UserId(USER), template_exercise, master)
                .await
                .expect("link");
        })
    });
    runtime.block_on(async {
        for target in &targets {
            workouts::delete(&target.db, UserId(USER), target.workout).await.expect("clean up");
        }
    });
}

/// The user's linked template exercise with the most set lines in the last year, and its master.
fn relink_target(runtime: &tokio::runtime::Runtime, target: &Target) -> (i64, i64) {
    runtime.block_on(async {
        let sql = format!(
            "SELECT el.template_exercise_id, el.master_exercise_id, COUNT(*) AS n FROM exercise_links el \
             JOIN session_exercises se ON se.template_exercise_id = el.template_exercise_id \
             JOIN workout_sessions ws ON ws.id = se.session_id \
             WHERE el.user_id = {USER} AND ws.local_date >= '2024-11-25' \
             GROUP BY el.template_exercise_id, el.master_exercise_id ORDER BY n DESC, 1 LIMIT 1"
        );
        let row = target
            .db
            .conn
            .query_one_raw(Statement::from_string(target.db.conn.get_database_backend(), sql))
            .await
            .expect("query")
            .expect("a linked template exercise");
        let n: i64 = row.try_get_by_index(2).expect("count");
        println!("{}: re-link moves {n} set lines of the last year", target.name);
        (row.try_get_by_index(0).expect("id"), row.try_get_by_index(1).expect("id"))
    })
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

/// Five edits spread over the 30 current lines of the target's workout.
fn edits(runtime: &tokio::runtime::Runtime, target: &Target, weight: f64) -> Vec<SetUpdate> {
    let lines: Vec<i64> = runtime.block_on(async {
        workouts::sets_for(&target.db, UserId(USER), &[target.workout])
            .await
            .expect("lines")
            .iter()
            .map(|it| it.id)
            .collect()
    });
    assert_eq!(lines.len(), 30, "{}: a session of 30 set lines", target.name);
    lines
        .iter()
        .skip(1)
        .step_by(6)
        .take(5)
        .map(|id| SetUpdate { id: *id, weight: Some(weight), unit: WeightUnit::Kg, reps: Some(5) })
        .collect()
}
