//! The gateway's caches: a user's first request warms their home screen in the background, and
//! their own write is visible in their next read.

use std::time::Duration;

use query::CacheStats;
use serde_json::json;
use test_support::backend_tests;

use super::{now, run, state};
use gateway::AppState;

fn progress(state: &AppState) -> CacheStats {
    let caches = state.db.caches().expect("the test gateway has caches");
    caches.stats().into_iter().find(|(name, ..)| *name == "progress").expect("a progress cache").1
}

/// Waits (bounded, so a regression fails instead of hanging) until `loads` progress answers
/// were loaded.
async fn loaded(state: &AppState, loads: u64) -> CacheStats {
    for _ in 0..500 {
        let stats = progress(state);
        if stats.loads >= loads {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("warming never loaded {loads} answers: {:?}", progress(state));
}

const DASHBOARD: &str = "{ progressDashboard(range: MONTH) { current { sessionCount } } }";
const SAVE: &str = "mutation($i: SaveWorkoutInput!) { saveWorkout(input: $i) { workout { id } } }";

backend_tests! {
    async fn the_first_request_warms_the_dashboards_and_a_write_warms_them_again(t: &TestDb) {
        let state = state(t).await;
        assert_eq!(progress(&state).loads, 0);
        let res = run(&state, Some(1), "{ viewer { id } }", json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
        // The four ranges of the dashboard, loaded after the answer was sent.
        let warm = loaded(&state, 4).await;
        let dash = run(&state, Some(1), DASHBOARD, json!({})).await;
        let before = dash["data"]["progressDashboard"]["current"]["sessionCount"].as_i64().unwrap();
        let after_read = progress(&state);
        assert_eq!((after_read.loads, after_read.hits), (warm.loads, warm.hits + 1), "served warm");

        let input = json!({"i": {"clientKey": "warm-1", "workoutDate": now().to_rfc3339(),
            "exercises": [{"exerciseName": "Bench Press", "sets": [{"weight": 100.0, "unit": "KG", "reps": 5}]}]}});
        let saved = run(&state, Some(1), SAVE, input).await;
        assert!(saved["errors"].is_null(), "{saved}");
        // The save retired user 1's entries: the next request warms again, and reads fresh.
        let dash = run(&state, Some(1), DASHBOARD, json!({})).await;
        let now = dash["data"]["progressDashboard"]["current"]["sessionCount"].as_i64().unwrap();
        assert_eq!(now, before + 1, "{dash}");
        loaded(&state, after_read.loads + 4).await;
        // Another user's entries were never retired by user 1's write.
        run(&state, Some(2), DASHBOARD, json!({})).await;
        let other = loaded(&state, after_read.loads + 8).await;
        run(&state, Some(2), DASHBOARD, json!({})).await;
        assert_eq!(progress(&state).hits, other.hits + 1);
    }
}
