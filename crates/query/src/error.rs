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
    /// Deliberately opaque: the cause goes to logs, not to clients.
    #[error("database error")]
    Db(#[source] sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for QueryError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Db(err)
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
