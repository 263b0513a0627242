//! The schema's history, one file per migration, grouped into rollout phases.
//!
//! Phase 0 is the original deployment: the tables in the shape the original system had before the
//! performance work, including its redundant index set on `session_exercises` and its JSON text
//! fields. Each later PDR phase is one or more further migrations, so any database can be taken to
//! any phase (`migrate_to_phase`) and every benchmark can compare against phase 0 on the same data.
//!
//! Every migration has a working `down` and runs in a transaction on every backend.
//! Migrations never import `entity`: they are frozen history and name their columns locally.

#![allow(
    elided_lifetimes_in_paths,
    reason = "async_trait's MigrationTrait signature elides SchemaManager's lifetime; naming it breaks the impl"
)]

pub use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseConnection;

mod m20251001_000001_create_users;
mod m20251001_000002_create_templates;
mod m20251001_000003_create_sessions;
mod m20251001_000004_create_whoop;
mod m20251001_000004_preference_fields;
mod m20251001_000004_rollout_flags;
mod m20251001_000004_tracking_tables;
mod m20251001_000005_create_phase0_indexes;
mod m20251101_000001_create_exercise_resolution_cache;
mod m20251101_000002_consolidate_indexes;
mod m20251120_000001_create_workout_client_keys;
mod m20251201_000001_create_summaries;
mod m20251201_000002_hot_columns;

/// One rollout phase: the migrations that take a database from the previous phase to this one.
struct Phase {
    number: u32,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
}

const PHASES: &[Phase] = &[
    Phase {
        number: 0,
        migrations: || {
            vec![
                Box::new(m20251001_000001_create_users::Migration),
                Box::new(m20251001_000002_create_templates::Migration),
                Box::new(m20251001_000003_create_sessions::Migration),
                Box::new(m20251001_000004_create_whoop::Migration),
                Box::new(m20251001_000004_preference_fields::Migration),
                Box::new(m20251001_000004_rollout_flags::Migration),
                Box::new(m20251001_000004_tracking_tables::Migration),
                Box::new(m20251001_000005_create_phase0_indexes::Migration),
            ]
        },
    },
    Phase {
        number: 1,
        migrations: || {
            vec![
                Box::new(m20251101_000001_create_exercise_resolution_cache::Migration),
                Box::new(m20251101_000002_consolidate_indexes::Migration),
                Box::new(m20251120_000001_create_workout_client_keys::Migration),
            ]
        },
    },
    Phase {
        number: 2,
        migrations: || {
            vec![
                Box::new(m20251201_000001_create_summaries::Migration),
                Box::new(m20251201_000002_hot_columns::Migration),
            ]
        },
    },
];

/// How many leading migrations create tables or columns (and so hold data). Rolling back past them
/// drops values; everything after them must be reversible without losing a value.
pub const TABLE_CREATING_STEPS: usize = 7;

/// The newest phase this build knows.
pub const LATEST_PHASE: u32 = PHASES[PHASES.len() - 1].number;

#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        PHASES.iter().flat_map(|it| (it.migrations)()).collect()
    }
}

/// How many migrations, counted from the first, make up phases `0..=phase`.
pub fn steps_through_phase(phase: u32) -> Option<usize> {
    if phase > LATEST_PHASE {
        return None;
    }
    Some(PHASES.iter().filter(|it| it.number <= phase).map(|it| (it.migrations)().len()).sum())
}

/// The phase of a database with the first `n_applied` migrations applied: the highest phase whose
/// migrations are all among them (migrations apply in order, so a count says which).
pub fn phase_of_applied(n_applied: usize) -> Option<u32> {
    PHASES
        .iter()
        .filter(|it| steps_through_phase(it.number).is_some_and(|steps| steps <= n_applied))
        .map(|it| it.number)
        .max()
}

/// How many migrations the database has applied (one statement; the history table must exist).
pub async fn applied_count<C: sea_orm_migration::sea_orm::ConnectionTrait>(
    db: &C,
) -> Result<usize, DbErr> {
    let backend = db.get_database_backend();
    let sql = "SELECT COUNT(*) AS n FROM seaql_migrations";
    let row =
        db.query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(backend, sql)).await?;
    let n = row.map(|it| it.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The phase a database is at: the highest phase whose migrations are all applied.
pub async fn current_phase(db: &DatabaseConnection) -> Result<Option<u32>, DbErr> {
    Ok(phase_of_applied(Migrator::get_applied_migrations(db).await?.len()))
}

/// How many migrations this build knows that the database has not applied.
///
/// Read-only (the gateway asks on its reader pool): sea-orm-migration's own listing first creates
/// its history table when missing, which is a write.
pub async fn pending_count(db: &DatabaseConnection) -> Result<usize, DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
    if !SchemaManager::new(db).has_table("seaql_migrations").await? {
        return Ok(Migrator::migrations().len());
    }
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, "SELECT version FROM seaql_migrations"))
        .await?;
    let applied = rows
        .iter()
        .map(|row| row.try_get::<String>("", "version"))
        .collect::<Result<std::collections::HashSet<_>, _>>()?;
    Ok(Migrator::migrations().iter().filter(|m| !applied.contains(m.name())).count())
}

/// Applies the migrations up to and including `phase`, or rolls back later ones, so the database
/// ends exactly at `phase`.
pub async fn migrate_to_phase(db: &DatabaseConnection, phase: u32) -> Result<(), DbErr> {
    let Some(target) = steps_through_phase(phase) else {
        return Err(DbErr::Migration(format!(
            "phase {phase} does not exist: the latest phase is {LATEST_PHASE}"
        )));
    };
    let n_applied = Migrator::get_applied_migrations(db).await?.len();
    match n_applied.cmp(&target) {
        std::cmp::Ordering::Less => Migrator::up(db, Some(steps(target - n_applied)?)).await,
        std::cmp::Ordering::Greater => Migrator::down(db, Some(steps(n_applied - target)?)).await,
        std::cmp::Ordering::Equal => Ok(()),
    }
}

fn steps(n: usize) -> Result<u32, DbErr> {
    <u32 as TryFrom<usize>>::try_from(n)
        .map_err(|_| DbErr::Migration(format!("too many migration steps: {n}")))
}
