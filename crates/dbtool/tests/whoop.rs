//! WHOOP exports in and out, and the storage report, on seeded databases of both backends.

#![allow(clippy::unwrap_used, reason = "test helpers may panic")]

use chrono::NaiveDate;
use datagen::SeedConfig;
use sea_orm::{ConnectionTrait, Statement};
use test_support::{TestDb, backend_tests};

async fn seed(t: &TestDb, phase: i64) {
    let end = NaiveDate::from_ymd_opt(2025, 11, 25).unwrap();
    let config = SeedConfig::new(6, 8, 42, end, phase, 100).unwrap();
    datagen::write::prepare(&t.db, &config, false).await.unwrap();
    datagen::write::write_all(&t.db, &config, |_| {}).await.unwrap();
}

async fn lines(t: &TestDb, sql: &str) -> Vec<String> {
    let rows =
        t.db.query_all_raw(Statement::from_string(t.db.get_database_backend(), sql)).await.unwrap();
    rows.iter()
        .map(|r| {
            (0..)
                .map_while(|i| r.try_get_by_index::<Option<String>>(i).ok())
                .map(Option::unwrap_or_default)
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// What a user's WHOOP rows say (ids of our rows and delivery times aside), as text.
async fn whoop_rows(t: &TestDb, user: i64) -> Vec<String> {
    let mut res = Vec::new();
    let text = |c: &str| format!("CAST({c} AS TEXT)");
    let cols = |cs: &[&str]| cs.iter().map(|c| text(c)).collect::<Vec<_>>().join(", ");
    for (table, columns, key) in [
        (
            "whoop_cycles",
            cols(&[
                "whoop_cycle_id",
                "start_time",
                "end_time",
                "day_strain",
                "kilojoule",
                "average_heart_rate",
                "score_state",
            ]),
            "whoop_cycle_id",
        ),
        (
            "whoop_sleep",
            cols(&[
                "whoop_sleep_id",
                "cycle_id",
                "start_time",
                "end_time",
                "sleep_performance_percentage",
                "total_sleep_time_milli",
                "disturbance_count",
                "sleep_quality_tier",
            ]),
            "whoop_sleep_id",
        ),
        (
            "whoop_recovery",
            cols(&[
                "whoop_recovery_id",
                "cycle_id",
                "date",
                "recovery_score",
                "hrv_rmssd_milli",
                "resting_heart_rate",
                "recovery_score_tier",
                "timezone_offset",
            ]),
            "whoop_recovery_id",
        ),
        (
            "whoop_workouts",
            cols(&[
                "whoop_workout_id",
                "start_time",
                "end_time",
                "sport_name",
                "strain",
                "max_heart_rate",
                "score",
                "zone_duration",
            ]),
            "whoop_workout_id",
        ),
    ] {
        res.push(table.to_owned());
        res.extend(
            lines(
                t,
                &format!("SELECT {columns} FROM {table} WHERE user_id = {user} ORDER BY {key}"),
            )
            .await,
        );
    }
    res
}

backend_tests! {
    async fn an_export_imports_back_to_the_same_rows_and_twice_changes_nothing(t: &TestDb) {
        seed(t, i64::from(migration::LATEST_PHASE)).await;
        let counts = lines(t, "SELECT CAST(user_id AS TEXT), CAST(COUNT(*) AS TEXT) FROM whoop_sleep GROUP BY user_id ORDER BY COUNT(*) DESC").await;
        let user: i64 = counts[0].split('|').next().unwrap().parse().unwrap();
        let before = whoop_rows(t, user).await;
        let text = dbtool::whoop::export(&t.db, user).await.unwrap();
        let export = whoop::Export::parse(&text).unwrap();
        assert!(export.sleeps.len() > 40 && !export.workouts.is_empty(), "{}", export.len());

        for table in ["whoop_recovery", "whoop_sleep", "whoop_cycles", "whoop_workouts"] {
            t.db.execute_unprepared(&format!("DELETE FROM {table} WHERE user_id = {user}")).await.unwrap();
        }
        let db = query::Db::new(t.db.clone(), migration::LATEST_PHASE, db::ParamLimit::D1, query::Flags::OPTIMIZED).unwrap();
        let mut seen = Vec::new();
        let done = query::whoop::import(&db, query::UserId(user), &export, 50, |n| seen.push(n)).await.unwrap();
        assert_eq!(done.records, export.len());
        assert_eq!(done.transactions, export.len().div_ceil(50));
        assert_eq!(seen.last(), Some(&export.len()));
        assert_eq!(whoop_rows(t, user).await, before);
        let again = query::whoop::import(&db, query::UserId(user), &export, 500, |_| {}).await.unwrap();
        assert_eq!(again.records, export.len());
        assert_eq!(whoop_rows(t, user).await, before, "a second import writes nothing new");
        // The payloads are back byte for byte (webhook delivery times are not in an export).
        let payloads = dbtool::whoop::export(&t.db, user).await.unwrap();
        assert_eq!(payloads, text);
        // Down and up again trains new dictionaries under new versions: the services' cached
        // codec must not compress with the old ones (the rows would not decode).
        migration::migrate_to_phase(&t.db, 2).await.unwrap();
        migration::migrate_to_phase(&t.db, 3).await.unwrap();
        query::whoop::import(&db, query::UserId(user), &export, 500, |_| {}).await.unwrap();
        assert_eq!(dbtool::whoop::export(&t.db, user).await.unwrap(), text);
    }

    async fn storage_reports_every_table_and_the_compaction_shrinks_whoop(t: &TestDb) {
        seed(t, 2).await;
        let at2 = dbtool::storage::measure(&t.db).await.unwrap();
        assert!(at2.tables.iter().any(|it| it.table == "session_exercises" && !it.indexes.is_empty()));
        assert_eq!(at2.total(), at2.tables.iter().map(|it| it.bytes + it.index_bytes()).sum::<u64>());
        assert!(at2.render().contains("total in use"));
        migration::migrate_to_phase(&t.db, 3).await.unwrap();
        // Both keep the space of the rewritten rows until a vacuum: PostgreSQL their old
        // versions, SQLite the pages the shrunken rows still occupy.
        let vacuum = if t.db.get_database_backend() == sea_orm::DbBackend::Postgres { "VACUUM FULL whoop_sleep" } else { "VACUUM" };
        t.db.execute_unprepared(vacuum).await.unwrap();
        let at3 = dbtool::storage::measure(&t.db).await.unwrap();
        assert!(at3.table("whoop_dictionaries") > 0);
        assert!(at3.table("whoop_sleep") < at2.table("whoop_sleep"), "{} vs {}", at3.table("whoop_sleep"), at2.table("whoop_sleep"));
    }
}
