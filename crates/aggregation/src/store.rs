//! Storing recomputed summary rows: only the rows that changed are written.
//!
//! Maintenance recomputes every row of the keys a change touched, and most of them come out as
//! they were: the other exercises of an edited day, the user's day when a re-link only renames
//! lines. Deleting and re-inserting them all would rewrite their table and index pages on every
//! save (and bring the write-ahead log's checkpoints closer); instead a recomputed row is compared
//! with the stored one, bit for bit, and only a key that went is deleted, a row whose values moved
//! is updated in place (its key, and so every index, untouched), and a new key is inserted, each
//! kind in one statement per parameter-limited batch.

use std::collections::BTreeMap;

use db::ParamLimit;
use db::chunk::placeholders;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

use crate::summary::{ExerciseDayKey, ExerciseWeekKey, Totals, UserDayKey};
use crate::trends::Trend;

/// A summary table's key, as its columns.
pub(crate) trait Key: Ord + Clone {
    const COLUMNS: &'static [&'static str];
    fn values(&self) -> Vec<Value>;
}

/// A summary row's values besides its key.
pub(crate) trait Row: Clone + PartialEq {
    const COLUMNS: &'static [&'static str];
    fn values(&self) -> Vec<Value>;
}

impl Key for ExerciseDayKey {
    const COLUMNS: &'static [&'static str] = &["user_id", "local_date", "resolved_exercise_name"];
    fn values(&self) -> Vec<Value> {
        vec![self.user_id.into(), self.local_date.into(), self.name.clone().into()]
    }
}

impl Key for UserDayKey {
    const COLUMNS: &'static [&'static str] = &["user_id", "local_date"];
    fn values(&self) -> Vec<Value> {
        vec![self.user_id.into(), self.local_date.into()]
    }
}

impl Key for ExerciseWeekKey {
    const COLUMNS: &'static [&'static str] = &["user_id", "resolved_exercise_name", "week_start"];
    fn values(&self) -> Vec<Value> {
        vec![self.user_id.into(), self.name.clone().into(), self.week_start.into()]
    }
}

impl Row for Totals {
    const COLUMNS: &'static [&'static str] =
        &["session_count", "sets", "reps", "volume", "max_weight", "max_one_rm"];
    fn values(&self) -> Vec<Value> {
        vec![
            self.session_count.into(),
            self.sets.into(),
            self.reps.into(),
            self.volume.into(),
            self.max_weight.into(),
            self.max_one_rm.into(),
        ]
    }
}

impl Row for Trend {
    const COLUMNS: &'static [&'static str] =
        &["max_one_rm", "previous_max_one_rm", "change", "slope"];
    fn values(&self) -> Vec<Value> {
        vec![
            self.max_one_rm.into(),
            self.previous_max_one_rm.into(),
            self.change.into(),
            self.slope.into(),
        ]
    }
}

/// `($from, $from+1, …), (…)`: `rows` tuples of `width` placeholders.
fn tuples(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(1 + row * width, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Makes `table` hold `fresh` where it held `stored` (the stored rows of the same keys in scope:
/// every row of the touched days, weeks or trend windows). Deletes the keys that are gone and
/// updates the rows whose values changed, each in as few statements as the parameter limit
/// allows (a round trip costs more than a row here); returns the rows to insert. Values compare
/// exactly: a recomputation sums in the same order as the one that stored them.
pub(crate) async fn sync<C: ConnectionTrait, K: Key, V: Row>(
    conn: &C,
    table: &str,
    stored: &BTreeMap<K, V>,
    mut fresh: BTreeMap<K, V>,
    limit: ParamLimit,
) -> Result<BTreeMap<K, V>, DbErr> {
    let backend = conn.get_database_backend();
    let mut gone = Vec::new();
    let mut changed = Vec::new();
    for (key, old) in stored {
        match fresh.remove(key) {
            None => gone.push(key),
            Some(new) if new == *old => {}
            Some(new) => changed.push((key, new)),
        }
    }
    // Driven by the VALUES list, so each key is sought by the primary key: PostgreSQL's
    // `DELETE … USING`; SQLite has no join in DELETE (and scans the user's rows for a row-value
    // `IN` or an `OR` of keys), so it deletes the rowids the join finds.
    let joined = |alias: &str| {
        K::COLUMNS
            .iter()
            .enumerate()
            .map(|(idx, column)| format!("{alias}.{column} = v.column{}", idx + 1))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    for chunk in gone.chunks(rows_per_statement(K::COLUMNS.len(), limit)) {
        let list = tuples(chunk.len(), K::COLUMNS.len());
        let sql = match backend {
            DbBackend::Postgres => {
                format!("DELETE FROM {table} USING (VALUES {list}) AS v WHERE {}", joined(table))
            }
            _ => format!(
                "DELETE FROM {table} WHERE rowid IN (SELECT t.rowid FROM (VALUES {list}) AS v \
                 JOIN {table} t ON {})",
                joined("t")
            ),
        };
        let values: Vec<Value> = chunk.iter().flat_map(|key| key.values()).collect();
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    // `UPDATE … FROM (VALUES …)`: the VALUES columns are `column1, column2, …` on both backends.
    let width = K::COLUMNS.len() + V::COLUMNS.len();
    let set = V::COLUMNS
        .iter()
        .enumerate()
        .map(|(idx, column)| format!("{column} = v.column{}", K::COLUMNS.len() + idx + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let matches = K::COLUMNS
        .iter()
        .enumerate()
        .map(|(idx, column)| format!("{table}.{column} = v.column{}", idx + 1))
        .collect::<Vec<_>>()
        .join(" AND ");
    for chunk in changed.chunks(rows_per_statement(width, limit)) {
        let sql = format!(
            "UPDATE {table} SET {set} FROM (VALUES {}) AS v WHERE {matches}",
            tuples(chunk.len(), width)
        );
        let values: Vec<Value> = chunk
            .iter()
            .flat_map(|(key, row)| key.values().into_iter().chain(row.values()))
            .collect();
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(fresh)
}

/// How many rows of `width` parameters one statement may bind.
fn rows_per_statement(width: usize, limit: ParamLimit) -> usize {
    (limit.get() / width).max(1)
}
