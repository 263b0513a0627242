//! The GraphQL gateway: the frontend's API over the query services, on axum.
//!
//! `build_schema()` builds the async-graphql schema with every limit set from configuration;
//! `app()` is the axum router (`/graphql`, CSV downloads under `/export/`, GraphiQL at `/` unless in
//! production, `/healthz`,
//! `/readyz`). This is the only crate that knows GraphQL or HTTP: it converts the services' views
//! into its own types, and maps every failure to a stable `extensions.code` in one place
//! (`error`), so no database text ever reaches a client.

pub mod auth;
pub mod coherence;
pub mod error;
mod export;
pub mod graphiql;
pub mod http;
pub mod limits;
pub mod loaders;
pub mod maintenance;
pub mod monitor;
pub mod schema;
pub mod webhooks;

pub use auth::Auth;
pub use error::ErrorCode;
pub use http::{AppState, app};
pub use limits::Limits;
pub use schema::{AppSchema, Clock, build_schema};
