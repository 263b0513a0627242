//! The replica the scale-out tests use (`deploy/postgres-replica.sh`, issue 16): it streams from
//! the primary, applies each transaction after the configured delay, and catches up after being
//! down.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use test_support::{Replica, TestDb};

async fn lsn(db: &DatabaseConnection, sql: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<String>(0).unwrap()
}

/// Whether the replica has replayed the primary's WAL up to `target`.
async fn replayed(replica: &DatabaseConnection, target: &str) -> bool {
    let row = replica
        .query_one_raw(Statement::from_sql_and_values(
            replica.get_database_backend(),
            "SELECT pg_last_wal_replay_lsn() >= CAST($1 AS pg_lsn)",
            [target.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<bool>(0).unwrap()
}

#[tokio::test]
async fn a_replica_applies_the_primary_after_its_delay_and_catches_up_after_a_halt() {
    let Some(primary) = TestDb::postgres().await else { return };
    let Some(replica) = Replica::start(5441, "1s") else { return };
    let schema = primary.config.pg_schema.clone().unwrap();
    let mut config = db::DbConfig::new(&replica.url).unwrap();
    config.pg_schema = Some(schema.clone());
    config.max_connections = 1;
    let standby = db::connect(&config).await.unwrap();

    primary
        .db
        .execute_unprepared("CREATE TABLE probe (x INT); INSERT INTO probe VALUES (1)")
        .await
        .unwrap();
    let written = lsn(&primary.db, "SELECT CAST(pg_current_wal_lsn() AS TEXT)").await;
    assert!(!replayed(&standby, &written).await, "a 1 s apply delay: not there at once");
    let started = std::time::Instant::now();
    while !replayed(&standby, &written).await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the replica never caught up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(started.elapsed() >= std::time::Duration::from_millis(500), "{:?}", started.elapsed());
    let n = standby
        .query_one_raw(Statement::from_string(
            standby.get_database_backend(),
            "SELECT COUNT(*) FROM probe",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.try_get_by_index::<i64>(0).unwrap(), 1);
    assert!(
        standby.execute_unprepared("INSERT INTO probe VALUES (2)").await.is_err(),
        "a replica is read-only"
    );

    // Down, written meanwhile, back: it catches up from its slot.
    standby.close().await.unwrap();
    replica.halt();
    primary.db.execute_unprepared("INSERT INTO probe VALUES (3)").await.unwrap();
    let written = lsn(&primary.db, "SELECT CAST(pg_current_wal_lsn() AS TEXT)").await;
    replica.resume();
    let standby = db::connect(&config).await.unwrap();
    let started = std::time::Instant::now();
    while !replayed(&standby, &written).await {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "no catch-up after resume");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
