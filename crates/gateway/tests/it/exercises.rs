//! Master exercises through the API: create (or get), rename, link every similar line, unlink
//! all, append template lines with linking decisions, and a master's linked lines. Expectations
//! come from the stored rows and the domain's similarity, not from the services.

use std::collections::{HashMap, HashSet};

use sea_orm::EntityTrait;
use serde_json::{Value, json};
use test_support::backend_tests;

use super::{code, run, state};

fn id_of(value: &Value) -> i64 {
    value.as_str().unwrap().parse().unwrap()
}

/// User 1's template exercises that no master links and whose linking was not refused.
async fn unlinked(db: &sea_orm::DatabaseConnection) -> Vec<entity::template_exercise::Model> {
    let linked: HashSet<i64> = entity::exercise_link::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.template_exercise_id)
        .collect();
    entity::template_exercise::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|te| te.user_id == 1 && !te.linking_rejected && !linked.contains(&te.id))
        .collect()
}

backend_tests! {
    async fn masters_are_created_once_and_renamed_everywhere(t: &TestDb) {
        let state = state(t).await;
        let create = "mutation($n: String!, $g: String) { createMasterExercise(name: $n, muscleGroup: $g) { created master { id name muscleGroup } } }";
        let first = run(&state, Some(1), create, json!({"n": "Zercher  Squat", "g": "legs"})).await;
        assert!(first["errors"].is_null(), "{first}");
        assert_eq!(first["data"]["createMasterExercise"]["created"], true);
        let master = first["data"]["createMasterExercise"]["master"].clone();
        assert_eq!((master["name"].as_str(), master["muscleGroup"].as_str()), (Some("Zercher  Squat"), Some("legs")));
        // The same name in other case and spacing is the same master, unchanged.
        let again = run(&state, Some(1), create, json!({"n": " zercher squat ", "g": "back"})).await;
        assert_eq!(again["data"]["createMasterExercise"], json!({"created": false, "master": master}), "{again}");
        // Another user gets their own.
        let theirs = run(&state, Some(2), create, json!({"n": "Zercher Squat"})).await;
        assert_eq!(theirs["data"]["createMasterExercise"]["created"], true, "{theirs}");
        assert_eq!(code(&run(&state, Some(1), create, json!({"n": "   "})).await), "BAD_USER_INPUT");

        // Rename: the master and every workout line linked to it show the new name.
        let line = entity::session_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().find(|l| l.user_id == 1 && l.template_exercise_id.is_some()).unwrap();
        let link = entity::exercise_link::Entity::find().all(&t.db).await.unwrap().into_iter().find(|l| Some(l.template_exercise_id) == line.template_exercise_id).unwrap();
        let rename = "mutation($id: ID!, $n: String!) { renameMasterExercise(id: $id, name: $n) { id name } }";
        let res = run(&state, Some(1), rename, json!({"id": link.master_exercise_id.to_string(), "n": "Renamed Lift"})).await;
        assert_eq!(res["data"]["renameMasterExercise"]["name"], "Renamed Lift", "{res}");
        let workout = run(&state, Some(1), "query($w: ID!) { workout(id: $w) { exercises { templateExerciseId resolvedName } } }", json!({"w": line.session_id.to_string()})).await;
        let shown = workout["data"]["workout"]["exercises"].as_array().unwrap().iter().find(|e| e["templateExerciseId"] == json!(line.template_exercise_id.unwrap().to_string())).unwrap().clone();
        assert_eq!(shown["resolvedName"], "Renamed Lift", "{workout}");
        let clash = run(&state, Some(1), rename, json!({"id": link.master_exercise_id.to_string(), "n": "zercher squat"})).await;
        assert_eq!(code(&clash), "BAD_USER_INPUT", "{clash}");
        let read = run(&state, Some(1), "query($id: ID!) { masterExercise(id: $id) { name } }", json!({"id": link.master_exercise_id.to_string()})).await;
        assert_eq!(read["data"]["masterExercise"]["name"], "Renamed Lift");
    }

    async fn similar_lines_are_linked_and_unlinked_in_one_call(t: &TestDb) {
        let state = state(t).await;
        // A template whose lines are then unlinked, and one whose linking is refused.
        let created = run(&state, Some(1), r#"mutation { createTemplate(name: "Pressing", exercises: ["Barbell Bench Press", "Bench Press Barbell", "Bench Pres", "Cable Fly"]) { exercises { id } } }"#, json!({})).await;
        let lines: Vec<String> = created["data"]["createTemplate"]["exercises"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_owned()).collect();
        for line in &lines[..3] {
            let res = run(&state, Some(1), &format!(r#"mutation {{ unlinkExercise(templateExerciseId: "{line}") }}"#), json!({})).await;
            assert!(res["errors"].is_null(), "{res}");
        }
        let res = run(&state, Some(1), &format!(r#"mutation {{ rejectLinking(templateExerciseId: "{}") }}"#, lines[2]), json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
        let master = run(&state, Some(1), r#"mutation { createMasterExercise(name: "Bench Press") { master { id name } } }"#, json!({})).await;
        let master = master["data"]["createMasterExercise"]["master"].clone();
        let master_id = id_of(&master["id"]);

        // Expected: every unlinked, not refused line of user 1 at least 0.7 like "Bench Press".
        let expected: HashMap<i64, f64> = unlinked(&t.db).await.into_iter()
            .map(|te| (te.id, domain::name_similarity(&te.exercise_name, "Bench Press")))
            .filter(|(_, score)| *score >= 0.7)
            .collect();
        assert!(expected.contains_key(&id_of(&json!(lines[0]))), "{expected:?}");
        assert!(!expected.contains_key(&id_of(&json!(lines[2]))), "a refused line is never a candidate");
        let q = "query($m: ID!, $s: Float!) { linkingCandidates(masterExerciseId: $m, minimumSimilarity: $s) { templateExerciseId exerciseName similarity } }";
        let candidates = run(&state, Some(1), q, json!({"m": master["id"], "s": 0.7})).await;
        assert!(candidates["errors"].is_null(), "{candidates}");
        let shown: Vec<(i64, f64)> = candidates["data"]["linkingCandidates"].as_array().unwrap().iter().map(|c| (id_of(&c["templateExerciseId"]), c["similarity"].as_f64().unwrap())).collect();
        assert_eq!(shown.iter().map(|it| it.0).collect::<HashSet<_>>(), expected.keys().copied().collect(), "{candidates}");
        assert!(shown.windows(2).all(|p| p[0].1 >= p[1].1), "most similar first: {shown:?}");

        let link = "mutation($m: ID!) { linkSimilarExercises(masterExerciseId: $m) }";
        let res = run(&state, Some(1), link, json!({"m": master["id"]})).await;
        assert_eq!(res["data"]["linkSimilarExercises"], json!(expected.len()), "{res}");
        let links: HashMap<i64, i64> = entity::exercise_link::Entity::find().all(&t.db).await.unwrap().into_iter().map(|l| (l.template_exercise_id, l.master_exercise_id)).collect();
        for id in expected.keys() {
            assert_eq!(links.get(id), Some(&master_id), "line {id}");
        }
        let again = run(&state, Some(1), q, json!({"m": master["id"], "s": 0.7})).await;
        assert_eq!(again["data"]["linkingCandidates"], json!([]), "{again}");

        // The master's linked lines are exactly the stored links; unlinking all empties them.
        let linked: HashSet<i64> = links.iter().filter(|(_, m)| **m == master_id).map(|(te, _)| *te).collect();
        let read = "query($m: ID!) { masterExercise(id: $m) { linkedExercises { id templateId } } }";
        let res = run(&state, Some(1), read, json!({"m": master["id"]})).await;
        let got: HashSet<i64> = res["data"]["masterExercise"]["linkedExercises"].as_array().unwrap().iter().map(|l| id_of(&l["id"])).collect();
        assert_eq!(got, linked, "{res}");
        let res = run(&state, Some(1), "mutation($m: ID!) { unlinkAllExercises(masterExerciseId: $m) }", json!({"m": master["id"]})).await;
        assert_eq!(res["data"]["unlinkAllExercises"], json!(linked.len()), "{res}");
        let res = run(&state, Some(1), read, json!({"m": master["id"]})).await;
        assert_eq!(res["data"]["masterExercise"]["linkedExercises"], json!([]), "the master stays, unlinked: {res}");
        // The summaries followed every re-link: they equal a rebuild from the set lines.
        let stored = aggregation::stored_user(&t.db, 1).await.unwrap();
        assert_eq!(stored.differences(&aggregation::compute_user(&t.db, 1).await.unwrap()), Vec::<String>::new());
        for bad in [-0.1, 1.5] {
            let res = run(&state, Some(1), "mutation($m: ID!, $s: Float!) { linkSimilarExercises(masterExerciseId: $m, minimumSimilarity: $s) }", json!({"m": master["id"], "s": bad})).await;
            assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
            assert!(res["errors"][0]["message"].as_str().unwrap().contains("minimumSimilarity"), "{res}");
            let res = run(&state, Some(1), q, json!({"m": master["id"], "s": bad})).await;
            assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
        }
    }

    async fn lines_are_appended_with_their_linking_decisions(t: &TestDb) {
        let state = state(t).await;
        let created = run(&state, Some(1), r#"mutation { createTemplate(name: "Arms", exercises: ["Curl", "Pushdown"]) { id } }"#, json!({})).await;
        let template = created["data"]["createTemplate"]["id"].clone();
        let master = run(&state, Some(1), r#"mutation { createMasterExercise(name: "Dip") { master { id } } }"#, json!({})).await;
        let dip = master["data"]["createMasterExercise"]["master"]["id"].clone();
        let add = "mutation($t: ID!, $e: [NewTemplateLineInput!]!) { addTemplateExercises(templateId: $t, exercises: $e) { exercises { exerciseName orderIndex linkingRejected master { id name } } } }";
        let res = run(&state, Some(1), add, json!({"t": template, "e": [
            {"exerciseName": "Weighted Dips", "masterExerciseId": dip},
            {"exerciseName": "Nordic Curl", "rejectLinking": true},
            {"exerciseName": "Hammer Curl"}
        ]})).await;
        assert!(res["errors"].is_null(), "{res}");
        let lines = res["data"]["addTemplateExercises"]["exercises"].as_array().unwrap().clone();
        let summary: Vec<(String, i64, bool, Value)> = lines.iter().map(|l| (l["exerciseName"].as_str().unwrap().to_owned(), l["orderIndex"].as_i64().unwrap(), l["linkingRejected"].as_bool().unwrap(), l["master"]["name"].clone())).collect();
        assert_eq!(summary, [
            ("Curl".to_owned(), 0, false, json!("Curl")),
            ("Pushdown".to_owned(), 1, false, json!("Pushdown")),
            ("Weighted Dips".to_owned(), 2, false, json!("Dip")),
            ("Nordic Curl".to_owned(), 3, true, Value::Null),
            ("Hammer Curl".to_owned(), 4, false, json!("Hammer Curl")),
        ]);
        assert_eq!(lines[2]["master"]["id"], dip);

        // Refused: both decisions on one line (named), and more lines than a template holds.
        let counts = datagen::inspect::row_counts(&t.db).await.unwrap();
        let both = run(&state, Some(1), add, json!({"t": template, "e": [{"exerciseName": "Ok"}, {"exerciseName": "X", "masterExerciseId": dip, "rejectLinking": true}]})).await;
        assert_eq!(code(&both), "BAD_USER_INPUT", "{both}");
        assert!(both["errors"][0]["message"].as_str().unwrap().contains("exercises[1].rejectLinking"), "{both}");
        let many: Vec<Value> = (0..46).map(|i| json!({"exerciseName": format!("Extra {i}")})).collect();
        let full = run(&state, Some(1), add, json!({"t": template, "e": many})).await;
        assert_eq!(code(&full), "BAD_USER_INPUT", "{full}");
        assert_eq!(datagen::inspect::row_counts(&t.db).await.unwrap(), counts, "a refused append wrote rows");
    }
}
