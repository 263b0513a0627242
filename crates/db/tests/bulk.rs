//! The bulk write path never binds more parameters than the limit, counted at the connection.

#![allow(clippy::unwrap_used, reason = "test helpers may panic")]

use chrono::{TimeZone, Utc};
use db::{DbConfig, Metered, ParamLimit, insert_chunked, rows_per_statement};
use migration::{Migrator, MigratorTrait};
use proptest::prelude::*;
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};

fn user(idx: usize) -> entity::user::ActiveModel {
    let at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    entity::user::ActiveModel {
        id: Set(i64::try_from(idx).unwrap() + 1),
        external_id: Set(format!("ext-{idx}")),
        email: Set(format!("u{idx}@example.test")),
        display_name: Set(None),
        timezone: Set("UTC".to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

async fn check_insert(n_rows: usize, limit: usize) {
    let db = db::connect(&DbConfig::new("sqlite::memory:").unwrap()).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let limit = ParamLimit::new(limit).unwrap();
    let metered = Metered::new(db);
    let rows: Vec<_> = (0..n_rows).map(user).collect();
    let written = insert_chunked(&metered, rows, limit).await.unwrap();
    let meter = metered.meter();
    assert_eq!(written, n_rows as u64);
    assert!(meter.max_params <= limit.get(), "{meter:?} over {limit:?}");
    let per_statement = rows_per_statement(7, limit).unwrap();
    assert_eq!(meter.statements, n_rows.div_ceil(per_statement), "{meter:?}");
    assert_eq!(meter.total_params, n_rows * 7);
    let stored = entity::user::Entity::find().count(metered.inner()).await.unwrap();
    assert_eq!(stored, n_rows as u64);
}

#[tokio::test]
async fn empty_input_runs_no_statement() {
    let db = db::connect(&DbConfig::new("sqlite::memory:").unwrap()).await.unwrap();
    let metered = Metered::new(db);
    let written = insert_chunked(&metered, Vec::<entity::user::ActiveModel>::new(), ParamLimit::D1)
        .await
        .unwrap();
    assert_eq!(written, 0);
    assert_eq!(metered.meter().statements, 0);
}

#[tokio::test]
async fn rows_wider_than_the_limit_are_refused_before_any_write() {
    let db = db::connect(&DbConfig::new("sqlite::memory:").unwrap()).await.unwrap();
    let metered = Metered::new(db);
    let err =
        insert_chunked(&metered, vec![user(0)], ParamLimit::new(5).unwrap()).await.unwrap_err();
    assert_eq!(err.to_string(), "a users row sets 7 columns, more than the limit of 5 parameters");
    assert_eq!(metered.meter().statements, 0);
}

#[tokio::test]
async fn ragged_rows_are_refused() {
    let db = db::connect(&DbConfig::new("sqlite::memory:").unwrap()).await.unwrap();
    let mut second = user(1);
    second.display_name = sea_orm::ActiveValue::NotSet;
    let err = insert_chunked(&db, vec![user(0), second], ParamLimit::D1).await.unwrap_err();
    assert!(err.to_string().contains("row 1 differs"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_statement_binds_more_than_the_limit(n_rows in 0usize..10_000, limit in 7usize..=250) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(check_insert(n_rows, limit));
    }

    #[test]
    fn chunks_fill_the_limit_without_passing_it(columns in 1usize..=120, limit in 1usize..=500) {
        let limit = ParamLimit::new(limit).unwrap();
        match rows_per_statement(columns, limit) {
            Some(rows) => {
                prop_assert!(rows * columns <= limit.get());
                prop_assert!((rows + 1) * columns > limit.get());
            }
            None => prop_assert!(columns > limit.get()),
        }
    }
}

#[tokio::test]
async fn a_metered_connection_counts_statements_in_and_out_of_transactions() {
    let db = db::connect(&DbConfig::new("sqlite::memory:").unwrap()).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let (metered, counter) = db::meter_connection(&db);
    entity::user::Entity::find().all(&db).await.unwrap();
    assert_eq!(counter.meter().statements, 0, "the original connection is not counted");
    let txn = db::begin_write(&metered).await.unwrap();
    insert_chunked(&txn, (0..3).map(user).collect(), ParamLimit::D1).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(entity::user::Entity::find().count(&metered).await.unwrap(), 3);
    let meter = counter.meter();
    assert_eq!((meter.statements, meter.max_params, meter.total_params), (2, 21, 21), "{meter:?}");
    counter.reset();
    assert_eq!(counter.meter(), db::Meter::default());
}

/// Test set-ups skip PostgreSQL only when no server answers; a server that refuses is an error.
#[tokio::test]
async fn connect_errors_tell_an_absent_server_from_a_refusal() {
    let absent = db::connect(&DbConfig::new("postgres://postgres@127.0.0.1:1/test").unwrap()).await;
    assert!(absent.unwrap_err().is_unreachable());
    let base = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let server = base.rsplit_once('/').unwrap().0.to_owned();
    if db::connect(&DbConfig::new(&base).unwrap()).await.is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "PostgreSQL is required under CI=true"
        );
        eprintln!(
            "SKIPPED: PostgreSQL part of connect_errors_tell_an_absent_server_from_a_refusal"
        );
        return;
    }
    let missing_db =
        db::connect(&DbConfig::new(&format!("{server}/no_such_database_here")).unwrap()).await;
    let err = missing_db.unwrap_err();
    assert!(!err.is_unreachable(), "{err}");
    let scheme_and_host = server.replacen("postgres@", "no_such_role@", 1);
    let unknown_role =
        db::connect(&DbConfig::new(&format!("{scheme_and_host}/test")).unwrap()).await;
    let err = unknown_role.unwrap_err();
    assert!(!err.is_unreachable(), "{err}");
}
