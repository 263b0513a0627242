//! The WHOOP reads through GraphQL: connections that page every row of the caller and none of
//! anyone else's, the workouts' score from its columns equal to the original's JSON, readiness.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use test_support::{TestDb, backend_tests};

use crate::{now, run, state_on};

/// Six users over four weeks: about half of them wear a WHOOP.
async fn seed(t: &TestDb) {
    let end = now().date_naive() - chrono::Duration::days(1);
    let config =
        datagen::SeedConfig::new(6, 4, 42, end, i64::from(migration::LATEST_PHASE), 100).unwrap();
    datagen::write::prepare(&t.db, &config, false).await.unwrap();
    datagen::write::write_all(&t.db, &config, |_| {}).await.unwrap();
}

async fn ids(t: &TestDb, sql: &str) -> Vec<String> {
    let rows =
        t.db.query_all_raw(Statement::from_string(t.db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get_by_index::<i64>(0).unwrap().to_string()).collect()
}

/// Every node id of `field` for `user`, paging `first` at a time.
async fn page_all(state: &gateway::AppState, user: i64, field: &str) -> Vec<String> {
    let mut res = Vec::new();
    let mut after = Value::Null;
    loop {
        let query = format!(
            "query($after: String) {{ {field}(first: 7, after: $after) {{ edges {{ node {{ id }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        );
        let answer = run(state, Some(user), &query, json!({ "after": after })).await;
        assert!(answer["errors"].is_null(), "{answer}");
        let conn = &answer["data"][field];
        for edge in conn["edges"].as_array().unwrap() {
            res.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        if conn["pageInfo"]["hasNextPage"] != json!(true) {
            return res;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
}

backend_tests! {
    async fn whoop_connections_page_the_callers_rows_only(t: &TestDb) {
        seed(t).await;
        let state = state_on(t.db.clone(), db::ParamLimit::D1);
        let mut seen_any = false;
        for user in 1..=6 {
            for (field, sql) in [
                ("whoopRecovery", format!("SELECT id FROM whoop_recovery WHERE user_id = {user} ORDER BY date DESC, id DESC")),
                ("whoopSleep", format!("SELECT id FROM whoop_sleep WHERE user_id = {user} ORDER BY start_time DESC, id DESC")),
                ("whoopWorkouts", format!("SELECT id FROM whoop_workouts WHERE user_id = {user} ORDER BY start_time DESC, id DESC")),
            ] {
                let expected = ids(t, &sql).await;
                seen_any |= expected.len() > 7;
                assert_eq!(page_all(&state, user, field).await, expected, "user {user} {field}");
            }
        }
        assert!(seen_any, "the seed should give someone more than a page of WHOOP rows");
        let bad = run(&state, Some(1), "{ whoopSleep(after: \"nope\") { edges { node { id } } } }", json!({})).await;
        assert_eq!(bad["errors"][0]["extensions"]["code"], json!("BAD_USER_INPUT"));
        let anonymous = run(&state, None, "{ whoopSleep { edges { node { id } } } }", json!({})).await;
        assert_eq!(anonymous["errors"][0]["extensions"]["code"], json!("UNAUTHENTICATED"));
    }

    async fn workout_scores_from_columns_equal_the_originals_json(t: &TestDb) {
        seed(t).await;
        let latest = query::Db::new(t.db.clone(), migration::LATEST_PHASE, db::ParamLimit::D1, query::Flags::OPTIMIZED).unwrap();
        let original = query::Db::new(t.db.clone(), 2, db::ParamLimit::D1, query::Flags::OPTIMIZED).unwrap();
        let mut compared = 0;
        for user in 1..=6 {
            let a = query::whoop::workouts(&latest, query::UserId(user), None, 500).await.unwrap();
            let b = query::whoop::workouts(&original, query::UserId(user), None, 500).await.unwrap();
            assert_eq!(a, b, "user {user}");
            compared += a.iter().filter(|w| w.strain.is_some()).count();
        }
        assert!(compared > 0);
    }

    async fn readiness_is_the_originals_formula_over_the_days_columns(t: &TestDb) {
        seed(t).await;
        let state = state_on(t.db.clone(), db::ParamLimit::D1);
        let sql = "SELECT r.user_id, r.recovery_score, r.hrv_rmssd_milli, r.hrv_rmssd_baseline, \
                   r.resting_heart_rate, r.resting_heart_rate_baseline, s.sleep_performance_percentage, \
                   r.date, r.timezone_offset FROM whoop_recovery r JOIN whoop_sleep s \
                   ON s.whoop_sleep_id = r.whoop_recovery_id WHERE r.recovery_score IS NOT NULL \
                   AND s.sleep_performance_percentage IS NOT NULL ORDER BY r.id LIMIT 5";
        let rows = t.db.query_all_raw(Statement::from_string(t.db.get_database_backend(), sql)).await.unwrap();
        assert!(!rows.is_empty());
        for row in rows {
            let user: i64 = row.try_get_by_index(0).unwrap();
            let (rec, hrv, hrv_b, rhr, rhr_b, sleep): (f64, f64, Option<f64>, f64, Option<f64>, f64) = (
                row.try_get_by_index(1).unwrap(), row.try_get_by_index(2).unwrap(), row.try_get_by_index(3).unwrap(),
                row.try_get_by_index(4).unwrap(), row.try_get_by_index(5).unwrap(), row.try_get_by_index(6).unwrap(),
            );
            let at: chrono::DateTime<chrono::Utc> = row.try_get_by_index(7).unwrap();
            let offset: String = row.try_get_by_index(8).unwrap();
            let secs = (if offset.starts_with('-') { -1 } else { 1 })
                * (offset[1..3].parse::<i32>().unwrap() * 3600 + offset[4..6].parse::<i32>().unwrap() * 60);
            let date = at.with_timezone(&chrono::FixedOffset::east_opt(secs).unwrap()).date_naive();
            let want = domain::readiness(
                rec,
                sleep,
                domain::VersusBaseline::hrv(hrv, hrv_b),
                domain::VersusBaseline::resting_heart_rate(rhr, rhr_b),
            );
            let q = "query($d: NaiveDate!) { readiness(date: $d) { score recoveryScore sleepPerformance } }";
            let got = run(&state, Some(user), q, json!({ "d": date })).await;
            assert!(got["errors"].is_null(), "{got}");
            let score = got["data"]["readiness"]["score"].as_f64().unwrap();
            assert!((score - want).abs() < 1e-12, "user {user} {date}: {score} vs {want}");
            assert_eq!(got["data"]["readiness"]["recoveryScore"], json!(rec));
        }
        // No recovery that day: null, not an error.
        let none = run(&state, Some(1), "{ readiness(date: \"1990-01-01\") { score } }", json!({})).await;
        assert_eq!(none["data"]["readiness"], Value::Null, "{none}");
    }
}
