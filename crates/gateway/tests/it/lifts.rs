//! Key lifts, plateaus, milestones and forecasts through the API, on workouts the test saves with
//! hand-chosen top sets, so every expected stall, achievement and count is written out here.

#![allow(clippy::float_cmp, reason = "rounded values are compared exactly on purpose")]

use chrono::Duration;
use domain::{ExperienceLevel, WorkoutBest};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use test_support::backend_tests;

use super::{code, now, run, state};

const SAVE: &str = "mutation($i: SaveWorkoutInput!) { saveWorkout(input: $i) { workout { id } } }";
const ACTIVE: &str = "{ plateaus(status: ACTIVE, unit: KG) { activeCount resolvedCount edges { node { id exerciseName stalledWeight stalledReps sessionCount severity status recommendations { rule priority } } } } }";
const MILESTONES: &str = "{ milestones(unit: KG) { totalCount achievedCount upcomingCount edges { node { type unit target currentValue progressPercent achieved achievedAt achievedValue achievedWorkoutId isSystemDefault } } } }";

/// Saves a Zercher Squat workout `days` days ago with lines of (weight kg, reps, sets); returns
/// its id.
async fn save(
    state: &gateway::AppState,
    key: &str,
    days: i64,
    lines: &[(f64, i32, i32)],
) -> String {
    let sets: Vec<Value> = lines
        .iter()
        .map(|(w, r, s)| json!({"weight": w, "unit": "KG", "reps": r, "sets": s}))
        .collect();
    let at = (now() - Duration::days(days)).to_rfc3339();
    let input = json!({"clientKey": key, "workoutDate": at, "exercises": [{"exerciseName": "Zercher Squat", "sets": sets}]});
    let res = run(state, Some(1), SAVE, json!({"i": input})).await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["saveWorkout"]["workout"]["id"].as_str().unwrap().to_owned()
}

fn at(days: i64) -> Value {
    json!((now() - Duration::days(days)).to_rfc3339())
}

backend_tests! {
    async fn plateaus_and_milestones_are_detected_on_save(t: &TestDb) {
        let state = state(t).await;
        let prefs = run(&state, Some(1), "mutation { updatePreferences(input: {experienceLevel: BEGINNER, bodyweightKg: 80.0, linearProgressionKg: 2.5}) { experienceLevel } }", json!({})).await;
        assert!(prefs["errors"].is_null(), "{prefs}");
        let created = run(&state, Some(1), r#"mutation { createMasterExercise(name: "Zercher Squat") { master { id } } }"#, json!({})).await;
        let master = created["data"]["createMasterExercise"]["master"]["id"].as_str().unwrap().to_owned();

        // A key lift of a squat gets the beginner's two squat standards: 1× and 1.5× bodyweight.
        let add = "mutation($m: ID!) { addKeyLift(masterExerciseId: $m) { masterExerciseId exerciseName isTracking maintenanceMode } }";
        let lift = run(&state, Some(1), add, json!({"m": master})).await;
        assert_eq!(lift["data"]["addKeyLift"], json!({"masterExerciseId": master, "exerciseName": "Zercher Squat", "isTracking": true, "maintenanceMode": false}), "{lift}");
        assert_eq!(code(&run(&state, Some(1), add, json!({"m": master})).await), "BAD_USER_INPUT", "a key lift once");
        let listed = run(&state, Some(1), MILESTONES, json!({})).await;
        let targets: Vec<&Value> = listed["data"]["milestones"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]["target"]).collect();
        assert_eq!(targets, vec![&json!(1.5), &json!(1.0)], "newest first: {listed}");

        // Workout 1: 100 × 5 × 3 (the record, and 1500 kg moved); 2: 100 × 5 and 90 × 8; 3: 100 × 4.
        let w1 = save(&state, "z-1", 10, &[(100.0, 5, 3)]).await;
        save(&state, "z-2", 8, &[(90.0, 8, 1), (100.0, 5, 1)]).await;
        save(&state, "z-3", 6, &[(100.0, 4, 2)]).await;
        let none = run(&state, Some(1), ACTIVE, json!({})).await;
        assert_eq!(none["data"]["plateaus"]["activeCount"], 0, "two workouts without a record are no plateau: {none}");
        // Workout 4 equals the record: three workouts without a better top set.
        save(&state, "z-4", 4, &[(100.0, 5, 1)]).await;
        let found = run(&state, Some(1), ACTIVE, json!({})).await;
        let edges = found["data"]["plateaus"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 1, "{found}");
        let node = &edges[0]["node"];
        assert_eq!(
            (&node["exerciseName"], &node["stalledWeight"], &node["stalledReps"], &node["sessionCount"], &node["severity"], &node["status"]),
            (&json!("Zercher Squat"), &json!(100.0), &json!(5), &json!(3), &json!("LOW"), &json!("ACTIVE")),
            "{found}"
        );
        assert_eq!(node["recommendations"][0], json!({"rule": "MICRO_LOADING", "priority": "HIGH"}), "a beginner's first advice");
        let plateau = node["id"].as_str().unwrap().to_owned();
        // Detecting again by hand finds the same stall and keeps the one active plateau.
        let again = run(&state, Some(1), "mutation($m: ID!) { detectPlateau(masterExerciseId: $m, unit: KG) { id stalledWeight sessionCount } }", json!({"m": master})).await;
        assert_eq!(again["data"]["detectPlateau"], json!({"id": plateau, "stalledWeight": 100.0, "sessionCount": 3}), "{again}");
        assert_eq!(entity::plateau::Entity::find().all(&t.db).await.unwrap().len(), 1);
        // In pounds the same stall reads 220.46.
        let lbs = run(&state, Some(1), "{ plateaus(unit: LBS) { edges { node { stalledWeight } } } }", json!({})).await;
        assert_eq!(lbs["data"]["plateaus"]["edges"][0]["node"]["stalledWeight"], 220.46);

        // Milestones: 1× bodyweight (80 kg) was reached by workout 1 (100/80 = 1.25); 1.5× not.
        // A volume milestone of 1500 kg added now is achieved at once, by workout 1's history.
        let add_m = "mutation($m: ID!, $t: MilestoneType!, $v: Float!, $u: WeightUnit) { addMilestone(masterExerciseId: $m, type: $t, target: $v, unit: $u) { type target unit achieved achievedWorkoutId currentValue } }";
        let volume = run(&state, Some(1), add_m, json!({"m": master, "t": "VOLUME", "v": 1500.0, "u": "KG"})).await;
        assert_eq!(volume["data"]["addMilestone"], json!({"type": "VOLUME", "target": 1500.0, "unit": "KG", "achieved": true, "achievedWorkoutId": w1, "currentValue": 1500.0}), "{volume}");
        // 225 lb is 102.06 kg: not reached yet.
        let heavy = run(&state, Some(1), add_m, json!({"m": master, "t": "ABSOLUTE_WEIGHT", "v": 225.0, "u": "LBS"})).await;
        assert_eq!(heavy["data"]["addMilestone"], json!({"type": "ABSOLUTE_WEIGHT", "target": 225.0, "unit": "LBS", "achieved": false, "achievedWorkoutId": null, "currentValue": 220.46}), "{heavy}");
        let same = run(&state, Some(1), add_m, json!({"m": master, "t": "VOLUME", "v": 1500.0, "u": "KG"})).await;
        assert!(same["errors"].is_null(), "the same milestone again is the same one: {same}");
        for (value, kind) in [(0.0, "VOLUME"), (6.0, "BODYWEIGHT_MULTIPLIER"), (1001.0, "ABSOLUTE_WEIGHT")] {
            let bad = run(&state, Some(1), add_m, json!({"m": master, "t": kind, "v": value, "u": "KG"})).await;
            assert_eq!(code(&bad), "BAD_USER_INPUT", "{kind} {value}: {bad}");
            assert!(bad["errors"][0]["message"].as_str().unwrap().contains("target"), "{bad}");
        }

        // Workout 5 sets a record (102.5 × 3): the plateau is resolved and 225 lb is achieved on save.
        let w5 = save(&state, "z-5", 2, &[(102.5, 3, 1)]).await;
        let after = run(&state, Some(1), "{ plateaus(unit: KG) { activeCount resolvedCount edges { node { status resolvedAt } } } }", json!({})).await;
        assert_eq!(after["data"]["plateaus"]["activeCount"], 0, "{after}");
        assert_eq!(after["data"]["plateaus"]["resolvedCount"], 1);
        assert_eq!(after["data"]["plateaus"]["edges"][0]["node"], json!({"status": "RESOLVED", "resolvedAt": now().to_rfc3339()}));
        let all = run(&state, Some(1), MILESTONES, json!({})).await;
        let conn = &all["data"]["milestones"];
        assert_eq!((&conn["totalCount"], &conn["achievedCount"], &conn["upcomingCount"]), (&json!(4), &json!(3), &json!(1)), "{all}");
        let nodes: Vec<&Value> = conn["edges"].as_array().unwrap().iter().map(|e| &e["node"]).collect();
        // Newest first: 225 lb (by workout 5), 1500 kg (workout 1), 1.5× (not yet), 1× (workout 1).
        assert_eq!(nodes[0]["achievedWorkoutId"], json!(w5));
        assert_eq!((&nodes[0]["achievedAt"], &nodes[0]["achievedValue"]), (&at(2), &json!(102.5)));
        assert_eq!(nodes[1]["achievedAt"], at(10));
        // 1.5×: the best so far is 102.5 / 80 = 1.28125 → 1.28, 85.42% of 1.5.
        assert_eq!(
            (&nodes[2]["type"], &nodes[2]["unit"], &nodes[2]["achieved"], &nodes[2]["currentValue"], &nodes[2]["progressPercent"], &nodes[2]["isSystemDefault"]),
            (&json!("BODYWEIGHT_MULTIPLIER"), &Value::Null, &json!(false), &json!(1.28), &json!(85.42), &json!(true)),
            "{all}"
        );
        assert_eq!((&nodes[3]["achievedWorkoutId"], &nodes[3]["achievedValue"]), (&json!(w1), &json!(1.25)));
        let upcoming = run(&state, Some(1), "{ milestones(status: UPCOMING) { edges { node { target } } } }", json!({})).await;
        assert_eq!(upcoming["data"]["milestones"]["edges"].as_array().unwrap().len(), 1, "{upcoming}");

        // Resolving by hand, and advice by kind.
        let resolve = run(&state, Some(1), "mutation($p: ID!) { resolvePlateau(id: $p) { status } }", json!({"p": plateau})).await;
        assert_eq!(resolve["data"]["resolvePlateau"]["status"], "RESOLVED", "{resolve}");
        let advice = run(&state, Some(1), "query($m: ID!) { plateauRecommendations(masterExerciseId: $m, kind: TECHNIQUE) { rule } }", json!({"m": master})).await;
        assert_eq!(advice["data"]["plateauRecommendations"], json!([{"rule": "TECHNIQUE_WORK"}]), "{advice}");
    }

    async fn forecasts_and_key_lift_switches(t: &TestDb) {
        let state = state(t).await;
        let prefs = run(&state, Some(1), "mutation { updatePreferences(input: {experienceLevel: INTERMEDIATE, linearProgressionKg: 2.5}) { experienceLevel } }", json!({})).await;
        assert!(prefs["errors"].is_null(), "{prefs}");
        let created = run(&state, Some(1), r#"mutation { createMasterExercise(name: "Zercher Squat") { master { id } } }"#, json!({})).await;
        let master = created["data"]["createMasterExercise"]["master"]["id"].as_str().unwrap().to_owned();
        let forecast = "mutation($m: ID!) { forecastPr(masterExerciseId: $m, unit: KG) { currentOneRm forecastedWeight estimatedWeeksLow estimatedWeeksHigh confidencePercent trajectory workoutsUsed } }";
        assert_eq!(run(&state, Some(1), forecast, json!({"m": master})).await["data"]["forecastPr"], Value::Null, "no workouts, no forecast");

        // Six workouts two days apart, the top single rising 2 kg each time; the warm-up and a
        // lighter line do not count.
        let plan: Vec<(i64, f64)> = (0..6).map(|i| (14 - 2 * i, 100.0 + 2.0 * f64::from(i32::try_from(i).unwrap()))).collect();
        for (n, (days, weight)) in plan.iter().enumerate() {
            let sets = json!([{"setType": "WARMUP", "weight": 200.0, "unit": "KG", "reps": 1}, {"weight": weight, "unit": "KG", "reps": 1}, {"weight": 60.0, "unit": "KG", "reps": 10}]);
            let input = json!({"clientKey": format!("f-{n}"), "workoutDate": (now() - Duration::days(*days)).to_rfc3339(), "exercises": [{"exerciseName": "Zercher Squat", "sets": sets}]});
            let res = run(&state, Some(1), SAVE, json!({"i": input})).await;
            assert!(res["errors"].is_null(), "{res}");
        }
        // By hand: e1RMs 100, 102, …, 110 (a single's e1RM is its weight; 60 × 10 is 80): a perfect
        // line, 2 kg per workout; next record 112.5 needs ⌈2.5 / 2⌉ = 2 workouts at 3.5 a week
        // (5 gaps over 10 days): 1 week, shown as 1–2; R² = 1.
        let res = run(&state, Some(1), forecast, json!({"m": master})).await;
        assert_eq!(res["data"]["forecastPr"], json!({"currentOneRm": 110.0, "forecastedWeight": 112.5, "estimatedWeeksLow": 1, "estimatedWeeksHigh": 2, "confidencePercent": 100, "trajectory": "IMPROVING", "workoutsUsed": 6}), "{res}");
        // The same through the domain's rule on the rows as stored.
        let bests: Vec<WorkoutBest> = plan.iter().map(|(days, w)| WorkoutBest { local_date: (now() - Duration::days(*days)).date_naive(), top_weight_kg: *w, top_reps: 1, best_one_rm: Some(*w) }).collect();
        let expected = domain::forecast(&bests, 2.5, ExperienceLevel::Intermediate).unwrap();
        assert_eq!(res["data"]["forecastPr"]["forecastedWeight"], json!(expected.target_kg));
        let listed = run(&state, Some(1), "{ prForecasts(unit: LBS) { edges { node { exerciseName forecastedWeight } } } }", json!({})).await;
        assert_eq!(listed["data"]["prForecasts"]["edges"], json!([{"node": {"exerciseName": "Zercher Squat", "forecastedWeight": 248.02}}]), "{listed}");
        assert_eq!(entity::pr_forecast::Entity::find().all(&t.db).await.unwrap().len(), 1, "one forecast per exercise, replaced");
        run(&state, Some(1), forecast, json!({"m": master})).await;
        assert_eq!(entity::pr_forecast::Entity::find().all(&t.db).await.unwrap().len(), 1);

        // Switches: untracked, then maintenance (tracking kept), counts follow.
        let toggle = "mutation($m: ID, $te: ID, $a: KeyLiftAction!) { toggleKeyLift(masterExerciseId: $m, templateExerciseId: $te, action: $a) { masterExerciseId exerciseName isTracking maintenanceMode } }";
        let res = run(&state, Some(1), toggle, json!({"m": master, "te": null, "a": "UNTRACK"})).await;
        assert_eq!(res["data"]["toggleKeyLift"], json!({"masterExerciseId": master, "exerciseName": "Zercher Squat", "isTracking": false, "maintenanceMode": false}), "created untracked: {res}");
        run(&state, Some(1), toggle, json!({"m": master, "te": null, "a": "TRACK"})).await;
        let res = run(&state, Some(1), toggle, json!({"m": master, "te": null, "a": "MAINTENANCE"})).await;
        assert_eq!((&res["data"]["toggleKeyLift"]["isTracking"], &res["data"]["toggleKeyLift"]["maintenanceMode"]), (&json!(true), &json!(true)), "{res}");
        // A template line without a link: its master is found by name (or made) and linked.
        let template = run(&state, Some(1), r#"mutation { createTemplate(name: "Legs Z", exercises: ["Belt Squat"]) { id exercises { id } } }"#, json!({})).await;
        let line = template["data"]["createTemplate"]["exercises"][0]["id"].as_str().unwrap().to_owned();
        run(&state, Some(1), "mutation($te: ID!) { unlinkExercise(templateExerciseId: $te) }", json!({"te": line})).await;
        let res = run(&state, Some(1), toggle, json!({"m": null, "te": line, "a": "TRACK"})).await;
        assert_eq!(res["data"]["toggleKeyLift"]["exerciseName"], "Belt Squat", "{res}");
        let link = entity::exercise_link::Entity::find().all(&t.db).await.unwrap().into_iter().find(|l| l.template_exercise_id.to_string() == line);
        assert_eq!(link.map(|l| l.master_exercise_id.to_string()), res["data"]["toggleKeyLift"]["masterExerciseId"].as_str().map(str::to_owned), "linked");
        let both = run(&state, Some(1), toggle, json!({"m": master, "te": line, "a": "TRACK"})).await;
        assert_eq!(code(&both), "BAD_USER_INPUT", "{both}");
        let counts = run(&state, Some(1), "{ keyLifts { totalCount trackingCount maintenanceCount edges { node { exerciseName } } } tracked: keyLifts(trackingOnly: true, first: 1) { pageInfo { hasNextPage } } }", json!({})).await;
        assert_eq!(counts["data"]["keyLifts"], json!({"totalCount": 2, "trackingCount": 2, "maintenanceCount": 1, "edges": [{"node": {"exerciseName": "Belt Squat"}}, {"node": {"exerciseName": "Zercher Squat"}}]}), "{counts}");
        assert_eq!(counts["data"]["tracked"]["pageInfo"]["hasNextPage"], true);
        // In maintenance, detection leaves the lift alone.
        let detect = run(&state, Some(1), "mutation($m: ID!) { detectPlateau(masterExerciseId: $m) { id } }", json!({"m": master})).await;
        assert_eq!(detect["data"]["detectPlateau"], Value::Null, "{detect}");
    }
}
