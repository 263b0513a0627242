//! The services' error type. `Display` is safe to show a client: database causes are kept as
//! `source()` for logs and never rendered. The client-visible codes are the gateway's
//! (`gateway::ErrorCode`).

use domain::ValidationError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The row does not exist or belongs to another user: the two are indistinguishable.
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: i64 },
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationError),
    #[error("not available: {0}")]
    Unavailable(&'static str),
    /// A stored value outside its domain (a unit, set type or time zone the schema should have
    /// refused): an internal fault, logged with the column and value, never guessed around.
    #[error("stored value out of its domain: {column} = {value:?}")]
    Corrupt { column: &'static str, value: String },
    /// The database could not take the request in time: no pooled connection within the
    /// acquire timeout, or SQLite's write lock held past its busy timeout (a migration step, a
    /// long write). The transaction did not commit; the request can be retried.
    #[error("the database is busy; nothing was written, retry shortly")]
    Busy(#[source] sea_orm::DbErr),
    /// Deliberately opaque: the cause goes to logs, not to clients.
    #[error("database error")]
    Db(#[source] sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for QueryError {
    fn from(err: sea_orm::DbErr) -> Self {
        // SQLITE_BUSY's text ("database is locked") is fixed by SQLite; sea-orm carries the code
        // only inside sqlx's error, which this crate does not name.
        let busy = matches!(err, sea_orm::DbErr::ConnectionAcquire(_))
            || err.to_string().contains("database is locked");
        if busy { Self::Busy(err) } else { Self::Db(err) }
    }
}

impl QueryError {
    /// Parses the stored text of `column` into its domain type, or `Corrupt`.
    pub fn parse_stored<T: std::str::FromStr>(
        column: &'static str,
        value: String,
    ) -> Result<T, Self> {
        value.parse().map_err(|_| Self::Corrupt { column, value })
    }
}
