//! Every statement shape the services run, with sample parameters, for plan inspection.
//!
//! `cargo xtask indexes` runs `EXPLAIN` on each entry against a live database to learn which
//! indexes some service query uses. The SQL comes from the same constants and builders the
//! services execute, so the catalogue cannot drift from them.

use chrono::NaiveDate;
use sea_orm::{DbBackend, Statement, Value};

use crate::{analytics, exercises, progress, resolution, templates, users, workouts};

/// One statement shape, named after the service call that runs it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: &'static str,
    pub statement: Statement,
    /// A table of a later phase the statement needs; absent at earlier phases.
    pub requires_table: Option<&'static str>,
}

/// The catalogue for `backend`, with `user` and representative values bound.
pub fn catalogue(backend: DbBackend, user: i64) -> Vec<Entry> {
    let day =
        |d| NaiveDate::from_ymd_opt(2025, 11, d).map_or(Value::from(None::<String>), Value::from);
    let entry = |name, sql: String, values: Vec<Value>| {
        let requires_table = [
            "exercise_resolution_cache",
            "workout_client_keys",
            "user_daily_summary",
            "exercise_daily_summary",
            "exercise_weekly_summary",
            "exercise_trends",
            "user_warmup_percentages",
        ]
        .into_iter()
        .find(|table| sql.contains(table));
        Entry {
            name,
            statement: Statement::from_sql_and_values(backend, sql, values),
            requires_table,
        }
    };
    let range = vec![user.into(), day(1), day(25)];
    let four: Vec<Value> = (1..=4i64).map(Value::from).collect();
    let with_user = |rest: &[Value]| {
        std::iter::once(Value::from(user)).chain(rest.iter().cloned()).collect::<Vec<_>>()
    };
    let mut res = vec![
        entry("progress.dashboard (original: dates)", progress::original_sql().0, range.clone()),
        entry("progress.dashboard (original: totals)", progress::original_sql().1, range.clone()),
        entry("progress.dashboard (original: per exercise)", progress::original_sql().2, range),
        entry(
            "progress.dashboard (optimized)",
            progress::one_statement_sql().to_owned(),
            vec![user.into(), day(1), day(10), day(25)],
        ),
        entry(
            "progress.dashboard (summaries)",
            progress::summaries_sql().to_owned(),
            progress::summaries_values(
                crate::UserId(user),
                progress::Periods::new(
                    progress::TimeRange::Quarter,
                    NaiveDate::from_ymd_opt(2025, 11, 25).unwrap_or_default(),
                ),
            ),
        ),
        entry("preferences.get (json)", crate::preferences::SELECT.to_owned(), vec![user.into()]),
        entry(
            "preferences.get (columns)",
            crate::preferences::SELECT_COLUMNS.to_owned(),
            vec![user.into()],
        ),
        entry(
            "resolution.name_map (original)",
            resolution::resolve_joined_sql(4),
            with_user(&four),
        ),
        entry("resolution.name_map (optimized)", resolution::cache_lookup_sql(4), with_user(&four)),
        entry("resolution.refresh (cache)", resolution::refresh_cache_sql(4), with_user(&four)),
        entry("resolution.refresh (set lines)", resolution::refresh_lines_sql(4), with_user(&four)),
        entry(
            "workouts.save_workout (replay)",
            workouts::write::REPLAY.to_owned(),
            vec![user.into(), "key".into()],
        ),
        entry(
            "workouts.start (reuse empty)",
            workouts::write::REUSABLE_EMPTY.to_owned(),
            vec![user.into(), chrono::Utc::now().into(), 1i64.into()],
        ),
        entry("analytics.personal_records", analytics::personal_records_sql(), vec![user.into()]),
        entry(
            "analytics.strength_progression",
            analytics::STRENGTH_PROGRESSION.to_owned(),
            vec![user.into(), "Bench Press".into(), day(1), day(25)],
        ),
        entry(
            "analytics.top_exercises",
            analytics::TOP_EXERCISES.to_owned(),
            vec![user.into(), day(1), day(25), 10i64.into()],
        ),
        entry(
            "analytics.consistency (days)",
            analytics::WORKOUT_DAYS.to_owned(),
            vec![user.into()],
        ),
        entry(
            "analytics.personal_records (summaries)",
            analytics::PERSONAL_RECORDS_FROM_SUMMARIES.to_owned(),
            vec![user.into()],
        ),
        entry(
            "analytics.strength_progression (summaries)",
            analytics::STRENGTH_PROGRESSION_FROM_SUMMARIES.to_owned(),
            vec![user.into(), "Bench Press".into(), day(1), day(25)],
        ),
        entry(
            "analytics.top_exercises (summaries)",
            analytics::TOP_EXERCISES_FROM_SUMMARIES.to_owned(),
            vec![user.into(), day(1), day(25), 10i64.into()],
        ),
        entry(
            "analytics.consistency (days, summaries)",
            analytics::WORKOUT_DAYS_FROM_SUMMARIES.to_owned(),
            vec![user.into()],
        ),
        entry(
            "analytics.exercise_trends (summaries)",
            analytics::TRENDS_FROM_SUMMARIES.to_owned(),
            vec![user.into(), "Bench Press".into(), day(1), day(25)],
        ),
        entry(
            "analytics.consistency (target)",
            analytics::TARGET_PER_WEEK.to_owned(),
            vec![user.into()],
        ),
        entry("workouts.sets_for (batched)", workouts::read::sets_for_sql(4), with_user(&four)),
        entry(
            "templates.lines_for (batched)",
            templates::read::template_lines_for_sql(4),
            with_user(&four),
        ),
        entry(
            "exercises.linked_masters_for (batched)",
            exercises::read::linked_masters_for_sql(4),
            with_user(&four),
        ),
        entry(
            "exercises.lines_linked_to (batched)",
            exercises::read::lines_linked_to_sql(4),
            with_user(&four),
        ),
        entry(
            "templates.page (name, after)",
            templates::read::page_sql(templates::TemplateOrder::Name, Some(true)),
            vec![user.into(), "%push%".into(), "Push".into(), 1i64.into(), 21i64.into()],
        ),
        entry(
            "templates.page (newest)",
            templates::read::page_sql(templates::TemplateOrder::Newest, None),
            vec![user.into(), "%%".into(), 21i64.into()],
        ),
        entry(
            "templates.page (last used, after)",
            templates::read::page_sql(templates::TemplateOrder::LastUsed, Some(true)),
            vec![user.into(), "%%".into(), chrono::Utc::now().into(), 1i64.into(), 21i64.into()],
        ),
        entry(
            "templates.page (last used, after never used)",
            templates::read::page_sql(templates::TemplateOrder::LastUsed, Some(false)),
            vec![user.into(), "%%".into(), 1i64.into(), 21i64.into()],
        ),
        entry(
            "templates.page (most used)",
            templates::read::page_sql(templates::TemplateOrder::MostUsed, None),
            vec![user.into(), "%%".into(), 21i64.into()],
        ),
        entry(
            "analytics.linking_suggestions",
            analytics::SUGGESTION_CANDIDATES.to_owned(),
            vec![user.into(), false.into()],
        ),
    ];
    res.push(entry(
        "detail.exercise_lines",
        crate::detail::EXERCISE_LINES.to_owned(),
        vec![user.into(), "Bench Press".into(), day(25)],
    ));
    let pulse = vec![user.into(), day(1), day(10), day(25), 85.0.into()];
    res.push(entry("overview.strength_pulse", crate::overview::PULSE.to_owned(), pulse));
    res.push(entry(
        "overview.set_rep_distribution",
        crate::overview::LINE_SHAPES.to_owned(),
        vec![user.into(), day(1), day(25)],
    ));
    for (name, sql) in [
        ("overview.volume_by_day", crate::overview::VOLUME_DAYS),
        ("overview.volume_by_day (summaries)", crate::overview::VOLUME_DAYS_FROM_SUMMARIES),
    ] {
        res.push(entry(
            name,
            sql.to_owned(),
            vec![user.into(), day(1), day(25), day(20), 21i64.into()],
        ));
    }
    res.push(entry(
        "overview.exercise_list",
        crate::overview::EXERCISE_NAMES.to_owned(),
        vec![user.into()],
    ));
    for (name, sql) in [
        ("highlights.all_lines", crate::highlights::ALL_LINES),
        ("highlights.exercise_volumes", crate::highlights::EXERCISE_VOLUMES),
        (
            "highlights.exercise_volumes (summaries)",
            crate::highlights::EXERCISE_VOLUMES_FROM_SUMMARIES,
        ),
        ("highlights.period_workouts", crate::highlights::PERIOD_WORKOUTS),
    ] {
        let values = if name == "highlights.all_lines" {
            vec![user.into(), day(25)]
        } else {
            vec![user.into(), day(1), day(25)]
        };
        res.push(entry(name, sql.to_owned(), values));
    }
    let mut add = |name, sql: String, values: Vec<Value>| res.push(entry(name, sql, values));
    add("wellness.by_session", crate::wellness::BY_SESSION.to_owned(), with_user(&[1i64.into()]));
    add(
        "wellness.history",
        crate::wellness::HISTORY.to_owned(),
        vec![user.into(), day(1), day(25), day(25), i64::MAX.into(), 31i64.into()],
    );
    add(
        "wellness.stats",
        crate::wellness::STATS.to_owned(),
        vec![user.into(), day(1), day(1), day(25), day(19)],
    );
    add(
        "lifts.recent_workouts",
        crate::lifts::RECENT_LINES.to_owned(),
        vec![user.into(), "Bench Press".into(), 20i64.into()],
    );
    add(
        "lifts.key_lifts",
        crate::lifts::key_lifts_sql(),
        vec![user.into(), false.into(), i64::MAX.into(), 21i64.into()],
    );
    add("lifts.key_lift_counts", crate::lifts::KEY_LIFT_COUNTS.to_owned(), vec![user.into()]);
    add(
        "lifts.plateaus",
        crate::lifts::plateaus_page_sql(),
        vec![user.into(), "active".into(), i64::MAX.into(), 21i64.into()],
    );
    add(
        "lifts.milestones",
        crate::lifts::milestones_page_sql(Some(false)),
        vec![user.into(), i64::MAX.into(), 21i64.into()],
    );
    add("lifts.milestone_bests", crate::lifts::bests_sql(4), with_user(&four));
    add(
        "lifts.forecasts",
        crate::lifts::forecasts_page_sql(),
        vec![user.into(), i32::MAX.into(), i64::MAX.into(), 21i64.into()],
    );
    add(
        "lifts.after_save (milestones reached)",
        crate::lifts::candidates_sql(" AND se.session_id IN ($2, $3, $4, $5)", ""),
        with_user(&four),
    );
    add("lifts.after_save (tracked key lifts)", crate::lifts::tracked_in_sql(4), with_user(&four));
    add(
        "exports.page",
        crate::exports::PAGE.to_owned(),
        vec![
            user.into(),
            day(1),
            day(25),
            chrono::DateTime::from_timestamp(0, 0).unwrap_or_default().into(),
            0i64.into(),
            200i64.into(),
            String::new().into(),
        ],
    );
    for (name, sql) in users::STATEMENTS
        .iter()
        .chain(workouts::read::STATEMENTS)
        .chain(templates::read::STATEMENTS)
        .chain(exercises::read::STATEMENTS)
    {
        let values = match *name {
            "workouts.last_exercise_data (session)" => {
                vec![user.into(), "Bench Press".into(), 0i64.into()]
            }
            "workouts.last_exercise_data (sets)" => {
                vec![user.into(), 1i64.into(), "Bench Press".into()]
            }
            "exercises.unlinked" => vec![user.into(), false.into()],
            "workouts.by_id"
            | "exercises.master_by_id"
            | "templates.by_id"
            | "templates.exercises"
            | "exercises.linked_to" => {
                vec![user.into(), 1i64.into()]
            }
            "workouts.page" => {
                vec![
                    user.into(),
                    chrono::Utc::now().into(),
                    i64::MAX.into(),
                    21i64.into(),
                    false.into(),
                ]
            }
            "exercises.masters_page" => {
                vec![user.into(), "%bench%".into(), String::new().into(), 0i64.into(), 21i64.into()]
            }
            _ => vec![user.into()],
        };
        res.push(entry(name, (*sql).to_owned(), values));
    }
    res
}
