//! The split pools `db::connect_pools` opens: the reader refuses writes on both backends, sees
//! every commit of the writer, and (SQLite under WAL) reads while a write transaction is open.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};
use test_support::TestDb;

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

async fn count(conn: &DatabaseConnection) -> i64 {
    let stmt = Statement::from_string(
        conn.get_database_backend(),
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pool_probe",
    );
    Count::find_by_statement(stmt).one(conn).await.unwrap().unwrap().n
}

async fn check_split(t: &TestDb) {
    t.db.execute_unprepared("CREATE TABLE pool_probe (id BIGINT PRIMARY KEY)").await.unwrap();
    let pools = t.pools().await;
    let refused = pools.read.execute_unprepared("INSERT INTO pool_probe (id) VALUES (1)").await;
    assert!(refused.is_err(), "the reader pool accepted a write");
    assert_eq!(count(&pools.read).await, 0);

    pools.write.execute_unprepared("INSERT INTO pool_probe (id) VALUES (2)").await.unwrap();
    assert_eq!(count(&pools.read).await, 1, "a commit of the writer is visible to the next read");

    // A write transaction holds SQLite's write lock; a reader still answers, at once, from the
    // last committed snapshot (the bound only keeps a regression from hanging the suite).
    let txn = db::begin_write(&pools.write).await.unwrap();
    txn.execute_unprepared("INSERT INTO pool_probe (id) VALUES (3)").await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(30), count(&pools.read)).await;
    assert_eq!(read.ok(), Some(1), "the reader waited for the writer or saw an uncommitted row");
    txn.commit().await.unwrap();
    assert_eq!(count(&pools.read).await, 2);

    let stats = db::pool_stats(&pools.read);
    assert!(stats.size >= 1 && stats.size <= stats.max, "{stats:?}");
}

#[tokio::test]
async fn sqlite_file_splits_one_writer_from_readers() {
    let t = TestDb::sqlite_file().await;
    check_split(&t).await;
    let pools = t.pools().await;
    assert_eq!(db::pool_stats(&pools.write).max, 1, "SQLite has one writer connection");
    assert_eq!(db::pool_stats(&pools.read).max, t.config.sqlite_readers);
}

#[tokio::test]
async fn postgres_reader_sessions_are_read_only() {
    if let Some(t) = TestDb::postgres().await {
        check_split(&t).await;
    }
}
