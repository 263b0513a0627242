//! The logging flow the frontend runs: start a workout (from a template, or repeating another),
//! log sets, save into it; empty workouts hidden, reused and cleaned up.

use sea_orm::EntityTrait;
use serde_json::{Value, json};
use test_support::{TestDb, backend_tests};

use super::{code, now, run, state, state_on};
use gateway::{AppState, Auth, Clock, Limits};

/// The user's workouts as `recentWorkouts` lists them (ids), with or without empty ones.
async fn listed(state: &AppState, include_empty: bool) -> Vec<String> {
    let res = run(state, Some(1), "query($e: Boolean!) { recentWorkouts(first: 100, includeEmpty: $e) { edges { node { id } } } }", json!({"e": include_empty})).await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["recentWorkouts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn start(state: &AppState, args: &str) -> String {
    let q = format!("mutation {{ startWorkout{args} {{ id }} }}");
    let res = run(state, Some(1), &q, json!({})).await;
    assert!(res["errors"].is_null(), "{q}: {res}");
    res["data"]["startWorkout"]["id"].as_str().unwrap().to_owned()
}

const SAVE: &str = "mutation($i: SaveWorkoutInput!) { saveWorkout(input: $i) { replayed workout { id localDate exercises { exerciseName sets { weight unit reps rpe restSeconds setType } } } } }";

fn bench_sets() -> Value {
    json!([{"exerciseName": "Bench Press", "sets": [
        {"setType": "WARMUP", "weight": 60.0, "unit": "KG", "reps": 8, "restSeconds": 90},
        {"weight": 225.0, "unit": "LBS", "reps": 5, "rpe": 8.5, "restSeconds": 180}
    ]}])
}

backend_tests! {
    async fn start_then_save_into_it_makes_exactly_one_workout(t: &TestDb) {
        let state = state(t).await;
        let before = listed(&state, true).await;
        let id = start(&state, "").await;
        let saved = run(&state, Some(1), SAVE, json!({"i": {"clientKey": "phone-1", "workoutId": id, "exercises": bench_sets()}})).await;
        assert!(saved["errors"].is_null(), "{saved}");
        let workout = &saved["data"]["saveWorkout"]["workout"];
        assert_eq!(workout["id"], id.as_str(), "saved into the started workout");
        assert_eq!(saved["data"]["saveWorkout"]["replayed"], false);
        // Every field the input took comes back, as typed.
        assert_eq!(workout["exercises"][0]["sets"], json!([
            {"weight": 60.0, "unit": "KG", "reps": 8, "rpe": null, "restSeconds": 90, "setType": "WARMUP"},
            {"weight": 225.0, "unit": "LBS", "reps": 5, "rpe": 8.5, "restSeconds": 180, "setType": "WORKING"}
        ]));
        let after = listed(&state, true).await;
        assert_eq!(after.len(), before.len() + 1, "one workout, no stray empty one");
        assert_eq!(listed(&state, false).await[0], id);

        // A replay of the same save writes nothing, and so does its client key.
        let counts = datagen::inspect::row_counts(&t.db).await.unwrap();
        let again = run(&state, Some(1), SAVE, json!({"i": {"clientKey": "phone-1", "workoutId": id, "exercises": []}})).await;
        assert_eq!(again["data"]["saveWorkout"]["replayed"], true, "{again}");
        assert_eq!(again["data"]["saveWorkout"]["workout"]["exercises"][0]["sets"][1]["weight"], 225.0);
        assert_eq!(datagen::inspect::row_counts(&t.db).await.unwrap(), counts);

        // A second save with a new key replaces the lines, atomically, in the same workout.
        let edited = run(&state, Some(1), SAVE, json!({"i": {"clientKey": "phone-2", "workoutId": id,
            "exercises": [{"exerciseName": "Squat", "sets": [{"weight": 100.0, "unit": "KG", "reps": 5}]}]}})).await;
        assert_eq!(edited["data"]["saveWorkout"]["workout"]["id"], id.as_str());
        assert_eq!(edited["data"]["saveWorkout"]["workout"]["exercises"], json!([{"exerciseName": "Squat", "sets": [
            {"weight": 100.0, "unit": "KG", "reps": 5, "rpe": null, "restSeconds": null, "setType": "WORKING"}]}]));
        // A refused save into it leaves the lines as they were.
        let bad = run(&state, Some(1), SAVE, json!({"i": {"clientKey": "phone-3", "workoutId": id,
            "exercises": [{"exerciseName": "Squat", "sets": [{"weight": 5000.0, "unit": "KG", "reps": 5}]}]}})).await;
        assert_eq!(code(&bad), "BAD_USER_INPUT");
        assert!(bad["errors"][0]["message"].as_str().unwrap().contains("exercises[0].sets[0].weight"), "{bad}");
        let read = run(&state, Some(1), "query($w: ID!) { workout(id: $w) { exercises { exerciseName } } }", json!({"w": id})).await;
        assert_eq!(read["data"]["workout"]["exercises"], json!([{"exerciseName": "Squat"}]));
        // Creating without a workout needs a date, and says so.
        let dateless = run(&state, Some(1), SAVE, json!({"i": {"clientKey": "phone-4", "exercises": []}})).await;
        assert_eq!(code(&dateless), "BAD_USER_INPUT");
        assert!(dateless["errors"][0]["message"].as_str().unwrap().contains("workoutDate: required"), "{dateless}");
    }

    async fn a_second_start_within_two_minutes_is_the_same_workout(t: &TestDb) {
        let state = state(t).await;
        let template = entity::workout_template::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 1).unwrap().id;
        let first = start(&state, "").await;
        assert_eq!(start(&state, "").await, first, "a double tap");
        let from_template = start(&state, &format!(r#"(templateId: "{template}")"#)).await;
        assert_ne!(from_template, first, "another template is another workout");
        assert_eq!(start(&state, &format!(r#"(templateId: "{template}")"#)).await, from_template);
        // Three minutes later the window has passed: a new workout.
        let db = query::Db::new(t.db.clone(), migration::LATEST_PHASE, db::ParamLimit::D1, query::Flags::OPTIMIZED).unwrap();
        let later = AppState::with_clock(db, Auth::new(b"test-secret"), Limits::DEFAULT, Clock::Fixed(now() + chrono::Duration::minutes(3)));
        let next = start(&later, "").await;
        assert_ne!(next, first);
        // A saved workout is never handed out again.
        let saved = start(&later, "").await;
        assert_eq!(saved, next);
        let res = run(&later, Some(1), SAVE, json!({"i": {"clientKey": "k-1", "workoutId": saved, "exercises": bench_sets()}})).await;
        assert!(res["errors"].is_null(), "{res}");
        assert_ne!(start(&later, "").await, saved);
        // Another user's start is theirs.
        let theirs = run(&state, Some(2), "mutation { startWorkout { id } }", json!({})).await;
        assert_ne!(theirs["data"]["startWorkout"]["id"].as_str().unwrap(), first);
    }

    async fn repeating_a_workout_copies_its_lines(t: &TestDb) {
        let state = state(t).await;
        let source = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().filter(|w| w.user_id == 1).max_by_key(|w| (w.workout_date, w.id)).unwrap().id;
        let copy = start(&state, &format!(r#"(copyFrom: "{source}")"#)).await;
        assert_ne!(copy, source.to_string());
        let lines = "query($w: ID!) { workout(id: $w) { exercises { templateExerciseId exerciseName resolvedName sets { setOrder setType weight unit weightKg reps sets rpe restSeconds oneRmKg } } } }";
        let original = run(&state, Some(1), lines, json!({"w": source.to_string()})).await;
        let copied = run(&state, Some(1), lines, json!({"w": copy})).await;
        assert!(!original["data"]["workout"]["exercises"].as_array().unwrap().is_empty());
        assert_eq!(copied["data"]["workout"], original["data"]["workout"]);
        // Copying another user's workout is NOT_FOUND, and creates nothing.
        let foreign = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 2).unwrap().id;
        let counts = datagen::inspect::row_counts(&t.db).await.unwrap();
        let res = run(&state, Some(1), &format!(r#"mutation {{ startWorkout(copyFrom: "{foreign}") {{ id }} }}"#), json!({})).await;
        assert_eq!(code(&res), "NOT_FOUND", "{res}");
        assert_eq!(datagen::inspect::row_counts(&t.db).await.unwrap(), counts);
    }

    async fn empty_workouts_count_nowhere_and_are_cleaned_up(t: &TestDb) {
        let state = state(t).await;
        let summary = "{ progressDashboard(range: WEEK) { current { sessionCount totalSets } workoutDates } consistencyStats(range: MONTH) { workoutDays currentDayStreak } }";
        let before = run(&state, Some(1), summary, json!({})).await;
        assert!(before["errors"].is_null(), "{before}");
        let shown = listed(&state, false).await;
        let empty = start(&state, "").await;
        assert_eq!(run(&state, Some(1), summary, json!({})).await, before, "an empty workout counted");
        assert_eq!(listed(&state, false).await, shown, "an empty workout was listed");
        assert_eq!(listed(&state, true).await[0], empty, "asked for, it is listed");

        // The clean-up removes empty workouts older than the age, and nothing else.
        let sessions = entity::workout_session::Entity::find().all(&t.db).await.unwrap().len();
        let lines = entity::session_exercise::Entity::find().all(&t.db).await.unwrap().len();
        let db = query::Db::new(t.db.clone(), migration::LATEST_PHASE, db::ParamLimit::D1, query::Flags::OPTIMIZED).unwrap();
        assert_eq!(query::workouts::delete_empty(&db, now() - chrono::Duration::minutes(1)).await.unwrap(), 0, "too young");
        assert_eq!(query::workouts::delete_empty(&db, now() + chrono::Duration::minutes(1)).await.unwrap(), 1);
        assert_eq!(entity::workout_session::Entity::find().all(&t.db).await.unwrap().len(), sessions - 1);
        assert_eq!(entity::session_exercise::Entity::find().all(&t.db).await.unwrap().len(), lines);
        assert_eq!(code(&run(&state, Some(1), &format!(r#"{{ workout(id: "{empty}") {{ id }} }}"#), json!({})).await), "NOT_FOUND");

        // The gateway's background task does the same on its own clock.
        let old = start(&state, "").await;
        let task = tokio::spawn(gateway::maintenance::clean_empty_workouts(
            db.clone(), Clock::Fixed(now() + chrono::Duration::hours(5)), std::time::Duration::from_hours(4), std::time::Duration::from_hours(1)));
        for _ in 0..200 {
            if entity::workout_session::Entity::find_by_id(old.parse::<i64>().unwrap()).one(&t.db).await.unwrap().is_none() {
                break;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        task.abort();
        assert!(entity::workout_session::Entity::find_by_id(old.parse::<i64>().unwrap()).one(&t.db).await.unwrap().is_none());
        assert_eq!(entity::session_exercise::Entity::find().all(&t.db).await.unwrap().len(), lines);
    }
}

#[tokio::test]
async fn repeating_a_workout_costs_the_same_statements_whatever_its_size() {
    // The copy is one INSERT ... SELECT: no line travels through the gateway, no statement grows.
    let t = TestDb::sqlite().await;
    super::seed(&t).await;
    let (conn, counter) = db::meter_connection(&t.db);
    let state = state_on(conn, db::ParamLimit::D1);
    let lines = entity::session_exercise::Entity::find().all(&t.db).await.unwrap();
    let size = |id: i64| lines.iter().filter(|l| l.session_id == id).count();
    // From phase 2 the copy's day and week get their summary and trend rows, a few statements
    // per exercise: compare workouts with the same exercises count and different line counts.
    let exercises = |id: i64| {
        lines
            .iter()
            .filter(|l| l.session_id == id)
            .map(|l| &l.resolved_exercise_name)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let own: Vec<i64> = entity::workout_session::Entity::find()
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|w| w.user_id == 1)
        .map(|w| w.id)
        .collect();
    let mut by_exercises: std::collections::BTreeMap<usize, Vec<i64>> =
        std::collections::BTreeMap::new();
    for id in &own {
        by_exercises.entry(exercises(*id)).or_default().push(*id);
    }
    let group = by_exercises
        .values()
        .max_by_key(|ids| {
            ids.iter().map(|id| size(*id)).max().unwrap()
                - ids.iter().map(|id| size(*id)).min().unwrap()
        })
        .unwrap();
    let smallest = *group.iter().min_by_key(|id| size(**id)).unwrap();
    let largest = *group.iter().max_by_key(|id| size(**id)).unwrap();
    assert!(size(largest) > size(smallest) + 5, "the fixture needs workouts of different sizes");
    let mut meters = Vec::new();
    for source in [smallest, largest] {
        counter.reset();
        let copy = start(&state, &format!(r#"(copyFrom: "{source}")"#)).await;
        meters.push(counter.meter());
        // Each copy meets the same summary rows: maintenance writes only differences, so a
        // second copy onto the first one's day would update rows the first inserted.
        let deleted = run(
            &state,
            Some(1),
            &format!(r#"mutation {{ deleteWorkout(id: "{copy}") }}"#),
            json!({}),
        )
        .await;
        assert_eq!(deleted["data"]["deleteWorkout"], true, "{deleted}");
    }
    // The same statements whatever the size. From phase 2 the copy's day gets its summary rows
    // (one per exercise, not per line), so only their parameters grow, within the limit.
    assert_eq!(meters[0].statements, meters[1].statements, "{meters:?}");
    assert!(meters.iter().all(|m| m.max_params <= db::ParamLimit::D1.get()), "{meters:?}");
}

backend_tests! {
    async fn concurrent_saves_into_one_workout_leave_one_of_them(t: &TestDb) {
        // Two phones save different sets into the same started workout at once: the workout
        // ends with one save's lines, never both.
        let state = state(t).await;
        let db = query::Db::new(t.db.clone(), migration::LATEST_PHASE, db::ParamLimit::D1, query::Flags::OPTIMIZED).unwrap();
        for round in 0..8 {
            let id = start(&state, "").await.parse::<i64>().unwrap();
            let save = |key: String, name: &str, reps: i32| {
                let db = db.clone();
                let input = query::workouts::WorkoutInput {
                    client_key: key,
                    session_id: Some(id),
                    template_id: None,
                    workout_date: None,
                    exercises: vec![query::workouts::ExerciseInput {
                        template_exercise_id: None,
                        exercise_name: name.to_owned(),
                        sets: (0..3).map(|_| query::workouts::SetInput {
                            set_type: domain::SetType::Working,
                            weight: Some(100.0),
                            unit: domain::WeightUnit::Kg,
                            reps: Some(reps),
                            sets: None,
                            rpe: None,
                            rest_seconds: None,
                            is_estimate: false,
                            is_default_applied: false,
                        }).collect(),
                    }],
                };
                tokio::spawn(async move { query::workouts::save_workout(&db, query::UserId(1), &input, now()).await })
            };
            let a = save(format!("a-{round}"), "Squat", 5);
            let b = save(format!("b-{round}"), "Deadlift", 3);
            a.await.unwrap().unwrap();
            b.await.unwrap().unwrap();
            let lines: Vec<_> = entity::session_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().filter(|l| l.session_id == id).collect();
            let names: std::collections::BTreeSet<_> = lines.iter().map(|l| l.exercise_name.clone()).collect();
            assert_eq!((lines.len(), names.len()), (3, 1), "round {round}: {names:?}");
            // The next round starts a new workout.
            query::workouts::delete(&db, query::UserId(1), id).await.unwrap();
        }
    }
}
