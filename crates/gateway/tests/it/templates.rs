//! Templates as the home screen lists them: four orders with each template's use, duplication,
//! and per-exercise warm-up settings. Expectations are computed here from the stored rows.

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use test_support::backend_tests;

use super::{code, run, state};

/// One template of user 1 as the expectations see it.
#[derive(Debug, Clone)]
struct Expected {
    id: i64,
    name: String,
    created_at: DateTime<Utc>,
    last_used: Option<DateTime<Utc>>,
    uses: i64,
}

async fn expected_templates(db: &sea_orm::DatabaseConnection, user: i64) -> Vec<Expected> {
    let sessions = entity::workout_session::Entity::find().all(db).await.unwrap();
    let mut usage: HashMap<i64, (Option<DateTime<Utc>>, i64)> = HashMap::new();
    for s in sessions.iter().filter(|s| s.user_id == user) {
        if let Some(template) = s.template_id {
            let entry = usage.entry(template).or_default();
            entry.0 = entry.0.max(Some(s.workout_date));
            entry.1 += 1;
        }
    }
    entity::workout_template::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.user_id == user)
        .map(|t| {
            let (last_used, uses) = usage.get(&t.id).copied().unwrap_or_default();
            Expected { id: t.id, name: t.name, created_at: t.created_at, last_used, uses }
        })
        .collect()
}

/// Sorts the expectations as one order should.
type Sort = dyn Fn(&mut Vec<Expected>);

/// Every template of the list in `order`, fetched two at a time: (id, lastUsed, useCount).
async fn list_in(state: &gateway::AppState, order: &str) -> Vec<(i64, Option<DateTime<Utc>>, i64)> {
    let q = format!(
        "query($after: String) {{ templates(orderBy: {order}, first: 2, after: $after) {{ edges {{ node {{ id lastUsed useCount }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    let mut seen = Vec::new();
    let mut after = Value::Null;
    for _ in 0..1000 {
        let res = run(state, Some(1), &q, json!({"after": after})).await;
        assert!(res["errors"].is_null(), "{order}: {res}");
        let page = &res["data"]["templates"];
        for edge in page["edges"].as_array().unwrap() {
            let node = &edge["node"];
            seen.push((
                node["id"].as_str().unwrap().parse().unwrap(),
                node["lastUsed"]
                    .as_str()
                    .map(|it| DateTime::parse_from_rfc3339(it).unwrap().to_utc()),
                node["useCount"].as_i64().unwrap(),
            ));
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return seen;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    panic!("{order}: the pages never ended");
}

backend_tests! {
    async fn templates_come_in_four_orders_with_their_use(t: &TestDb) {
        let state = state(t).await;
        // Two more templates: one never used, one used once, so every order has ties and gaps.
        for name in ["Zz Never", "Aa Once"] {
            let res = run(&state, Some(1), &format!(r#"mutation {{ createTemplate(name: "{name}", exercises: ["Squat"]) {{ id }} }}"#), json!({})).await;
            assert!(res["errors"].is_null(), "{res}");
        }
        let once = expected_templates(&t.db, 1).await.into_iter().find(|it| it.name == "Aa Once").unwrap().id;
        let start = run(&state, Some(1), &format!(r#"mutation {{ startWorkout(templateId: "{once}") {{ id }} }}"#), json!({})).await;
        assert!(start["errors"].is_null(), "{start}");

        let all = expected_templates(&t.db, 1).await;
        assert!(all.iter().any(|it| it.uses == 0) && all.iter().any(|it| it.uses > 1), "{all:?}");
        let as_rows = |mut list: Vec<Expected>, sort: &Sort| {
            sort(&mut list);
            list.into_iter().map(|it| (it.id, it.last_used, it.uses)).collect::<Vec<_>>()
        };
        let cases: [(&str, &Sort); 4] = [
            ("NAME", &|l| l.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)))),
            ("NEWEST", &|l| l.sort_by_key(|it| Reverse((it.created_at, it.id)))),
            ("LAST_USED", &|l| l.sort_by_key(|it| (it.last_used.is_none(), Reverse(it.last_used), it.id))),
            ("MOST_USED", &|l| l.sort_by_key(|it| (Reverse(it.uses), it.id))),
        ];
        for (order, sort) in cases {
            assert_eq!(list_in(&state, order).await, as_rows(all.clone(), sort), "{order}");
        }
        // A cursor belongs to its order.
        let first = run(&state, Some(1), "{ templates(orderBy: NAME, first: 1) { pageInfo { endCursor } } }", json!({})).await;
        let cursor = &first["data"]["templates"]["pageInfo"]["endCursor"];
        let res = run(&state, Some(1), "query($a: String) { templates(orderBy: MOST_USED, after: $a) { edges { cursor } } }", json!({"a": cursor})).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains("after"), "{res}");
        // The default order is by name, and search still filters.
        let found = run(&state, Some(1), r#"{ templates(search: "zz nev") { edges { node { name useCount lastUsed } } } }"#, json!({})).await;
        assert_eq!(found["data"]["templates"]["edges"], json!([{"node": {"name": "Zz Never", "useCount": 0, "lastUsed": null}}]), "{found}");
    }

    async fn a_duplicate_keeps_lines_links_rejections_and_warmups(t: &TestDb) {
        let state = state(t).await;
        let created = run(&state, Some(1), r#"mutation { createTemplate(name: "Legs", exercises: ["Squat", "Leg Press", "Calf Raise"]) { id exercises { id exerciseName } } }"#, json!({})).await;
        assert!(created["errors"].is_null(), "{created}");
        let id = created["data"]["createTemplate"]["id"].as_str().unwrap().to_owned();
        let lines: Vec<String> = created["data"]["createTemplate"]["exercises"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_owned()).collect();
        // Line 2 refuses linking; lines 1 and 3 get warm-up strategies.
        let res = run(&state, Some(1), &format!(r#"mutation {{ rejectLinking(templateExerciseId: "{}") }}"#, lines[1]), json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
        let update = format!(
            r#"mutation {{ updateTemplate(id: "{id}", name: "Legs", exercises: [{{id: "{}", exerciseName: "Squat", warmupStrategy: PERCENTAGE}}, {{id: "{}", exerciseName: "Leg Press"}}, {{id: "{}", exerciseName: "Calf Raise", warmupStrategy: NONE}}]) }}"#,
            lines[0], lines[1], lines[2]
        );
        let res = run(&state, Some(1), &update, json!({})).await;
        assert!(res["errors"].is_null(), "{res}");

        let read = "query($id: ID!) { template(id: $id) { name useCount lastUsed exercises { exerciseName orderIndex linkingRejected warmupStrategy master { id } } } }";
        let source = run(&state, Some(1), read, json!({"id": id})).await["data"]["template"].clone();
        let exercises = source["exercises"].as_array().unwrap();
        assert_eq!(exercises.iter().map(|l| l["warmupStrategy"].clone()).collect::<Vec<_>>(), [json!("PERCENTAGE"), Value::Null, json!("NONE")]);
        assert_eq!(exercises[1]["linkingRejected"], true);
        assert_eq!(exercises[1]["master"], Value::Null);
        assert!(!exercises[0]["master"].is_null());

        let duplicate = "mutation($id: ID!, $name: String) { duplicateTemplate(id: $id, name: $name) { id name useCount lastUsed } }";
        let mut names = Vec::new();
        for name in [Value::Null, Value::Null, json!(" Mine "), json!("Mine")] {
            let res = run(&state, Some(1), duplicate, json!({"id": id, "name": name})).await;
            assert!(res["errors"].is_null(), "{res}");
            let copy = &res["data"]["duplicateTemplate"];
            assert_eq!((copy["useCount"].as_i64(), &copy["lastUsed"]), (Some(0), &Value::Null));
            assert_ne!(copy["id"], json!(id));
            let copied = run(&state, Some(1), read, json!({"id": copy["id"]})).await["data"]["template"].clone();
            assert_eq!(copied["exercises"], source["exercises"], "the copy's lines, links and warm-ups");
            names.push(copy["name"].as_str().unwrap().to_owned());
        }
        assert_eq!(names, ["Legs Copy", "Legs Copy (2)", "Mine", "Mine (2)"]);

        // Two lines of one exercise cannot disagree on its warm-up; a blank copy name is refused.
        let clash = format!(r#"mutation {{ updateTemplate(id: "{id}", name: "Legs", exercises: [{{exerciseName: "Squat", warmupStrategy: FIXED}}, {{exerciseName: "Squat", warmupStrategy: HISTORY}}]) }}"#);
        let res = run(&state, Some(1), &clash, json!({})).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains("exercises[1].warmupStrategy"), "{res}");
        let res = run(&state, Some(1), duplicate, json!({"id": id, "name": "  "})).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
        let after = run(&state, Some(1), read, json!({"id": id})).await["data"]["template"].clone();
        assert_eq!(after, source, "refused writes changed the template");
    }
}
