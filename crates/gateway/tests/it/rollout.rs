//! The rollout's switches as running gateways see them, on both backends: two `swole-gateway`
//! processes on one database follow a change of `rollout_flags` without a restart, and a
//! percentage puts each user on one path, the same on both instances and on every request.

#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive processes from plain threads, outside any async runtime"
)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use datagen::SeedConfig;
use gateway::Auth;
use query::{Item, UserId};
use serde_json::json;

use crate::binary::{Gateway, PgDatabase, TempSqlite, post_graphql, start};

/// Seeds `url` (migrated to the latest phase) with `users` users.
pub(crate) fn seed_url(url: &str, schema: Option<String>, users: i64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut config = db::DbConfig::new(url).unwrap();
        config.pg_schema = schema;
        let conn = db::connect(&config).await.unwrap();
        let end = NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
        let seed =
            SeedConfig::new(users, 6, 42, end, i64::from(migration::LATEST_PHASE), 100).unwrap();
        datagen::write::prepare(&conn, &seed, false).await.unwrap();
        datagen::write::write_all(&conn, &seed, |_| {}).await.unwrap();
        conn.close().await.unwrap();
    });
}

fn store(url: &str, item: Item, percent: u8) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let conn = db::connect(&db::DbConfig::new(url).unwrap()).await.unwrap();
        query::rollout::store(&conn, item, percent, 0).await.unwrap();
        conn.close().await.unwrap();
    });
}

/// The gateway's `swole_rollout_percent` for `item`, from `/metrics`.
fn percent_seen(gateway: &Gateway, item: Item) -> Option<u8> {
    let (_, text) = gateway.request("GET", "/metrics", "");
    let prefix = format!("swole_rollout_percent{{item=\"{}\"}} ", item.name());
    text.lines().find_map(|line| line.strip_prefix(&prefix)?.trim().parse().ok())
}

/// Waits (at most 20 s: a bound on the wait, not a performance threshold) until every gateway
/// reports `item` at `percent`.
fn wait_for(gateways: &[&Gateway], item: Item, percent: u8) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while gateways.iter().any(|it| percent_seen(it, item) != Some(percent)) {
        assert!(Instant::now() < deadline, "the gateways did not pick up {item:?} at {percent} %");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Statements one dashboard request of `user` ran on `gateway` (no caches: every read counts).
fn dashboard_statements(gateway: &Gateway, user: i64) -> u64 {
    let token = Auth::new(b"s").token_for(UserId(user), 600);
    let body = json!({ "query": "{ progressDashboard(range: YEAR) { workoutDates current { sessionCount } } }" });
    let res = post_graphql(&gateway.addr, &token, &body.to_string()).unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(!res.body.contains("errors"), "{}", res.body);
    res.header("x-swole-statements").unwrap().parse().unwrap()
}

fn two_gateways_follow_the_switches(url: &str) {
    let args =
        ["--database-url", url, "--jwt-secret", "s", "--no-cache", "--rollout-poll-ms", "100"];
    let a = start(&args).unwrap();
    let b = start(&args).unwrap();
    // No rows: every item runs where the schema has it.
    wait_for(&[&a, &b], Item::Dashboard, 100);

    // A development override holds on its own instance whatever the table says.
    let mut pinned = args.to_vec();
    pinned.extend(["--flag", "dashboard=100"]);
    let c = start(&pinned).unwrap();
    store(url, Item::Dashboard, 0);
    wait_for(&[&a, &b], Item::Dashboard, 0);
    assert_eq!(percent_seen(&c, Item::Dashboard), Some(100));
    assert!(c.terminate().success());
    let (status, stderr) =
        start(&[&args[..], &["--flag", "dashboard=101"]].concat()).err().unwrap();
    assert!(!status.success());
    assert!(stderr.contains("not a percentage from 0 to 100"), "{stderr}");

    // Summaries off (they would answer the dashboard), the dashboard at 50 %: each user's
    // requests take the path its bucket says, on both instances, every time.
    store(url, Item::Summaries, 0);
    store(url, Item::Dashboard, 50);
    wait_for(&[&a, &b], Item::Summaries, 0);
    wait_for(&[&a, &b], Item::Dashboard, 50);
    let users: Vec<i64> = (1..=6).collect();
    let counts: Vec<u64> = users.iter().map(|user| dashboard_statements(&a, *user)).collect();
    let on: Vec<bool> =
        users.iter().map(|user| query::is_on(Item::Dashboard, 50, UserId(*user))).collect();
    assert!(on.contains(&true) && on.contains(&false), "the sample splits these users: {on:?}");
    let pick = |wanted: bool| -> Vec<u64> {
        counts.iter().zip(&on).filter(|it| *it.1 == wanted).map(|it| *it.0).collect()
    };
    let (optimized, original) = (pick(true), pick(false));
    assert!(
        optimized.iter().max() < original.iter().min(),
        "the one-statement users ran fewer statements: {optimized:?} vs {original:?}"
    );
    for _ in 0..2 {
        for gateway in [&a, &b] {
            let again: Vec<u64> =
                users.iter().map(|user| dashboard_statements(gateway, *user)).collect();
            assert_eq!(again, counts, "stable per user and the same on both instances");
        }
    }
    assert!(a.terminate().success());
    assert!(b.terminate().success());
}

#[test]
fn two_gateways_follow_the_switches_on_sqlite() {
    let file = TempSqlite::new("rollout");
    seed_url(&file.url(), None, 6);
    two_gateways_follow_the_switches(&file.url());
}

#[test]
fn two_gateways_follow_the_switches_on_postgres() {
    let Some(pg) = PgDatabase::create("rollout") else {
        return;
    };
    seed_url(&pg.url, None, 6);
    two_gateways_follow_the_switches(&pg.url);
}
