//! Reading a seeded database back: row counts per table and a content checksum.
//!
//! The checksum hashes every row of every table in id order, in a canonical text form, so two
//! databases (SQLite and PostgreSQL alike) have the same checksum exactly when they hold the same
//! data. It reads what is stored, not what the generator meant to store.

use std::fmt::{Debug, Write as _};
use std::str::FromStr;

use entity::{
    exercise_link, exercise_resolution_cache, master_exercise, session_exercise, template_exercise,
    user, user_preference, webhook_event, whoop_cycle, whoop_recovery, whoop_sleep, whoop_workout,
    workout_session, workout_template,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityName, EntityTrait, ModelTrait,
    QueryFilter, QueryOrder, QuerySelect, Value,
};
use sha2::{Digest, Sha256};

/// Rows read per round trip while hashing.
const PAGE: u64 = 20_000;

/// Row counts per table, in foreign-key order (`crate::TABLES`, then the phase-1 cache if present).
pub async fn row_counts(db: &DatabaseConnection) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let cache = exercise_resolution_cache::Entity.table_name();
    let mut tables: Vec<&'static str> = crate::TABLES.to_vec();
    if table_exists(db, cache).await? {
        tables.push(cache);
    }
    let mut res = Vec::with_capacity(tables.len());
    for table in tables {
        let sql = format!("SELECT COUNT(*) AS n FROM \"{table}\"");
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
            .await?;
        let n = row.map(|it| it.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
        res.push((table, u64::try_from(n).unwrap_or(0)));
    }
    Ok(res)
}

/// Whether `table` exists (tables of later phases are absent at earlier ones).
async fn table_exists(db: &DatabaseConnection, table: &str) -> Result<bool, DbErr> {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = $1"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [table.into()],
        ))
        .await?;
    Ok(row.map(|it| it.try_get::<i64>("", "n")).transpose()?.unwrap_or(0) > 0)
}

/// SHA-256 over every row of every table, as `sha256:<hex>`.
pub async fn content_checksum(db: &DatabaseConnection) -> Result<String, DbErr> {
    let mut hasher = Sha256::new();
    hash_table::<user::Entity>(db, &mut hasher).await?;
    hash_table::<user_preference::Entity>(db, &mut hasher).await?;
    hash_table::<workout_template::Entity>(db, &mut hasher).await?;
    hash_table::<template_exercise::Entity>(db, &mut hasher).await?;
    hash_table::<master_exercise::Entity>(db, &mut hasher).await?;
    hash_table::<exercise_link::Entity>(db, &mut hasher).await?;
    hash_table::<workout_session::Entity>(db, &mut hasher).await?;
    hash_table::<session_exercise::Entity>(db, &mut hasher).await?;
    hash_table::<whoop_cycle::Entity>(db, &mut hasher).await?;
    hash_table::<whoop_sleep::Entity>(db, &mut hasher).await?;
    hash_table::<whoop_recovery::Entity>(db, &mut hasher).await?;
    hash_table::<whoop_workout::Entity>(db, &mut hasher).await?;
    hash_table::<webhook_event::Entity>(db, &mut hasher).await?;
    if table_exists(db, exercise_resolution_cache::Entity.table_name()).await? {
        hash_table_by::<exercise_resolution_cache::Entity>(db, &mut hasher, "template_exercise_id")
            .await?;
    }
    let digest = hasher.finalize();
    let mut res = String::from("sha256:");
    for byte in digest {
        let _ = write!(res, "{byte:02x}");
    }
    Ok(res)
}

/// Feeds one table into `hasher`, keyset-paginated on `id`.
async fn hash_table<E>(db: &DatabaseConnection, hasher: &mut Sha256) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::Model: Debug,
{
    hash_table_by::<E>(db, hasher, "id").await
}

/// Feeds one table into `hasher`, keyset-paginated on the integer column `key`.
async fn hash_table_by<E>(
    db: &DatabaseConnection,
    hasher: &mut Sha256,
    key: &str,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::Model: Debug,
{
    let id = E::Column::from_str(key)
        .map_err(|_| DbErr::Custom(format!("{} has no id column", E::default().table_name())))?;
    hasher.update(E::default().table_name().as_bytes());
    hasher.update(b"\n");
    let mut last = 0i64;
    loop {
        let page = E::find().filter(id.gt(last)).order_by_asc(id).limit(PAGE).all(db).await?;
        let Some(tail) = page.last() else {
            return Ok(());
        };
        last = match tail.get(id) {
            Value::BigInt(Some(it)) => it,
            other => return Err(DbErr::Custom(format!("unexpected id value {other:?}"))),
        };
        let mut text = String::new();
        for row in &page {
            let _ = writeln!(text, "{row:?}");
        }
        hasher.update(text.as_bytes());
    }
}
