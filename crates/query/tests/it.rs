//! Query services on seeded data, on SQLite and PostgreSQL: the original and optimized paths
//! return identical results, match an independent in-memory computation, stay inside the
//! parameter limit and never cross users.

#![allow(clippy::unwrap_used, reason = "test helpers may panic")]
#![allow(clippy::cast_possible_wrap, reason = "counts in small fixtures fit in i64")]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use datagen::SeedConfig;
use db::{Metered, ParamLimit};
use domain::SetType;
use proptest::prelude::*;
use query::progress::{
    Dashboard, ExerciseSummary, PeriodTotals, Periods, Plan, TimeRange, dashboard, dashboard_by,
};
use query::resolution::load_resolved_exercise_name_map;
use query::{Db, Flags, QueryError, UserId};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use test_support::{TestDb, backend_tests};

const END: (i32, u32, u32) = (2025, 11, 25);

fn end_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(END.0, END.1, END.2).unwrap()
}

async fn seeded(conn: &DatabaseConnection, users: i64, weeks: i64) -> u32 {
    let config =
        SeedConfig::new(users, weeks, 42, end_date(), i64::from(migration::LATEST_PHASE), 100)
            .unwrap();
    datagen::write::prepare(conn, &config, false).await.unwrap();
    datagen::write::write_all(conn, &config, |_| {}).await.unwrap();
    migration::LATEST_PHASE
}

/// The same seed written at `phase` (0 is the original deployment's schema).
async fn seeded_at(conn: &DatabaseConnection, users: i64, weeks: i64, phase: u32) {
    let config = SeedConfig::new(users, weeks, 42, end_date(), i64::from(phase), 100).unwrap();
    datagen::write::prepare(conn, &config, false).await.unwrap();
    datagen::write::write_all(conn, &config, |_| {}).await.unwrap();
}

/// A second, empty database on the backend of `t`.
async fn twin(t: &TestDb) -> TestDb {
    match t.backend() {
        db::Backend::Sqlite => TestDb::sqlite().await,
        db::Backend::Postgres => {
            TestDb::postgres().await.expect("the server answered a moment ago")
        }
    }
}

fn services(conn: &DatabaseConnection, phase: u32) -> (Db, Db) {
    (
        Db::new(conn.clone(), phase, ParamLimit::D1, Flags::ORIGINAL).unwrap(),
        Db::new(conn.clone(), phase, ParamLimit::D1, Flags::OPTIMIZED).unwrap(),
    )
}

/// The dashboard computed in Rust from every row, independently of both SQL paths.
#[test]
fn periods_are_the_last_n_days_and_the_n_before() {
    // (range, current start, previous start) for today = 2025-11-25, as literal dates.
    let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
    let cases = [
        (TimeRange::Week, day(11, 19), day(11, 12)),
        (TimeRange::Month, day(10, 27), day(9, 27)),
        (TimeRange::Quarter, day(8, 28), day(5, 30)),
        (
            TimeRange::Year,
            NaiveDate::from_ymd_opt(2024, 11, 26).unwrap(),
            NaiveDate::from_ymd_opt(2023, 11, 27).unwrap(),
        ),
    ];
    for (range, current_start, previous_start) in cases {
        let periods = Periods::new(range, day(11, 25));
        assert_eq!(
            (periods.current_start, periods.previous_start, periods.today),
            (current_start, previous_start, day(11, 25)),
            "{range:?}"
        );
    }
}

async fn reference_dashboard(conn: &DatabaseConnection, user: i64, periods: Periods) -> Dashboard {
    let sessions: HashMap<i64, NaiveDate> = entity::workout_session::Entity::find()
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.user_id == user)
        .map(|s| (s.id, s.local_date))
        .collect();
    let rows: Vec<_> = entity::session_exercise::Entity::find()
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.user_id == user && r.set_type.parse::<SetType>().unwrap().counts_in_aggregates()
        })
        .collect();
    let totals = |from: NaiveDate, to: NaiveDate| {
        let in_range: Vec<_> =
            rows.iter().filter(|r| (from..=to).contains(&sessions[&r.session_id])).collect();
        PeriodTotals {
            session_count: in_range.iter().map(|r| r.session_id).collect::<BTreeSet<_>>().len()
                as i64,
            total_volume: round(in_range.iter().map(|r| r.volume_load).sum()),
            total_sets: in_range.iter().map(|r| i64::from(r.sets)).sum(),
            total_reps: in_range.iter().map(|r| i64::from(r.reps.unwrap_or(0) * r.sets)).sum(),
            max_one_rm: in_range.iter().filter_map(|r| r.one_rm_estimate).reduce(f64::max),
            exercise_count: in_range
                .iter()
                .map(|r| &r.resolved_exercise_name)
                .collect::<BTreeSet<_>>()
                .len() as i64,
        }
    };
    let current: Vec<_> = rows
        .iter()
        .filter(|r| (periods.current_start..=periods.today).contains(&sessions[&r.session_id]))
        .collect();
    let mut by_name: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for r in &current {
        by_name.entry(&r.resolved_exercise_name).or_default().push(*r);
    }
    Dashboard {
        current: totals(periods.current_start, periods.today),
        previous: totals(periods.previous_start, periods.current_start - Duration::days(1)),
        workout_dates: current
            .iter()
            .map(|r| sessions[&r.session_id])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        exercises: by_name
            .into_iter()
            .map(|(name, rs)| ExerciseSummary {
                name: name.to_owned(),
                session_count: rs.iter().map(|r| r.session_id).collect::<BTreeSet<_>>().len()
                    as i64,
                volume: round(rs.iter().map(|r| r.volume_load).sum()),
                max_weight: rs.iter().filter_map(|r| r.weight_kg).reduce(f64::max),
                max_one_rm: rs.iter().filter_map(|r| r.one_rm_estimate).reduce(f64::max),
            })
            .collect(),
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

backend_tests! {
    async fn dashboard_paths_agree_with_each_other_and_with_the_rows(t: &TestDb) {
        let phase = seeded(&t.db, 5, 30).await;
        let (original, optimized) = services(&t.db, phase);
        let mut n_nonempty = 0;
        for user in 1..=5 {
            for range in TimeRange::ALL {
                for today in [end_date(), end_date() - Duration::days(40)] {
                    let a = dashboard(&original, UserId(user), range, today).await.unwrap();
                    let b = dashboard(&optimized, UserId(user), range, today).await.unwrap();
                    assert_eq!(a, b, "user {user}, {range:?}, today {today}");
                    let expected = reference_dashboard(&t.db, user, Periods::new(range, today)).await;
                    assert_eq!(a, expected, "user {user}, {range:?}, today {today}");
                    // Every plan the benches split the gain by answers the same.
                    for plan in Plan::RAW.into_iter().chain([Plan::Summaries]) {
                        let c = dashboard_by(&optimized, plan, UserId(user), range, today).await.unwrap();
                        assert_eq!(c, expected, "{plan:?}: user {user}, {range:?}, today {today}");
                    }
                    n_nonempty += usize::from(a.current.session_count > 0);
                }
            }
        }
        assert!(n_nonempty > 20, "the fixture should have busy periods, got {n_nonempty}");
    }

    async fn the_original_on_its_own_schema_answers_as_the_optimized_on_the_latest(t: &TestDb) {
        // The rollout compares exactly these two: the original deployment (phase-0 schema,
        // original paths) and the latest one, holding the same seed.
        seeded_at(&t.db, 4, 12, 0).await;
        let latest = twin(t).await;
        seeded_at(&latest.db, 4, 12, migration::LATEST_PHASE).await;
        let original = Db::new(t.db.clone(), 0, ParamLimit::D1, Flags::ORIGINAL).unwrap();
        let optimized = Db::new(latest.db.clone(), migration::LATEST_PHASE, ParamLimit::D1, Flags::OPTIMIZED).unwrap();
        let all = entity::template_exercise::Entity::find().all(&t.db).await.unwrap();
        let mut n_nonempty = 0;
        for user in 1..=4 {
            for range in TimeRange::ALL {
                for today in [end_date(), end_date() - Duration::days(40)] {
                    let a = dashboard(&original, UserId(user), range, today).await.unwrap();
                    let b = dashboard(&optimized, UserId(user), range, today).await.unwrap();
                    assert_eq!(a, b, "user {user}, {range:?}, today {today}");
                    n_nonempty += usize::from(a.current.session_count > 0);
                }
            }
            let ids: Vec<i64> = all.iter().map(|it| it.id).collect();
            let a = load_resolved_exercise_name_map(&original, &t.db, UserId(user), &ids).await.unwrap();
            let b = load_resolved_exercise_name_map(&optimized, &latest.db, UserId(user), &ids).await.unwrap();
            assert!(!a.is_empty());
            assert_eq!(a, b, "user {user}");
            assert_eq!(
                query::analytics::personal_records(&original, UserId(user)).await.unwrap(),
                query::analytics::personal_records(&optimized, UserId(user)).await.unwrap(),
                "user {user}"
            );
        }
        assert!(n_nonempty > 10, "the fixture should have busy periods, got {n_nonempty}");
    }

    async fn dashboard_of_a_user_without_workouts_is_empty(t: &TestDb) {
        let phase = seeded(&t.db, 2, 4).await;
        let (original, optimized) = services(&t.db, phase);
        for db in [&original, &optimized] {
            let res = dashboard(db, UserId(999), TimeRange::Month, end_date()).await.unwrap();
            assert_eq!(res.current, PeriodTotals::default());
            assert!(res.workout_dates.is_empty() && res.exercises.is_empty());
        }
    }

    async fn name_map_paths_agree_and_never_cross_users(t: &TestDb) {
        let phase = seeded(&t.db, 4, 6).await;
        let (original, optimized) = services(&t.db, phase);
        let all = entity::template_exercise::Entity::find().all(&t.db).await.unwrap();
        let links: BTreeMap<i64, i64> = entity::exercise_link::Entity::find().all(&t.db).await.unwrap().into_iter().map(|l| (l.template_exercise_id, l.master_exercise_id)).collect();
        let masters: BTreeMap<i64, entity::master_exercise::Model> = entity::master_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().map(|m| (m.id, m)).collect();
        assert!(!links.is_empty(), "the fixture links some template exercises");
        for user in 1..=4 {
            // Every template exercise id in the database, other users' included, plus unknown ids.
            let mut ids: Vec<i64> = all.iter().map(|it| it.id).collect();
            ids.extend([0, -5, 1_000_000]);
            let a = load_resolved_exercise_name_map(&original, &t.db, UserId(user), &ids).await.unwrap();
            let b = load_resolved_exercise_name_map(&optimized, &t.db, UserId(user), &ids).await.unwrap();
            assert_eq!(a, b, "user {user}");
            let own: BTreeSet<i64> = all.iter().filter(|it| it.user_id == user).map(|it| it.id).collect();
            assert_eq!(a.keys().copied().collect::<BTreeSet<_>>(), own, "user {user}");
            // Each value from the links and masters themselves: the linked master's name and id,
            // else the template exercise's own name.
            for te in all.iter().filter(|it| it.user_id == user) {
                let master = links.get(&te.id).map(|m| &masters[m]);
                let expected = (master.map_or(te.exercise_name.clone(), |m| m.name.clone()), master.map(|m| m.id));
                let got = &a[&te.id];
                assert_eq!((got.name.clone(), got.master_exercise_id), expected, "template exercise {}", te.id);
            }
        }
    }

    async fn preference_reads_from_columns_equal_reads_from_json(t: &TestDb) {
        use query::preferences::{PreferencesPatch, get, update};
        let phase = seeded(&t.db, 3, 2).await;
        let (original, optimized) = services(&t.db, phase);
        // User 3 never saved preferences.
        t.db.execute_unprepared("DELETE FROM user_warmup_percentages WHERE user_id = 3").await.unwrap();
        t.db.execute_unprepared("DELETE FROM user_preferences WHERE user_id = 3").await.unwrap();
        let both = |user: i64| {
            let (original, optimized) = (&original, &optimized);
            async move {
                let a = get(original, UserId(user)).await.unwrap();
                assert_eq!(get(optimized, UserId(user)).await.unwrap(), a, "user {user}");
                a
            }
        };
        for user in 1..=3 {
            both(user).await;
        }
        assert_eq!(both(3).await.warmup_percentages, [40, 60, 80], "the defaults");
        let now = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        // A first save of another field stores the default list too.
        let sets = PreferencesPatch { warmup_sets_count: Some(4), ..PreferencesPatch::default() };
        update(&optimized, UserId(3), &sets, now).await.unwrap();
        assert_eq!(both(3).await.warmup_percentages, [40, 60, 80]);
        for (user, list) in [(1, vec![30, 50, 70, 90]), (2, vec![]), (3, vec![45])] {
            let patch = PreferencesPatch { warmup_percentages: Some(list.clone()), ..PreferencesPatch::default() };
            let written = update(&optimized, UserId(user), &patch, now).await.unwrap();
            assert_eq!(written.warmup_percentages, list);
            assert_eq!(both(user).await, written, "user {user}");
            // Another field's update keeps the list.
            update(&optimized, UserId(user), &sets, now).await.unwrap();
            assert_eq!(both(user).await.warmup_percentages, list, "user {user}");
        }
        for db in [&original, &optimized] {
            assert!(matches!(get(db, UserId(999)).await, Err(QueryError::NotFound { .. })));
        }
    }

    async fn an_empty_id_list_runs_no_statement(t: &TestDb) {
        let phase = seeded(&t.db, 1, 2).await;
        let (original, optimized) = services(&t.db, phase);
        for db in [&original, &optimized] {
            let metered = Metered::new(t.db.clone());
            let res = load_resolved_exercise_name_map(db, &metered, UserId(1), &[]).await.unwrap();
            assert!(res.is_empty());
            assert_eq!(metered.meter().statements, 0);
        }
    }
}

/// Resolution of `te` on both paths, and the distinct names its set lines carry.
async fn names_of(t: &TestDb, dbs: &(Db, Db), user: i64, te: i64) -> (String, String, Vec<String>) {
    let a = load_resolved_exercise_name_map(&dbs.0, &t.db, UserId(user), &[te]).await.unwrap();
    let b = load_resolved_exercise_name_map(&dbs.1, &t.db, UserId(user), &[te]).await.unwrap();
    let lines: BTreeSet<String> = entity::session_exercise::Entity::find()
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|it| it.template_exercise_id == Some(te))
        .map(|it| it.resolved_exercise_name)
        .collect();
    (a[&te].name.clone(), b[&te].name.clone(), lines.into_iter().collect())
}

backend_tests! {
    async fn link_unlink_merge_and_rename_keep_every_name_fresh(t: &TestDb) {
        use query::exercises::{link, merge, rename_master, unlink};
        let phase = seeded(&t.db, 2, 8).await;
        let dbs = services(&t.db, phase);
        let tes = entity::template_exercise::Entity::find().all(&t.db).await.unwrap();
        let masters = entity::master_exercise::Entity::find().all(&t.db).await.unwrap();
        let lines = entity::session_exercise::Entity::find().all(&t.db).await.unwrap();
        let te = tes.iter().find(|it| it.user_id == 1 && lines.iter().any(|l| l.template_exercise_id == Some(it.id))).unwrap();
        let own: Vec<_> = masters.iter().filter(|it| it.user_id == 1).collect();
        let (m1, m2) = (own[0], own[1]);
        let expect = |name: &str| (name.to_owned(), name.to_owned(), vec![name.to_owned()]);

        link(&dbs.0, UserId(1), te.id, m1.id).await.unwrap();
        assert_eq!(names_of(t, &dbs, 1, te.id).await, expect(&m1.name));
        unlink(&dbs.1, UserId(1), te.id, false).await.unwrap();
        assert_eq!(names_of(t, &dbs, 1, te.id).await, expect(&te.exercise_name));
        link(&dbs.1, UserId(1), te.id, m1.id).await.unwrap();
        merge(&dbs.0, UserId(1), m1.id, m2.id).await.unwrap();
        assert_eq!(names_of(t, &dbs, 1, te.id).await, expect(&m2.name));
        rename_master(&dbs.1, UserId(1), m2.id, "  Renamed   Lift ").await.unwrap();
        assert_eq!(names_of(t, &dbs, 1, te.id).await, expect("Renamed   Lift"));

        // Another user's ids answer NOT_FOUND and change nothing.
        let before = datagen::inspect::content_checksum(&t.db).await.unwrap();
        let other_master = masters.iter().find(|it| it.user_id == 2).unwrap();
        for err in [
            link(&dbs.0, UserId(2), te.id, other_master.id).await.unwrap_err(),
            link(&dbs.0, UserId(1), te.id, other_master.id).await.unwrap_err(),
            unlink(&dbs.0, UserId(2), te.id, true).await.unwrap_err(),
            merge(&dbs.0, UserId(2), m2.id, other_master.id).await.unwrap_err(),
            rename_master(&dbs.0, UserId(2), m2.id, "Mine now").await.unwrap_err(),
        ] {
            assert!(matches!(err, QueryError::NotFound { .. }), "{err}");
        }
        let bad = rename_master(&dbs.0, UserId(1), m2.id, "   ").await.unwrap_err();
        assert_eq!(bad.to_string(), "invalid input: name: must be 1 to 100 characters after trimming");
        assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), before);
    }
}

#[tokio::test]
async fn the_cache_path_needs_phase_one() {
    let t = TestDb::sqlite().await;
    let err = Db::new(t.db.clone(), 0, ParamLimit::D1, Flags::OPTIMIZED).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not available: the exercise-resolution cache needs schema phase 1"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// For any input size, no statement of the name map binds more than the limit (counted at the
    /// connection) and the optimized path runs one statement per chunk.
    #[test]
    fn name_map_statements_stay_within_the_limit(n_ids in 0usize..10_000, limit in 10usize..=100) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let t = TestDb::sqlite().await;
            let phase = seeded(&t.db, 1, 1).await;
            let limit = ParamLimit::new(limit).unwrap();
            let db = Db::new(t.db.clone(), phase, limit, Flags::OPTIMIZED).unwrap();
            let ids: Vec<i64> = (0..i64::try_from(n_ids).unwrap()).collect();
            let metered = Metered::new(t.db.clone());
            load_resolved_exercise_name_map(&db, &metered, UserId(1), &ids).await.unwrap();
            let meter = metered.meter();
            assert!(meter.max_params <= limit.get(), "{meter:?}");
            // The user takes one parameter; each statement carries at most limit - 1 ids.
            assert_eq!(meter.statements, n_ids.div_ceil(limit.get() - 1));
            // The original's pattern: one joined statement per 70 ids (fewer under a lower limit).
            let original = Db::new(t.db.clone(), phase, limit, Flags::ORIGINAL).unwrap();
            let metered = Metered::new(t.db.clone());
            load_resolved_exercise_name_map(&original, &metered, UserId(1), &ids).await.unwrap();
            let meter = metered.meter();
            assert!(meter.max_params <= limit.get(), "{meter:?}");
            assert_eq!(meter.statements, n_ids.div_ceil((limit.get() - 1).min(70)));
        });
    }
}

mod writes {
    use chrono::{TimeZone, Utc};
    use domain::{KG_PER_LB, SetType, WeightUnit};
    use query::templates::{self, LineInput};
    use query::templates::{template_exercises, templates_page};
    use query::workouts::{self, ExerciseInput, SetInput, SetUpdate};
    use query::workouts::{last_exercise_data, workout, workouts_page};
    use sea_orm::EntityTrait;

    use super::*;

    fn set(set_type: SetType, weight: f64, unit: WeightUnit, reps: i32) -> SetInput {
        SetInput {
            set_type,
            weight: Some(weight),
            unit,
            reps: Some(reps),
            sets: None,
            rpe: None,
            rest_seconds: None,
            is_estimate: false,
            is_default_applied: false,
        }
    }

    backend_tests! {
        async fn a_saved_session_stores_derived_columns_and_resolved_names(t: &TestDb) {
            let phase = seeded(&t.db, 2, 2).await;
            let dbs = services(&t.db, phase);
            let now = Utc.with_ymd_and_hms(2025, 11, 25, 18, 0, 0).unwrap();
            for db in [&dbs.0, &dbs.1] {
                let template = templates::create(db, UserId(1), " Push Day ", Some("key-1"), &["Bench Press".to_owned(), "OHP".to_owned()], now).await.unwrap();
                // Replaying the same dedupe key creates nothing new.
                let replay = templates::create(db, UserId(1), "Push Day", Some("key-1"), &["Other".to_owned()], now).await.unwrap();
                assert_eq!(template, replay);
                let lines = template_exercises(db, UserId(1), template).await.unwrap();
                let (session, _) = workouts::start(db, UserId(1), &workouts::StartInput { template_id: Some(template), workout_date: now, copy_from: None }, now).await.unwrap();
                let exercises = vec![
                    ExerciseInput {
                        template_exercise_id: Some(lines[0].id),
                        exercise_name: "Bench Press".to_owned(),
                        sets: vec![set(SetType::Warmup, 135.0, WeightUnit::Lbs, 5), set(SetType::Working, 225.0, WeightUnit::Lbs, 5)],
                    },
                    ExerciseInput { template_exercise_id: None, exercise_name: "  Curl ".to_owned(), sets: vec![set(SetType::Working, 20.0, WeightUnit::Kg, 12)] },
                ];
                assert_eq!(workouts::save(db, UserId(1), session.id, &exercises, now).await.unwrap(), 3);
                let stored: Vec<_> = entity::session_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().filter(|it| it.session_id == session.id).collect();
                let top = stored.iter().find(|it| it.set_type == "working" && it.unit == "lbs").unwrap();
                assert!((top.weight_kg.unwrap() - 225.0 * KG_PER_LB).abs() < 1e-9);
                assert!((top.volume_load - 5.0 * 225.0 * KG_PER_LB).abs() < 1e-9);
                assert_eq!(top.resolved_exercise_name, "Bench Press");
                assert_eq!(stored.iter().find(|it| it.unit == "kg").unwrap().exercise_name, "Curl");
                let last = last_exercise_data(db, UserId(1), "Bench Press", None, None).await.unwrap().unwrap();
                assert_eq!((last.workout.id, last.sets.len()), (session.id, 2));
                assert!((last.best_set().unwrap().weight_kg.unwrap() - 225.0 * KG_PER_LB).abs() < 1e-9, "the warm-up is never the best set");
                let by_line = last_exercise_data(db, UserId(1), "ignored", Some(lines[0].id), None).await.unwrap().unwrap();
                assert_eq!(by_line, last);
                let before = last_exercise_data(db, UserId(1), "Bench Press", None, Some(session.id)).await.unwrap();
                assert!(before.is_none_or(|it| it.workout.id != session.id));
                assert_eq!(workout(db, UserId(1), session.id).await.unwrap(), session);
                assert_eq!(workouts_page(db, UserId(1), None, 20, false).await.unwrap()[0].id, session.id);

                // Editing a set re-derives its canonical columns.
                workouts::update_sets(db, UserId(1), &[SetUpdate { id: top.id, weight: Some(100.0), unit: WeightUnit::Kg, reps: Some(3) }], chrono::Utc::now()).await.unwrap();
                let edited = entity::session_exercise::Entity::find_by_id(top.id).one(&t.db).await.unwrap().unwrap();
                assert_eq!((edited.weight_kg, edited.volume_load), (Some(100.0), 300.0));
                assert!((edited.one_rm_estimate.unwrap() - 100.0 * 36.0 / 34.0).abs() < 1e-9);

                // Renaming a kept template line keeps its id and its history's link.
                templates::update(db, UserId(1), template, "Push", &[LineInput { id: Some(lines[0].id), exercise_name: "Bench Press".to_owned(), warmup_strategy: None }], now).await.unwrap();
                let after = template_exercises(db, UserId(1), template).await.unwrap();
                assert_eq!(after.iter().map(|it| it.id).collect::<Vec<_>>(), vec![lines[0].id]);
                assert!(templates_page(db, UserId(1), "", query::templates::TemplateOrder::Name, None, 100).await.unwrap().iter().any(|it| it.id == template && it.name == "Push"));

                workouts::delete(db, UserId(1), session.id).await.unwrap();
                assert!(matches!(workout(db, UserId(1), session.id).await.unwrap_err(), QueryError::NotFound { .. }));
                templates::delete(db, UserId(1), template).await.unwrap();
            }
        }

        async fn bad_or_foreign_writes_change_nothing(t: &TestDb) {
            let phase = seeded(&t.db, 2, 2).await;
            let (db, _) = services(&t.db, phase);
            let now = Utc.with_ymd_and_hms(2025, 11, 25, 18, 0, 0).unwrap();
            let before = datagen::inspect::content_checksum(&t.db).await.unwrap();
            let own_session = workouts_page(&db, UserId(1), None, 1, false).await.unwrap()[0].id;
            let foreign_session = workouts_page(&db, UserId(2), None, 1, false).await.unwrap()[0].id;
            let bad = vec![ExerciseInput {
                template_exercise_id: None,
                exercise_name: " ".to_owned(),
                sets: vec![SetInput { rpe: Some(11.0), sets: Some(0), ..set(SetType::Working, 2000.0, WeightUnit::Kg, 5) }],
            }];
            let err = workouts::save(&db, UserId(1), own_session, &bad, now).await.unwrap_err();
            assert_eq!(
                err.to_string(),
                "invalid input: exercises[0].exerciseName: must be 1 to 100 characters after trimming; \
                 exercises[0].sets[0].weight: must be between 0 and 1000; exercises[0].sets[0].sets: must be between 1 and 100; \
                 exercises[0].sets[0].rpe: must be between 1 and 10"
            );
            let fine = vec![ExerciseInput { template_exercise_id: None, exercise_name: "Squat".to_owned(), sets: vec![set(SetType::Working, 100.0, WeightUnit::Kg, 5)] }];
            assert!(matches!(workouts::save(&db, UserId(1), foreign_session, &fine, now).await.unwrap_err(), QueryError::NotFound { .. }));
            let foreign_line = entity::template_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().find(|it| it.user_id == 2).unwrap();
            let sneaky = vec![ExerciseInput { template_exercise_id: Some(foreign_line.id), ..fine[0].clone() }];
            assert!(matches!(workouts::save(&db, UserId(1), own_session, &sneaky, now).await.unwrap_err(), QueryError::NotFound { .. }));
            let too_late = now + chrono::Duration::days(2);
            assert!(matches!(workouts::start(&db, UserId(1), &workouts::StartInput { template_id: None, workout_date: too_late, copy_from: None }, now).await.unwrap_err(), QueryError::Invalid(_)));
            assert!(matches!(workouts::delete(&db, UserId(1), foreign_session).await.unwrap_err(), QueryError::NotFound { .. }));
            assert!(matches!(templates::delete(&db, UserId(1), 999_999).await.unwrap_err(), QueryError::NotFound { .. }));
            let foreign_set = entity::session_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().find(|it| it.user_id == 2).unwrap();
            let update = SetUpdate { id: foreign_set.id, weight: Some(1.0), unit: WeightUnit::Kg, reps: Some(1) };
            assert!(matches!(workouts::update_sets(&db, UserId(1), &[update], chrono::Utc::now()).await.unwrap_err(), QueryError::NotFound { .. }));
            assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), before, "a refused write changed data");
        }
    }
}

mod analytics {
    use query::analytics::{
        consistency_stats, linking_suggestions, personal_records, strength_progression,
        top_exercises,
    };
    use query::exercises::unlink;

    use super::*;

    /// Counted set lines of `user` with their local dates, read through the entities.
    async fn counted(
        conn: &DatabaseConnection,
        user: i64,
    ) -> Vec<(entity::session_exercise::Model, NaiveDate)> {
        let dates: HashMap<i64, NaiveDate> = entity::workout_session::Entity::find()
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.id, s.local_date))
            .collect();
        entity::session_exercise::Entity::find()
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.user_id == user && r.set_type != "warmup")
            .map(|r| {
                let d = dates[&r.session_id];
                (r, d)
            })
            .collect()
    }

    backend_tests! {
        async fn the_new_overview_reads_answer_alike_from_rows_and_summaries(t: &TestDb) {
            let phase = seeded(&t.db, 3, 20).await;
            let (raw, summaries) = services(&t.db, phase);
            let (from, to) = (end_date() - Duration::days(89), end_date());
            for user in 1..=3 {
                let user = UserId(user);
                let a = query::overview::volume_by_day(&raw, user, from, to, None, 1000).await.unwrap();
                assert!(!a.is_empty());
                assert_eq!(query::overview::volume_by_day(&summaries, user, from, to, None, 1000).await.unwrap(), a);
                // A keyset page starts strictly before its cursor.
                let page = query::overview::volume_by_day(&summaries, user, from, to, Some(a[1].local_date), 2).await.unwrap();
                assert_eq!(page, a[2..4.min(a.len())].to_vec());
                let names: Vec<String> = top_exercises(&raw, user, from, to, 10).await.unwrap().into_iter().map(|t| t.name).collect();
                let strength = query::analytics::strength_of(&raw, user, &names, from, to).await.unwrap();
                assert_eq!(query::analytics::strength_of(&summaries, user, &names, from, to).await.unwrap(), strength);
                assert!(strength.values().any(|s| s.trend.is_some()));
                assert_eq!(personal_records(&summaries, user).await.unwrap(), personal_records(&raw, user).await.unwrap());
                let volume = query::highlights::volume_highlights(&raw, user, from, to).await.unwrap();
                assert!(volume.top_exercise.is_some());
                assert_eq!(query::highlights::volume_highlights(&summaries, user, from, to).await.unwrap(), volume);
                let streaks = query::highlights::streak_highlights(&raw, user, from, to).await.unwrap();
                assert_eq!(query::highlights::streak_highlights(&summaries, user, from, to).await.unwrap(), streaks);
            }
        }

        async fn records_progression_and_rankings_match_the_rows(t: &TestDb) {
            let phase = seeded(&t.db, 3, 20).await;
            let (db, _) = services(&t.db, phase);
            for user in 1..=3 {
                let rows = counted(&t.db, user).await;
                let prs = personal_records(&db, UserId(user)).await.unwrap();
                assert!(!prs.is_empty());
                for pr in &prs {
                    let mine: Vec<_> = rows.iter().filter(|(r, _)| r.resolved_exercise_name == pr.name).collect();
                    let best = mine.iter().filter_map(|(r, _)| r.weight_kg).reduce(f64::max).unwrap();
                    let first = mine.iter().filter(|(r, _)| r.weight_kg == Some(best)).map(|(_, d)| *d).min().unwrap();
                    assert_eq!((pr.max_weight, pr.max_weight_date), (best, first), "{}", pr.name);
                    assert_eq!(pr.max_one_rm, mine.iter().filter_map(|(r, _)| r.one_rm_estimate).reduce(f64::max));
                    // The best day by summed volume, to the gram, and the first day it was reached.
                    let mut by_day: BTreeMap<NaiveDate, f64> = BTreeMap::new();
                    for (r, d) in &mine {
                        *by_day.entry(*d).or_default() += r.volume_load;
                    }
                    let grams = |x: f64| (x * 1000.0).round() / 1000.0;
                    let best_volume = by_day.values().map(|v| grams(*v)).filter(|v| *v > 0.0).reduce(f64::max);
                    let first_volume = by_day.iter().filter(|(_, v)| Some(grams(**v)) == best_volume).map(|(d, _)| *d).min();
                    assert_eq!((pr.max_volume, pr.max_volume_date), (best_volume, first_volume), "{}", pr.name);
                }
                let (from, to) = (end_date() - Duration::days(90), end_date());
                let top = top_exercises(&db, UserId(user), from, to, 5).await.unwrap();
                assert!(top.len() <= 5 && !top.is_empty());
                for pair in top.windows(2) {
                    assert!(pair[0].session_count >= pair[1].session_count);
                }
                let name = &top[0].name;
                let sessions: BTreeSet<i64> = rows
                    .iter()
                    .filter(|(r, d)| &r.resolved_exercise_name == name && (from..=to).contains(d))
                    .map(|(r, _)| r.session_id)
                    .collect();
                assert_eq!(top[0].session_count, sessions.len() as i64);
                let points = strength_progression(&db, UserId(user), name, from, to).await.unwrap();
                let days: BTreeSet<NaiveDate> = rows
                    .iter()
                    .filter(|(r, d)| &r.resolved_exercise_name == name && (from..=to).contains(d))
                    .map(|(_, d)| *d)
                    .collect();
                assert_eq!(points.iter().map(|p| p.local_date).collect::<BTreeSet<_>>(), days);
                // Each day's values from the rows: best e1RM, heaviest weight, summed volume.
                for point in &points {
                    let day: Vec<_> = rows.iter().filter(|(r, d)| &r.resolved_exercise_name == name && *d == point.local_date).map(|(r, _)| r).collect();
                    assert_eq!(point.max_one_rm, day.iter().filter_map(|r| r.one_rm_estimate).reduce(f64::max), "{}", point.local_date);
                    assert_eq!(point.top_weight, day.iter().filter_map(|r| r.weight_kg).reduce(f64::max), "{}", point.local_date);
                    let volume: f64 = day.iter().map(|r| r.volume_load).sum();
                    assert!((point.volume - volume).abs() < 1e-6 * volume.max(1.0), "{}: {} vs {volume}", point.local_date, point.volume);
                }
                let all_days: Vec<NaiveDate> = rows.iter().map(|(_, d)| *d).collect();
                let stats = consistency_stats(&db, UserId(user), end_date(), 28).await.unwrap();
                let target = entity::user_preference::Entity::find().all(&t.db).await.unwrap().into_iter().find(|p| p.user_id == user).unwrap().target_workouts_per_week;
                assert_eq!(stats, domain::consistency(&all_days, end_date(), 28, target));
            }
            assert!(matches!(consistency_stats(&db, UserId(99), end_date(), 28).await.unwrap_err(), QueryError::NotFound { .. }));
            assert!(personal_records(&db, UserId(99)).await.unwrap().is_empty());
        }

        async fn unlinked_variants_get_their_master_suggested(t: &TestDb) {
            let phase = seeded(&t.db, 2, 4).await;
            let (db, _) = services(&t.db, phase);
            let links = entity::exercise_link::Entity::find().all(&t.db).await.unwrap();
            let masters = entity::master_exercise::Entity::find().all(&t.db).await.unwrap();
            let link = links.iter().find(|l| l.user_id == 1).unwrap();
            let master = masters.iter().find(|m| m.id == link.master_exercise_id).unwrap();
            unlink(&db, UserId(1), link.template_exercise_id, false).await.unwrap();
            let suggestions = linking_suggestions(&db, UserId(1), 0.8).await.unwrap();
            let mine = suggestions.iter().find(|s| s.template_exercise_id == link.template_exercise_id).unwrap();
            assert!(mine.score >= 0.8, "{mine:?}");
            assert!(masters.iter().any(|m| m.id == mine.master_exercise_id && m.user_id == 1));
            assert!(domain::name_similarity(&mine.exercise_name, &master.name) <= mine.score + 1e-12);
            // Rejected lines get no suggestion.
            unlink(&db, UserId(1), link.template_exercise_id, true).await.unwrap();
            let after = linking_suggestions(&db, UserId(1), 0.8).await.unwrap();
            assert!(after.iter().all(|s| s.template_exercise_id != link.template_exercise_id));
            assert!(linking_suggestions(&db, UserId(2), 0.8).await.unwrap().iter().all(|s| masters.iter().any(|m| m.id == s.master_exercise_id && m.user_id == 2)));
        }
    }
}

mod batched_reads {
    use query::exercises::linked_masters_for;
    use query::templates::{template_exercises, template_lines_for, templates_page};
    use query::workouts::sets_for;

    use super::*;

    backend_tests! {
        async fn batched_reads_equal_per_parent_reads_and_fit_the_limit(t: &TestDb) {
            let phase = seeded(&t.db, 2, 6).await;
            let sessions = entity::workout_session::Entity::find().all(&t.db).await.unwrap();
            let all_lines = entity::session_exercise::Entity::find().all(&t.db).await.unwrap();
            let links = entity::exercise_link::Entity::find().all(&t.db).await.unwrap();
            for limit in [11, 100] {
                let limit = ParamLimit::new(limit).unwrap();
                let (conn, counter) = db::meter_connection(&t.db);
                let db = Db::new(conn, phase, limit, Flags::OPTIMIZED).unwrap();
                // Every workout of both users, asked by user 1: only user 1's lines come back.
                let ids: Vec<i64> = sessions.iter().map(|s| s.id).collect();
                counter.reset();
                let got = sets_for(&db, UserId(1), &ids).await.unwrap();
                let meter = counter.meter();
                assert!(meter.max_params <= limit.get(), "{meter:?}");
                assert_eq!(meter.statements, ids.len().div_ceil(limit.get() - 1));
                let mut expected: Vec<_> = all_lines.iter().filter(|l| l.user_id == 1).collect();
                expected.sort_by_key(|l| (l.session_id, l.id));
                assert_eq!(got.iter().map(|l| l.id).collect::<Vec<_>>(), expected.iter().map(|l| l.id).collect::<Vec<_>>());
                assert!(got.iter().zip(&expected).all(|(a, b)| a.weight_kg == b.weight_kg && a.resolved_exercise_name == b.resolved_exercise_name));

                let own = templates_page(&db, UserId(1), "", query::templates::TemplateOrder::Name, None, 1000).await.unwrap();
                let template_ids: Vec<i64> = own.iter().map(|t| t.id).collect();
                let batched = template_lines_for(&db, UserId(1), &template_ids).await.unwrap();
                let mut one_by_one = Vec::new();
                for id in &template_ids {
                    one_by_one.extend(template_exercises(&db, UserId(1), *id).await.unwrap());
                }
                one_by_one.sort_by_key(|l| (l.template_id, l.order_index, l.id));
                assert_eq!(batched, one_by_one);
                assert!(template_lines_for(&db, UserId(2), &template_ids).await.unwrap().is_empty(), "another user's templates");

                let te_ids: Vec<i64> = batched.iter().map(|l| l.id).collect();
                let masters = linked_masters_for(&db, UserId(1), &te_ids).await.unwrap();
                let expected: BTreeMap<i64, i64> = links.iter().filter(|l| te_ids.contains(&l.template_exercise_id)).map(|l| (l.template_exercise_id, l.master_exercise_id)).collect();
                assert!(!expected.is_empty());
                assert_eq!(masters.iter().map(|m| (m.template_exercise_id, m.id)).collect::<BTreeMap<_, _>>(), expected);
                counter.reset();
                assert!(sets_for(&db, UserId(1), &[]).await.unwrap().is_empty());
                assert_eq!(counter.meter().statements, 0, "an empty list runs no statement");
            }
        }
    }
}

#[path = "it/summaries.rs"]
mod summaries;

#[path = "it/freshness.rs"]
mod freshness;

/// A write that cannot get the writer in time is `Busy` (retryable, nothing written), not an
/// opaque database fault: what clients see while a rollout's migration holds the write lock.
#[tokio::test]
async fn a_write_that_cannot_get_the_writer_is_busy() {
    let t = TestDb::sqlite_file().await;
    seeded(&t.db, 2, 4).await;
    let mut config = t.config.clone();
    config.acquire_timeout = std::time::Duration::from_millis(200);
    let pools = db::connect_pools(&config).await.unwrap();
    let writer = pools.write.clone();
    let db =
        Db::from_pools(pools, migration::LATEST_PHASE, ParamLimit::D1, Flags::OPTIMIZED).unwrap();
    let held = db::begin_write(&writer).await.unwrap(); // the one writer connection
    let err = query::workouts::delete(&db, UserId(1), 1).await.unwrap_err();
    assert!(matches!(err, QueryError::Busy(_)), "{err:?}");
    held.rollback().await.unwrap();
    query::workouts::delete(&db, UserId(1), 1).await.unwrap();
}
