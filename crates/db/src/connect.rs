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

/// Which connections a pool holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Reads and writes (tools, tests, in-memory databases).
    Shared,
    /// The pool transactions that write go through.
    Writer,
    /// Reads only: SQLite `query_only`, PostgreSQL `default_transaction_read_only`, so a write
    /// sent here fails instead of slipping past the writer.
    Reader,
}

/// A writer pool and a reader pool over one database (see [`connect_pools`]).
#[derive(Debug, Clone)]
pub struct Pools {
    pub write: DatabaseConnection,
    pub read: DatabaseConnection,
}

/// How busy a pool is, sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Connections open.
    pub size: u32,
    /// Open connections nobody holds.
    pub idle: u32,
    /// The most it may open.
    pub max: u32,
}

impl PoolStats {
    /// Connections held by a request right now.
    pub fn in_use(&self) -> u32 {
        self.size.saturating_sub(self.idle)
    }
}

/// `conn`'s pool figures (zeros for a connection that is not a pool, such as a mock).
pub fn pool_stats(conn: &DatabaseConnection) -> PoolStats {
    match conn.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            let pool = conn.get_sqlite_connection_pool();
            PoolStats {
                size: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            }
        }
        sea_orm::DbBackend::Postgres => {
            let pool = conn.get_postgres_connection_pool();
            PoolStats {
                size: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            }
        }
        _ => PoolStats::default(),
    }
}

/// Opens one pool for reads and writes and checks that the database answers.
///
/// SQLite: WAL journal, `synchronous=NORMAL` (durable across application crashes; a power loss
/// may drop the last transactions), foreign keys on, 5 s busy timeout; the file is created on first
/// use, and its parent directory with it. PostgreSQL: a pool of `max_connections`, at least one kept
/// open, and the configured schema first on the search path.
pub async fn connect(config: &DbConfig) -> Result<DatabaseConnection, ConnectError> {
    open(config, Role::Shared).await
}

/// Opens a writer pool and a reader pool over one database: every setting of [`connect`], and
///
/// - file-backed SQLite: exactly one writer connection (SQLite admits one writer at a time, so
///   more only queue on its lock inside `busy_timeout`) and `sqlite_readers` connections with
///   `query_only` on. Under WAL a reader reads the last committed snapshot without waiting for
///   the writer, so reads never queue behind a write.
/// - PostgreSQL: two pools of `max_connections`; the reader's sessions are read-only.
/// - in-memory SQLite: one connection serves both (each connection would be its own database).
pub async fn connect_pools(config: &DbConfig) -> Result<Pools, ConnectError> {
    if config.is_sqlite_memory() {
        let conn = open(config, Role::Shared).await?;
        return Ok(Pools { write: conn.clone(), read: conn });
    }
    // The writer first: it creates the file and switches it to WAL before a reader opens it.
    let write = open(config, Role::Writer).await?;
    let read = open(config, Role::Reader).await?;
    Ok(Pools { write, read })
}

#[expect(clippy::disallowed_methods, reason = "this is the one place that connects")]
async fn open(config: &DbConfig, role: Role) -> Result<DatabaseConnection, ConnectError> {
    if let Some(path) = config.sqlite_path()
        && let Some(parent) =
            std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|err| {
            ConnectError::new(config, format!("cannot create {}: {err}", parent.display()), None)
        })?;
    }
    let statements = config.statement_cache;
    let mut opt = ConnectOptions::new(config.url().to_owned());
    opt.sqlx_logging(false)
        .connect_timeout(config.connect_timeout)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(config.idle_timeout)
        .map_sqlx_sqlite_opts(move |o| {
            let o = o
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(5))
                .create_if_missing(role != Role::Reader)
                .statement_cache_capacity(statements)
                // 64 MiB of page cache per connection (SQLite's default is 2 MiB): index-heavy
                // writes otherwise spend their time re-reading pages through syscalls.
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory");
            if role == Role::Reader { o.pragma("query_only", "1") } else { o }
        })
        .map_sqlx_postgres_opts(move |o| {
            let o = o.statement_cache_capacity(statements);
            if role == Role::Reader {
                o.options([("default_transaction_read_only", "on")])
            } else {
                o
            }
        });
    match (config.backend(), role) {
        (Backend::Sqlite, _) if config.is_sqlite_memory() => {
            // Every connection to `:memory:` is its own empty database: keep exactly one.
            opt.max_connections(1).min_connections(1);
        }
        (Backend::Sqlite, Role::Shared) => {
            opt.max_connections(config.max_connections.clamp(1, 4));
        }
        (Backend::Sqlite, Role::Writer) => {
            opt.max_connections(1).min_connections(1);
        }
        (Backend::Sqlite, Role::Reader) => {
            opt.max_connections(config.sqlite_readers.max(1)).min_connections(1);
        }
        (Backend::Postgres, _) => {
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

/// The `application_name` of listening connections, before the process id.
pub const LISTENER_NAME: &str = "swole listener";

/// Opens one dedicated PostgreSQL connection for `LISTEN` (the caches' invalidations from other
/// processes, `query::coherence`), with the configured schema first on its search path like the
/// pools' connections. Not pooled: a listening session must stay the same session, and losing it
/// must be noticed (the caller opens a new one).
pub async fn listener(
    config: &DbConfig,
) -> Result<sea_orm::sqlx::postgres::PgListener, ConnectError> {
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
    let failed = |err: &dyn std::fmt::Display| ConnectError::new(config, err.to_string(), None);
    if config.backend() != Backend::Postgres {
        return Err(failed(&"LISTEN needs PostgreSQL"));
    }
    let mut options: PgConnectOptions = config.url().parse().map_err(|err| failed(&err))?;
    // Named with the process id, so that an operator (or a test) finds it in `pg_stat_activity`.
    options = options.application_name(&format!("{LISTENER_NAME} {}", std::process::id()));
    if let Some(schema) = &config.pg_schema {
        options = options.options([("search_path", schema.as_str())]);
    }
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(config.connect_timeout)
        .connect_with(options)
        .await
        .map_err(|err| failed(&err))?;
    PgListener::connect_with(&pool).await.map_err(|err| failed(&err))
}

/// A one-line cause for an operator; driver errors are already single-line here.
fn describe(err: &DbErr) -> String {
    match err {
        DbErr::Conn(inner) => inner.to_string(),
        other => other.to_string(),
    }
}
