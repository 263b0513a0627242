//! The services' error type. `Display` is safe to show a client: database causes are kept as
//! `source()` for logs and never rendered.

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
    /// Stable machine code, part of the API boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Invalid(_) => "BAD_USER_INPUT",
            Self::Unavailable(_) | Self::Db(_) => "INTERNAL",
        }
    }
}
