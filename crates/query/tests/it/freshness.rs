//! The caches never serve a writer stale answers: after every mutation the services offer, each
//! cached read of that user answers exactly as the database does, at once.
//!
//! Table-driven: `MUTATIONS` lists every write function; after each one (applied in turn to one
//! seeded database, over the gateway's split pools), the snapshot of every cached read through a
//! `Db` with caches must equal the snapshot through a `Db` without. A mutation marked observable
//! must also change that snapshot, so the check is not vacuous: a commit that forgot to retire
//! the user's entries fails here.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{SetType, WeightUnit};
use query::preferences::PreferencesPatch;
use query::progress::TimeRange;
use query::templates::LineInput;
use query::workouts::{self, ExerciseInput, SetInput, SetUpdate, StartInput, WorkoutInput};
use query::{
    CacheSettings, Db, Flags, UserId, analytics, exercises, preferences, templates, users,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::*;

const USER: UserId = UserId(1);

/// Every write function, with whether it changes some cached read of the user.
const MUTATIONS: &[(Mutation, bool)] = &[
    (Mutation::UpdatePreferences, true),
    (Mutation::StartEmpty, false),
    (Mutation::StartCopy, true),
    (Mutation::SaveIntoStarted, true),
    (Mutation::SaveWorkout, true),
    (Mutation::SaveWorkouts, true),
    (Mutation::UpdateSets, true),
    (Mutation::DeleteWorkout, true),
    (Mutation::DeleteEmpty, false),
    (Mutation::CreateTemplate, false),
    (Mutation::UpdateTemplate, true),
    (Mutation::Link, true),
    (Mutation::Unlink, true),
    (Mutation::Merge, true),
    (Mutation::RenameMaster, true),
    (Mutation::DuplicateTemplate, false),
    (Mutation::AddTemplateLines, false),
    (Mutation::CreateMaster, false),
    (Mutation::UnlinkAll, true),
    (Mutation::LinkSimilar, true),
    (Mutation::DeleteTemplate, true),
];

#[derive(Debug, Clone, Copy)]
enum Mutation {
    UpdatePreferences,
    StartEmpty,
    StartCopy,
    SaveIntoStarted,
    SaveWorkout,
    SaveWorkouts,
    UpdateSets,
    DeleteWorkout,
    DeleteEmpty,
    CreateTemplate,
    UpdateTemplate,
    Link,
    Unlink,
    Merge,
    RenameMaster,
    DuplicateTemplate,
    AddTemplateLines,
    CreateMaster,
    UnlinkAll,
    LinkSimilar,
    DeleteTemplate,
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(END.0, END.1, END.2, 12, 0, 0).unwrap()
}

fn heavy(name: &str, template_exercise_id: Option<i64>, weight: f64) -> ExerciseInput {
    let set = SetInput {
        set_type: SetType::Working,
        weight: Some(weight),
        unit: WeightUnit::Kg,
        reps: Some(3),
        sets: Some(2),
        rpe: None,
        rest_seconds: None,
        is_estimate: false,
        is_default_applied: false,
    };
    ExerciseInput { template_exercise_id, exercise_name: name.to_owned(), sets: vec![set] }
}

/// The ids a mutation works on, read from the database as it stands.
struct Fixture {
    /// The user's template exercise the names cache is read for.
    template_exercise: entity::template_exercise::Model,
    /// The user's newest workout with lines.
    latest_workout: i64,
    /// One of its set lines.
    latest_line: i64,
    masters: Vec<i64>,
}

async fn fixture(conn: &DatabaseConnection) -> Fixture {
    use entity::{master_exercise, session_exercise, template_exercise};
    let template_exercise = template_exercise::Entity::find()
        .filter(template_exercise::Column::UserId.eq(USER.0))
        .order_by_asc(template_exercise::Column::Id)
        .one(conn)
        .await
        .unwrap()
        .unwrap();
    let line = session_exercise::Entity::find()
        .filter(session_exercise::Column::UserId.eq(USER.0))
        .order_by_desc(session_exercise::Column::SessionId)
        .one(conn)
        .await
        .unwrap()
        .unwrap();
    let masters = master_exercise::Entity::find()
        .filter(master_exercise::Column::UserId.eq(USER.0))
        .order_by_asc(master_exercise::Column::Id)
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|it| it.id)
        .collect();
    Fixture { template_exercise, latest_workout: line.session_id, latest_line: line.id, masters }
}

/// The reads `snapshot` takes, in order.
const READS: [&str; 11] = [
    "viewer",
    "dashboard(WEEK)",
    "dashboard(MONTH)",
    "dashboard(QUARTER)",
    "dashboard(YEAR)",
    "strengthProgression",
    "personalRecords",
    "topExercises",
    "consistency",
    "exerciseTrends",
    "lastExerciseData(templateExerciseId)",
];

/// Every cached read of the user, as text (each answer's `Debug`, errors included).
async fn snapshot(db: &Db, te: &entity::template_exercise::Model) -> Vec<String> {
    let today = end_date();
    let name = "Bench Press";
    let mut out = vec![format!("{:?}", users::viewer(db, USER).await)];
    for range in TimeRange::ALL {
        out.push(format!("{:?}", query::progress::dashboard(db, USER, range, today).await));
    }
    let from = today - Duration::days(365);
    out.push(format!("{:?}", analytics::strength_progression(db, USER, name, from, today).await));
    out.push(format!("{:?}", analytics::personal_records(db, USER).await));
    out.push(format!("{:?}", analytics::top_exercises(db, USER, from, today, 10).await));
    out.push(format!("{:?}", analytics::consistency_stats(db, USER, today, 30).await));
    out.push(format!("{:?}", analytics::exercise_trends(db, USER, name, 12, today).await));
    out.push(format!(
        "{:?}",
        workouts::last_exercise_data(db, USER, &te.exercise_name, Some(te.id), None).await
    ));
    assert_eq!(out.len(), READS.len());
    out
}

async fn apply(db: &Db, conn: &DatabaseConnection, mutation: Mutation, started: &mut Option<i64>) {
    let f = fixture(conn).await;
    let te = &f.template_exercise;
    let at = now();
    let workout = |key: &str, weight: f64| WorkoutInput {
        client_key: key.to_owned(),
        session_id: None,
        template_id: None,
        workout_date: Some(at),
        exercises: vec![heavy("Bench Press", None, weight)],
    };
    match mutation {
        Mutation::UpdatePreferences => {
            let patch = PreferencesPatch {
                default_weight_unit: Some(WeightUnit::Lbs),
                target_workouts_per_week: Some(6.0),
                ..PreferencesPatch::default()
            };
            preferences::update(db, USER, &patch, at).await.unwrap();
        }
        Mutation::StartEmpty => {
            let input = StartInput { template_id: None, workout_date: at, copy_from: None };
            *started = Some(workouts::start(db, USER, &input, at).await.unwrap().0.id);
        }
        Mutation::StartCopy => {
            let input = StartInput {
                template_id: None,
                workout_date: at,
                copy_from: Some(f.latest_workout),
            };
            workouts::start(db, USER, &input, at).await.unwrap();
        }
        Mutation::SaveIntoStarted => {
            let id = started.expect("StartEmpty ran first");
            let lines = [heavy(&te.exercise_name, Some(te.id), 301.0)];
            workouts::save(db, USER, id, &lines, at).await.unwrap();
        }
        Mutation::SaveWorkout => {
            workouts::save_workout(db, USER, &workout("fresh-1", 302.0), at).await.unwrap();
        }
        Mutation::SaveWorkouts => {
            let batch = [workout("fresh-2", 303.0), workout("fresh-3", 304.0)];
            workouts::save_workouts(db, USER, &batch, at).await.unwrap();
        }
        Mutation::UpdateSets => {
            let update = SetUpdate {
                id: f.latest_line,
                weight: Some(305.0),
                unit: WeightUnit::Kg,
                reps: Some(1),
            };
            workouts::update_sets(db, USER, &[update], chrono::Utc::now()).await.unwrap();
        }
        Mutation::DeleteWorkout => workouts::delete(db, USER, f.latest_workout).await.unwrap(),
        Mutation::DeleteEmpty => {
            let input = StartInput { template_id: None, workout_date: at, copy_from: None };
            workouts::start(db, USER, &input, at).await.unwrap();
            let removed = workouts::delete_empty(db, at + Duration::days(1)).await.unwrap();
            assert!(removed >= 1, "the empty workout just started is removed");
        }
        Mutation::CreateTemplate => {
            let lines = ["Bench Press".to_owned(), "Pendlay Row".to_owned()];
            templates::create(db, USER, "Fresh template", None, &lines, at).await.unwrap();
        }
        Mutation::UpdateTemplate => {
            let lines = [LineInput {
                id: Some(te.id),
                exercise_name: "Zercher Squat".to_owned(),
                warmup_strategy: None,
            }];
            let template = te.template_id;
            templates::update(db, USER, template, "Renamed template", &lines, at).await.unwrap();
        }
        Mutation::Link => exercises::link(db, USER, te.id, f.masters[0]).await.unwrap(),
        Mutation::Unlink => exercises::unlink(db, USER, te.id, true).await.unwrap(),
        Mutation::Merge => {
            exercises::link(db, USER, te.id, f.masters[1]).await.unwrap();
            // Reads between the two writes, so the merge has cached answers to retire.
            snapshot(db, te).await;
            exercises::merge(db, USER, f.masters[1], f.masters[0]).await.unwrap();
        }
        Mutation::RenameMaster => {
            exercises::rename_master(db, USER, f.masters[0], "Renamed Press").await.unwrap();
        }
        Mutation::DuplicateTemplate => {
            templates::duplicate(db, USER, te.template_id, None, at).await.unwrap();
        }
        Mutation::AddTemplateLines => {
            let line = templates::NewLine {
                exercise_name: "Farmer Carry".to_owned(),
                master_exercise_id: None,
                reject_linking: false,
            };
            templates::add_lines(db, USER, te.template_id, &[line], at).await.unwrap();
        }
        Mutation::CreateMaster => {
            exercises::create_master(db, USER, "Sled Push", None, at).await.unwrap();
        }
        Mutation::UnlinkAll => {
            assert!(exercises::unlink_all(db, USER, f.masters[0]).await.unwrap() > 0);
        }
        Mutation::LinkSimilar => {
            assert!(exercises::link_similar(db, USER, f.masters[0], 0.0, at).await.unwrap() > 0);
        }
        Mutation::DeleteTemplate => {
            templates::delete(db, USER, te.template_id).await.unwrap();
        }
    }
}

backend_tests! {
    async fn every_write_is_visible_to_every_cached_read_of_its_user(t: &TestDb) {
        // A file, not memory, on SQLite: the split pools are what the gateway runs.
        let file;
        let t = if t.backend() == db::Backend::Sqlite {
            file = TestDb::sqlite_file().await;
            &file
        } else {
            t
        };
        let phase = seeded(&t.db, 2, 10).await;
        let flags = Flags::for_phase(phase);
        let cached = Db::from_pools(t.pools().await, phase, ParamLimit::D1, flags)
            .unwrap()
            .with_caches(CacheSettings::default());
        let direct = Db::new(t.db.clone(), phase, ParamLimit::D1, flags).unwrap();
        let mut started = None;
        for &(mutation, observable) in MUTATIONS {
            // The names cache is read for the template exercise the mutation will touch.
            let te = fixture(&t.db).await.template_exercise;
            let before = snapshot(&cached, &te).await;
            assert_eq!(before, snapshot(&cached, &te).await, "{mutation:?}: cached reads repeat");
            apply(&cached, &t.db, mutation, &mut started).await;
            let after = snapshot(&cached, &te).await;
            let fresh = snapshot(&direct, &te).await;
            for (idx, (got, want)) in after.iter().zip(&fresh).enumerate() {
                assert_eq!(got, want, "after {mutation:?}, cached read {} is stale", READS[idx]);
            }
            assert_eq!(
                before != after,
                observable,
                "{mutation:?} should {}change a cached read",
                if observable { "" } else { "not " }
            );
        }
        let stats = cached.caches().unwrap().stats();
        assert!(stats.iter().all(|(_, it, _, _)| it.hits > 0), "every cache served hits: {stats:?}");
    }
}

/// Another process's caches, on PostgreSQL: every write announces its user when it commits, and
/// a process that hears it (`Db::hear`, as the gateway's listener does) answers fresh at once.
/// Two `Db`s stand for two processes (each has its own instance name and caches); the test plays
/// the listener: one connection subscribed to the schema's channel, drained after one statement
/// (the gateway's fence).
#[tokio::test]
async fn every_write_is_heard_by_another_process_on_postgres() {
    use sea_orm::sqlx;
    let Some(t) = TestDb::postgres().await else { return };
    let phase = seeded(&t.db, 2, 10).await;
    let flags = Flags::for_phase(phase);
    let writer = Db::from_pools(t.pools().await, phase, ParamLimit::D1, flags)
        .unwrap()
        .with_caches(CacheSettings::default());
    let other = Db::from_pools(t.pools().await, phase, ParamLimit::D1, flags)
        .unwrap()
        .with_caches(CacheSettings::default());
    let direct = Db::new(t.db.clone(), phase, ParamLimit::D1, flags).unwrap();
    let mut listener = db::listener(&t.config).await.unwrap();
    let channel: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {}",
        query::coherence::CHANNEL_SQL
    )))
    .fetch_one(&mut listener)
    .await
    .unwrap();
    listener.listen(&channel).await.unwrap();
    let mut started = None;
    let mut stale_without_hearing = 0;
    for &(mutation, observable) in MUTATIONS {
        let te = fixture(&t.db).await.template_exercise;
        let before = snapshot(&other, &te).await;
        apply(&writer, &t.db, mutation, &mut started).await;
        // Not heard yet: the other process still answers from before (when the write shows).
        if snapshot(&other, &te).await != snapshot(&direct, &te).await {
            stale_without_hearing += 1;
        }
        sqlx::query("SELECT 1").execute(&mut listener).await.unwrap();
        let mut payloads = Vec::new();
        while let Some(it) = listener.next_buffered() {
            payloads.push(it.payload().to_owned());
        }
        assert!(
            payloads.iter().any(|p| p.ends_with(" 1") || p.contains(" 1,") || p.ends_with(",1")),
            "{mutation:?} announced user 1: {payloads:?}"
        );
        assert_eq!(writer.hear(payloads.iter().map(String::as_str), None), 0, "own writes");
        assert!(other.hear(payloads.iter().map(String::as_str), None) > 0);
        let after = snapshot(&other, &te).await;
        let fresh = snapshot(&direct, &te).await;
        for (idx, (got, want)) in after.iter().zip(&fresh).enumerate() {
            assert_eq!(
                got, want,
                "after {mutation:?}, the other process's {} is stale",
                READS[idx]
            );
        }
        assert_eq!(before != after, observable, "{mutation:?}");
    }
    // The check is not vacuous: without hearing, the other process's caches were stale.
    assert!(stale_without_hearing >= 10, "{stale_without_hearing}");
}
