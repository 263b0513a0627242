//! The single mapping from failures to client-visible GraphQL errors: a stable `extensions.code`
//! (`ErrorCode`) and the request id; database causes are logged with the request id, never sent.

use async_graphql::{Context, Error, ErrorExtensions, ServerError};
use query::QueryError;

/// The id of the HTTP request being served, for correlating client reports with logs.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Every `extensions.code` a client can see: part of the API boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No valid bearer token.
    Unauthenticated,
    /// The row does not exist or is another user's.
    NotFound,
    /// A value breaks a documented rule; the message names the field.
    BadUserInput,
    /// The request exceeds a configured limit (depth, complexity, batch, body size).
    LimitExceeded,
    /// The HTTP request is not a GraphQL request this server accepts (malformed body, media type,
    /// method).
    BadRequest,
    /// The request did not finish within the configured time.
    Timeout,
    /// The database was busy (a schema migration, a burst of writes) and the request gave up
    /// waiting; nothing was written, and a retry may succeed.
    Unavailable,
    /// A fault on our side; details are in the logs under the request id.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::BadRequest => "BAD_REQUEST",
            Self::Timeout => "TIMEOUT",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }

    /// The code of a service error.
    pub fn of(err: &QueryError) -> Self {
        match err {
            QueryError::NotFound { .. } => Self::NotFound,
            QueryError::Invalid(_) => Self::BadUserInput,
            QueryError::Busy(_) => Self::Unavailable,
            _ => Self::Internal,
        }
    }

    /// The code of an error async-graphql raised while parsing or validating a request, before
    /// any resolver ran. async-graphql marks limit violations only by their message, so the
    /// phrases are pinned here and each limit has a test that fails if an upgrade rewords it.
    pub fn of_request_error(err: &ServerError) -> Self {
        const LIMIT_PHRASES: [&str; 4] =
            ["nested too deep", "too complex", "recursion depth", "number of directives"];
        if LIMIT_PHRASES.iter().any(|it| err.message.contains(it)) {
            Self::LimitExceeded
        } else {
            Self::BadUserInput
        }
    }
}

/// The request id of a resolver's request ("-" outside a request).
fn request_id(ctx: &Context<'_>) -> String {
    ctx.data_opt::<RequestId>().map_or_else(|| "-".to_owned(), |it| it.0.clone())
}

/// Builds a client error with `code` and the request id.
pub fn client_error(ctx: &Context<'_>, code: ErrorCode, message: impl Into<String>) -> Error {
    coded(code, message, &request_id(ctx))
}

/// An error with `code` and `request_id` in its extensions.
pub fn coded(code: ErrorCode, message: impl Into<String>, request_id: &str) -> Error {
    Error::new(message.into()).extend_with(|_, ext| {
        ext.set("code", code.as_str());
        ext.set("requestId", request_id.to_owned());
    })
}

/// Maps a service error: user-facing ones keep their message; internal ones are logged with their
/// cause and answered with a generic message.
pub fn to_client(ctx: &Context<'_>, err: &QueryError) -> Error {
    match ErrorCode::of(err) {
        ErrorCode::Internal => {
            let request_id = request_id(ctx);
            tracing::error!(request_id, error = %err, cause = ?std::error::Error::source(err), "query failed");
            client_error(ctx, ErrorCode::Internal, "internal error")
        }
        ErrorCode::Unavailable => {
            let request_id = request_id(ctx);
            tracing::warn!(request_id, cause = ?std::error::Error::source(err), "database busy");
            client_error(ctx, ErrorCode::Unavailable, err.to_string())
        }
        code => client_error(ctx, code, err.to_string()),
    }
}

/// `.or_client(ctx)?` turns a service result into a resolver result through `to_client`.
pub trait OrClient<T> {
    fn or_client(self, ctx: &Context<'_>) -> async_graphql::Result<T>;
}

impl<T> OrClient<T> for Result<T, QueryError> {
    fn or_client(self, ctx: &Context<'_>) -> async_graphql::Result<T> {
        self.map_err(|err| to_client(ctx, &err))
    }
}
