//! The one place that opens database connections and the one bulk-write path.
//!
//! `connect` applies the SQLite pragmas (WAL, `synchronous=NORMAL`, `foreign_keys=ON`,
//! `busy_timeout`) and the PostgreSQL pool options; nothing else in the workspace calls
//! `sea_orm::Database::connect` (clippy's `disallowed-methods` enforces it).
//! `begin_write` opens every transaction that writes (`BEGIN IMMEDIATE` on SQLite).
//! `bulk::insert_chunked` writes any number of rows in statements that each bind at most the
//! configured parameter limit (100 by default, Cloudflare D1's limit); `chunk` splits `IN` lists
//! the same way, padded to a few fixed sizes so prepared statements are reused.

pub mod bulk;
pub mod chunk;
mod config;
mod connect;
pub mod metered;
mod txn;

pub use bulk::{BulkError, insert_chunked, insert_statements, rows_per_statement};
pub use config::{Backend, DEFAULT_SQLITE_URL, DbConfig, DbUrlError, ParamLimit};
pub use connect::{
    ConnectError, LISTENER_NAME, PoolStats, Pools, connect, connect_pools, listener, pool_stats,
};
pub use metered::{Meter, Metered, StatementCounter, meter_connection};
pub use txn::begin_write;
