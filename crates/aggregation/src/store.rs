//! Storing recomputed summary rows: only the rows that changed are written.
//!
//! Maintenance recomputes every row of the keys a change touched, and most of them come out as
//! they were: the other exercises of an edited day, the user's day when a re-link only renames
//! lines. Deleting and re-inserting them all would rewrite their table and index pages on every
//! save (and bring the write-ahead log's checkpoints closer); instead a recomputed row is compared
//! with the stored one, bit for bit, and only a key that went is deleted, a row whose values moved
//! is updated in place (its key, and so every index, untouched), and a new key is inserted.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, Statement, Value};

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

/// `k1 = $from AND k2 = $from+1 …`
fn key_filter<K: Key>(from: usize) -> String {
    K::COLUMNS
        .iter()
        .enumerate()
        .map(|(idx, column)| format!("{column} = ${}", from + idx))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Makes `table` hold `fresh` where it held `stored` (the stored rows of the same keys in scope:
/// every row of the touched days, weeks or trend windows). Deletes the keys that are gone and
/// updates the rows whose values changed, one statement each; returns the rows to insert.
/// Values compare exactly: a recomputation sums in the same order as the one that stored them.
pub(crate) async fn sync<C: ConnectionTrait, K: Key, V: Row>(
    conn: &C,
    table: &str,
    stored: &BTreeMap<K, V>,
    mut fresh: BTreeMap<K, V>,
) -> Result<BTreeMap<K, V>, DbErr> {
    let backend = conn.get_database_backend();
    for (key, old) in stored {
        let statement = match fresh.remove(key) {
            None => Statement::from_sql_and_values(
                backend,
                format!("DELETE FROM {table} WHERE {}", key_filter::<K>(1)),
                key.values(),
            ),
            Some(new) if new == *old => continue,
            Some(new) => {
                let set = V::COLUMNS
                    .iter()
                    .enumerate()
                    .map(|(idx, column)| format!("{column} = ${}", idx + 1))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut values = new.values();
                values.extend(key.values());
                Statement::from_sql_and_values(
                    backend,
                    format!(
                        "UPDATE {table} SET {set} WHERE {}",
                        key_filter::<K>(V::COLUMNS.len() + 1)
                    ),
                    values,
                )
            }
        };
        conn.execute_raw(statement).await?;
    }
    Ok(fresh)
}
