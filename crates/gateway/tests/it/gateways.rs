//! Two gateway processes on one PostgreSQL database (issue 16): a write through one is read
//! fresh through the other every time, also when the other's listening connection is killed
//! (`pg_terminate_backend`) in the middle of the run, and the other caches again once it is back.
//! The other also reads from a replica a second behind: it must hear the writer's writes to keep
//! that user's reads on the primary, while a user who wrote nothing reads the replica.

#![expect(
    clippy::disallowed_methods,
    reason = "a blocking test paces its polling of real processes with std::thread::sleep"
)]

use std::time::{Duration, Instant};

use gateway::Auth;
use query::UserId;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::binary::{Gateway, PgDatabase, post_graphql, start};
use crate::rollout::seed_url;

const SAVE: &str = "mutation($i: SaveWorkoutInput!) { saveWorkout(input: $i) { workout { id } } }";
/// Cached answers (the dashboard, the records) and an uncached list, read together.
const READ: &str = "{ progressDashboard(range: MONTH) { current { sessionCount } } \
                    personalRecords { exerciseName } recentWorkouts(first: 3) { edges { node { id } } } }";

fn graphql(gateway: &Gateway, token: &str, query: &str, variables: &Value) -> Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let res = post_graphql(&gateway.addr, token, &body).expect("the gateway answers");
    assert_eq!(res.status, 200, "{}", res.body);
    let value: Value = serde_json::from_str(&res.body).unwrap();
    assert!(value["errors"].is_null(), "{value}");
    value
}

/// A counter or gauge of the gateway's `/metrics` (the sum over its labels matching `labels`).
fn metric(gateway: &Gateway, name: &str, labels: &str) -> f64 {
    let (_, text) = gateway.request("GET", "/metrics", "");
    text.lines()
        .filter(|line| line.starts_with(name) && line.contains(labels))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// Waits until the replica has replayed the primary's WAL as it is now (the seed).
fn wait_replayed(primary: &str, replica: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let conn = db::connect(&db::DbConfig::new(primary).unwrap()).await.unwrap();
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                "SELECT CAST(pg_current_wal_lsn() AS TEXT)",
            ))
            .await
            .unwrap()
            .unwrap();
        let seeded: String = row.try_get_by_index(0).unwrap();
        conn.close().await.unwrap();
        let started = Instant::now();
        loop {
            // The database itself appears on the replica only once its creation is replayed.
            if let Ok(standby) = db::connect(&db::DbConfig::new(replica).unwrap()).await {
                let done = standby
                    .query_one_raw(sea_orm::Statement::from_sql_and_values(
                        standby.get_database_backend(),
                        "SELECT pg_last_wal_replay_lsn() >= CAST($1 AS pg_lsn)",
                        [seeded.clone().into()],
                    ))
                    .await
                    .unwrap()
                    .unwrap()
                    .try_get_by_index::<bool>(0)
                    .unwrap();
                standby.close().await.unwrap();
                if done {
                    return;
                }
            }
            assert!(started.elapsed() < Duration::from_mins(1), "the replica never caught up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

fn wait_listening(gateway: &Gateway) {
    let started = Instant::now();
    loop {
        let (status, text) = gateway.request("GET", "/readyz", "");
        if status == 200 && text.contains("; listening for other writers") {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never listened: {status} {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Terminates the listening session of the gateway `gateway`; true if there was one.
fn kill_listener(url: &str, gateway: &Gateway) -> bool {
    let name = format!("{} {}", db::LISTENER_NAME, gateway.child.id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let conn = db::connect(&db::DbConfig::new(url).unwrap()).await.unwrap();
        let rows = conn
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                conn.get_database_backend(),
                "SELECT pid, pg_terminate_backend(pid) AS killed FROM pg_stat_activity \
                 WHERE datname = current_database() AND application_name = $1",
                [name.clone().into()],
            ))
            .await
            .unwrap();
        // Gone, so that what is sent next cannot reach it.
        loop {
            let left = conn
                .query_all_raw(sea_orm::Statement::from_sql_and_values(
                    conn.get_database_backend(),
                    "SELECT pid FROM pg_stat_activity WHERE pid = ANY($1)",
                    [rows
                        .iter()
                        .map(|it| it.try_get::<i32>("", "pid").unwrap())
                        .collect::<Vec<_>>()
                        .into()],
                ))
                .await
                .unwrap();
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        conn.close().await.unwrap();
        !rows.is_empty()
    })
}

#[test]
fn a_write_through_one_gateway_is_fresh_through_another_while_its_listener_is_killed() {
    let Some(pg) = PgDatabase::create("coherent") else { return };
    seed_url(&pg.url, None, 2);
    let Some(replica) = test_support::Replica::start(5445, "1s") else { return };
    let replica_url = format!("{}/{}", replica.url.rsplit_once('/').unwrap().0, pg.name());
    wait_replayed(&pg.url, &replica_url);
    let args = ["--database-url", pg.url.as_str(), "--jwt-secret", "s"];
    let a = start(&args).unwrap();
    let b = start(&[&args[..], &["--replica-url", &replica_url]].concat()).unwrap();
    wait_listening(&a);
    wait_listening(&b);
    let token = Auth::new(b"s").token_for(UserId(1), 3600);
    let other = Auth::new(b"s").token_for(UserId(2), 3600);
    let count = |it: &Value| it["data"]["progressDashboard"]["current"]["sessionCount"].as_i64();

    let mut sessions = count(&graphql(&b, &token, READ, &json!({}))).unwrap();
    let mut kills = 0;
    for i in 0..120 {
        // Mid-run, three times, B's listening session dies just before A writes: the write's
        // notification cannot reach B, which must not answer from its caches until it knows.
        if i % 40 == 20 {
            assert!(kill_listener(&pg.url, &b), "B's listening session exists at save {i}");
            kills += 1;
        }
        let input = json!({"i": {"clientKey": format!("coherent-{i}"),
            "workoutDate": chrono::Utc::now().to_rfc3339(),
            "exercises": [{"exerciseName": "Bench Press",
                "sets": [{"weight": 100.0 + f64::from(i), "unit": "KG", "reps": 1}]}]}});
        let saved = graphql(&a, &token, SAVE, &input);
        let id = saved["data"]["saveWorkout"]["workout"]["id"].clone();
        sessions += 1;
        for read in 0..2 {
            let through_b = graphql(&b, &token, READ, &json!({}));
            assert_eq!(count(&through_b), Some(sessions), "save {i}, read {read} through B");
            let recent = &through_b["data"]["recentWorkouts"]["edges"][0]["node"]["id"];
            assert_eq!(recent, &id, "save {i}, read {read}: the newest workout through B");
            let best = through_b["data"]["personalRecords"].as_array().map_or(0, Vec::len);
            assert!(best > 0, "save {i}: records through B");
        }
        // A user who wrote nothing reads through B meanwhile (from the replica).
        graphql(&b, &other, READ, &json!({}));
    }
    assert_eq!(kills, 3);
    wait_listening(&b);
    // B did serve from its caches between the kills (the freshness above was not for want of
    // caching), lost its listener three times and heard A's writes.
    let hits = metric(&b, "swole_cache_hits_total", "cache=\"progress\"");
    let lost = metric(&b, "swole_listener_lost_total", "");
    let heard = metric(&b, "swole_writes_heard_total", "");
    let to_replica = metric(&b, "swole_reads_total", "target=\"replica\"");
    let to_primary = metric(&b, "swole_reads_total", "target=\"primary\"");
    println!(
        "B: {hits} progress cache hits, {lost} listeners lost, {heard} writes heard, \
         reads: {to_primary} to the primary, {to_replica} to the replica"
    );
    // Not all: for a second after each resubscription every user needs the replica past that
    // point (writes may have gone unheard), and the replica applies a second late.
    assert!(to_replica >= 10.0, "user 2 read from the replica: {to_replica}");
    assert!(hits >= 100.0, "B answered from its cache: {hits}");
    assert!(lost >= 3.0, "B noticed each killed listener: {lost}");
    assert!(heard >= 100.0, "B heard A's writes: {heard}");
}
