//! Generates one lifter's history: profile, templates (renamed over time), master exercises and
//! links, about three sessions a week with skipped weeks, deloads and plateaus, and the set lines of
//! each session with progressive overload.
//!
//! Generation is pure and deterministic: the same `SeedConfig` and user index give the same rows,
//! whatever the database. Ids are assigned here from `IdCounters`, so the writer needs no
//! `RETURNING` and both backends hold identical keys.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use domain::{
    DerivedSet, SetType, UserTimeZone, WeightUnit, e1rm_kg, local_date, normalize_exercise_name,
};
use entity::{
    exercise_link, exercise_resolution_cache, master_exercise, session_exercise, template_exercise,
    user, user_preference, user_warmup_percentage, workout_session, workout_template,
};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::catalog::{EXERCISES, Kind, SPLITS, TIME_ZONES, exercise};
use crate::config::SeedConfig;
use crate::rng::rng_for;
use crate::whoop::{self, WhoopData};

/// The next id to hand out per table. Seeding starts from an empty database, so ids start at 1.
#[derive(Debug, Clone)]
pub struct IdCounters {
    pub(crate) template: i64,
    pub(crate) template_exercise: i64,
    pub(crate) master_exercise: i64,
    pub(crate) exercise_link: i64,
    pub(crate) session: i64,
    pub(crate) set_line: i64,
    pub(crate) whoop: whoop::WhoopIds,
}

impl Default for IdCounters {
    fn default() -> Self {
        Self {
            template: 1,
            template_exercise: 1,
            master_exercise: 1,
            exercise_link: 1,
            session: 1,
            set_line: 1,
            whoop: whoop::WhoopIds::default(),
        }
    }
}

fn next(counter: &mut i64) -> i64 {
    let id = *counter;
    *counter += 1;
    id
}

/// Everything one user owns, in insertion (foreign-key) order.
#[derive(Debug, Clone)]
pub struct UserData {
    pub user: user::Model,
    pub preferences: user_preference::Model,
    /// `preferences.warmup_percentages` as rows; stored only from schema phase 2 on.
    pub warmup_percentages: Vec<user_warmup_percentage::Model>,
    pub templates: Vec<workout_template::Model>,
    pub template_exercises: Vec<template_exercise::Model>,
    pub master_exercises: Vec<master_exercise::Model>,
    pub exercise_links: Vec<exercise_link::Model>,
    /// What each template exercise resolves to; stored only from schema phase 1 on.
    pub resolution_cache: Vec<exercise_resolution_cache::Model>,
    pub sessions: Vec<workout_session::Model>,
    pub set_lines: Vec<session_exercise::Model>,
    pub whoop: WhoopData,
}

impl UserData {
    /// How many rows writing this user stores (besides the phase-1 resolution cache).
    pub fn row_count(&self) -> usize {
        2 + self.templates.len()
            + self.template_exercises.len()
            + self.master_exercises.len()
            + self.exercise_links.len()
            + self.sessions.len()
            + self.set_lines.len()
            + self.whoop.cycles.len()
            + self.whoop.sleeps.len()
            + self.whoop.recoveries.len()
            + self.whoop.workouts.len()
    }
}

/// A template exercise as the generator tracks it.
#[derive(Debug, Clone)]
struct PlannedExercise {
    template_exercise_id: i64,
    catalog_idx: usize,
    name: String,
    resolved_name: String,
}

/// Per-lifter, per-exercise strength state.
#[derive(Debug, Clone)]
struct Lift {
    e1rm_kg: f64,
    weeks_trained: u32,
    plateau_weeks_left: u32,
    target_reps: i32,
}

/// Habits that make one lifter's log look different from another's.
#[derive(Debug)]
struct Lifter {
    unit: WeightUnit,
    strength: f64,
    weekly_gain: f64,
    sessions_per_week: u32,
    logs_rpe: bool,
    logs_rest: bool,
    preferred_hour: u32,
}

/// Milliseconds since the epoch, so every stored instant has one precision on both backends.
fn at_millis(instant: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(instant.timestamp_millis()).single().unwrap_or(instant)
}

/// The UTC instant of a local wall-clock time; a time skipped by a DST change moves an hour on.
pub(crate) fn local_to_utc(zone: Tz, date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour % 24, minute % 60, 0).unwrap_or(NaiveTime::MIN);
    let naive = date.and_time(time);
    let local = zone
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(naive + Duration::hours(1))).earliest());
    local.map_or_else(|| Utc.from_utc_datetime(&naive), |it| it.with_timezone(&Utc))
}

/// Rounds a weight to what can be loaded: 2.5 kg or 5 lb plates, finer steps for light weights.
fn loadable(weight: f64, unit: WeightUnit) -> f64 {
    let step = match unit {
        WeightUnit::Kg if weight < 20.0 => 1.0,
        WeightUnit::Kg => 2.5,
        WeightUnit::Lbs if weight < 40.0 => 2.5,
        WeightUnit::Lbs => 5.0,
    };
    (weight / step).round() * step
}

/// Generates user number `user_idx` (0-based) of the seed described by `config`.
pub fn generate_user(config: &SeedConfig, user_idx: u32, ids: &mut IdCounters) -> UserData {
    let mut rng = rng_for(config.seed, user_idx, 0);
    let user_id = i64::from(user_idx) + 1;
    let period_start = config.period_start();

    let &(zone_name, pounds_country) = TIME_ZONES.choose(&mut rng).expect("time zones exist");
    let zone: UserTimeZone = zone_name.parse().expect("catalogue zones are IANA names");
    let unit = if rng.random_bool(if pounds_country { 0.75 } else { 0.1 }) {
        WeightUnit::Lbs
    } else {
        WeightUnit::Kg
    };
    let split = SPLITS.choose(&mut rng).expect("splits exist");
    let experience: f64 = rng.random_range(0.0..1.0);
    let lifter = Lifter {
        unit,
        strength: 0.6 + experience * 0.8,
        weekly_gain: 0.012 - experience * 0.009,
        sessions_per_week: (split.sessions_per_week + u32::from(rng.random_bool(0.2)))
            .saturating_sub(u32::from(rng.random_bool(0.25))),
        logs_rpe: rng.random_bool(0.5),
        logs_rest: rng.random_bool(0.6),
        preferred_hour: *[6, 7, 12, 17, 18, 19].choose(&mut rng).expect("hours exist"),
    };

    // Users join over the first 60% of the period; a third were there from the start.
    let join_week =
        if rng.random_bool(0.35) { 0 } else { rng.random_range(0..=(config.weeks * 6 / 10)) };
    let join_date = period_start + Duration::weeks(i64::from(join_week));
    let joined_at = at_millis(local_to_utc(zone.tz(), join_date, 9, rng.random_range(0..60)));

    let user = user::Model {
        id: user_id,
        external_id: format!("user_{:016x}_{user_idx:06}", config.seed),
        email: format!("lifter{user_idx}@example.test"),
        display_name: Some(format!("Lifter {user_idx}")),
        timezone: zone.name().to_owned(),
        created_at: joined_at,
        updated_at: joined_at,
    };
    // Drawn in this order so that a given seed keeps generating the same data.
    let progression_type = *["linear", "percentage", "adaptive"].choose(&mut rng).expect("exists");
    let warmup_strategy =
        *["history", "percentage", "fixed", "none"].choose(&mut rng).expect("exists");
    let warmup: &[i32] =
        [&[40, 60, 80][..], &[50, 70, 85], &[40, 55, 70, 85]].choose(&mut rng).expect("exists");
    let mut preferences = user_preference::Model {
        id: user_id,
        user_id,
        default_weight_unit: unit.as_str().to_owned(),
        progression_type: progression_type.to_owned(),
        linear_progression_kg: 2.5,
        percentage_progression: 2.5,
        target_workouts_per_week: f64::from(lifter.sessions_per_week.max(1)),
        warmup_strategy: warmup_strategy.to_owned(),
        warmup_sets_count: 3,
        warmup_percentages: format!(
            "[{}]",
            warmup.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
        ),
        warmup_reps_strategy: "match_working".to_owned(),
        warmup_fixed_reps: 5,
        predictive_defaults_enabled: rng.random_bool(0.3),
        right_swipe_action: "collapse_expand".to_owned(),
        enable_manual_wellness: rng.random_bool(0.2),
        bodyweight_kg: rng.random_bool(0.7).then(|| f64::from(rng.random_range(550..=1100)) / 10.0),
        enable_movement_pattern_sharing: false,
        enable_recovery_planner: false,
        recovery_planner_strategy: "adaptive".to_owned(),
        recovery_planner_sensitivity: 5,
        auto_adjust_intensity: true,
        // From the lifter's strength (no draw, so a seed's other data stay as they were).
        experience_level: match lifter.strength {
            s if s < 0.85 => "beginner",
            s if s < 1.15 => "intermediate",
            _ => "advanced",
        }
        .to_owned(),
        bodyweight_source: None,
        created_at: joined_at,
        updated_at: joined_at,
    };
    preferences.bodyweight_source = preferences.bodyweight_kg.map(|_| "manual".to_owned());

    // Each lifter spells each exercise their own way, and may respell it when templates change.
    let mut spelling: Vec<usize> =
        EXERCISES.iter().map(|it| rng.random_range(0..it.variants.len())).collect();
    let mut lifts: Vec<Lift> = EXERCISES
        .iter()
        .map(|it| Lift {
            e1rm_kg: it.base_e1rm_kg * lifter.strength * rng.random_range(0.85..1.15),
            weeks_trained: 0,
            plateau_weeks_left: 0,
            target_reps: match it.kind {
                Kind::Compound => *[3, 5, 5, 6, 8].choose(&mut rng).expect("exists"),
                Kind::Accessory => *[8, 10, 12, 15].choose(&mut rng).expect("exists"),
            },
        })
        .collect();

    // Master exercises for most of the lifts this lifter's split uses.
    let used: Vec<usize> = {
        let mut used: Vec<usize> =
            split.days.iter().flat_map(|d| d.exercises.iter().map(|n| exercise(n))).collect();
        used.sort_unstable();
        used.dedup();
        used
    };
    let mut master_exercises = Vec::new();
    let mut master_of = vec![None; EXERCISES.len()];
    for &idx in &used {
        if rng.random_bool(0.8) {
            let id = next(&mut ids.master_exercise);
            let name = EXERCISES[idx].name;
            master_exercises.push(master_exercise::Model {
                id,
                user_id,
                name: name.to_owned(),
                normalized_name: normalize_exercise_name(name),
                tags: rng
                    .random_bool(0.3)
                    .then(|| format!("{},strength", EXERCISES[idx].muscle_group)),
                muscle_group: Some(EXERCISES[idx].muscle_group.to_owned()),
                created_at: joined_at,
                updated_at: joined_at,
            });
            master_of[idx] = Some((id, name));
        }
    }

    // Templates: one per split day; half the lifters rewrite them part-way, renaming exercises.
    let n_exercises: Vec<usize> =
        split.days.iter().map(|d| rng.random_range(4..=d.exercises.len().min(8))).collect();
    let revision_week = rng
        .random_bool(0.5)
        .then(|| join_week + (config.weeks - join_week) * rng.random_range(35..=70) / 100)
        .filter(|&w| w > join_week);
    let mut templates = Vec::new();
    let mut template_exercises = Vec::new();
    let mut exercise_links = Vec::new();
    let mut resolution_cache = Vec::new();
    let mut versions: Vec<Vec<(i64, Vec<PlannedExercise>)>> = Vec::new();
    for version in 0..=usize::from(revision_week.is_some()) {
        let created_at = if version == 0 {
            joined_at
        } else {
            let week = revision_week.expect("a second version has a revision week");
            at_millis(local_to_utc(
                zone.tz(),
                period_start + Duration::weeks(i64::from(week)),
                8,
                0,
            ))
        };
        if version > 0 {
            for (idx, it) in spelling.iter_mut().enumerate() {
                if rng.random_bool(0.3) {
                    *it = rng.random_range(0..EXERCISES[idx].variants.len());
                }
            }
        }
        let mut days = Vec::new();
        for (day_idx, day) in split.days.iter().enumerate() {
            let template_id = next(&mut ids.template);
            let base_name =
                day.names[usize::from(rng.random_bool(0.4)) * rng.random_range(1..day.names.len())];
            templates.push(workout_template::Model {
                id: template_id,
                user_id,
                name: if version == 0 { base_name.to_owned() } else { format!("{base_name} v2") },
                dedupe_key: rng.random_bool(0.7).then(|| crate::rng::uuid(&mut rng)),
                warmup_config: None,
                created_at,
                updated_at: created_at,
            });
            let mut planned = Vec::new();
            for (order, &name) in day.exercises.iter().take(n_exercises[day_idx]).enumerate() {
                let catalog_idx = exercise(name);
                let typed = EXERCISES[catalog_idx].variants[spelling[catalog_idx]].to_owned();
                let te_id = next(&mut ids.template_exercise);
                let linked = master_of[catalog_idx].filter(|_| rng.random_bool(0.85));
                template_exercises.push(template_exercise::Model {
                    id: te_id,
                    user_id,
                    template_id,
                    exercise_name: typed.clone(),
                    order_index: i32::try_from(order).unwrap_or(i32::MAX),
                    linking_rejected: linked.is_none() && rng.random_bool(0.15),
                    created_at,
                });
                if let Some((master_id, _)) = linked {
                    exercise_links.push(exercise_link::Model {
                        id: next(&mut ids.exercise_link),
                        user_id,
                        template_exercise_id: te_id,
                        master_exercise_id: master_id,
                        created_at,
                    });
                }
                let resolved_name =
                    linked.map_or_else(|| typed.clone(), |(_, master)| master.to_owned());
                resolution_cache.push(exercise_resolution_cache::Model {
                    template_exercise_id: te_id,
                    user_id,
                    master_exercise_id: linked.map(|(master_id, _)| master_id),
                    resolved_name: resolved_name.clone(),
                });
                planned.push(PlannedExercise {
                    template_exercise_id: te_id,
                    catalog_idx,
                    resolved_name,
                    name: typed,
                });
            }
            days.push((template_id, planned));
        }
        versions.push(days);
    }

    // Sessions, week by week.
    let mut sessions = Vec::new();
    let mut set_lines = Vec::new();
    let mut rotation = 0usize;
    let mut weeks_since_deload = 0u32;
    let deload_every = rng.random_range(6..=9);
    let mut break_weeks_left = 0u32;
    for week in join_week..config.weeks {
        let week_start = period_start + Duration::weeks(i64::from(week));
        if break_weeks_left > 0 {
            break_weeks_left -= 1;
            continue;
        }
        if rng.random_bool(0.07) {
            // A skipped week, now and then a longer break (holiday, illness).
            break_weeks_left = if rng.random_bool(0.2) { rng.random_range(1..=3) } else { 0 };
            continue;
        }
        let deload = weeks_since_deload >= deload_every;
        weeks_since_deload = if deload { 0 } else { weeks_since_deload + 1 };
        let version = usize::from(revision_week.is_some_and(|w| week >= w));
        let days = &versions[version];
        let n_sessions = match rng.random_range(0..10) {
            0 => lifter.sessions_per_week.saturating_sub(1),
            1 => lifter.sessions_per_week + 1,
            _ => lifter.sessions_per_week,
        }
        .clamp(1, 6);
        let mut weekdays: Vec<i64> = (0..7).collect();
        let mut chosen: Vec<i64> = Vec::new();
        for _ in 0..n_sessions {
            let pick = rng.random_range(0..weekdays.len());
            chosen.push(weekdays.swap_remove(pick));
        }
        chosen.sort_unstable();
        for weekday in chosen {
            let date = week_start + Duration::days(weekday);
            if date > config.end_date {
                break;
            }
            let hour = lifter.preferred_hour + rng.random_range(0..2);
            let workout_date =
                at_millis(local_to_utc(zone.tz(), date, hour, rng.random_range(0..60)));
            let session_id = next(&mut ids.session);
            let freestyle = rng.random_bool(0.04);
            let (template_id, planned): (Option<i64>, Vec<PlannedExercise>) = if freestyle {
                let n = rng.random_range(3..=5);
                let picks = used.choose_multiple(&mut rng, n).copied().collect::<Vec<_>>();
                let planned = picks
                    .into_iter()
                    .map(|idx| {
                        let name = EXERCISES[idx].variants[spelling[idx]].to_owned();
                        PlannedExercise {
                            template_exercise_id: 0,
                            catalog_idx: idx,
                            resolved_name: name.clone(),
                            name,
                        }
                    })
                    .collect();
                (None, planned)
            } else {
                let (template_id, planned) = &days[rotation % days.len()];
                rotation += 1;
                (Some(*template_id), planned.clone())
            };
            sessions.push(workout_session::Model {
                id: session_id,
                user_id,
                template_id,
                workout_date,
                local_date: local_date(workout_date, zone),
                created_at: workout_date,
                updated_at: workout_date + Duration::minutes(rng.random_range(40..100)),
            });
            for it in &planned {
                if rng.random_bool(0.06) {
                    continue; // skipped this exercise today
                }
                let lines = set_lines_for(
                    &mut rng,
                    &lifter,
                    &lifts[it.catalog_idx],
                    EXERCISES[it.catalog_idx].kind,
                    deload,
                );
                for (set_order, line) in lines.into_iter().enumerate() {
                    let derived =
                        DerivedSet::compute(line.weight, lifter.unit, line.reps, Some(line.sets));
                    set_lines.push(session_exercise::Model {
                        id: next(&mut ids.set_line),
                        user_id,
                        session_id,
                        template_exercise_id: (it.template_exercise_id != 0)
                            .then_some(it.template_exercise_id),
                        exercise_name: it.name.clone(),
                        resolved_exercise_name: it.resolved_name.clone(),
                        set_order: i32::try_from(set_order).unwrap_or(i32::MAX),
                        set_type: line.set_type.as_str().to_owned(),
                        weight: line.weight,
                        unit: lifter.unit.as_str().to_owned(),
                        weight_kg: derived.weight_kg,
                        reps: line.reps,
                        sets: line.sets,
                        rpe: line.rpe,
                        rest_seconds: line.rest_seconds,
                        is_estimate: rng.random_bool(0.02),
                        is_default_applied: rng.random_bool(0.15),
                        one_rm_estimate: derived.one_rm_estimate,
                        volume_load: derived.volume_load,
                        created_at: workout_date
                            + Duration::minutes(i64::try_from(set_order).unwrap_or(0) * 3),
                    });
                }
            }
        }
        if !deload {
            progress(&mut rng, &mut lifts, lifter.weekly_gain);
        }
    }

    let whoop = if rng.random_bool(0.5) {
        whoop::generate(
            &mut rng_for(config.seed, user_idx, 1),
            user_id,
            zone,
            join_date,
            config.end_date,
            &sessions,
            &mut ids.whoop,
        )
    } else {
        WhoopData::default()
    };

    let warmup_percentages = (0..)
        .zip(warmup)
        .map(|(position, &percent)| user_warmup_percentage::Model { user_id, position, percent })
        .collect();
    UserData {
        user,
        preferences,
        warmup_percentages,
        templates,
        template_exercises,
        master_exercises,
        exercise_links,
        resolution_cache,
        sessions,
        set_lines,
        whoop,
    }
}

/// One week of training: every lift gains a little, unless it is on a plateau.
fn progress(rng: &mut ChaCha8Rng, lifts: &mut [Lift], weekly_gain: f64) {
    for lift in lifts {
        if lift.plateau_weeks_left > 0 {
            lift.plateau_weeks_left -= 1;
            continue;
        }
        if rng.random_bool(0.06) {
            lift.plateau_weeks_left = rng.random_range(3..=8);
            continue;
        }
        lift.weeks_trained += 1;
        // Gains slow down the longer someone trains.
        let gain = weekly_gain / (1.0 + f64::from(lift.weeks_trained) / 52.0);
        lift.e1rm_kg *= 1.0 + gain * rng.random_range(0.3..1.7);
    }
}

#[derive(Debug)]
struct Line {
    set_type: SetType,
    weight: Option<f64>,
    reps: Option<i32>,
    sets: i32,
    rpe: Option<f64>,
    rest_seconds: Option<i32>,
}

/// The set lines for one exercise in one session: warm-ups, working sets, sometimes a drop set.
fn set_lines_for(
    rng: &mut ChaCha8Rng,
    lifter: &Lifter,
    lift: &Lift,
    kind: Kind,
    deload: bool,
) -> Vec<Line> {
    let unit = lifter.unit;
    let reps = lift.target_reps;
    let factor = e1rm_kg(1.0, reps).unwrap_or(1.0);
    let intensity = rng.random_range(0.9..1.0) * if deload { 0.7 } else { 1.0 };
    let working_kg = lift.e1rm_kg / factor * intensity;
    let working = loadable(unit.from_kg(working_kg), unit);
    let rest = |rng: &mut ChaCha8Rng, base: i32| {
        lifter.logs_rest.then(|| base + 15 * rng.random_range(0..5))
    };
    let mut lines = Vec::new();

    let n_warmups = match kind {
        Kind::Compound => rng.random_range(0..=3),
        Kind::Accessory => usize::from(rng.random_bool(0.2)),
    };
    for (pct, warm_reps) in [(0.8, 3), (0.6, 5), (0.4, 8)].into_iter().take(n_warmups).rev() {
        lines.push(Line {
            set_type: SetType::Warmup,
            weight: Some(loadable(working * pct, unit)),
            reps: Some(warm_reps),
            sets: 1,
            rpe: None,
            rest_seconds: rest(rng, 60),
        });
    }

    let n_working = rng.random_range(3..=5) - i32::from(deload);
    let rest_base = if kind == Kind::Compound { 150 } else { 60 };
    if rng.random_bool(0.05) {
        // The "3 × 10 @ 100" shorthand: one line standing for several identical sets.
        lines.push(Line {
            set_type: SetType::Working,
            weight: Some(working),
            reps: Some(reps),
            sets: n_working,
            rpe: None,
            rest_seconds: rest(rng, rest_base),
        });
        return lines;
    }
    for set_idx in 0..n_working {
        let fatigue =
            if set_idx >= 2 && rng.random_bool(0.25) { rng.random_range(1..=2) } else { 0 };
        let last = set_idx == n_working - 1;
        let to_failure = last && !deload && rng.random_bool(0.03);
        lines.push(Line {
            set_type: if to_failure { SetType::Failure } else { SetType::Working },
            weight: Some(working),
            reps: Some((reps - fatigue + i32::from(to_failure)).max(1)),
            sets: 1,
            rpe: lifter.logs_rpe.then(|| {
                let raw = 7.0 + f64::from(set_idx) * 0.5 + rng.random_range(-0.5..1.0);
                ((raw * 2.0).round() / 2.0).clamp(6.0, 10.0)
            }),
            rest_seconds: rest(rng, rest_base),
        });
    }
    if kind == Kind::Accessory && !deload && rng.random_bool(0.05) {
        lines.push(Line {
            set_type: SetType::Drop,
            weight: Some(loadable(working * 0.7, unit)),
            reps: Some(reps + 4),
            sets: 1,
            rpe: None,
            rest_seconds: None,
        });
    }
    lines
}
