//! The schema's history, one file per migration, grouped into rollout phases.
//!
//! Phase 0 is the original deployment: the tables in the shape the original system had before the
//! performance work, including its redundant index set on `session_exercises` and its JSON text
//! fields. Each later PDR phase is one or more further migrations, so any database can be taken to
//! any phase (`migrate_to_phase`) and every benchmark can compare against phase 0 on the same data.
//!
//! Every migration has a working `down` and runs in a transaction on every backend, except the
//! phase-3 WHOOP compaction, which commits in resumable batches (its module says why).
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
mod m20251215_000001_whoop_compaction;

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
    Phase {
        number: 3,
        migrations: || vec![Box::new(m20251215_000001_whoop_compaction::Migration)],
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

/// The tables whose `raw_data` phase 3 compacts into `raw_zstd`.
pub const COMPACTED_WHOOP_TABLES: [&str; 3] = m20251215_000001_whoop_compaction::COMPACTED;

/// Derives phase 3's data for the WHOOP rows that lack it (score columns, connections, trained
/// dictionaries, compressed payloads), as the phase-3 migration does; returns how many payloads
/// it compressed. The seed runs it after writing at phase 3.
pub async fn compact_whoop<C: sea_orm_migration::sea_orm::ConnectionTrait>(
    db: &C,
) -> Result<u64, DbErr> {
    m20251215_000001_whoop_compaction::compact(db).await
}

/// What the phase-3 migration does, ahead of it and outside any transaction: its columns and
/// tables (idempotent), then `compact_whoop`'s batches. The migration that follows finds most
/// payloads moved and moves the rest (rows written in between) inside its transaction. Until
/// then the database stays at phase 2 and every reader sees the same payloads
/// ([`whoop_payload`]).
pub async fn compact_whoop_ahead(db: &DatabaseConnection) -> Result<u64, DbErr> {
    m20251215_000001_whoop_compaction::create_tables(&SchemaManager::new(db)).await?;
    compact_whoop(db).await
}

/// The codec with every dictionary the database holds (none before phase 3).
pub async fn whoop_codec<C: sea_orm_migration::sea_orm::ConnectionTrait>(
    db: &C,
) -> Result<whoop::Codec, DbErr> {
    use sea_orm_migration::sea_orm::Statement;
    let backend = db.get_database_backend();
    if !has_table(db, "whoop_dictionaries").await? {
        return Ok(whoop::Codec::default());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT version, table_name, bytes FROM whoop_dictionaries ORDER BY version",
        ))
        .await?;
    let mut codec = whoop::Codec::default();
    for row in rows {
        let (version, table, bytes): (i64, String, Vec<u8>) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        codec.add(
            whoop::Dictionary::new(version, &table, bytes)
                .map_err(|e| DbErr::Custom(format!("WHOOP dictionary {version}: {e}")))?,
        );
    }
    Ok(codec)
}

/// A WHOOP row's payload: `raw_data`, unless phase 3 moved it into `raw_zstd` (then `raw_data`
/// is empty). The rule holds at every phase and at every moment of the phase-3 migration.
pub fn whoop_payload(
    codec: &whoop::Codec,
    raw_data: String,
    raw_zstd: Option<&[u8]>,
    raw_dict: Option<i64>,
) -> Result<String, DbErr> {
    match raw_zstd {
        Some(bytes) if raw_data.is_empty() => codec
            .decompress(bytes, raw_dict)
            .map_err(|e| DbErr::Custom(format!("a stored WHOOP payload does not decode: {e}"))),
        _ => Ok(raw_data),
    }
}

/// Whether `table` exists in the connection's schema (SQLite: its file).
pub async fn has_table<C: sea_orm_migration::sea_orm::ConnectionTrait>(
    db: &C,
    table: &str,
) -> Result<bool, DbErr> {
    column_count(db, table, None).await.map(|n| n > 0)
}

/// Whether `table` has `column` in the connection's schema.
pub async fn has_column<C: sea_orm_migration::sea_orm::ConnectionTrait>(
    db: &C,
    table: &str,
    column: &str,
) -> Result<bool, DbErr> {
    column_count(db, table, Some(column)).await.map(|n| n > 0)
}

async fn column_count<C: sea_orm_migration::sea_orm::ConnectionTrait>(
    db: &C,
    table: &str,
    column: Option<&str>,
) -> Result<i64, DbErr> {
    use sea_orm_migration::sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match (backend, column) {
        (DbBackend::Postgres, None) => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_name = $1"
        }
        (DbBackend::Postgres, Some(_)) => {
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name = $1 AND column_name = $2"
        }
        (_, None) => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        (_, Some(_)) => "SELECT COUNT(*) FROM pragma_table_info($1) WHERE name = $2",
    };
    let mut values = vec![table.into()];
    values.extend(column.map(Into::into));
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    row.map(|it| it.try_get_by_index::<i64>(0)).transpose().map(|n| n.unwrap_or(0))
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
