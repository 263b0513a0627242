//! The GraphQL gateway: the frontend's API over the query services, on axum.
//!
//! `schema()` builds the async-graphql schema with every limit set from configuration;
//! `app()` is the axum router (`POST /graphql`, GraphiQL at `/` unless in production, `/healthz`,
//! `/readyz`). This is the only crate that knows GraphQL or HTTP: it converts the services' views
//! into its own types, and maps every service error to a stable `extensions.code` in one place
//! (`error::to_client`), so no database text ever reaches a client.

pub mod auth;
pub mod error;
pub mod http;
pub mod loaders;
pub mod schema;

pub use auth::Auth;
pub use http::{AppState, Limits, app};
pub use schema::{AppSchema, build_schema};
