//! The single mapping from failures to client-visible GraphQL errors: a stable `extensions.code`
//! and the request id; database causes are logged with the request id, never sent.

use async_graphql::{Context, Error, ErrorExtensions};
use query::QueryError;

/// The id of the HTTP request being served, for correlating client reports with logs.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Builds a client error with `code` and the request id.
pub fn client_error(ctx: &Context<'_>, code: &'static str, message: impl Into<String>) -> Error {
    let request_id = ctx.data_opt::<RequestId>().map(|it| it.0.clone()).unwrap_or_default();
    Error::new(message.into()).extend_with(|_, ext| {
        ext.set("code", code);
        ext.set("requestId", request_id.clone());
    })
}

/// Maps a service error: user-facing ones keep their message; internal ones are logged and
/// answered with a generic message.
pub fn to_client(ctx: &Context<'_>, err: &QueryError) -> Error {
    match err.code() {
        "INTERNAL" => {
            let request_id = ctx.data_opt::<RequestId>().map_or("-", |it| it.0.as_str());
            tracing::error!(request_id, error = %err, cause = ?std::error::Error::source(err), "query failed");
            client_error(ctx, "INTERNAL", "internal error")
        }
        code => client_error(ctx, code, err.to_string()),
    }
}
