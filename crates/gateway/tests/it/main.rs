//! The gateway through `schema.execute` and through HTTP (`app()` with `oneshot`), on SQLite and
//! PostgreSQL: answers, authentication, tenant isolation, limits and error masking.

#![allow(clippy::unwrap_used, reason = "test helpers may panic")]

mod binary;
mod browser;
mod cache;
mod crash;
mod exercises;
mod export;
mod gateways;
mod http;
mod lifts;
mod monitoring;
mod progress;
mod replicas;
mod rollout;
mod templates;
mod webhooks;
mod wellness;
mod whoop;
mod workflow;

use async_graphql::{Request, Variables};
use axum::body::Body;
use axum::http::{Request as HttpRequest, StatusCode};
use datagen::SeedConfig;
use db::ParamLimit;
use gateway::{AppState, Auth, Clock, Limits, app};
use http_body_util::BodyExt;
use query::{CacheSettings, Db, Flags, UserId};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use test_support::{TestDb, backend_tests};
use tower::ServiceExt;

/// The instant every test's gateway reads as "now": the seed and the clock are fixed, so a failure
/// reproduces on any day.
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2025-11-25T12:00:00Z").unwrap().to_utc()
}

async fn seed(t: &TestDb) {
    // History up to yesterday, so "today"-relative ranges have data whatever the user's zone.
    let end = now().date_naive() - chrono::Duration::days(1);
    let config = SeedConfig::new(2, 6, 42, end, i64::from(migration::LATEST_PHASE), 100).unwrap();
    datagen::write::prepare(&t.db, &config, false).await.unwrap();
    datagen::write::write_all(&t.db, &config, |_| {}).await.unwrap();
}

/// A gateway without caches: every read reaches `conn` (tests that count statements).
fn state_on(conn: sea_orm::DatabaseConnection, limit: ParamLimit) -> AppState {
    let db = Db::new(conn, migration::LATEST_PHASE, limit, Flags::OPTIMIZED).unwrap();
    AppState::with_clock(db, Auth::new(b"test-secret"), Limits::DEFAULT, Clock::Fixed(now()))
}

/// The gateway as it runs, over seeded data: split pools and caches on, so every test that
/// writes and reads again also checks that no cached answer is stale.
async fn state(t: &TestDb) -> AppState {
    seed(t).await;
    let db =
        Db::from_pools(t.pools().await, migration::LATEST_PHASE, ParamLimit::D1, Flags::OPTIMIZED)
            .unwrap()
            .with_caches(CacheSettings::default());
    AppState::with_clock(db, Auth::new(b"test-secret"), Limits::DEFAULT, Clock::Fixed(now()))
}

async fn run(state: &AppState, user: Option<i64>, query: &str, variables: Value) -> Value {
    let request = Request::new(query).variables(Variables::from_json(variables));
    let res = state.execute(request.into(), user.map(UserId)).await;
    serde_json::to_value(res).unwrap()
}

fn code(res: &Value) -> &str {
    res["errors"][0]["extensions"]["code"].as_str().unwrap_or("none")
}

backend_tests! {
    async fn every_query_answers_from_the_callers_data(t: &TestDb) {
        let state = state(t).await;
        // The user who trained most recently, so "today"-relative ranges hold data.
        let sessions = entity::workout_session::Entity::find().all(&t.db).await.unwrap();
        let me = sessions.iter().max_by_key(|s| (s.local_date, s.id)).unwrap().user_id;
        let them = 3 - me;
        let template = entity::workout_template::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == me).unwrap().id;
        let q = format!(
            r#"{{ template(id: "{template}") {{ name exercises {{ id exerciseName }} }}
                 topExercises(range: MONTH, first: 3) {{ name sessionCount volume lastDate }}
                 recentWorkouts(first: 2) {{ edges {{ node {{ id localDate }} }} }} templates {{ edges {{ node {{ id }} }} }} masterExercises {{ edges {{ node {{ id name }} }} }}
                 linkingSuggestions {{ templateExerciseId masterName score }}
                 consistencyStats(range: MONTH) {{ workoutDays consistencyScore currentWeekStreak }} }}"#
        );
        let res = run(&state, Some(me), &q, json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
        let data = &res["data"];
        assert!(!data["template"]["exercises"].as_array().unwrap().is_empty());
        let top = data["topExercises"].as_array().unwrap();
        assert!(!top.is_empty() && top.len() <= 3, "{top:?}");
        let name = top[0]["name"].as_str().unwrap();
        let more = run(&state, Some(me), "query($n: String!) { lastExerciseData(exerciseName: $n) { workout { id } sets { setOrder weight unit } bestSet { weightKg } } strengthProgression(exerciseName: $n, range: MONTH) { localDate maxOneRm } }", json!({"n": name})).await;
        assert!(more["errors"].is_null(), "{more}");
        let last = &more["data"]["lastExerciseData"];
        assert!(!last["sets"].as_array().unwrap().is_empty(), "{last}");
        let excluded = run(&state, Some(me), "query($n: String!, $w: ID) { lastExerciseData(exerciseName: $n, excludeWorkoutId: $w) { workout { id } } }", json!({"n": name, "w": last["workout"]["id"]})).await;
        assert_ne!(excluded["data"]["lastExerciseData"]["workout"]["id"], last["workout"]["id"], "{excluded}");
        let never = run(&state, Some(me), r#"{ lastExerciseData(exerciseName: "Underwater Basket Weaving") { workout { id } } }"#, json!({})).await;
        assert_eq!(never["data"]["lastExerciseData"], Value::Null, "{never}");
        assert!(!more["data"]["strengthProgression"].as_array().unwrap().is_empty());
        // The exercise's weekly trend: weeks with sets, oldest first, Mondays, within the window.
        let trend = run(&state, Some(me), "query($n: String!) { exerciseTrends(exercise: $n, weeks: 8) { weekStart maxOneRm previousMaxOneRm change volume sets slope } }", json!({"n": name})).await;
        assert!(trend["errors"].is_null(), "{trend}");
        let weeks = trend["data"]["exerciseTrends"].as_array().unwrap();
        assert!(!weeks.is_empty() && weeks.len() <= 8, "{trend}");
        let starts: Vec<chrono::NaiveDate> = weeks.iter().map(|w| w["weekStart"].as_str().unwrap().parse().unwrap()).collect();
        assert!(starts.windows(2).all(|p| p[0] < p[1]), "{starts:?}");
        assert!(starts.iter().all(|d| chrono::Datelike::weekday(d) == chrono::Weekday::Mon), "{starts:?}");
        assert!(weeks.iter().all(|w| w["sets"].as_i64().unwrap() > 0), "{trend}");
        let zero = run(&state, Some(me), "query($n: String!) { exerciseTrends(exercise: $n, weeks: 0) { weekStart } }", json!({"n": name})).await;
        assert_eq!(code(&zero), "BAD_USER_INPUT", "{zero}");
        assert!(data["consistencyStats"]["workoutDays"].as_i64().unwrap() > 0);
        // The same template id asked by the other user is NOT_FOUND.
        let other = run(&state, Some(them), &format!(r#"{{ template(id: "{template}") {{ name }} }}"#), json!({})).await;
        assert_eq!(code(&other), "NOT_FOUND");
        let too_many = run(&state, Some(me), "{ topExercises(range: MONTH, first: 1000000) { name } }", json!({})).await;
        assert_eq!(code(&too_many), "BAD_USER_INPUT", "{too_many}");
    }

    async fn replaying_save_workout_creates_nothing_new(t: &TestDb) {
        let state = state(t).await;
        let q = "mutation($input: SaveWorkoutInput!) { saveWorkout(input: $input) { replayed workout { id localDate } } }";
        let input = json!({"input": {
            "clientKey": "offline-7f3a",
            "workoutDate": now().to_rfc3339(),
            "exercises": [{"exerciseName": "Bench Press", "sets": [
                {"setType": "WARMUP", "weight": 60.0, "unit": "KG", "reps": 8},
                {"weight": 225.0, "unit": "LBS", "reps": 5, "rpe": 8.5}
            ]}]
        }});
        let first = run(&state, Some(1), q, input.clone()).await;
        assert!(first["errors"].is_null(), "{first}");
        assert_eq!(first["data"]["saveWorkout"]["replayed"], false);
        let counts = datagen::inspect::row_counts(&t.db).await.unwrap();
        let again = run(&state, Some(1), q, input.clone()).await;
        assert_eq!(again["data"]["saveWorkout"]["replayed"], true);
        assert_eq!(again["data"]["saveWorkout"]["workout"]["id"], first["data"]["saveWorkout"]["workout"]["id"]);
        assert_eq!(datagen::inspect::row_counts(&t.db).await.unwrap(), counts, "a replay wrote rows");
        // The same key from another user is a different workout.
        let theirs = run(&state, Some(2), q, input).await;
        assert_eq!(theirs["data"]["saveWorkout"]["replayed"], false);
        // A bad batch item names its field and writes nothing.
        let batch = "mutation($inputs: [SaveWorkoutInput!]!) { saveWorkouts(inputs: $inputs) { replayed } }";
        let bad = json!({"inputs": [{"clientKey": "k2", "workoutDate": now().to_rfc3339(),
            "exercises": [{"exerciseName": "Squat", "sets": [{"weight": 5000.0, "unit": "KG", "reps": 5}]}]}]});
        let res = run(&state, Some(1), batch, bad).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains("inputs[0].exercises[0].sets[0].weight"), "{res}");
        // Summary rows are derived (their own tests check them): count the rows a user wrote.
        let written = |counts: &[(&str, u64)]| counts.iter().filter(|(table, _)| !table.ends_with("_summary") && *table != "exercise_trends").map(|(_, n)| n).sum::<u64>();
        assert_eq!(written(&datagen::inspect::row_counts(&t.db).await.unwrap()), written(&counts) + 4,
            "only the other user's workout, its two lines and its client key were added");
    }

    async fn an_offline_batch_is_saved_whole_or_not_at_all(t: &TestDb) {
        let state = state(t).await;
        let q = "mutation($inputs: [SaveWorkoutInput!]!) { saveWorkouts(inputs: $inputs) { replayed workout { id exercises { sets { weightKg } } } } }";
        let now = now();
        let item = |key: &str, weight: f64, hours: i64| json!({"clientKey": key, "workoutDate": (now - chrono::Duration::hours(hours)).to_rfc3339(),
            "exercises": [{"exerciseName": "Deadlift", "sets": [{"weight": weight, "unit": "KG", "reps": 3}]}]});
        let counts = datagen::inspect::row_counts(&t.db).await.unwrap();
        // The third item is refused: its path is named and the first two are not written either.
        let bad = run(&state, Some(1), q, json!({"inputs": [item("q-1", 180.0, 3), item("q-2", 185.0, 2), item("q-3", 5000.0, 1)]})).await;
        assert_eq!(code(&bad), "BAD_USER_INPUT", "{bad}");
        assert!(bad["errors"][0]["message"].as_str().unwrap().contains("inputs[2].exercises[0].sets[0].weight"), "{bad}");
        assert_eq!(datagen::inspect::row_counts(&t.db).await.unwrap(), counts, "a refused batch wrote rows");
        // Another user's template in the second item: NOT_FOUND, and nothing written.
        let foreign = entity::workout_template::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 2).unwrap().id;
        let mut sneaky = item("q-2", 185.0, 2);
        sneaky["templateId"] = json!(foreign.to_string());
        let res = run(&state, Some(1), q, json!({"inputs": [item("q-1", 180.0, 3), sneaky]})).await;
        assert_eq!(code(&res), "NOT_FOUND", "{res}");
        assert_eq!(datagen::inspect::row_counts(&t.db).await.unwrap(), counts, "a refused batch wrote rows");
        // A good batch with a key twice: the second is a replay of the first.
        let good = json!({"inputs": [item("q-1", 180.0, 3), item("q-2", 185.0, 2), item("q-1", 180.0, 3)]});
        let first = run(&state, Some(1), q, good.clone()).await;
        assert!(first["errors"].is_null(), "{first}");
        let saved = first["data"]["saveWorkouts"].as_array().unwrap();
        assert_eq!(saved.iter().map(|it| it["replayed"].as_bool().unwrap()).collect::<Vec<_>>(), [false, false, true]);
        assert_eq!(saved[0]["workout"]["id"], saved[2]["workout"]["id"]);
        assert_eq!(saved[1]["workout"]["exercises"][0]["sets"][0]["weightKg"], 185.0);
        let after = datagen::inspect::row_counts(&t.db).await.unwrap();
        // Replaying the whole batch writes nothing.
        let again = run(&state, Some(1), q, good).await;
        assert!(again["data"]["saveWorkouts"].as_array().unwrap().iter().all(|it| it["replayed"] == true), "{again}");
        assert_eq!(datagen::inspect::row_counts(&t.db).await.unwrap(), after);
    }

    async fn lists_page_through_every_row_once(t: &TestDb) {
        let state = state(t).await;
        let expected: Vec<i64> = {
            let mut all: Vec<_> = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().filter(|w| w.user_id == 1).collect();
            all.sort_by_key(|w| std::cmp::Reverse((w.workout_date, w.id)));
            all.into_iter().map(|w| w.id).collect()
        };
        let q = "query($after: String) { recentWorkouts(first: 4, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }";
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let res = run(&state, Some(1), q, json!({"after": after})).await;
            assert!(res["errors"].is_null(), "{res}");
            let page = &res["data"]["recentWorkouts"];
            seen.extend(page["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().parse::<i64>().unwrap()));
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, expected);
        let bench = run(&state, Some(1), r#"{ masterExercises(search: "  BENCH ") { edges { node { name } } } }"#, json!({})).await;
        for edge in bench["data"]["masterExercises"]["edges"].as_array().unwrap() {
            assert!(edge["node"]["name"].as_str().unwrap().to_lowercase().contains("bench"), "{bench}");
        }
        let bad = run(&state, Some(1), r#"{ recentWorkouts(after: "garbage") { edges { cursor } } }"#, json!({})).await;
        assert_eq!(code(&bad), "BAD_USER_INPUT");
        // A page size of a million costs a million times its children: over the complexity limit.
        let huge = run(&state, Some(1), "{ recentWorkouts(first: 1000000) { edges { cursor } } }", json!({})).await;
        assert_eq!(code(&huge), "LIMIT_EXCEEDED", "{huge}");
    }

    async fn preferences_update_partially_and_validate_whole(t: &TestDb) {
        let state = state(t).await;
        let before = run(&state, Some(1), "{ preferences { defaultWeightUnit targetWorkoutsPerWeek warmupPercentages } }", json!({})).await;
        assert!(before["errors"].is_null(), "{before}");
        let q = "mutation($i: PreferencesInput!) { updatePreferences(input: $i) { defaultWeightUnit targetWorkoutsPerWeek warmupPercentages warmupStrategy } }";
        let res = run(&state, Some(1), q, json!({"i": {"defaultWeightUnit": "LBS", "warmupPercentages": [50, 75]}})).await;
        assert!(res["errors"].is_null(), "{res}");
        let after = &res["data"]["updatePreferences"];
        assert_eq!(after["defaultWeightUnit"], "LBS");
        assert_eq!(after["warmupPercentages"], json!([50, 75]));
        assert_eq!(after["targetWorkoutsPerWeek"], before["data"]["preferences"]["targetWorkoutsPerWeek"]);
        let bad = run(&state, Some(1), q, json!({"i": {"defaultWeightUnit": "KG", "targetWorkoutsPerWeek": 30.0, "warmupFixedReps": 0, "recoveryPlannerSensitivity": 11}})).await;
        assert_eq!(code(&bad), "BAD_USER_INPUT");
        let message = bad["errors"][0]["message"].as_str().unwrap();
        for field in ["targetWorkoutsPerWeek", "warmupFixedReps", "recoveryPlannerSensitivity"] {
            assert!(message.contains(field), "{field}: {message}");
        }
        // A word outside its set is refused by the schema itself.
        let word = run(&state, Some(1), q, json!({"i": {"warmupStrategy": "yolo"}})).await;
        assert_eq!(code(&word), "BAD_USER_INPUT", "{word}");
        let unchanged = run(&state, Some(1), "{ preferences { defaultWeightUnit } }", json!({})).await;
        assert_eq!(unchanged["data"]["preferences"]["defaultWeightUnit"], "LBS", "a rejected update changed something");
    }

    async fn every_preference_is_stored_and_read_back(t: &TestDb) {
        let state = state(t).await;
        let all = "defaultWeightUnit predictiveDefaultsEnabled rightSwipeAction enableManualWellness progressionType \
            linearProgressionKg percentageProgression targetWorkoutsPerWeek warmupStrategy warmupSetsCount warmupPercentages \
            warmupRepsStrategy warmupFixedReps enableMovementPatternSharing enableRecoveryPlanner recoveryPlannerStrategy \
            recoveryPlannerSensitivity autoAdjustIntensity experienceLevel bodyweightKg bodyweightSource";
        // A user who never saved preferences reads the original's defaults.
        t.db.execute_unprepared("DELETE FROM user_preferences WHERE user_id = 2").await.unwrap();
        let defaults = run(&state, Some(2), &format!("{{ preferences {{ {all} }} }}"), json!({})).await;
        assert_eq!(defaults["data"]["preferences"], json!({
            "defaultWeightUnit": "KG", "predictiveDefaultsEnabled": false, "rightSwipeAction": "COLLAPSE_EXPAND",
            "enableManualWellness": false, "progressionType": "LINEAR", "linearProgressionKg": 2.5,
            "percentageProgression": 2.5, "targetWorkoutsPerWeek": 3.0, "warmupStrategy": "HISTORY",
            "warmupSetsCount": 3, "warmupPercentages": [40, 60, 80], "warmupRepsStrategy": "MATCH_WORKING",
            "warmupFixedReps": 5, "enableMovementPatternSharing": false, "enableRecoveryPlanner": false,
            "recoveryPlannerStrategy": "ADAPTIVE", "recoveryPlannerSensitivity": 5, "autoAdjustIntensity": true,
            "experienceLevel": "INTERMEDIATE", "bodyweightKg": null, "bodyweightSource": null
        }), "{defaults}");
        // Every field changed at once (to a value unlike its default) is what is read back.
        let changed = json!({
            "defaultWeightUnit": "LBS", "predictiveDefaultsEnabled": true, "rightSwipeAction": "NONE",
            "enableManualWellness": true, "progressionType": "ADAPTIVE", "linearProgressionKg": 5.0,
            "percentageProgression": 1.25, "targetWorkoutsPerWeek": 4.5, "warmupStrategy": "FIXED",
            "warmupSetsCount": 2, "warmupPercentages": [50, 80], "warmupRepsStrategy": "DESCENDING",
            "warmupFixedReps": 8, "enableMovementPatternSharing": true, "enableRecoveryPlanner": true,
            "recoveryPlannerStrategy": "CONSERVATIVE", "recoveryPlannerSensitivity": 9, "autoAdjustIntensity": false,
            "experienceLevel": "ADVANCED", "bodyweightKg": 82.5, "bodyweightSource": "WHOOP"
        });
        for user in [1, 2] {
            let q = format!("mutation($i: PreferencesInput!) {{ updatePreferences(input: $i) {{ {all} }} }}");
            let res = run(&state, Some(user), &q, json!({"i": changed})).await;
            assert_eq!(res["data"]["updatePreferences"], changed, "user {user}: {res}");
            let read = run(&state, Some(user), &format!("{{ preferences {{ {all} }} }}"), json!({})).await;
            assert_eq!(read["data"]["preferences"], changed, "user {user}: {read}");
        }
        // And stored as the original's words, in the original's columns.
        let row = entity::user_preference::Entity::find().all(&t.db).await.unwrap().into_iter().find(|p| p.user_id == 2).unwrap();
        assert_eq!(
            (row.right_swipe_action.as_str(), row.warmup_reps_strategy.as_str(), row.recovery_planner_strategy.as_str(), row.experience_level.as_str(), row.bodyweight_source.as_deref(), row.warmup_percentages.as_str()),
            ("none", "descending", "conservative", "advanced", Some("whoop"), "[50,80]")
        );
    }

    async fn templates_are_created_once_and_updated_in_place(t: &TestDb) {
        let state = state(t).await;
        let create = r#"mutation { createTemplate(name: " Push ", dedupeKey: "d-1", exercises: ["Bench Press", "OHP"]) { id name } }"#;
        let first = run(&state, Some(1), create, json!({})).await;
        assert!(first["errors"].is_null(), "{first}");
        let replay = run(&state, Some(1), create, json!({})).await;
        assert_eq!(first["data"]["createTemplate"]["id"], replay["data"]["createTemplate"]["id"]);
        let id = first["data"]["createTemplate"]["id"].as_str().unwrap().to_owned();
        let lines = run(&state, Some(1), &format!(r#"{{ template(id: "{id}") {{ name exercises {{ id exerciseName }} }} }}"#), json!({})).await;
        assert_eq!(lines["data"]["template"]["name"], "Push");
        let kept = lines["data"]["template"]["exercises"][0]["id"].as_str().unwrap().to_owned();
        let update = format!(r#"mutation {{ updateTemplate(id: "{id}", name: "Push A", exercises: [{{id: "{kept}", exerciseName: "Bench Press"}}, {{exerciseName: "Dips"}}]) }}"#);
        assert!(run(&state, Some(1), &update, json!({})).await["errors"].is_null());
        let after = run(&state, Some(1), &format!(r#"{{ template(id: "{id}") {{ exercises {{ id exerciseName }} }} }}"#), json!({})).await;
        let exercises = after["data"]["template"]["exercises"].as_array().unwrap();
        assert_eq!(exercises.len(), 2);
        assert_eq!(exercises[0]["id"], kept.as_str());
        assert_eq!(exercises[1]["exerciseName"], "Dips");
        let bad = run(&state, Some(1), r#"mutation { createTemplate(name: "  ", exercises: []) { id } }"#, json!({})).await;
        assert_eq!(code(&bad), "BAD_USER_INPUT");
        assert!(run(&state, Some(1), &format!(r#"mutation {{ deleteTemplate(id: "{id}") }}"#), json!({})).await["errors"].is_null());
        assert_eq!(code(&run(&state, Some(1), &format!(r#"{{ template(id: "{id}") {{ id }} }}"#), json!({})).await), "NOT_FOUND");

        // Deleting a template keeps its workouts, their lines and their history; they lose the link.
        let used = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 1 && w.template_id.is_some()).unwrap();
        let template = used.template_id.unwrap();
        let workouts: Vec<i64> = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().filter(|w| w.template_id == Some(template)).map(|w| w.id).collect();
        let lines = entity::session_exercise::Entity::find().all(&t.db).await.unwrap().len();
        let res = run(&state, Some(1), &format!(r#"mutation {{ deleteTemplate(id: "{template}") }}"#), json!({})).await;
        assert_eq!(res["data"]["deleteTemplate"], true, "{res}");
        for id in &workouts {
            let kept = entity::workout_session::Entity::find_by_id(*id).one(&t.db).await.unwrap().expect("the workout stays");
            assert_eq!(kept.template_id, None);
        }
        assert_eq!(entity::session_exercise::Entity::find().all(&t.db).await.unwrap().len(), lines, "set lines stay");
    }

    async fn the_dashboard_answers_in_the_requested_unit(t: &TestDb) {
        let state = state(t).await;
        let q = "query($unit: WeightUnit) { viewer { id } personalRecords(unit: $unit) { exerciseName maxWeight } }";
        let kg = run(&state, Some(1), q, json!({"unit": "KG"})).await;
        let lbs = run(&state, Some(1), q, json!({"unit": "LBS"})).await;
        assert!(kg["errors"].is_null(), "{kg}");
        assert_eq!(kg["data"]["viewer"]["id"], "1");
        let (a, b) = (&kg["data"]["personalRecords"][0]["maxWeight"], &lbs["data"]["personalRecords"][0]["maxWeight"]);
        // Both are rounded to 0.01 in their own unit: they agree to within a rounding step.
        assert!((a.as_f64().unwrap() / 0.453_592_37 - b.as_f64().unwrap()).abs() <= 0.03, "{a} kg vs {b} lb");
        let dash = run(&state, Some(1), "{ progressDashboard(range: YEAR, unit: KG) { unit current { sessionCount } previous { sessionCount } workoutDates } }", json!({})).await;
        assert!(dash["errors"].is_null(), "{dash}");
        assert_eq!(dash["data"]["progressDashboard"]["unit"], "KG");
    }

    async fn every_id_of_another_user_is_not_found(t: &TestDb) {
        let state = state(t).await;
        let other_workout = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 2).unwrap().id;
        let other_te = entity::template_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 2).unwrap().id;
        let other_master = entity::master_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 2).unwrap().id;
        let own_master = entity::master_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 1).unwrap().id;
        let other_template = entity::workout_template::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 2).unwrap().id;
        let other_set = entity::session_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 2).unwrap().id;
        let own_te = entity::template_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 1).unwrap().id;
        let own_template = entity::workout_template::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 1).unwrap().id;
        // The other user has a check-in, so reading it by workout id would find a row.
        t.db.execute_raw(sea_orm::Statement::from_sql_and_values(
            t.db.get_database_backend(),
            "INSERT INTO wellness_data (user_id, session_id, date, energy_level, sleep_quality, device_timezone, submitted_at, has_whoop_data, created_at, updated_at) \
             VALUES (2, $1, $2, 5, 5, 'UTC', $3, false, $3, $3)",
            [other_workout.into(), now().date_naive().into(), now().into()],
        )).await.unwrap();
        // And a plateau, so resolving it by id would find a row.
        t.db.execute_raw(sea_orm::Statement::from_sql_and_values(
            t.db.get_database_backend(),
            "INSERT INTO plateaus (user_id, master_exercise_id, stalled_weight_kg, stalled_reps, session_count, confidence, status, detected_at) \
             VALUES (2, $1, 100.0, 5, 3, 'low', 'active', $2)",
            [other_master.into(), now().into()],
        )).await.unwrap();
        let other_plateau = entity::plateau::Entity::find().all(&t.db).await.unwrap()[0].id;
        let now = now().to_rfc3339();
        let cases = [
            format!(r#"{{ template(id: "{other_template}") {{ id }} }}"#),
            format!(r#"mutation {{ updateTemplate(id: "{other_template}", name: "Mine", exercises: []) }}"#),
            format!(r#"mutation {{ deleteTemplate(id: "{other_template}") }}"#),
            format!(r#"mutation {{ duplicateTemplate(id: "{other_template}") {{ id }} }}"#),
            format!(r#"mutation {{ addTemplateExercises(templateId: "{other_template}", exercises: [{{exerciseName: "Squat"}}]) {{ id }} }}"#),
            format!(r#"mutation {{ addTemplateExercises(templateId: "{own_template}", exercises: [{{exerciseName: "Squat", masterExerciseId: "{other_master}"}}]) {{ id }} }}"#),
            format!(r#"{{ masterExercise(id: "{other_master}") {{ id }} }}"#),
            format!(r#"{{ linkingCandidates(masterExerciseId: "{other_master}") {{ similarity }} }}"#),
            format!(r#"mutation {{ renameMasterExercise(id: "{other_master}", name: "Mine") {{ id }} }}"#),
            format!(r#"mutation {{ linkSimilarExercises(masterExerciseId: "{other_master}") }}"#),
            format!(r#"mutation {{ unlinkAllExercises(masterExerciseId: "{other_master}") }}"#),
            format!(r#"mutation {{ startWorkout(templateId: "{other_template}") {{ id }} }}"#),
            format!(r#"mutation {{ updateSets(updates: [{{id: "{other_set}", weight: 1.0, unit: KG, reps: 1}}]) }}"#),
            format!(r#"{{ workout(id: "{other_workout}") {{ id }} }}"#),
            format!(r#"{{ lastExerciseData(exerciseName: "Squat", templateExerciseId: "{other_te}") {{ workout {{ id }} }} }}"#),
            format!(r#"mutation {{ linkExercise(templateExerciseId: "{own_te}", masterExerciseId: "{other_master}") }}"#),
            format!(r#"mutation {{ mergeMasterExercises(sourceId: "{own_master}", targetId: "{other_master}") }}"#),
            format!(r#"mutation {{ saveWorkout(input: {{clientKey: "x-1", templateId: "{other_template}", workoutDate: "{now}", exercises: []}}) {{ replayed }} }}"#),
            format!(r#"mutation {{ saveWorkout(input: {{clientKey: "x-2", workoutDate: "{now}", exercises: [{{templateExerciseId: "{other_te}", exerciseName: "Squat", sets: [{{weight: 100.0, unit: KG, reps: 5}}]}}]}}) {{ replayed }} }}"#),
            format!(r#"mutation {{ deleteWorkout(id: "{other_workout}") }}"#),
            format!(r#"mutation {{ linkExercise(templateExerciseId: "{other_te}", masterExerciseId: "{own_master}") }}"#),
            format!(r#"mutation {{ unlinkExercise(templateExerciseId: "{other_te}") }}"#),
            format!(r#"mutation {{ rejectLinking(templateExerciseId: "{other_te}") }}"#),
            format!(r#"mutation {{ mergeMasterExercises(sourceId: "{other_master}", targetId: "{own_master}") }}"#),
            r#"{ workout(id: "987654321") { id } }"#.to_owned(),
            // A template line id of another user, inside one's own template.
            format!(r#"mutation {{ updateTemplate(id: "{own_template}", name: "Mine", exercises: [{{id: "{other_te}", exerciseName: "Squat"}}]) }}"#),
            // The offline batch's template exercise of another user.
            format!(r#"mutation {{ saveWorkouts(inputs: [{{clientKey: "x-3", workoutDate: "{now}", exercises: [{{templateExerciseId: "{other_te}", exerciseName: "Squat", sets: [{{weight: 100.0, unit: KG, reps: 5}}]}}]}}]) {{ replayed }} }}"#),
            // Saving into, or repeating, another user's workout.
            format!(r#"mutation {{ saveWorkout(input: {{clientKey: "x-4", workoutId: "{other_workout}", exercises: []}}) {{ replayed }} }}"#),
            format!(r#"mutation {{ startWorkout(copyFrom: "{other_workout}") {{ id }} }}"#),
            format!(r#"mutation {{ saveWellness(input: {{workoutId: "{other_workout}", energyLevel: 5, sleepQuality: 5, deviceTimezone: "UTC"}}) {{ id }} }}"#),
            format!(r#"mutation {{ deleteWellness(workoutId: "{other_workout}") }}"#),
            format!(r#"mutation {{ addKeyLift(masterExerciseId: "{other_master}") {{ id }} }}"#),
            format!(r#"mutation {{ toggleKeyLift(masterExerciseId: "{other_master}", action: TRACK) {{ id }} }}"#),
            format!(r#"mutation {{ toggleKeyLift(templateExerciseId: "{other_te}", action: TRACK) {{ id }} }}"#),
            format!(r#"mutation {{ detectPlateau(masterExerciseId: "{other_master}") {{ id }} }}"#),
            format!(r#"mutation {{ resolvePlateau(id: "{other_plateau}") {{ id }} }}"#),
            format!(r#"mutation {{ addMilestone(masterExerciseId: "{other_master}", type: VOLUME, target: 100.0) {{ id }} }}"#),
            format!(r#"mutation {{ forecastPr(masterExerciseId: "{other_master}") {{ currentOneRm }} }}"#),
            format!(r#"{{ plateauRecommendations(masterExerciseId: "{other_master}") {{ rule }} }}"#),
        ];
        let before = datagen::inspect::content_checksum(&t.db).await.unwrap();
        let counts = datagen::inspect::row_counts(&t.db).await.unwrap();
        assert!(counts.iter().any(|(table, _)| *table == "workout_client_keys"), "{counts:?}");
        for q in &cases {
            let res = run(&state, Some(1), q, json!({})).await;
            assert_eq!(code(&res), "NOT_FOUND", "{q}: {res}");
        }
        assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), before);
        assert_eq!(datagen::inspect::row_counts(&t.db).await.unwrap(), counts, "a client key was claimed");

        // Excluding another user's workout excludes nothing, exactly like an unknown id.
        let last = "query($w: ID) { lastExerciseData(exerciseName: \"Squat\", excludeWorkoutId: $w) { workout { id } sets { id } } }";
        let plain = run(&state, Some(1), last, json!({"w": null})).await;
        assert!(!plain["data"]["lastExerciseData"].is_null(), "{plain}");
        assert_eq!(run(&state, Some(1), last, json!({"w": other_workout.to_string()})).await, plain);
        assert_eq!(run(&state, Some(1), last, json!({"w": "987654321"})).await, plain);
        // Reads by another user's workout find nothing, exactly like an unknown id.
        let check_in = format!(r#"{{ wellness(workoutId: "{other_workout}") {{ id }} }}"#);
        assert_eq!(run(&state, Some(1), &check_in, json!({})).await, json!({"data": {"wellness": null}}));
        let lists = "{ plateaus { activeCount edges { node { id } } } keyLifts { totalCount } milestones { totalCount } prForecasts { edges { node { exerciseName } } } }";
        assert_eq!(run(&state, Some(1), lists, json!({})).await["data"], json!({
            "plateaus": {"activeCount": 0, "edges": []}, "keyLifts": {"totalCount": 0}, "milestones": {"totalCount": 0}, "prForecasts": {"edges": []}
        }));
        let anonymous = run(&state, None, "{ viewer { id } }", json!({})).await;
        assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    }

    async fn a_database_fault_is_internal_with_no_driver_text(t: &TestDb) {
        let state = state(t).await;
        t.db.execute_unprepared("DROP TABLE exercise_resolution_cache").await.unwrap();
        t.db.execute_unprepared("DROP TABLE exercise_links").await.unwrap();
        let res = run(&state, Some(1), "{ masterExercises { edges { node { id } } } personalRecords { maxWeight } }", json!({})).await;
        let text = res.to_string();
        assert!(!text.contains("exercise_links") && !text.contains("relation") && !text.contains("no such"), "{text}");
        // A stored value outside its domain is a fault, never a guess (no silent UTC).
        t.db.execute_unprepared("UPDATE users SET timezone = 'Mars/Olympus_Mons' WHERE id = 2").await.unwrap();
        for q in ["{ viewer { timezone } }", "{ progressDashboard(range: WEEK) { unit } }", "{ consistencyStats(range: WEEK) { workoutDays } }"] {
            let res = run(&state, Some(2), q, json!({})).await;
            assert_eq!((code(&res), &res["errors"][0]["message"]), ("INTERNAL", &json!("internal error")), "{q}: {res}");
            assert!(!res.to_string().contains("Mars"), "{res}");
        }
        let res = run(&state, Some(1), r#"mutation { unlinkExercise(templateExerciseId: "1") }"#, json!({})).await;
        assert_eq!(code(&res), "INTERNAL", "{res}");
        assert_eq!(res["errors"][0]["message"], "internal error");
        assert!(!res.to_string().contains("exercise_links"), "{res}");
    }
}

/// Statements each query costs, counted at the connection (the table in BENCHMARKS.md; run with
/// `--nocapture` to print it). A nested list costs one statement per level whatever the page size,
/// and one more per parameter-limit chunk of its parents.
const STATEMENTS_PER_REQUEST: &[(&str, &str, usize)] = &[
    ("viewer", "{ viewer { id email } }", 1),
    ("preferences", "{ preferences { defaultWeightUnit } }", 1),
    (
        "progressDashboard",
        "{ progressDashboard(range: MONTH) { current { totalVolume } previous { totalVolume } exercises { name volume } workoutDates } }",
        2,
    ),
    (
        "progressDashboard (unit given)",
        "{ progressDashboard(range: YEAR, unit: KG) { current { totalVolume } } }",
        2,
    ),
    (
        "recentWorkouts (20, flat)",
        "{ recentWorkouts(first: 20) { edges { node { id localDate } } } }",
        1,
    ),
    (
        "recentWorkouts (20) > exercises > sets",
        "{ recentWorkouts(first: 20) { edges { node { id exercises { resolvedName sets { weight reps oneRmKg } } } } } }",
        2,
    ),
    (
        "workout(id) > exercises > sets",
        "query($w: ID!) { workout(id: $w) { exercises { sets { weightKg } } } }",
        2,
    ),
    (
        "templates > exercises > master",
        "{ templates { edges { node { name exercises { exerciseName master { name } } } } } }",
        3,
    ),
    (
        "template(id) > exercises > master",
        "query($t: ID!) { template(id: $t) { exercises { master { name } } } }",
        3,
    ),
    (
        "templates (last used) > exercises",
        "{ templates(orderBy: LAST_USED) { edges { node { name lastUsed useCount exercises { warmupStrategy } } } } }",
        2,
    ),
    ("masterExercises", "{ masterExercises(first: 50) { edges { node { name } } } }", 1),
    (
        "masterExercises > linkedExercises",
        "{ masterExercises(first: 50) { edges { node { name linkedExercises { exerciseName warmupStrategy } } } } }",
        2,
    ),
    (
        "linkingCandidates",
        "query($m: ID!) { linkingCandidates(masterExerciseId: $m, minimumSimilarity: 0.5) { exerciseName similarity } }",
        2,
    ),
    (
        "lastExerciseData (name)",
        "query($n: String!) { lastExerciseData(exerciseName: $n) { sets { weight } bestSet { weight } } }",
        2,
    ),
    (
        "lastExerciseData (templateExerciseId)",
        "query($te: ID!) { lastExerciseData(exerciseName: \"\", templateExerciseId: $te) { sets { weight } } }",
        3,
    ),
    ("linkingSuggestions", "{ linkingSuggestions { masterName score } }", 2),
    (
        "strengthProgression",
        "query($n: String!) { strengthProgression(exerciseName: $n, range: YEAR) { maxOneRm } }",
        2,
    ),
    (
        "exerciseTrends",
        "query($n: String!) { exerciseTrends(exercise: $n, weeks: 52) { weekStart maxOneRm slope } }",
        2,
    ),
    ("topExercises", "{ topExercises(range: QUARTER, first: 10) { name volume } }", 2),
    ("personalRecords", "{ personalRecords { exerciseName maxWeight } }", 2),
    (
        "personalRecords (unit given)",
        "{ personalRecords(unit: LBS) { exerciseName maxWeight } }",
        1,
    ),
    (
        "exerciseProgress",
        "query($n: String!) { exerciseProgress(exercise: $n, range: YEAR) { current { bestOneRm days { maxOneRm } } recentPrs { kind value } topSets { shareOfBest } } }",
        2,
    ),
    (
        "volumeByDay (30)",
        "{ volumeByDay(range: QUARTER) { edges { node { localDate volume exerciseCount } } } }",
        2,
    ),
    (
        "setRepDistribution",
        "{ setRepDistribution(range: MONTH) { totalSets repRanges { sets } } }",
        2,
    ),
    (
        "strengthPulse",
        "{ strengthPulse(range: MONTH) { topLift { exerciseName oneRm } heavySets } }",
        2,
    ),
    ("exerciseList", "{ exerciseList { name aliases lastUsed } }", 1),
    (
        "topExercises (with trends)",
        "{ topExercises(range: QUARTER, first: 10) { name averageOneRm trend } }",
        3,
    ),
    (
        "consistencyStats",
        "{ consistencyStats(range: MONTH) { consistencyScore currentWeekStreak } }",
        3,
    ),
    ("wellness", "query($w: ID!) { wellness(workoutId: $w) { energyLevel whoop { hrvMs } } }", 1),
    (
        "wellnessHistory",
        "{ wellnessHistory(first: 30) { edges { node { date energyLevel sleepQuality } } } }",
        1,
    ),
    (
        "progressHighlights > prs",
        "{ progressHighlights(range: QUARTER) { prs(first: 10) { total events { exerciseName kind value } } } }",
        2,
    ),
    (
        "progressHighlights > volume",
        "{ progressHighlights(range: QUARTER) { volume { totalVolume heaviestDay { volume } topExercise { exerciseName } } } }",
        3,
    ),
    (
        "progressHighlights > streaks",
        "{ progressHighlights(range: QUARTER) { streaks { bestWeek { workouts } consistency { currentWeekStreak } } } }",
        4,
    ),
    (
        "keyLifts",
        "{ keyLifts(first: 20) { totalCount trackingCount edges { node { exerciseName isTracking } } } }",
        2,
    ),
    (
        "plateaus",
        "{ plateaus(status: ACTIVE) { activeCount edges { node { stalledWeight recommendations { rule } } } } }",
        4,
    ),
    ("plateaus (unit given)", "{ plateaus(unit: KG) { edges { node { stalledWeight } } } }", 3),
    (
        "milestones",
        "{ milestones(unit: KG) { totalCount edges { node { target currentValue progressPercent } } } }",
        2,
    ),
    (
        "prForecasts",
        "{ prForecasts(unit: KG) { edges { node { forecastedWeight trajectory } } } }",
        1,
    ),
    (
        "plateauRecommendations",
        "query($m: ID!) { plateauRecommendations(masterExerciseId: $m) { rule action } }",
        3,
    ),
    (
        "wellnessStats",
        "{ wellnessStats(days: 30) { period { averageEnergy } recent { averageSleepQuality } } }",
        2,
    ),
    ("whoopRecovery", "{ whoopRecovery(first: 5) { edges { node { id tier hrvMs } } } }", 1),
    ("whoopSleep", "{ whoopSleep(first: 5) { edges { node { id qualityTier } } } }", 1),
    ("whoopWorkouts", "{ whoopWorkouts(first: 5) { edges { node { id strain } } } }", 1),
    ("readiness", "{ readiness(date: \"2025-11-20\") { score } }", 1),
];

backend_tests! {
    async fn nested_lists_cost_one_statement_per_level(t: &TestDb) {
        seed(t).await;
        let (conn, counter) = db::meter_connection(&t.db);
        let state = state_on(conn, ParamLimit::D1);
        let sessions = entity::workout_session::Entity::find().all(&t.db).await.unwrap();
        let lines = entity::session_exercise::Entity::find().all(&t.db).await.unwrap();
        let workout = sessions.iter().find(|w| w.user_id == 1).unwrap().id;
        let template = entity::workout_template::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 1).unwrap().id;
        let te = lines.iter().find(|l| l.user_id == 1 && l.template_exercise_id.is_some()).unwrap();
        let master = entity::master_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().find(|m| m.user_id == 1).unwrap().id;
        let vars = json!({"w": workout.to_string(), "t": template.to_string(), "te": te.template_exercise_id.unwrap().to_string(), "n": te.resolved_exercise_name, "m": master.to_string()});
        println!("| query | statements |\n|---|---:|");
        for (name, query, expected) in STATEMENTS_PER_REQUEST {
            counter.reset();
            let res = run(&state, Some(1), query, vars.clone()).await;
            assert!(res["errors"].is_null(), "{name}: {res}");
            let meter = counter.meter();
            println!("| `{name}` | {} |", meter.statements);
            assert_eq!(meter.statements, *expected, "{name}: {meter:?}");
        }

        // Under a limit of 5 parameters (the user and 4 ids), n parents take ⌈n/4⌉ statements.
        let (conn, counter) = db::meter_connection(&t.db);
        let tight = state_on(conn, ParamLimit::new(5).unwrap());
        let res = run(&tight, Some(1), STATEMENTS_PER_REQUEST[5].1, json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
        let parents = sessions.iter().filter(|w| w.user_id == 1).count().min(20);
        assert!(parents > 4, "the fixture needs more than one chunk");
        let meter = counter.meter();
        assert_eq!((meter.statements, meter.max_params), (1 + parents.div_ceil(4), 5), "{meter:?}");
    }

    async fn nested_lists_hold_exactly_the_stored_rows(t: &TestDb) {
        let state = state(t).await;
        let q = "{ recentWorkouts(first: 20) { edges { node { id exercises { templateExerciseId exerciseName resolvedName sets { id setOrder setType weight unit weightKg reps oneRmKg } } } } } }";
        let res = run(&state, Some(1), q, json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
        let lines = entity::session_exercise::Entity::find().all(&t.db).await.unwrap();
        let mut n_workouts = 0;
        for edge in res["data"]["recentWorkouts"]["edges"].as_array().unwrap() {
            n_workouts += 1;
            let id: i64 = edge["node"]["id"].as_str().unwrap().parse().unwrap();
            let mut stored: Vec<_> = lines.iter().filter(|l| l.session_id == id).collect();
            stored.sort_by_key(|l| l.id);
            let mut got = Vec::new();
            for exercise in edge["node"]["exercises"].as_array().unwrap() {
                for set in exercise["sets"].as_array().unwrap() {
                    let set_type = set["setType"].as_str().unwrap().to_lowercase();
                    got.push((set["id"].as_str().unwrap().parse::<i64>().unwrap(), exercise["resolvedName"].as_str().unwrap().to_owned(), set["setOrder"].as_i64().unwrap(), set_type, set["weightKg"].as_f64()));
                }
                assert_eq!(exercise["sets"][0]["setOrder"], 0, "an exercise starts at its first set");
            }
            let shown = |kg: Option<f64>| kg.map(|w| (w * 100.0).round() / 100.0);
            let expected: Vec<_> = stored.iter().map(|l| (l.id, l.resolved_exercise_name.clone(), i64::from(l.set_order), l.set_type.clone(), shown(l.weight_kg))).collect();
            assert_eq!(got, expected, "workout {id}");
        }
        assert_eq!(n_workouts, entity::workout_session::Entity::find().all(&t.db).await.unwrap().iter().filter(|w| w.user_id == 1).count().min(20));

        let links: std::collections::HashMap<i64, i64> = entity::exercise_link::Entity::find().all(&t.db).await.unwrap().into_iter().map(|l| (l.template_exercise_id, l.master_exercise_id)).collect();
        let tes = entity::template_exercise::Entity::find().all(&t.db).await.unwrap();
        let res = run(&state, Some(1), "{ templates(first: 50) { edges { node { id exercises { id master { id } } } } } }", json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
        let mut seen = 0;
        for edge in res["data"]["templates"]["edges"].as_array().unwrap() {
            let id: i64 = edge["node"]["id"].as_str().unwrap().parse().unwrap();
            let mut expected: Vec<_> = tes.iter().filter(|te| te.template_id == id).collect();
            expected.sort_by_key(|te| (te.order_index, te.id));
            let got = edge["node"]["exercises"].as_array().unwrap();
            assert_eq!(got.len(), expected.len(), "template {id}");
            for (line, te) in got.iter().zip(expected) {
                seen += 1;
                assert_eq!(line["id"].as_str().unwrap(), te.id.to_string());
                let master = line["master"]["id"].as_str().map(|m| m.parse::<i64>().unwrap());
                assert_eq!(master, links.get(&te.id).copied(), "template exercise {}", te.id);
            }
        }
        assert_eq!(seen, tes.iter().filter(|te| te.user_id == 1).count());
        let search = run(&state, Some(1), r#"{ templates(search: "zzz-no-such") { edges { node { id } } pageInfo { hasNextPage } } }"#, json!({})).await;
        assert_eq!(search["data"]["templates"]["edges"], json!([]), "{search}");
    }

    async fn every_mutation_does_what_it_says(t: &TestDb) {
        let state = state(t).await;
        let lines = entity::session_exercise::Entity::find().all(&t.db).await.unwrap();
        let tes = entity::template_exercise::Entity::find().all(&t.db).await.unwrap();
        let masters: Vec<_> = entity::master_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().filter(|m| m.user_id == 1).collect();
        let template = entity::workout_template::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 1).unwrap().id;

        let started = run(&state, Some(1), &format!(r#"mutation {{ startWorkout(templateId: "{template}") {{ id templateId exercises {{ exerciseName }} }} }}"#), json!({})).await;
        assert!(started["errors"].is_null(), "{started}");
        assert_eq!(started["data"]["startWorkout"]["templateId"], template.to_string());
        assert_eq!(started["data"]["startWorkout"]["exercises"], json!([]));
        let new_id = started["data"]["startWorkout"]["id"].as_str().unwrap().to_owned();

        let line = lines.iter().find(|l| l.user_id == 1 && l.set_type == "working" && l.reps.is_some()).unwrap();
        let update = format!(r#"mutation {{ updateSets(updates: [{{id: "{}", weight: 100.0, unit: LBS, reps: 3}}]) }}"#, line.id);
        assert_eq!(run(&state, Some(1), &update, json!({})).await["data"]["updateSets"], true);
        let after = run(&state, Some(1), &format!(r#"{{ workout(id: "{}") {{ exercises {{ sets {{ id weight unit weightKg reps }} }} }} }}"#, line.session_id), json!({})).await;
        let sets: Vec<&Value> = after["data"]["workout"]["exercises"].as_array().unwrap().iter().flat_map(|e| e["sets"].as_array().unwrap()).collect();
        let line_id = line.id.to_string();
        let edited = sets.iter().find(|s| s["id"] == line_id).unwrap();
        assert_eq!((edited["weight"].as_f64(), edited["unit"].as_str(), edited["reps"].as_i64()), (Some(100.0), Some("LBS"), Some(3)));
        // 100 lb = 45.359237 kg, shown to 0.01 (a literal, not the code's own constant).
        assert_eq!(edited["weightKg"].as_f64(), Some(45.36));

        let te = tes.iter().find(|te| te.user_id == 1).unwrap().id;
        let te_id = te.to_string();
        let master_of = |res: Value| res["data"]["template"]["exercises"].as_array().unwrap().iter().find(|l| l["id"] == te_id).map(|l| l["master"]["id"].clone()).unwrap();
        let template_of_te = tes.iter().find(|x| x.id == te).unwrap().template_id;
        let read = format!(r#"{{ template(id: "{template_of_te}") {{ exercises {{ id linkingRejected master {{ id }} }} }} }}"#);
        let link = format!(r#"mutation {{ linkExercise(templateExerciseId: "{te}", masterExerciseId: "{}") }}"#, masters[0].id);
        assert_eq!(run(&state, Some(1), &link, json!({})).await["data"]["linkExercise"], true);
        assert_eq!(master_of(run(&state, Some(1), &read, json!({})).await), masters[0].id.to_string());
        let merge = format!(r#"mutation {{ mergeMasterExercises(sourceId: "{}", targetId: "{}") }}"#, masters[0].id, masters[1].id);
        assert_eq!(run(&state, Some(1), &merge, json!({})).await["data"]["mergeMasterExercises"], true);
        assert_eq!(master_of(run(&state, Some(1), &read, json!({})).await), masters[1].id.to_string(), "merged links follow the target");
        assert!(entity::master_exercise::Entity::find_by_id(masters[0].id).one(&t.db).await.unwrap().is_none());
        let unlink = format!(r#"mutation {{ unlinkExercise(templateExerciseId: "{te}") }}"#);
        assert_eq!(run(&state, Some(1), &unlink, json!({})).await["data"]["unlinkExercise"], true);
        assert_eq!(master_of(run(&state, Some(1), &read, json!({})).await), Value::Null);
        let reject = format!(r#"mutation {{ rejectLinking(templateExerciseId: "{te}") }}"#);
        assert_eq!(run(&state, Some(1), &reject, json!({})).await["data"]["rejectLinking"], true);
        let rejected = run(&state, Some(1), &read, json!({})).await;
        let line = rejected["data"]["template"]["exercises"].as_array().unwrap().iter().find(|l| l["id"] == te_id).unwrap().clone();
        assert_eq!(line["linkingRejected"], true);

        let delete = format!(r#"mutation {{ deleteWorkout(id: "{new_id}") }}"#);
        assert_eq!(run(&state, Some(1), &delete, json!({})).await["data"]["deleteWorkout"], true);
        let gone = run(&state, Some(1), &format!(r#"{{ workout(id: "{new_id}") {{ id }} }}"#), json!({})).await;
        assert_eq!(code(&gone), "NOT_FOUND");
    }
}

#[tokio::test]
async fn hostile_queries_are_rejected_before_any_sql() {
    // A closed pool: any resolver that reached the database would answer INTERNAL instead.
    let t = TestDb::sqlite().await;
    let db =
        Db::new(t.db.clone(), migration::LATEST_PHASE, ParamLimit::D1, Flags::OPTIMIZED).unwrap();
    t.db.clone().close().await.unwrap();
    let state = AppState::new(db, Auth::new(b"test-secret"), Limits::DEFAULT);
    let nested = format!(
        "{{ __schema {{ types {}name{} }} }}",
        "{ fields { type { ofType ".repeat(17),
        " } } }".repeat(17)
    );
    let aliases = (0..1000).fold(String::new(), |mut acc, i| {
        use std::fmt::Write as _;
        let _ = write!(acc, "a{i}: viewer {{ id }} ");
        acc
    });
    let cases = [
        (nested, "LIMIT_EXCEEDED"),
        (format!("{{ {aliases} }}"), "LIMIT_EXCEEDED"),
        ("query { viewer { ...A } } fragment A on ViewerView { ...B } fragment B on ViewerView { ...A }".to_owned(), "LIMIT_EXCEEDED"),
        ("{ viewer { id }".to_owned(), "BAD_USER_INPUT"),
        ("{ recentWorkouts(first: 1000000) { edges { node { id } } } }".to_owned(), "LIMIT_EXCEEDED"),
        ("{ topExercises(range: MONTH, first: 1000000) { name } }".to_owned(), "BAD_USER_INPUT"),
    ];
    for (query, expected) in &cases {
        let res = run(&state, Some(1), query, json!({})).await;
        assert_eq!(code(&res), *expected, "{}: {res}", &query[..query.len().min(60)]);
        assert!(res["data"].is_null(), "{res}");
    }
}

async fn http(state: &AppState, body: Value, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = HttpRequest::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = app(state.clone())
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

backend_tests! {
    async fn http_authenticates_limits_batches_and_reports_health(t: &TestDb) {
        let state = state(t).await;
        let token = state.auth.token_for(UserId(2), 60);
        let (status, body) = http(&state, json!({"query": "{ viewer { id } }"}), Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["data"]["viewer"]["id"], "2");
        let (_, body) = http(&state, json!({"query": "{ viewer { id } }"}), Some("not-a-token")).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        let expired = Auth::new(b"test-secret").token_for(UserId(2), -10);
        let (_, body) = http(&state, json!({"query": "{ viewer { id } }"}), Some(&expired)).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        let forged = Auth::new(b"another-secret").token_for(UserId(2), 60);
        let (_, body) = http(&state, json!({"query": "{ viewer { id } }"}), Some(&forged)).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        let batch: Vec<Value> = (0..100).map(|_| json!({"query": "{ viewer { id } }"})).collect();
        let (_, body) = http(&state, Value::Array(batch), Some(&token)).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED", "{body}");
        let health = app(state.clone())
            .oneshot(HttpRequest::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        let ready = app(state.clone())
            .oneshot(HttpRequest::get("/readyz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(ready.status(), StatusCode::OK);

        // Every query of the statements table answers through HTTP too, and a mutation.
        let sessions = entity::workout_session::Entity::find().all(&t.db).await.unwrap();
        let lines = entity::session_exercise::Entity::find().all(&t.db).await.unwrap();
        let workout = sessions.iter().find(|w| w.user_id == 2).unwrap().id;
        let template = entity::workout_template::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 2).unwrap().id;
        let te = lines.iter().find(|l| l.user_id == 2 && l.template_exercise_id.is_some()).unwrap();
        let master = entity::master_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().find(|m| m.user_id == 2).unwrap().id;
        let vars = json!({"w": workout.to_string(), "t": template.to_string(), "te": te.template_exercise_id.unwrap().to_string(), "n": te.resolved_exercise_name, "m": master.to_string()});
        for (name, query, _) in STATEMENTS_PER_REQUEST {
            let (status, body) = http(&state, json!({"query": query, "variables": vars}), Some(&token)).await;
            assert_eq!(status, StatusCode::OK, "{name}");
            assert!(body["errors"].is_null() && !body["data"].is_null(), "{name}: {body}");
        }
        let save = json!({"query": "mutation($i: SaveWorkoutInput!) { saveWorkout(input: $i) { replayed workout { exercises { sets { weightKg } } } } }",
            "variables": {"i": {"clientKey": "http-1", "workoutDate": now().to_rfc3339(),
                "exercises": [{"exerciseName": "Row", "sets": [{"weight": 60.0, "unit": "KG", "reps": 10}]}]}}});
        let (_, body) = http(&state, save, Some(&token)).await;
        assert_eq!(body["data"]["saveWorkout"]["workout"]["exercises"][0]["sets"][0]["weightKg"], 60.0, "{body}");
    }
}

/// async-graphql marks its limit errors only by their words: one case per limit pins each phrase
/// `ErrorCode::of_request_error` relies on, so an upgrade that rewords one fails here.
#[tokio::test]
async fn each_request_limit_answers_limit_exceeded() {
    let t = TestDb::sqlite().await;
    let db =
        Db::new(t.db.clone(), migration::LATEST_PHASE, ParamLimit::D1, Flags::OPTIMIZED).unwrap();
    let roomy =
        Limits { max_depth: 100, max_complexity: 100_000, max_recursion: 100, ..Limits::DEFAULT };
    // An ordinary query six fields deep (introspection alone has its own, higher bound).
    let nested = "{ recentWorkouts { edges { node { exercises { sets { id } } } } } }".to_owned();
    let cases = [
        (Limits { max_depth: 3, ..roomy }, nested.clone(), "Query is nested too deep."),
        (
            Limits { max_complexity: 3, ..roomy },
            "{ a: viewer { id } b: viewer { id } }".to_owned(),
            "Query is too complex.",
        ),
        (
            Limits { max_recursion: 3, ..roomy },
            nested,
            "The recursion depth of the query cannot be greater than `3`",
        ),
        (
            Limits { max_directives: 2, ..roomy },
            "{ __typename @skip(if: false) @include(if: true) @skip(if: false) }".to_owned(),
            "The number of directives on the field `__typename` cannot be greater than `2`",
        ),
    ];
    for (limits, query, message) in cases {
        let state = AppState::new(db.clone(), Auth::new(b"test-secret"), limits);
        let res = run(&state, Some(1), &query, json!({})).await;
        assert_eq!(code(&res), "LIMIT_EXCEEDED", "{query}: {res}");
        assert_eq!(res["errors"][0]["message"], message, "{query}");
        let roomy_state = AppState::new(db.clone(), Auth::new(b"test-secret"), roomy);
        let ok = run(&roomy_state, Some(1), &query, json!({})).await;
        assert!(
            ok["errors"]
                .as_array()
                .is_none_or(|it| it.iter().all(|e| e["extensions"]["code"] != "LIMIT_EXCEEDED")),
            "within the limits: {ok}"
        );
    }
}

/// The committed SDL is the API boundary: this test rewrites it when stale and fails, so every
/// API change shows up in review (set `UPDATE_SDL=1` to accept the new schema without failing).
#[tokio::test]
async fn the_committed_sdl_is_current() {
    let t = TestDb::sqlite().await;
    let db =
        Db::new(t.db.clone(), migration::LATEST_PHASE, ParamLimit::D1, Flags::OPTIMIZED).unwrap();
    let sdl = gateway::build_schema(db, &Limits::DEFAULT, gateway::Clock::System).sdl();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != sdl {
        std::fs::write(&path, &sdl).unwrap();
        assert!(
            std::env::var("UPDATE_SDL").is_ok(),
            "crates/gateway/schema.graphql was stale and has been rewritten: review and commit it"
        );
    }
}
