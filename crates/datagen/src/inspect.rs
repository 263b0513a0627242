//! Reading a seeded database back: row counts per table and a content checksum.
//!
//! The checksum hashes every row of every table in id order, in a canonical text form, so two
//! databases (SQLite and PostgreSQL alike) have the same checksum exactly when they hold the same
//! data. It reads what is stored, not what the generator meant to store.

use std::fmt::{Debug, Write as _};
use std::str::FromStr;

use entity::{
    exercise_link, exercise_resolution_cache, key_lift, master_exercise, milestone,
    milestone_achievement, plateau, pr_forecast, session_exercise, template_exercise, user,
    user_preference, webhook_event, wellness_data, whoop_cycle, whoop_recovery, whoop_sleep,
    whoop_workout, workout_session, workout_template,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityName, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, QuerySelect, Value,
};
use sha2::{Digest, Sha256};

/// Rows read per round trip while hashing.
const PAGE: u64 = 20_000;

/// Tables of later phases that hold data: the resolution cache, the client keys of saved
/// workouts (so "nothing was written" also covers a claimed key) and the summaries (phase 2).
const LATER_TABLES: [&str; 9] = [
    "exercise_resolution_cache",
    "workout_client_keys",
    "exercise_daily_summary",
    "user_daily_summary",
    "exercise_weekly_summary",
    "exercise_trends",
    "user_warmup_percentages",
    "whoop_connections",
    "whoop_dictionaries",
];

/// Row counts per table, in foreign-key order (`crate::TABLES`, then the later phases' tables
/// that exist).
pub async fn row_counts<C: ConnectionTrait>(db: &C) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let mut tables: Vec<&'static str> = crate::TABLES.to_vec();
    for table in LATER_TABLES {
        if table_exists(db, table).await? {
            tables.push(table);
        }
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
async fn table_exists<C: ConnectionTrait>(db: &C, table: &str) -> Result<bool, DbErr> {
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

/// SHA-256 over every row of every phase-0 table (the users' own data, which no migration may
/// change), as `sha256:<hex>`.
pub async fn phase0_checksum<C: ConnectionTrait>(db: &C) -> Result<String, DbErr> {
    let mut hasher = Sha256::new();
    hash_phase0(db, &mut hasher).await?;
    Ok(hex(hasher))
}

/// SHA-256 over every row of every table, as `sha256:<hex>`.
pub async fn content_checksum<C: ConnectionTrait>(db: &C) -> Result<String, DbErr> {
    let mut hasher = Sha256::new();
    hash_phase0(db, &mut hasher).await?;
    if table_exists(db, exercise_resolution_cache::Entity.table_name()).await? {
        hash_table_by::<exercise_resolution_cache::Entity, _>(
            db,
            &mut hasher,
            "template_exercise_id",
        )
        .await?;
    }
    if table_exists(db, "workout_client_keys").await? {
        hash_client_keys(db, &mut hasher).await?;
    }
    if table_exists(db, "exercise_daily_summary").await? {
        hash_summaries(db, &mut hasher).await?;
    }
    if table_exists(db, "user_warmup_percentages").await? {
        hash_hot_columns(db, &mut hasher).await?;
    }
    if table_exists(db, "whoop_connections").await? {
        hash_whoop_phase3(db, &mut hasher).await?;
    }
    Ok(hex(hasher))
}

fn hex(hasher: Sha256) -> String {
    let mut res = String::from("sha256:");
    for byte in hasher.finalize() {
        let _ = write!(res, "{byte:02x}");
    }
    res
}

/// Feeds every phase-0 table into `hasher`, in foreign-key order.
async fn hash_phase0<C: ConnectionTrait>(db: &C, hasher: &mut Sha256) -> Result<(), DbErr> {
    hash_table::<user::Entity, _>(db, hasher).await?;
    hash_table::<user_preference::Entity, _>(db, hasher).await?;
    hash_table::<workout_template::Entity, _>(db, hasher).await?;
    hash_table::<template_exercise::Entity, _>(db, hasher).await?;
    hash_table::<master_exercise::Entity, _>(db, hasher).await?;
    hash_table::<exercise_link::Entity, _>(db, hasher).await?;
    hash_table::<workout_session::Entity, _>(db, hasher).await?;
    hash_table::<session_exercise::Entity, _>(db, hasher).await?;
    hash_table::<wellness_data::Entity, _>(db, hasher).await?;
    hash_table::<key_lift::Entity, _>(db, hasher).await?;
    hash_table::<plateau::Entity, _>(db, hasher).await?;
    hash_table::<milestone::Entity, _>(db, hasher).await?;
    hash_table::<milestone_achievement::Entity, _>(db, hasher).await?;
    hash_table::<pr_forecast::Entity, _>(db, hasher).await?;
    // Phase 3 moves WHOOP payloads into `raw_zstd`: the rows hash with the payload restored, so
    // the checksum is the same at every phase exactly when the payloads are.
    let codec = migration::whoop_codec(db).await?;
    hash_payload_table::<whoop_cycle::Entity, _>(db, hasher, &codec, |m| &mut m.raw_data).await?;
    hash_payload_table::<whoop_sleep::Entity, _>(db, hasher, &codec, |m| &mut m.raw_data).await?;
    hash_payload_table::<whoop_recovery::Entity, _>(db, hasher, &codec, |m| &mut m.raw_data)
        .await?;
    hash_table::<whoop_workout::Entity, _>(db, hasher).await?;
    hash_table::<webhook_event::Entity, _>(db, hasher).await
}

/// Feeds `workout_client_keys` into `hasher`, sorted in Rust by user and key bytes (the backends'
/// text collations differ). The table has no entity: only the services write it.
async fn hash_client_keys<C: ConnectionTrait>(db: &C, hasher: &mut Sha256) -> Result<(), DbErr> {
    let sql = "SELECT user_id, client_key, session_id, created_at FROM workout_client_keys";
    let rows =
        db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await?;
    let mut keys = Vec::with_capacity(rows.len());
    for row in rows {
        keys.push((
            row.try_get::<i64>("", "user_id")?,
            row.try_get::<String>("", "client_key")?,
            row.try_get::<i64>("", "session_id")?,
            row.try_get::<chrono::DateTime<chrono::Utc>>("", "created_at")?,
        ));
    }
    keys.sort_by(|a, b| (a.0, a.1.as_bytes()).cmp(&(b.0, b.1.as_bytes())));
    hasher.update(b"workout_client_keys\n");
    for (user, key, session, at) in keys {
        hasher.update(format!("{user}|{key:?}|{session}|{}\n", at.to_rfc3339()).as_bytes());
    }
    Ok(())
}

/// Feeds phase 3's derived WHOOP data into `hasher`: connections (tokens included) and the
/// workouts' score columns, by key (the payloads themselves are hashed with the phase-0 rows).
async fn hash_whoop_phase3<C: ConnectionTrait>(db: &C, hasher: &mut Sha256) -> Result<(), DbErr> {
    let all = |sql: &str| {
        db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
    };
    let mut text = String::from("whoop_connections\n");
    let sql = "SELECT user_id, whoop_user_id, access_token FROM whoop_connections ORDER BY user_id";
    for row in all(sql).await? {
        let (user, whoop, token): (i64, i64, Option<String>) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let _ = writeln!(text, "{user}|{whoop}|{token:?}");
    }
    text.push_str("whoop_workouts score columns\n");
    let sql = "SELECT id, strain, average_heart_rate, max_heart_rate, kilojoule, distance_meter \
               FROM whoop_workouts ORDER BY id";
    for row in all(sql).await? {
        let id: i64 = row.try_get_by_index(0)?;
        let strain: Option<f64> = row.try_get_by_index(1)?;
        let (avg, max): (Option<i32>, Option<i32>) =
            (row.try_get_by_index(2)?, row.try_get_by_index(3)?);
        let (kj, distance): (Option<f64>, Option<f64>) =
            (row.try_get_by_index(4)?, row.try_get_by_index(5)?);
        let _ = writeln!(text, "{id}|{strain:?}|{avg:?}|{max:?}|{kj:?}|{distance:?}");
    }
    hasher.update(text.as_bytes());
    Ok(())
}

/// Feeds the phase-2 columns of hot JSON fields into `hasher`: the warm-up percentage rows and the
/// WHOOP tiers (by row id, NULL as `-`).
async fn hash_hot_columns<C: ConnectionTrait>(db: &C, hasher: &mut Sha256) -> Result<(), DbErr> {
    let all = |sql: &str| {
        db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
    };
    let mut text = String::from("user_warmup_percentages\n");
    let sql =
        "SELECT user_id, position, percent FROM user_warmup_percentages ORDER BY user_id, position";
    for row in all(sql).await? {
        let (user, position, percent): (i64, i32, i32) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let _ = writeln!(text, "{user}|{position}|{percent}");
    }
    for (table, column) in
        [("whoop_recovery", "recovery_score_tier"), ("whoop_sleep", "sleep_quality_tier")]
    {
        let _ = writeln!(text, "{table}.{column}");
        for row in all(&format!("SELECT id, {column} FROM {table} ORDER BY id")).await? {
            let (id, tier): (i64, Option<String>) =
                (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let _ = writeln!(text, "{id}|{}", tier.as_deref().unwrap_or("-"));
        }
    }
    hasher.update(text.as_bytes());
    Ok(())
}

/// Feeds the summary tables into `hasher`, user by user in key order (sorted in Rust, so the
/// backends' collations do not matter), in canonical form: a stored row equal to its
/// recomputation from the set lines (`Totals::same_as`: volumes to 1e-9 relative) hashes as the
/// recomputation. The phase-2 migration back-fills in SQL, which may sum a day's volumes in
/// another order than the seed and the services do and differ in the last bits; a wrong or
/// missing row still changes the checksum.
async fn hash_summaries<C: ConnectionTrait>(db: &C, hasher: &mut Sha256) -> Result<(), DbErr> {
    let sql = "SELECT id FROM users ORDER BY id";
    let users =
        db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await?;
    let db_err = |err| match err {
        aggregation::AggregationError::Db(it) => it,
        other => DbErr::Custom(other.to_string()),
    };
    hasher.update(b"summaries\n");
    for row in users {
        let user: i64 = row.try_get_by_index(0)?;
        let stored = aggregation::stored_user(db, user).await.map_err(db_err)?;
        let expected = aggregation::compute_user(db, user).await.map_err(db_err)?;
        let mut text = String::new();
        canonical_rows(&mut text, &stored.exercise_days, &expected.exercise_days);
        canonical_rows(&mut text, &stored.user_days, &expected.user_days);
        canonical_rows(&mut text, &stored.exercise_weeks, &expected.exercise_weeks);
        canonical_rows(&mut text, &stored.trends, &expected.trends);
        hasher.update(text.as_bytes());
    }
    Ok(())
}

/// One line per stored row: the recomputed row where the two agree, the stored one otherwise.
fn canonical_rows<K: Ord + Debug, V: aggregation::rebuild::SameAs + Debug>(
    text: &mut String,
    stored: &std::collections::BTreeMap<K, V>,
    expected: &std::collections::BTreeMap<K, V>,
) {
    for (key, row) in stored {
        let row = expected.get(key).filter(|it| it.same_as(row)).unwrap_or(row);
        let _ = writeln!(text, "{key:?}|{row:?}");
    }
}

/// Feeds one table into `hasher`, keyset-paginated on `id`.
async fn hash_table<E, C: ConnectionTrait>(db: &C, hasher: &mut Sha256) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::Model: Debug,
{
    hash_table_by::<E, C>(db, hasher, "id").await
}

/// Feeds one table into `hasher`, keyset-paginated on the integer column `key`.
async fn hash_table_by<E, C: ConnectionTrait>(
    db: &C,
    hasher: &mut Sha256,
    key: &str,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::Model: Debug,
{
    hash_rows::<E, C>(db, hasher, key, None).await
}

/// Where a WHOOP model keeps its payload.
type PayloadField<M> = fn(&mut M) -> &mut String;

/// Feeds a WHOOP table with a payload into `hasher`, each row with its payload as
/// `migration::whoop_payload` reads it.
async fn hash_payload_table<E, C: ConnectionTrait>(
    db: &C,
    hasher: &mut Sha256,
    codec: &whoop::Codec,
    field: PayloadField<E::Model>,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::Model: Debug,
{
    let compacted = migration::has_column(db, E::default().table_name(), "raw_zstd").await?;
    let payloads = compacted.then_some((codec, field));
    hash_rows::<E, C>(db, hasher, "id", payloads).await
}

async fn hash_rows<E, C: ConnectionTrait>(
    db: &C,
    hasher: &mut Sha256,
    key: &str,
    payloads: Option<(&whoop::Codec, PayloadField<E::Model>)>,
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
        let mut page = page;
        if let Some((codec, field)) = payloads {
            restore_payloads::<E, C>(db, codec, field, &mut page, last).await?;
        }
        let mut text = String::new();
        for row in &page {
            let _ = writeln!(text, "{row:?}");
        }
        hasher.update(text.as_bytes());
    }
}

/// Puts the decompressed payload into every row of `page` whose `raw_data` phase 3 emptied.
async fn restore_payloads<E, C: ConnectionTrait>(
    db: &C,
    codec: &whoop::Codec,
    field: PayloadField<E::Model>,
    page: &mut [E::Model],
    last: i64,
) -> Result<(), DbErr>
where
    E: EntityTrait,
{
    let id = E::Column::from_str("id")
        .map_err(|_| DbErr::Custom(format!("{} has no id column", E::default().table_name())))?;
    let Some(first) = page.first().map(|m| m.get(id)) else { return Ok(()) };
    let Value::BigInt(Some(first)) = first else {
        return Err(DbErr::Custom(format!("unexpected id value {first:?}")));
    };
    let sql = format!(
        "SELECT id, raw_zstd, raw_dict FROM {} WHERE raw_data = '' AND id >= $1 AND id <= $2",
        E::default().table_name()
    );
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [first.into(), last.into()],
        ))
        .await?;
    let mut moved = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        let (row_id, bytes, dict): (i64, Option<Vec<u8>>, Option<i64>) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        moved.insert(row_id, (bytes, dict));
    }
    for model in page {
        let Value::BigInt(Some(row_id)) = model.get(id) else { continue };
        if let Some((bytes, dict)) = moved.remove(&row_id) {
            let raw = field(model);
            *raw = migration::whoop_payload(codec, std::mem::take(raw), bytes.as_deref(), dict)?;
        }
    }
    Ok(())
}
