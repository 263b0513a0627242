//! Phase 3 (PDR §8): WHOOP payloads compacted, WHOOP columns complete, webhooks as a queue.
//!
//! - `raw_data` of `whoop_cycles`, `whoop_sleep` and `whoop_recovery` moves into `raw_zstd`
//!   (zstd, with a dictionary per table trained here on up to 4,000 of the table's payloads and
//!   stored in `whoop_dictionaries` under a version that `raw_dict` names; NULL: none). A moved
//!   row's `raw_data` is the empty string: SQLite cannot make a column nullable without
//!   rebuilding its table, and `''` costs a byte. **The payload of a row is `raw_data` unless
//!   that is empty, then `raw_zstd` decompressed** ([`crate::whoop_payload`]); that rule holds
//!   at every moment of this migration, so it can stop anywhere.
//! - `whoop_workouts` gains the score columns queries read (`strain`, heart rates, `kilojoule`,
//!   `distance_meter`), back-filled from its `score` JSON.
//! - `webhook_events` becomes the webhook queue: `trace_id` with a unique delivery key
//!   (provider, entity, event type, trace id: a redelivery is a duplicate), `attempts` and
//!   `next_attempt_at` for retries, and an index of the rows still to process.
//! - `whoop_connections`: which WHOOP user is which of ours, and their API token; back-filled
//!   from the `user_id` in the stored payloads.
//!
//! Runs without a transaction of its own: the compression goes in batches of 33 rows, each one
//! statement that moves a row only if its `raw_data` is still the text that was compressed (a
//! write at phase 2 in between wins, and is moved by a later batch). Killed anywhere, the next run
//! resumes where it stopped: every step checks what is already done. `down` is the same in
//! reverse (batches that restore `raw_data`, then the new columns and tables go). `rollout
//! apply`/`rollback` run it inside their one transaction, like every migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::whoop_codec;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The tables whose `raw_data` is compacted.
pub(crate) const COMPACTED: [&str; 3] = ["whoop_cycles", "whoop_sleep", "whoop_recovery"];

/// Rows per statement: 3 parameters each, under D1's 100.
const BATCH: usize = 33;

/// The workout score columns and their JSON keys.
const WORKOUT_COLUMNS: [(&str, &str, &str); 5] = [
    ("strain", "strain", "DOUBLE PRECISION"),
    ("average_heart_rate", "average_heart_rate", "INTEGER"),
    ("max_heart_rate", "max_heart_rate", "INTEGER"),
    ("kilojoule", "kilojoule", "DOUBLE PRECISION"),
    ("distance_meter", "distance_meter", "DOUBLE PRECISION"),
];

async fn has_column(m: &SchemaManager<'_>, table: &str, column: &str) -> Result<bool, DbErr> {
    m.has_column(table, column).await
}

fn blob(backend: DbBackend) -> &'static str {
    if backend == DbBackend::Postgres { "BYTEA" } else { "BLOB" }
}

fn timestamp(backend: DbBackend) -> &'static str {
    if backend == DbBackend::Postgres { "TIMESTAMPTZ" } else { "TEXT" }
}

/// `score`'s `key` as a number, in the backend's JSON dialect.
fn json_number(backend: DbBackend, column: &str, key: &str, sql_type: &str) -> String {
    if backend == DbBackend::Postgres {
        format!("CAST(CAST({column} AS jsonb) ->> '{key}' AS {sql_type})")
    } else {
        format!("json_extract({column}, '$.{key}')")
    }
}

pub(crate) async fn create_tables(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let conn = m.get_connection();
    let backend = m.get_database_backend();
    let (blob, ts) = (blob(backend), timestamp(backend));
    conn.execute_unprepared(&format!(
        "CREATE TABLE IF NOT EXISTS whoop_dictionaries (version BIGINT NOT NULL PRIMARY KEY, \
         table_name VARCHAR NOT NULL, bytes {blob} NOT NULL, created_at {ts} NOT NULL)"
    ))
    .await?;
    conn.execute_unprepared(&format!(
        "CREATE TABLE IF NOT EXISTS whoop_connections (user_id BIGINT NOT NULL PRIMARY KEY \
         REFERENCES users (id) ON DELETE CASCADE, whoop_user_id BIGINT NOT NULL UNIQUE, \
         access_token TEXT, connected_at {ts} NOT NULL)"
    ))
    .await?;
    for table in COMPACTED {
        if !has_column(m, table, "raw_zstd").await? {
            conn.execute_unprepared(&format!("ALTER TABLE {table} ADD COLUMN raw_zstd {blob}"))
                .await?;
        }
        if !has_column(m, table, "raw_dict").await? {
            conn.execute_unprepared(&format!("ALTER TABLE {table} ADD COLUMN raw_dict BIGINT"))
                .await?;
        }
    }
    for (column, _, sql_type) in WORKOUT_COLUMNS {
        if !has_column(m, "whoop_workouts", column).await? {
            conn.execute_unprepared(&format!(
                "ALTER TABLE whoop_workouts ADD COLUMN {column} {sql_type}"
            ))
            .await?;
        }
    }
    for (column, sql_type) in [("trace_id", "VARCHAR"), ("attempts", "INTEGER NOT NULL DEFAULT 0")]
        .into_iter()
        .chain([("next_attempt_at", ts)])
    {
        if !has_column(m, "webhook_events", column).await? {
            conn.execute_unprepared(&format!(
                "ALTER TABLE webhook_events ADD COLUMN {column} {sql_type}"
            ))
            .await?;
        }
    }
    conn.execute_unprepared(
        "CREATE UNIQUE INDEX IF NOT EXISTS webhook_events_delivery_key ON webhook_events \
         (provider, external_entity_id, event_type, trace_id)",
    )
    .await?;
    conn.execute_unprepared(
        "CREATE INDEX IF NOT EXISTS webhook_events_queue ON webhook_events (id) \
         WHERE status = 'received'",
    )
    .await?;
    Ok(())
}

/// The WHOOP user of each of our users, read from their first stored cycle's payload.
async fn backfill_connections<C: ConnectionTrait>(conn: &C) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let whoop_user = if backend == DbBackend::Postgres {
        "CAST(CAST(c.raw_data AS jsonb) ->> 'user_id' AS BIGINT)"
    } else {
        "CAST(json_extract(c.raw_data, '$.user_id') AS INTEGER)"
    };
    conn.execute_unprepared(&format!(
        "INSERT INTO whoop_connections (user_id, whoop_user_id, connected_at) \
             SELECT c.user_id, MIN({whoop_user}), MIN(c.created_at) FROM whoop_cycles c \
             WHERE c.raw_data <> '' \
             AND NOT EXISTS (SELECT 1 FROM whoop_connections w WHERE w.user_id = c.user_id) \
             GROUP BY c.user_id ON CONFLICT DO NOTHING"
    ))
    .await?;
    Ok(())
}

/// Trains a dictionary for every compacted table that has none and enough payloads.
async fn train_dictionaries<C: ConnectionTrait>(conn: &C) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let mut codec = whoop_codec(conn).await?;
    for table in COMPACTED {
        if codec.newest(table).is_some() {
            continue;
        }
        let rows = conn
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT raw_data FROM {table} WHERE raw_data <> '' ORDER BY id LIMIT 4000"),
            ))
            .await?;
        let samples =
            rows.iter().map(|r| r.try_get_by_index::<String>(0)).collect::<Result<Vec<_>, _>>()?;
        let Some(bytes) = whoop::train(&samples).map_err(codec_err)? else { continue };
        // Versions are never reused, also across a rollback and a new compaction (which trains
        // new dictionaries): the services cache dictionaries by version.
        let version = Ord::max(codec.max_version() + 1, chrono::Utc::now().timestamp_millis());
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO whoop_dictionaries (version, table_name, bytes, created_at) \
             VALUES ($1, $2, $3, $4)",
            [version.into(), table.into(), bytes.clone().into(), chrono::Utc::now().into()],
        ))
        .await?;
        codec.add(whoop::Dictionary::new(version, table, bytes).map_err(codec_err)?);
    }
    Ok(())
}

#[expect(clippy::needless_pass_by_value, reason = "used as `map_err(codec_err)`")]
fn codec_err(e: whoop::CodecError) -> DbErr {
    DbErr::Migration(format!("WHOOP payload codec: {e}"))
}

/// Moves every remaining `raw_data` of `table` into `raw_zstd`, a batch per statement.
pub(crate) async fn compress_table<C: ConnectionTrait>(
    conn: &C,
    codec: &whoop::Codec,
    table: &str,
) -> Result<u64, DbErr> {
    let backend = conn.get_database_backend();
    let mut moved = 0;
    let mut after = 0_i64;
    loop {
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT id, raw_data FROM {table} WHERE raw_data <> '' AND id > $1 \
                     ORDER BY id LIMIT {BATCH}"
                ),
                [after.into()],
            ))
            .await?;
        let Some(last) = rows.last() else { return Ok(moved) };
        after = last.try_get_by_index(0)?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut raws = Vec::with_capacity(rows.len());
        for row in &rows {
            ids.push(row.try_get_by_index::<i64>(0)?);
            raws.push(row.try_get_by_index::<String>(1)?);
        }
        let packed = codec.compress_all(table, &raws).map_err(codec_err)?;
        // What is stored must give back exactly the text it replaces (the UPDATE below replaces
        // only that text): checked row by row before anything is written.
        for ((p, raw), id) in packed.iter().zip(&raws).zip(&ids) {
            if codec.decompress(&p.bytes, p.dictionary).map_err(codec_err)? != *raw {
                return Err(DbErr::Migration(format!("{table} row {id}: round trip differs")));
            }
        }
        let dict = packed.first().and_then(|it| it.dictionary);
        let mut values: Vec<Value> = Vec::with_capacity(rows.len() * 3 + 1);
        let mut list = Vec::with_capacity(rows.len());
        for ((id, raw), p) in ids.into_iter().zip(raws).zip(packed) {
            let n = values.len();
            list.push(format!("(${}, ${}, ${})", n + 1, n + 2, n + 3));
            values.extend([id.into(), p.bytes.into(), raw.into()]);
        }
        let id_cast =
            if backend == DbBackend::Postgres { "CAST(v.column1 AS BIGINT)" } else { "v.column1" };
        let dict_sql = dict.map_or_else(|| "NULL".to_owned(), |d| d.to_string());
        let res = conn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE {table} SET raw_zstd = v.column2, raw_dict = {dict_sql}, raw_data = '' \
                     FROM (VALUES {}) AS v WHERE {table}.id = {id_cast} \
                     AND {table}.raw_data = v.column3",
                    list.join(", ")
                ),
                values,
            ))
            .await?;
        moved += res.rows_affected();
    }
}

/// Restores every moved payload of `table` into `raw_data`, a batch per statement.
async fn restore_table<C: ConnectionTrait>(
    conn: &C,
    codec: &whoop::Codec,
    table: &str,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let mut after = 0_i64;
    loop {
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT id, raw_zstd, raw_dict FROM {table} WHERE raw_data = '' AND id > $1 \
                     ORDER BY id LIMIT {BATCH}"
                ),
                [after.into()],
            ))
            .await?;
        let Some(last) = rows.last() else { return Ok(()) };
        after = last.try_get_by_index(0)?;
        let mut values: Vec<Value> = Vec::with_capacity(rows.len() * 2);
        let mut list = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get_by_index(0)?;
            let bytes: Option<Vec<u8>> = row.try_get_by_index(1)?;
            let dict: Option<i64> = row.try_get_by_index(2)?;
            let Some(bytes) = bytes else {
                return Err(DbErr::Migration(format!("{table} row {id}: empty payload")));
            };
            let raw = codec.decompress(&bytes, dict).map_err(codec_err)?;
            let n = values.len();
            list.push(format!("(${}, ${})", n + 1, n + 2));
            values.extend([id.into(), raw.into()]);
        }
        let id_cast =
            if backend == DbBackend::Postgres { "CAST(v.column1 AS BIGINT)" } else { "v.column1" };
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE {table} SET raw_data = v.column2, raw_zstd = NULL, raw_dict = NULL \
                 FROM (VALUES {}) AS v WHERE {table}.id = {id_cast} AND {table}.raw_data = ''",
                list.join(", ")
            ),
            values,
        ))
        .await?;
    }
}

/// Everything phase 3 derives from phase-2 data, for the rows that lack it: workout score
/// columns, connections, dictionaries, and compressed payloads (how many moved). The migration
/// runs it; so does the seed after writing at phase 3, so seeded rows are stored as migrated ones.
pub(crate) async fn compact<C: ConnectionTrait>(conn: &C) -> Result<u64, DbErr> {
    let backend = conn.get_database_backend();
    let set = WORKOUT_COLUMNS
        .iter()
        .map(|(column, key, sql_type)| {
            format!("{column} = {}", json_number(backend, "score", key, sql_type))
        })
        .collect::<Vec<_>>()
        .join(", ");
    conn.execute_unprepared(&format!(
        "UPDATE whoop_workouts SET {set} WHERE score IS NOT NULL AND strain IS NULL"
    ))
    .await?;
    backfill_connections(conn).await?;
    train_dictionaries(conn).await?;
    let codec = whoop_codec(conn).await?;
    let mut moved = 0;
    for table in COMPACTED {
        moved += compress_table(conn, &codec, table).await?;
    }
    Ok(moved)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // Batches commit one by one so that a killed run resumes (see the module's text).
        Some(false)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_tables(m).await?;
        compact(m.get_connection()).await.map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let conn = m.get_connection();
        if m.has_table("whoop_dictionaries").await? {
            let codec = whoop_codec(conn).await?;
            for table in COMPACTED {
                if has_column(m, table, "raw_zstd").await? {
                    restore_table(conn, &codec, table).await?;
                }
            }
        }
        conn.execute_unprepared("DROP INDEX IF EXISTS webhook_events_queue").await?;
        conn.execute_unprepared("DROP INDEX IF EXISTS webhook_events_delivery_key").await?;
        let mut columns: Vec<(&str, &str)> = Vec::new();
        for table in COMPACTED {
            columns.extend([(table, "raw_zstd"), (table, "raw_dict")]);
        }
        columns.extend(WORKOUT_COLUMNS.iter().map(|(c, _, _)| ("whoop_workouts", *c)));
        columns.extend(["trace_id", "attempts", "next_attempt_at"].map(|c| ("webhook_events", c)));
        for (table, column) in columns {
            if has_column(m, table, column).await? {
                conn.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN {column}"))
                    .await?;
            }
        }
        conn.execute_unprepared("DROP TABLE IF EXISTS whoop_connections").await?;
        conn.execute_unprepared("DROP TABLE IF EXISTS whoop_dictionaries").await?;
        Ok(())
    }
}
