//! Migrations: reversible, complete, and matching the entities.

use migration::{Migrator, MigratorTrait, TABLE_CREATING_STEPS};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};
use test_support::{TestDb, backend_tests, index_names, schema_snapshot};

use crate::{seed_into, small_seed};

backend_tests! {
    async fn schema_snapshots_see_checks_and_delete_actions(t: &TestDb) {
        // A down/up that lost a CHECK or changed an ON DELETE action must not compare equal.
        let shape = |check: &str, action: &str| format!(
            "CREATE TABLE parent_t (id BIGINT PRIMARY KEY); \
             CREATE TABLE child_t (id BIGINT PRIMARY KEY, kind TEXT NOT NULL {check}, \
             parent_id BIGINT REFERENCES parent_t (id) ON DELETE {action})"
        );
        let snapshot_of = |sql: String| async move {
            t.db.execute_unprepared("DROP TABLE IF EXISTS child_t; DROP TABLE IF EXISTS parent_t").await.unwrap();
            for statement in sql.split("; ") {
                t.db.execute_unprepared(statement).await.unwrap();
            }
            schema_snapshot(&t.db).await
        };
        let full = snapshot_of(shape("CHECK (kind IN ('a', 'b'))", "CASCADE")).await;
        assert_eq!(snapshot_of(shape("CHECK (kind IN ('a', 'b'))", "CASCADE")).await, full);
        assert_ne!(snapshot_of(shape("", "CASCADE")).await, full, "a lost CHECK");
        assert_ne!(snapshot_of(shape("CHECK (kind IN ('a', 'b'))", "SET NULL")).await, full, "another ON DELETE");
    }

    async fn up_down_up_restores_the_schema_exactly(t: &TestDb) {
        Migrator::up(&t.db, None).await.unwrap();
        let migrated = schema_snapshot(&t.db).await;
        assert!(migrated.len() > 30, "the schema should have many objects: {migrated:?}");
        Migrator::down(&t.db, None).await.unwrap();
        let emptied = schema_snapshot(&t.db).await;
        assert!(
            emptied.iter().all(|line| line.contains("seaql_migrations")),
            "down must remove every table and index: {emptied:#?}"
        );
        Migrator::up(&t.db, None).await.unwrap();
        assert_eq!(schema_snapshot(&t.db).await, migrated);
    }

    async fn rolling_back_past_the_tables_keeps_every_row(t: &TestDb) {
        let checksum = seed_into(&t.db, &small_seed(7)).await;
        let counts = datagen::inspect::row_counts(&t.db).await.unwrap();
        let schema = schema_snapshot(&t.db).await;
        assert!(counts.iter().any(|(table, n)| *table == "session_exercises" && *n > 500), "{counts:?}");

        let n_applied = Migrator::get_applied_migrations(&t.db).await.unwrap().len();
        let steps = u32::try_from(n_applied - TABLE_CREATING_STEPS).unwrap();
        Migrator::down(&t.db, Some(steps)).await.unwrap();
        assert_ne!(schema_snapshot(&t.db).await, schema, "the rollback should have changed the schema");
        assert!(index_names(&t.db, "session_exercises").await.is_empty());
        Migrator::up(&t.db, None).await.unwrap();

        assert_eq!(schema_snapshot(&t.db).await, schema);
        assert_eq!(datagen::inspect::row_counts(&t.db).await.unwrap(), counts);
        assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), checksum);
    }

    async fn phase_three_compacts_whoop_payloads_losslessly_and_resumes(t: &TestDb) {
        let config = datagen::SeedConfig { phase: 2, ..small_seed(11) };
        let phase2 = seed_into(&t.db, &config).await;
        let phase0 = datagen::inspect::phase0_checksum(&t.db).await.unwrap();
        let raw_bytes = payload_bytes(&t.db, "length(raw_data)").await;
        migration::migrate_to_phase(&t.db, 3).await.unwrap();

        // Every payload moved, each table with its own dictionary, and nothing changed.
        for table in migration::COMPACTED_WHOOP_TABLES {
            assert_eq!(count(&t.db, &format!("SELECT COUNT(*) FROM {table} WHERE raw_data <> ''")).await, 0);
            let with_dict = format!("SELECT COUNT(*) FROM {table} WHERE raw_dict IS NULL");
            assert_eq!(count(&t.db, &with_dict).await, 0, "{table} compressed without a dictionary");
        }
        assert_eq!(count(&t.db, "SELECT COUNT(*) FROM whoop_dictionaries").await, 3);
        assert_eq!(datagen::inspect::phase0_checksum(&t.db).await.unwrap(), phase0);
        let packed = payload_bytes(&t.db, "length(raw_zstd)").await;
        assert!(packed * 2 < raw_bytes, "{packed} compressed bytes of {raw_bytes}");
        // The workout columns say what the score JSON says; connections come from the payloads.
        let strain = "SELECT COUNT(*) FROM whoop_workouts WHERE score IS NOT NULL AND strain IS NULL";
        assert_eq!(count(&t.db, strain).await, 0);
        assert_eq!(count(&t.db, "SELECT COUNT(*) FROM whoop_connections").await, 3);
        let seeded = count(&t.db, "SELECT COUNT(*) FROM whoop_connections WHERE whoop_user_id = 10000 + user_id * 7").await;
        assert_eq!(seeded, 3);

        // A run killed half-way: its history row not written, half the payloads back in
        // `raw_data` with stale `raw_zstd` beside them (as a phase-2 write in between leaves them).
        let db = &t.db;
        let backend = db.get_database_backend();
        db.execute_unprepared("DELETE FROM seaql_migrations WHERE version LIKE 'm20251215%'").await.unwrap();
        let codec = migration::whoop_codec(db).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(backend, "SELECT id, raw_zstd, raw_dict FROM whoop_sleep WHERE id % 2 = 0"))
            .await
            .unwrap();
        assert!(rows.len() > 30);
        for row in rows {
            let (id, bytes, dict): (i64, Vec<u8>, Option<i64>) =
                (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap(), row.try_get_by_index(2).unwrap());
            let raw = migration::whoop_payload(&codec, String::new(), Some(&bytes), dict).unwrap();
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "UPDATE whoop_sleep SET raw_data = $1 WHERE id = $2",
                [raw.into(), id.into()],
            ))
            .await
            .unwrap();
        }
        assert_eq!(datagen::inspect::phase0_checksum(db).await.unwrap(), phase0, "readable mid-way");
        assert_eq!(migration::current_phase(db).await.unwrap(), Some(2));
        migration::migrate_to_phase(db, 3).await.unwrap();
        assert_eq!(count(db, "SELECT COUNT(*) FROM whoop_sleep WHERE raw_data <> ''").await, 0);
        assert_eq!(count(db, "SELECT COUNT(*) FROM whoop_dictionaries").await, 3, "no second dictionary");
        assert_eq!(datagen::inspect::phase0_checksum(db).await.unwrap(), phase0);

        // up -> down -> up: the same data at both phases.
        migration::migrate_to_phase(db, 2).await.unwrap();
        assert_eq!(datagen::inspect::content_checksum(db).await.unwrap(), phase2);
        assert_eq!(payload_bytes(db, "length(raw_data)").await, raw_bytes);
        migration::migrate_to_phase(db, 3).await.unwrap();
        assert_eq!(datagen::inspect::phase0_checksum(db).await.unwrap(), phase0);
        migration::migrate_to_phase(db, 2).await.unwrap();
        assert_eq!(datagen::inspect::content_checksum(db).await.unwrap(), phase2);
    }

    async fn phase_zero_has_the_original_redundant_index_set(t: &TestDb) {
        migration::migrate_to_phase(&t.db, 0).await.unwrap();
        let names = index_names(&t.db, "session_exercises").await;
        assert_eq!(names.len(), 19, "{names:#?}");
        for expected in [
            "session_exercise_user_id_idx",
            "session_exercise_user_resolved_exercise_idx",
            "session_exercise_user_resolved_name_idx",
            "session_exercise_user_session_name_idx",
        ] {
            assert!(names.iter().any(|it| it == expected), "{expected} missing from {names:#?}");
        }
        assert_eq!(migration::current_phase(&t.db).await.unwrap(), Some(0));
    }

    async fn phase_one_keeps_three_session_exercise_indexes_and_fills_the_cache(t: &TestDb) {
        let config = datagen::SeedConfig { phase: 0, ..small_seed(9) };
        let phase0_checksum = seed_into(&t.db, &config).await;
        migration::migrate_to_phase(&t.db, 1).await.unwrap();
        assert_eq!(
            index_names(&t.db, "session_exercises").await,
            [
                "session_exercise_session_id_idx",
                "session_exercise_template_exercise_id_idx",
                "session_exercise_user_resolved_exercise_session_idx"
            ]
        );
        // The migration's backfill equals what the seed writes itself at phase 1.
        let direct =
            seed_into(&TestDb::sqlite().await.db, &datagen::SeedConfig { phase: 1, ..small_seed(9) }).await;
        assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), direct);
        migration::migrate_to_phase(&t.db, 0).await.unwrap();
        assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), phase0_checksum);
        assert_eq!(index_names(&t.db, "session_exercises").await.len(), 19);
    }

    async fn phase_two_back_fills_the_summaries_as_the_services_compute_them(t: &TestDb) {
        let config = datagen::SeedConfig { phase: 1, ..small_seed(9) };
        let phase1_checksum = seed_into(&t.db, &config).await;
        migration::migrate_to_phase(&t.db, 2).await.unwrap();
        // Row for row what the aggregation crate computes from the set lines.
        for user in 1..=3 {
            let stored = aggregation::stored_user(&t.db, user).await.unwrap();
            let expected = aggregation::compute_user(&t.db, user).await.unwrap();
            assert!(!stored.is_empty(), "user {user} has summaries");
            assert_eq!(stored.differences(&expected), Vec::<String>::new(), "user {user}");
        }
        // And what the seed writes itself at phase 2.
        let direct =
            seed_into(&TestDb::sqlite().await.db, &datagen::SeedConfig { phase: 2, ..small_seed(9) }).await;
        assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), direct);
        migration::migrate_to_phase(&t.db, 1).await.unwrap();
        assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), phase1_checksum);
    }

    async fn phase_two_derives_whoop_tiers_and_warmup_rows_as_the_domain_does(t: &TestDb) {
        seed_into(&t.db, &datagen::SeedConfig { phase: 1, ..small_seed(9) }).await;
        // Put the bands' edges (and a missing score) into the phase-1 rows the back-fill reads.
        let edges = [None, Some(0.0), Some(33.99), Some(34.0), Some(49.99), Some(50.0), Some(66.99),
            Some(67.0), Some(69.99), Some(70.0), Some(84.99), Some(85.0), Some(100.0)];
        for (table, column) in [("whoop_recovery", "recovery_score"), ("whoop_sleep", "sleep_performance_percentage")] {
            for (offset, score) in edges.iter().enumerate() {
                let value = score.map_or("NULL".to_owned(), |it| it.to_string());
                let sql = format!("UPDATE {table} SET {column} = {value} WHERE id = (SELECT MIN(id) + {offset} FROM {table})");
                assert_eq!(t.db.execute_unprepared(&sql).await.unwrap().rows_affected(), 1, "{sql}");
            }
        }
        migration::migrate_to_phase(&t.db, 2).await.unwrap();
        let pairs = |sql: &'static str| async move {
            let rows = t.db.query_all_raw(sea_orm::Statement::from_string(t.db.get_database_backend(), sql)).await.unwrap();
            rows.iter().map(|it| (it.try_get_by_index::<Option<f64>>(0).unwrap(), it.try_get_by_index::<Option<String>>(1).unwrap())).collect::<Vec<_>>()
        };
        let recoveries = pairs("SELECT recovery_score, recovery_score_tier FROM whoop_recovery").await;
        let sleeps = pairs("SELECT sleep_performance_percentage, sleep_quality_tier FROM whoop_sleep").await;
        assert!(recoveries.len() > edges.len() && sleeps.len() > edges.len());
        for (score, tier) in recoveries {
            assert_eq!(tier.as_deref(), score.map(|it| domain::RecoveryTier::of(it).as_str()), "recovery {score:?}");
        }
        for (score, tier) in sleeps {
            assert_eq!(tier.as_deref(), score.map(|it| domain::SleepQualityTier::of(it).as_str()), "sleep {score:?}");
        }
        // The warm-up percentages as rows, in the JSON text's order.
        for user in entity::user_preference::Entity::find().all(&t.db).await.unwrap() {
            let rows = entity::user_warmup_percentage::Entity::find()
                .filter(entity::user_warmup_percentage::Column::UserId.eq(user.user_id))
                .order_by_asc(entity::user_warmup_percentage::Column::Position)
                .all(&t.db).await.unwrap();
            let list = rows.iter().map(|it| it.percent.to_string()).collect::<Vec<_>>().join(",");
            assert_eq!(format!("[{list}]"), user.warmup_percentages, "user {}", user.user_id);
        }
    }

    async fn every_entity_reads_every_column(t: &TestDb) {
        seed_into(&t.db, &small_seed(3)).await;
        // Selecting every entity reads every column: a mismatch between an entity and the
        // migrated table fails here.
        assert!(!entity::user::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::user_preference::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::user_warmup_percentage::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::workout_template::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::template_exercise::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::master_exercise::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::exercise_link::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::workout_session::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::exercise_resolution_cache::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::session_exercise::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::whoop_cycle::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::whoop_sleep::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::whoop_recovery::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(!entity::whoop_workout::Entity::find().all(&t.db).await.unwrap().is_empty());
        assert!(entity::webhook_event::Entity::find().all(&t.db).await.unwrap().is_empty());
        // Tables only the services write: an empty select still names every column.
        entity::wellness_data::Entity::find().all(&t.db).await.unwrap();
        entity::key_lift::Entity::find().all(&t.db).await.unwrap();
        entity::plateau::Entity::find().all(&t.db).await.unwrap();
        entity::milestone::Entity::find().all(&t.db).await.unwrap();
        entity::milestone_achievement::Entity::find().all(&t.db).await.unwrap();
        entity::pr_forecast::Entity::find().all(&t.db).await.unwrap();
        entity::rollout_flag::Entity::find().all(&t.db).await.unwrap();
    }

    async fn foreign_keys_and_checks_are_enforced(t: &TestDb) {
        seed_into(&t.db, &small_seed(5)).await;
        let no_such_user = t
            .db
            .execute_unprepared(
                "INSERT INTO workout_sessions (user_id, workout_date, local_date, created_at, updated_at) \
                 VALUES (999999, '2025-01-01T10:00:00+00:00', '2025-01-01', '2025-01-01T10:00:00+00:00', '2025-01-01T10:00:00+00:00')",
            )
            .await;
        assert!(no_such_user.is_err(), "a session for a missing user must be refused");
        let bad_set_type = t
            .db
            .execute_unprepared("UPDATE session_exercises SET set_type = 'cooldown' WHERE id = 1")
            .await;
        assert!(bad_set_type.is_err(), "an unknown set type must be refused");
        // Deleting a user removes everything the user owns.
        t.db.execute_unprepared("DELETE FROM users WHERE id = 1").await.unwrap();
        let left = entity::session_exercise::Entity::find()
            .all(&t.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|it| it.user_id == 1)
            .count();
        assert_eq!(left, 0);
    }

    async fn migrating_between_phases_lands_exactly(t: &TestDb) {
        migration::migrate_to_phase(&t.db, migration::LATEST_PHASE).await.unwrap();
        assert_eq!(migration::current_phase(&t.db).await.unwrap(), Some(migration::LATEST_PHASE));
        assert!(Migrator::get_pending_migrations(&t.db).await.unwrap().is_empty());
        let err = migration::migrate_to_phase(&t.db, migration::LATEST_PHASE + 1).await.unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}

#[tokio::test]
async fn sqlite_files_get_the_documented_pragmas() {
    let t = TestDb::sqlite_file().await;
    for (name, expected) in [
        ("journal_mode", "wal"),
        ("synchronous", "1"),
        ("foreign_keys", "1"),
        ("busy_timeout", "5000"),
    ] {
        let row =
            t.db.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                format!("PRAGMA {name}"),
            ))
            .await
            .unwrap()
            .unwrap();
        let got = row
            .try_get_by_index::<String>(0)
            .or_else(|_| row.try_get_by_index::<i64>(0).map(|it| it.to_string()))
            .unwrap();
        assert_eq!(got, expected, "PRAGMA {name}");
    }
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Bytes of the compacted tables' payloads, `expr` being `length(raw_data)` or `length(raw_zstd)`.
async fn payload_bytes(db: &sea_orm::DatabaseConnection, expr: &str) -> i64 {
    let mut total = 0;
    for table in migration::COMPACTED_WHOOP_TABLES {
        let expr = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            expr.replace("length(raw_zstd)", "octet_length(raw_zstd)")
                .replace("length(raw_data)", "octet_length(raw_data)")
        } else {
            expr.to_owned()
        };
        total +=
            count(db, &format!("SELECT CAST(COALESCE(SUM({expr}), 0) AS BIGINT) FROM {table}"))
                .await;
    }
    total
}
