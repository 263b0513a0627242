//! Reads on a PostgreSQL streaming replica (issue 16): with a second of injected lag, a user who
//! saves a workout reads it back at once, every time; other users read from the replica; a
//! replica stopped mid-run costs no client an error, and serves again once it is back.

use std::time::Duration;

use db::ParamLimit;
use gateway::{AppState, Auth, Clock, Limits};
use query::{Db, Flags};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use test_support::{Replica, TestDb};

use crate::{now, run, seed};

const SAVE: &str = "mutation($i: SaveWorkoutInput!) { saveWorkout(input: $i) { workout { id } } }";
const READ_BACK: &str = "query($id: ID!) { workout(id: $id) { id } recentWorkouts(first: 50) { edges { node { id } } } progressDashboard(range: MONTH) { current { sessionCount } } }";
const OTHER: &str = "{ recentWorkouts(first: 5) { edges { node { id } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_reads_its_writes_through_a_lagging_replica_and_others_read_the_replica() {
    let Some(t) = TestDb::postgres().await else { return };
    seed(&t).await;
    let Some(replica) = Replica::start(5443, "1s") else { return };
    let mut config = db::DbConfig::new(&replica.url).unwrap();
    config.pg_schema.clone_from(&t.config.pg_schema);
    config.max_connections = 4;
    let standby = db::connect(&config).await.unwrap();
    let replicas = query::replicas::Replicas::new(
        vec![("replica1".to_owned(), standby)],
        Duration::from_secs(5),
    );
    let db =
        Db::from_pools(t.pools().await, migration::LATEST_PHASE, ParamLimit::D1, Flags::OPTIMIZED)
            .unwrap()
            .with_replicas(replicas);
    let poller = tokio::spawn(gateway::monitor::follow_replicas(
        db.clone(),
        Duration::from_millis(20),
        Duration::from_millis(500),
    ));
    let state = AppState::with_clock(
        db.clone(),
        Auth::new(b"test-secret"),
        Limits::DEFAULT,
        Clock::Fixed(now()),
    );
    // The replica has the seed once it has replayed the primary's WAL up to the seed's end (a
    // second after its commits). Other tests keep writing meanwhile, so "caught up" never holds.
    let seeded = {
        let sql = "SELECT CAST(pg_current_wal_lsn() AS TEXT)";
        let row =
            t.db.query_one_raw(Statement::from_string(t.db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
        row.try_get_by_index::<String>(0).unwrap()
    };
    let probe = db::connect(&config).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let sql = "SELECT pg_last_wal_replay_lsn() >= CAST($1 AS pg_lsn)";
        let row = probe
            .query_one_raw(Statement::from_sql_and_values(
                probe.get_database_backend(),
                sql,
                [seeded.clone().into()],
            ))
            .await
            .unwrap()
            .unwrap();
        if row.try_get_by_index::<bool>(0).unwrap() && db.replicas().unwrap().status()[0].1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}",
            db.replicas().unwrap().status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    probe.close().await.unwrap();

    let before = run(&state, Some(1), READ_BACK, json!({"id": "0"})).await;
    let mut sessions =
        before["data"]["progressDashboard"]["current"]["sessionCount"].as_i64().unwrap();
    let (primary0, replica0) = db.replicas().unwrap().served();
    for i in 0..100 {
        let input = json!({"i": {"clientKey": format!("ryw-{i}"), "workoutDate": now().to_rfc3339(),
            "exercises": [{"exerciseName": "Bench Press", "sets": [{"weight": 100.0, "unit": "KG", "reps": 5}]}]}});
        let saved = run(&state, Some(1), SAVE, input).await;
        assert!(saved["errors"].is_null(), "{saved}");
        let id = saved["data"]["saveWorkout"]["workout"]["id"].clone();
        let read = run(&state, Some(1), READ_BACK, json!({"id": id})).await;
        assert!(read["errors"].is_null(), "save {i}: {read}");
        assert_eq!(read["data"]["workout"]["id"], id, "save {i}: the workout itself");
        let recent: Vec<&serde_json::Value> = read["data"]["recentWorkouts"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"]["id"])
            .collect();
        assert!(recent.contains(&&id), "save {i}: in the history");
        sessions += 1;
        assert_eq!(
            read["data"]["progressDashboard"]["current"]["sessionCount"],
            json!(sessions),
            "save {i}: on the dashboard"
        );
        // Someone else, who wrote nothing, reads meanwhile.
        let other = run(&state, Some(2), OTHER, json!({})).await;
        assert!(other["errors"].is_null(), "{other}");
    }
    let (primary, replica_reads) = db.replicas().unwrap().served();
    println!(
        "routed: {} to the primary, {} to the replica",
        primary - primary0,
        replica_reads - replica0
    );
    assert!(
        replica_reads - replica0 >= 90,
        "user 2's reads go to the replica: {}",
        replica_reads - replica0
    );
    assert!(primary - primary0 >= 100, "user 1's reads right after a write go to the primary");

    // The replica goes down mid-run: every read still answers, from the primary.
    for i in 0..60 {
        if i == 10 {
            replica.halt();
        }
        let other = run(&state, Some(2), OTHER, json!({})).await;
        assert!(other["errors"].is_null(), "read {i} with the replica down: {other}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!db.replicas().unwrap().status()[0].1, "the replica is known to be down");

    // It comes back by itself: once resumed, the poll finds it well and, once it is back within
    // the lag bound (it replays what it missed a second late, behind the other tests' writes),
    // the other user's reads go to it again.
    replica.resume();
    let started = std::time::Instant::now();
    loop {
        let (_, before) = db.replicas().unwrap().served();
        let other = run(&state, Some(2), OTHER, json!({})).await;
        assert!(other["errors"].is_null(), "{other}");
        if db.replicas().unwrap().served().1 > before {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "the replica never served again: {:?}",
            db.replicas().unwrap().status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    poller.abort();
}
