//! Cross-crate tests, each on SQLite and on PostgreSQL: migrations, seeding, checksums.

#![allow(clippy::unwrap_used, reason = "test helpers may panic")]

mod deploy;
mod migrations;
mod pools;
mod replica;
mod seed;

use chrono::NaiveDate;
use datagen::SeedConfig;

/// A small, fixed seed: enough users and weeks to touch every table.
fn small_seed(seed: u64) -> SeedConfig {
    SeedConfig::new(
        3,
        10,
        seed,
        NaiveDate::from_ymd_opt(2025, 11, 25).unwrap(),
        i64::from(migration::LATEST_PHASE),
        100,
    )
    .unwrap()
}

/// Migrates to `config.phase`, writes the seed and returns the content checksum.
async fn seed_into(db: &sea_orm::DatabaseConnection, config: &SeedConfig) -> String {
    datagen::write::prepare(db, config, false).await.unwrap();
    datagen::write::write_all(db, config, |_| {}).await.unwrap();
    datagen::inspect::content_checksum(db).await.unwrap()
}
