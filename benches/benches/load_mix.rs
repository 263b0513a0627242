//! Issue 11 under load, on a copy of the phase-2 SQLite seed (`SWOLE_BENCH_PHASE2`, default
//! `data/bench2.db`; the copy takes the writes), in one run, in alternating blocks:
//!
//! 1. **Reads under a write load**: `READERS` tasks read in a closed loop (a dashboard from the
//!    summaries, then a page of recent workouts with their set lines, uncached) while one task
//!    saves workouts, on one shared pool of 4 connections (before: reads and writes share it)
//!    and on one writer connection plus 4 WAL readers (after). Read and write latency
//!    percentiles, reads per second.
//! 2. **Hit rate under a realistic mix**: the seed's 200 lifters, skewed (a few read far more
//!    often), reading a dashboard of some range, their history, the last sets of one of their
//!    template exercises (as the logging screen does), records or consistency while some of them
//!    save workouts (`WRITE_SHARE`), with the caches on and with `--no-cache`: each cache's hit
//!    rate, and the latency of the mix's reads.
//!
//! Latencies are timed per call in nanoseconds into HDR histograms; no timing is asserted.

#[allow(dead_code, reason = "this bench uses the shared percentile helpers, not the block runner")]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::{ms, seeded_db_url};
use db::DbConfig;
use domain::{SetType, WeightUnit};
use hdrhistogram::Histogram;
use query::progress::TimeRange;
use query::workouts::{ExerciseInput, SetInput, WorkoutInput};
use query::{CacheSettings, Db, Flags, UserId, analytics, progress, workouts};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, EntityTrait};

const READERS: usize = 4;
const ROUNDS: usize = 3;
const BLOCK: Duration = Duration::from_secs(5);
const USERS: i64 = 200;
/// Share of the mix's operations that save a workout.
const WRITE_SHARE: f64 = 0.05;
const PHASE: u32 = 2;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 25).expect("valid date")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 25, 18, 0, 0).single().expect("valid instant")
}

/// A lifter drawn with a skew: the square of a uniform draw puts half the draws on the first
/// quarter of users.
#[expect(
    clippy::cast_possible_truncation,
    reason = "u * u * USERS is in [0, 200): the floor is the user index"
)]
fn lifter(rng: &mut ChaCha8Rng) -> UserId {
    let u: f64 = rng.random();
    UserId(1 + (u * u * USERS as f64) as i64)
}

fn workout(key: String) -> WorkoutInput {
    let set = |weight| SetInput {
        set_type: SetType::Working,
        weight: Some(weight),
        unit: WeightUnit::Kg,
        reps: Some(5),
        sets: Some(1),
        rpe: Some(8.0),
        rest_seconds: Some(120),
        is_estimate: false,
        is_default_applied: false,
    };
    let exercise = |name: &str, weight| ExerciseInput {
        template_exercise_id: None,
        exercise_name: name.to_owned(),
        sets: vec![set(weight), set(weight), set(weight)],
    };
    WorkoutInput {
        client_key: key,
        session_id: None,
        template_id: None,
        workout_date: Some(now()),
        exercises: vec![
            exercise("Squat", 100.0),
            exercise("Bench Press", 80.0),
            exercise("Barbell Row", 70.0),
            exercise("Deadlift", 140.0),
        ],
    }
}

async fn history(db: &Db, user: UserId) {
    let page = workouts::workouts_page(db, user, None, 10, false).await.expect("page");
    let ids: Vec<i64> = page.iter().map(|it| it.id).collect();
    std::hint::black_box(workouts::sets_for(db, user, &ids).await.expect("sets"));
}

fn histogram() -> Histogram<u64> {
    Histogram::new(3).expect("histogram")
}

fn record(hist: &mut Histogram<u64>, started: Instant) {
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    hist.record(nanos.max(1)).expect("in range");
}

/// What one block measured.
struct Block {
    reads: Histogram<u64>,
    writes: Histogram<u64>,
    elapsed: Duration,
}

/// Runs `READERS` reader tasks and, with `writer`, one saving task, for `BLOCK`.
async fn block(db: &Db, seed: u64, writer: bool) -> Block {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut readers = Vec::new();
    for task in 0..READERS {
        let (db, stop) = (db.clone(), Arc::clone(&stop));
        readers.push(tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(seed * 100 + task as u64);
            let mut hist = histogram();
            while !stop.load(Ordering::Relaxed) {
                let user = lifter(&mut rng);
                let range = TimeRange::ALL[rng.random_range(0..4)];
                let at = Instant::now();
                std::hint::black_box(
                    progress::dashboard(&db, user, range, today()).await.expect("dashboard"),
                );
                history(&db, user).await;
                record(&mut hist, at);
            }
            hist
        }));
    }
    let saving = writer.then(|| {
        let (db, stop) = (db.clone(), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(seed * 100 + 99);
            let mut hist = histogram();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let user = lifter(&mut rng);
                let input = workout(format!("load-{seed}-{n}"));
                let at = Instant::now();
                workouts::save_workout(&db, user, &input, now()).await.expect("save");
                record(&mut hist, at);
            }
            hist
        })
    });
    tokio::time::sleep(BLOCK).await;
    stop.store(true, Ordering::Relaxed);
    let mut reads = histogram();
    for it in readers {
        reads.add(it.await.expect("reader")).expect("same bounds");
    }
    let writes = match saving {
        Some(it) => it.await.expect("writer"),
        None => histogram(),
    };
    Block { reads, writes, elapsed: started.elapsed() }
}

fn report(what: &str, label: &str, b: &Block) {
    let per_second = b.reads.len() as f64 / b.elapsed.as_secs_f64();
    println!(
        "{what}: {label:<26} reads {per_second:>7.0}/s  p50 {:>8.3} ms  p95 {:>8.3} ms  p99 {:>8.3} ms \
         | writes {:>5}  p50 {:>8.3} ms  p99 {:>8.3} ms",
        ms(&b.reads, 0.5),
        ms(&b.reads, 0.95),
        ms(&b.reads, 0.99),
        b.writes.len(),
        ms(&b.writes, 0.5),
        ms(&b.writes, 0.99),
    );
}

/// Each user's template exercises (ids), indexed by user id.
type TemplateExercises = Arc<Vec<Vec<i64>>>;

async fn template_exercises(db: &Db) -> TemplateExercises {
    let rows = entity::template_exercise::Entity::find().all(&db.conn).await.expect("lines");
    let mut by_user = vec![Vec::new(); usize::try_from(USERS).expect("small") + 1];
    for it in rows {
        if let Some(list) = usize::try_from(it.user_id).ok().and_then(|u| by_user.get_mut(u)) {
            list.push(it.id);
        }
    }
    Arc::new(by_user)
}

/// The mix with or without caches for `BLOCK`; returns the read latencies and the time taken.
async fn mix(db: &Db, lines: &TemplateExercises, seed: u64) -> Block {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..READERS {
        let (db, stop, lines) = (db.clone(), Arc::clone(&stop), Arc::clone(lines));
        tasks.push(tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(seed * 1000 + task as u64);
            let (mut reads, mut writes) = (histogram(), histogram());
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let user = lifter(&mut rng);
                let at = Instant::now();
                let draw: f64 = rng.random();
                if draw < WRITE_SHARE {
                    n += 1;
                    let input = workout(format!("mix-{seed}-{task}-{n}"));
                    workouts::save_workout(&db, user, &input, now()).await.expect("save");
                    record(&mut writes, at);
                    continue;
                }
                // Every screen shows the user's unit and zone first.
                std::hint::black_box(query::users::viewer(&db, user).await.expect("viewer"));
                match rng.random_range(0..20) {
                    0..=9 => {
                        let range = TimeRange::ALL[rng.random_range(0..4)];
                        std::hint::black_box(
                            progress::dashboard(&db, user, range, today()).await.expect("dash"),
                        );
                    }
                    10..=11 => {
                        let own = &lines[usize::try_from(user.0).expect("positive")];
                        if let Some(&id) = own.get(rng.random_range(0..own.len().max(1))) {
                            std::hint::black_box(
                                workouts::last_exercise_data(&db, user, "", Some(id), None)
                                    .await
                                    .expect("last exercise data"),
                            );
                        }
                    }
                    12..=15 => history(&db, user).await,
                    16..=17 => {
                        std::hint::black_box(
                            analytics::personal_records(&db, user).await.expect("records"),
                        );
                    }
                    _ => {
                        std::hint::black_box(
                            analytics::consistency_stats(&db, user, today(), 30)
                                .await
                                .expect("consistency"),
                        );
                    }
                }
                record(&mut reads, at);
            }
            (reads, writes)
        }));
    }
    tokio::time::sleep(BLOCK).await;
    stop.store(true, Ordering::Relaxed);
    let (mut reads, mut writes) = (histogram(), histogram());
    for it in tasks {
        let (r, w) = it.await.expect("task");
        reads.add(r).expect("same bounds");
        writes.add(w).expect("same bounds");
    }
    Block { reads, writes, elapsed: started.elapsed() }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let source = seeded_db_url("SWOLE_BENCH_PHASE2", "data/bench2.db");
    let copy = std::env::temp_dir().join(format!("swole-load-mix-{}.db", std::process::id()));
    let remove_copy = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
        }
    };
    remove_copy();
    runtime.block_on(async {
        let conn = db::connect(&DbConfig::new(&source).expect("url")).await.expect("connect");
        conn.execute_unprepared(&format!("VACUUM INTO '{}'", copy.display()))
            .await
            .expect("copy the seed");
    });
    let config = DbConfig::new(&format!("sqlite://{}", copy.display())).expect("url");
    let (shared, split) = runtime.block_on(async {
        let shared = db::connect(&config).await.expect("shared pool");
        let split = db::connect_pools(&config).await.expect("split pools");
        let flags = Flags::for_phase(PHASE);
        (
            Db::new(shared, PHASE, config.param_limit, flags).expect("flags"),
            Db::from_pools(split, PHASE, config.param_limit, flags).expect("flags"),
        )
    });

    let what = "SQLite reads under a write load";
    let mut ratios = Vec::new();
    for round in 1..=ROUNDS {
        let seed = round as u64;
        let before = runtime.block_on(block(&shared, seed, true));
        let after = runtime.block_on(block(&split, seed, true));
        report(what, &format!("round {round}: shared pool"), &before);
        report(what, &format!("round {round}: writer + readers"), &after);
        let r = |q| ms(&before.reads, q) / ms(&after.reads, q);
        ratios.push((r(0.5), r(0.99)));
        println!("{what}, round {round}: shared / split: p50 {:.2}x  p99 {:.2}x", r(0.5), r(0.99));
    }
    spread(what, "shared / split", &ratios);
    let idle = runtime.block_on(block(&split, 9, false));
    report("SQLite reads, no writer", "writer + readers", &idle);

    let cached = split.clone().with_caches(CacheSettings::default());
    let lines = runtime.block_on(template_exercises(&split));
    let what = "SQLite mix (5 % saves)";
    let mut ratios = Vec::new();
    for round in 1..=ROUNDS {
        let seed = 10 + round as u64;
        let uncached = runtime.block_on(mix(&split, &lines, seed));
        let warm = runtime.block_on(mix(&cached, &lines, seed));
        report(what, &format!("round {round}: --no-cache"), &uncached);
        report(what, &format!("round {round}: caches"), &warm);
        let r = |q| ms(&uncached.reads, q) / ms(&warm.reads, q);
        ratios.push((r(0.5), r(0.99)));
        println!(
            "{what}, round {round}: no-cache / caches: p50 {:.2}x  p99 {:.2}x",
            r(0.5),
            r(0.99)
        );
    }
    spread(what, "no-cache / caches", &ratios);
    if let Some(caches) = cached.caches() {
        for (name, stats, bytes, entries) in caches.stats() {
            let asked = stats.hits + stats.misses;
            println!(
                "{what}: cache {name:<8} hit rate {:>5.1} %  ({} hits, {} misses, {} expired, {} evictions; {entries} entries, {:.1} KiB)",
                100.0 * stats.hits as f64 / asked.max(1) as f64,
                stats.hits,
                stats.misses,
                stats.expired,
                stats.evictions,
                bytes as f64 / 1024.0,
            );
        }
    }
    drop((shared, split, cached));
    remove_copy();
}

fn spread(what: &str, label: &str, ratios: &[(f64, f64)]) {
    let range = |f: fn(&(f64, f64)) -> f64| {
        let v = ratios.iter().map(f);
        (v.clone().fold(f64::MAX, f64::min), v.fold(f64::MIN, f64::max))
    };
    let ((a, b), (c, d)) = (range(|r| r.0), range(|r| r.1));
    println!(
        "{what}: {label} over {} rounds: p50 {a:.2}x to {b:.2}x, p99 {c:.2}x to {d:.2}x",
        ratios.len()
    );
}
