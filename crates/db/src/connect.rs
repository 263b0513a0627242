//! Opening a pool with uniform options on both backends.

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

use crate::config::{Backend, DbConfig};

/// Why a connection could not be opened. The message names the (redacted) URL and the cause.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to {url}: {cause}")]
pub struct ConnectError {
    url: String,
    cause: String,
    #[source]
    source: Option<DbErr>,
}

impl ConnectError {
    fn new(config: &DbConfig, cause: impl Into<String>, source: Option<DbErr>) -> Self {
        Self { url: config.redacted_url(), cause: cause.into(), source }
    }

    /// Whether no server answered at all (nothing listening, no route, no answer in time), as
    /// opposed to a server that answered and refused: a wrong password or a missing database.
    pub fn is_unreachable(&self) -> bool {
        let Some(DbErr::Conn(sea_orm::RuntimeErr::SqlxError(err))) = &self.source else {
            return false;
        };
        matches!(**err, sea_orm::sqlx::Error::Io(_) | sea_orm::sqlx::Error::PoolTimedOut)
    }
}

/// Opens a pool and checks that the database answers.
///
/// SQLite: WAL journal, `synchronous=NORMAL` (durable across application crashes; a power loss
/// may drop the last transactions), foreign keys on, 5 s busy timeout; the file is created on first
/// use, and its parent directory with it. PostgreSQL: a pool of `max_connections`, at least one kept
/// open, and the configured schema first on the search path.
#[expect(clippy::disallowed_methods, reason = "this is the one place that connects")]
pub async fn connect(config: &DbConfig) -> Result<DatabaseConnection, ConnectError> {
    if let Some(path) = config.sqlite_path()
        && let Some(parent) =
            std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|err| {
            ConnectError::new(config, format!("cannot create {}: {err}", parent.display()), None)
        })?;
    }
    let mut opt = ConnectOptions::new(config.url().to_owned());
    opt.sqlx_logging(false)
        .connect_timeout(config.connect_timeout)
        .acquire_timeout(config.connect_timeout)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(5))
                .create_if_missing(true)
                // 64 MiB of page cache per connection (SQLite's default is 2 MiB): index-heavy
                // writes otherwise spend their time re-reading pages through syscalls.
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory")
        });
    match config.backend() {
        Backend::Sqlite if config.is_sqlite_memory() => {
            // Every connection to `:memory:` is its own empty database: keep exactly one.
            opt.max_connections(1).min_connections(1);
        }
        Backend::Sqlite => {
            opt.max_connections(config.max_connections.clamp(1, 4));
        }
        Backend::Postgres => {
            opt.max_connections(config.max_connections.max(1)).min_connections(1);
            if let Some(schema) = &config.pg_schema {
                opt.set_schema_search_path(schema.clone());
            }
        }
    }
    let db = Database::connect(opt).await.map_err(|err| {
        let cause = describe(&err);
        ConnectError::new(config, cause, Some(err))
    })?;
    db.execute_unprepared("SELECT 1")
        .await
        .map_err(|err| ConnectError::new(config, describe(&err), Some(err)))?;
    Ok(db)
}

/// A one-line cause for an operator; driver errors are already single-line here.
fn describe(err: &DbErr) -> String {
    match err {
        DbErr::Conn(inner) => inner.to_string(),
        other => other.to_string(),
    }
}
