//! `cargo xtask whoop-import FILE --user U` and its inverse, `whoop-export`: a WHOOP v2 JSON
//! export (`{"cycles": [...], "sleeps": [...], "recoveries": [...], "workouts": [...]}`, each record
//! as the API returns it) in and out of one user's rows.

use std::fmt::Write as _;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// The user's records as an export: stored payloads (decompressed where phase 3 compacted them),
/// workouts rebuilt from their columns and score JSON, each list oldest first.
pub async fn export(db: &DatabaseConnection, user: i64) -> anyhow::Result<String> {
    let codec = migration::whoop_codec(db).await?;
    let backend = db.get_database_backend();
    let mut out = String::from("{");
    for (i, table) in ["whoop_cycles", "whoop_sleep", "whoop_recovery"].into_iter().enumerate() {
        let compacted = migration::has_column(db, table, "raw_zstd").await?;
        let columns =
            if compacted { "raw_data, raw_zstd, raw_dict" } else { "raw_data, NULL, NULL" };
        let order = match table {
            "whoop_recovery" => "date",
            _ => "start_time",
        };
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT {columns} FROM {table} WHERE user_id = $1 ORDER BY {order}, id"),
                [user.into()],
            ))
            .await?;
        let name = ["cycles", "sleeps", "recoveries"][i];
        let _ = write!(out, "{}\"{name}\":[", if i == 0 { "" } else { "," });
        for (n, row) in rows.iter().enumerate() {
            let raw: String = row.try_get_by_index(0)?;
            let zstd: Option<Vec<u8>> = row.try_get_by_index(1)?;
            let dict: Option<i64> = row.try_get_by_index(2)?;
            if n > 0 {
                out.push(',');
            }
            out.push_str(&migration::whoop_payload(&codec, raw, zstd.as_deref(), dict)?);
        }
        out.push(']');
    }
    // WHOOP's user id: from the connection (phase 3), else unknown (0).
    let whoop_user = if migration::has_table(db, "whoop_connections").await? {
        "(SELECT c.whoop_user_id FROM whoop_connections c WHERE c.user_id = w.user_id)"
    } else {
        "CAST(NULL AS BIGINT)"
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT w.whoop_workout_id, w.start_time, w.end_time, w.timezone_offset, \
                 w.sport_name, w.score_state, w.score, w.created_at, w.updated_at, {whoop_user} \
                 FROM whoop_workouts w WHERE w.user_id = $1 ORDER BY w.start_time, w.id"
            ),
            [user.into()],
        ))
        .await?;
    out.push_str(",\"workouts\":[");
    let time = |t: chrono::DateTime<chrono::Utc>| {
        serde_json::Value::from(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    };
    for (n, row) in rows.iter().enumerate() {
        let score: Option<String> = row.try_get_by_index(6)?;
        let whoop_user: Option<i64> = row.try_get_by_index(9)?;
        let text = |i| -> anyhow::Result<serde_json::Value> {
            Ok(serde_json::Value::from(row.try_get_by_index::<String>(i)?))
        };
        if n > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"id\":{},\"user_id\":{},\"created_at\":{},\"updated_at\":{},\"start\":{},\"end\":{},\
             \"timezone_offset\":{},\"sport_name\":{},\"score_state\":{},\"score\":{}}}",
            text(0)?,
            whoop_user.unwrap_or_default(),
            time(row.try_get_by_index(7)?),
            time(row.try_get_by_index(8)?),
            time(row.try_get_by_index(1)?),
            time(row.try_get_by_index(2)?),
            text(3)?,
            text(4)?,
            text(5)?,
            score.as_deref().unwrap_or("null"),
        );
    }
    out.push_str("]}");
    Ok(out)
}
