//! Keeping the phase-2 summary tables current from the services' writes.
//!
//! A write asks a [`Tracker`] to note what it is about to change (the sessions it saves into or
//! deletes, the set lines it edits, the template exercises whose resolved name it rewrites), then
//! calls [`Tracker::apply`] in the same transaction before committing: the `aggregation` crate
//! recomputes the summary rows of every touched day and week. Below phase 2 the tracker notes
//! nothing and runs no statement, so the original schema's writes are measured as they were.

use aggregation::{AggregationError, Rows, Touched};
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use crate::writes::Schema;
use crate::{Db, QueryError, UserId};

impl From<AggregationError> for QueryError {
    fn from(err: AggregationError) -> Self {
        match err {
            AggregationError::Db(it) | AggregationError::Bulk(db::BulkError::Db(it)) => {
                Self::Db(it)
            }
            AggregationError::Corrupt { column, value } => Self::Corrupt { column, value },
            AggregationError::Bulk(_) => {
                Self::Unavailable("a summary row does not fit the parameter limit")
            }
        }
    }
}

/// What one write transaction touched, for the summaries (a no-op below phase 2).
#[derive(Debug)]
pub(crate) struct Tracker<'a> {
    db: &'a Db,
    schema: Schema,
    touched: Touched,
}

impl<'a> Tracker<'a> {
    /// A tracker for a write to `schema` (its transaction's: `Write::schema`).
    pub(crate) fn new(db: &'a Db, schema: Schema) -> Self {
        Self { db, schema, touched: Touched::new() }
    }

    /// The schema the write goes to.
    pub(crate) fn schema(&self) -> Schema {
        self.schema
    }

    /// Notes a day of the user's whose set lines change.
    pub(crate) fn day(&mut self, user: UserId, local_date: NaiveDate) {
        if self.schema.has_summaries() {
            self.touched.add(user.0, local_date);
        }
    }

    /// Notes the days the rows `ids` of kind `rows` lie on, as they are now: sessions a save or
    /// a delete touches, set lines an edit changes, template exercises whose lines a resolution
    /// change renames.
    pub(crate) async fn rows<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        user: UserId,
        rows: Rows,
        ids: &[i64],
    ) -> Result<(), QueryError> {
        if self.schema.has_summaries() {
            self.touched.add_rows(conn, user.0, rows, ids, self.db.param_limit).await?;
        }
        Ok(())
    }

    /// Recomputes the summary rows of everything noted, in the caller's transaction.
    /// Recomputes what the write touched, timed (`swole_aggregation_duration_seconds`) and
    /// counted when it fails (`swole_aggregation_failures_total`; the write then rolls back).
    pub(crate) async fn apply<C: ConnectionTrait>(&self, conn: &C) -> Result<(), QueryError> {
        if self.touched.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let res = aggregation::apply(conn, &self.touched, self.db.param_limit).await;
        metrics::histogram!("swole_aggregation_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        if res.is_err() {
            metrics::counter!("swole_aggregation_failures_total").increment(1);
        }
        Ok(res?)
    }
}
