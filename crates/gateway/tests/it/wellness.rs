//! Wellness check-ins through the API: save (once per workout, in place, no back-filling), read by
//! workout, page the history by date, average two windows, delete. Expectations are written out
//! by hand or computed here from rows the test inserted.

#![allow(clippy::float_cmp, reason = "averages of small integers are exact")]

use chrono::{Duration, NaiveDate};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use test_support::backend_tests;

use super::{code, now, run, state};

const SAVE: &str = "mutation($i: WellnessInput!) { saveWellness(input: $i) { id workoutId date energyLevel sleepQuality deviceTimezone submittedAt notes whoop { recoveryScore hrvMs yesterdayStrain } } }";

async fn today(db: &sea_orm::DatabaseConnection) -> NaiveDate {
    let user = entity::user::Entity::find_by_id(1).one(db).await.unwrap().unwrap();
    domain::local_date(now(), user.timezone.parse().unwrap())
}

async fn check_ins(db: &sea_orm::DatabaseConnection) -> Vec<entity::wellness_data::Model> {
    entity::wellness_data::Entity::find().all(db).await.unwrap()
}

/// A check-in of user 1 for workout `session`, dated `date`, inserted directly.
async fn insert(
    db: &sea_orm::DatabaseConnection,
    session: i64,
    date: NaiveDate,
    energy: i32,
    sleep: i32,
) {
    entity::wellness_data::ActiveModel {
        user_id: Set(1),
        session_id: Set(session),
        date: Set(date),
        energy_level: Set(energy),
        sleep_quality: Set(sleep),
        device_timezone: Set("UTC".to_owned()),
        submitted_at: Set(now()),
        has_whoop_data: Set(false),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

backend_tests! {
    async fn a_check_in_is_saved_once_per_workout_and_never_back_filled(t: &TestDb) {
        let state = state(t).await;
        let started = run(&state, Some(1), "mutation { startWorkout { id } }", json!({})).await;
        let workout = started["data"]["startWorkout"]["id"].as_str().unwrap().to_owned();
        let input = json!({"workoutId": workout, "energyLevel": 7, "sleepQuality": 5, "deviceTimezone": "Europe/Berlin",
            "notes": "slept late", "whoop": {"recoveryScore": 64.0, "hrvMs": 55.5}});
        let saved = run(&state, Some(1), SAVE, json!({"i": input})).await;
        assert!(saved["errors"].is_null(), "{saved}");
        let first = &saved["data"]["saveWellness"];
        let today = today(&t.db).await.to_string();
        assert_eq!(
            (&first["workoutId"], &first["date"], &first["energyLevel"], &first["sleepQuality"], &first["notes"]),
            (&json!(workout), &json!(today), &json!(7), &json!(5), &json!("slept late")),
            "{first}"
        );
        assert_eq!(first["whoop"], json!({"recoveryScore": 64.0, "hrvMs": 55.5, "yesterdayStrain": null}));
        assert_eq!(first["submittedAt"], json!(now().to_rfc3339()));

        // Saved again: the same check-in, new values, no WHOOP figures any more.
        let again = json!({"workoutId": workout, "energyLevel": 9, "sleepQuality": 8, "deviceTimezone": "UTC"});
        let second = run(&state, Some(1), SAVE, json!({"i": again})).await;
        assert_eq!(second["data"]["saveWellness"]["id"], first["id"], "{second}");
        let read = run(&state, Some(1), "query($w: ID!) { wellness(workoutId: $w) { id energyLevel sleepQuality deviceTimezone notes whoop { recoveryScore } } }", json!({"w": workout})).await;
        assert_eq!(read["data"]["wellness"], json!({"id": first["id"], "energyLevel": 9, "sleepQuality": 8, "deviceTimezone": "UTC", "notes": null, "whoop": null}), "{read}");
        let rows = check_ins(&t.db).await;
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].has_whoop_data, rows[0].whoop_recovery_score), (false, None));

        // Bad input names every broken field and writes nothing.
        let bad = json!({"workoutId": workout, "energyLevel": 11, "sleepQuality": 0, "deviceTimezone": "Mars/Base",
            "notes": "x".repeat(501), "whoop": {"yesterdayStrain": 30.0}});
        let res = run(&state, Some(1), SAVE, json!({"i": bad})).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
        let message = res["errors"][0]["message"].as_str().unwrap();
        for field in ["energyLevel", "sleepQuality", "deviceTimezone", "notes", "whoop.yesterdayStrain"] {
            assert!(message.contains(field), "{field} in {message}");
        }
        // A workout that began more than a day ago takes no check-in.
        let old = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter()
            .find(|w| w.user_id == 1 && w.workout_date < now() - Duration::hours(24)).unwrap();
        let late = json!({"workoutId": old.id.to_string(), "energyLevel": 5, "sleepQuality": 5, "deviceTimezone": "UTC"});
        let res = run(&state, Some(1), SAVE, json!({"i": late})).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains("workoutId"), "{res}");
        // Another user's workout, and one that does not exist.
        let other = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 2).unwrap().id;
        for id in [other.to_string(), "987654321".to_owned()] {
            let res = run(&state, Some(1), SAVE, json!({"i": {"workoutId": id, "energyLevel": 5, "sleepQuality": 5, "deviceTimezone": "UTC"}})).await;
            assert_eq!(code(&res), "NOT_FOUND", "{res}");
        }
        assert_eq!(check_ins(&t.db).await, rows, "nothing written");

        // Delete, then it is gone; a second delete finds nothing.
        let delete = "mutation($w: ID!) { deleteWellness(workoutId: $w) }";
        assert_eq!(run(&state, Some(1), delete, json!({"w": workout})).await["data"]["deleteWellness"], true);
        let read = run(&state, Some(1), "query($w: ID!) { wellness(workoutId: $w) { id } }", json!({"w": workout})).await;
        assert_eq!(read["data"]["wellness"], Value::Null, "{read}");
        assert_eq!(code(&run(&state, Some(1), delete, json!({"w": workout})).await), "NOT_FOUND");
        assert!(check_ins(&t.db).await.is_empty());
    }

    async fn history_pages_by_date_and_stats_average_two_windows(t: &TestDb) {
        let state = state(t).await;
        let today = today(&t.db).await;
        let mut sessions: Vec<i64> = entity::workout_session::Entity::find().all(&t.db).await.unwrap()
            .into_iter().filter(|w| w.user_id == 1).map(|w| w.id).collect();
        sessions.sort_unstable();
        // (days before today, energy, sleep): two on one day, one outside both windows.
        let plan = [(0, 8, 7), (2, 6, 5), (2, 4, 9), (6, 10, 10), (7, 2, 3), (20, 5, 5), (40, 1, 1)];
        for ((ago, energy, sleep), session) in plan.iter().zip(&sessions) {
            insert(&t.db, *session, today - Duration::days(*ago), *energy, *sleep).await;
        }
        // The other user's check-in never shows.
        let other = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().find(|w| w.user_id == 2).unwrap().id;
        entity::wellness_data::ActiveModel {
            user_id: Set(2), session_id: Set(other), date: Set(today), energy_level: Set(1), sleep_quality: Set(1),
            device_timezone: Set("UTC".to_owned()), submitted_at: Set(now()), has_whoop_data: Set(false),
            created_at: Set(now()), updated_at: Set(now()), ..Default::default()
        }.insert(&t.db).await.unwrap();

        // Pages of two, newest first (ties by id, newest first), to the end.
        let q = "query($from: NaiveDate, $to: NaiveDate, $after: String) { wellnessHistory(from: $from, to: $to, first: 2, after: $after) { pageInfo { hasNextPage endCursor } edges { node { date energyLevel } } } }";
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let res = run(&state, Some(1), q, json!({"from": null, "to": null, "after": after})).await;
            let conn = &res["data"]["wellnessHistory"];
            for edge in conn["edges"].as_array().unwrap() {
                seen.push((edge["node"]["date"].as_str().unwrap().to_owned(), edge["node"]["energyLevel"].as_i64().unwrap()));
            }
            if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = conn["pageInfo"]["endCursor"].clone();
        }
        let day = |ago: i64| (today - Duration::days(ago)).to_string();
        assert_eq!(seen, vec![(day(0), 8), (day(2), 4), (day(2), 6), (day(6), 10), (day(7), 2), (day(20), 5), (day(40), 1)]);
        // A range: both ends included.
        let res = run(&state, Some(1), q, json!({"from": day(7), "to": day(2), "after": null})).await;
        let dates: Vec<&str> = res["data"]["wellnessHistory"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["date"].as_str().unwrap()).collect();
        assert_eq!(dates, vec![day(2), day(2)], "{res}");

        // Last 30 days: all but the 40-day-old one; last 7 (today and six before): four entries.
        let stats = run(&state, Some(1), "{ wellnessStats { period { days entries averageEnergy averageSleepQuality } recent { days entries averageEnergy averageSleepQuality } } }", json!({})).await;
        assert_eq!(stats["data"]["wellnessStats"], json!({
            "period": {"days": 30, "entries": 6, "averageEnergy": 35.0 / 6.0, "averageSleepQuality": 39.0 / 6.0},
            "recent": {"days": 7, "entries": 4, "averageEnergy": 7.0, "averageSleepQuality": 31.0 / 4.0},
        }), "{stats}");
        // A window shorter than the recent one still averages the recent seven days.
        let short = run(&state, Some(1), "{ wellnessStats(days: 1) { period { entries averageEnergy } recent { entries } } }", json!({})).await;
        assert_eq!(short["data"]["wellnessStats"], json!({"period": {"entries": 1, "averageEnergy": 8.0}, "recent": {"entries": 4}}), "{short}");
        let empty = run(&state, Some(2), "{ wellnessStats(days: 365) { recent { entries averageEnergy } } }", json!({})).await;
        assert_eq!(empty["data"]["wellnessStats"]["recent"]["entries"], 1, "{empty}");
        let bad = run(&state, Some(1), "{ wellnessStats(days: 0) { period { entries } } }", json!({})).await;
        assert_eq!(code(&bad), "BAD_USER_INPUT", "{bad}");
    }
}
