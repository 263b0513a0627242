//! Test databases for every backend, and helpers to compare schemas.
//!
//! `TestDb::sqlite()` is a fresh in-memory database; `TestDb::sqlite_file()` a fresh file (for
//! pragmas and WAL); `TestDb::postgres()` a fresh schema on the server named by
//! `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`), so parallel tests never
//! share tables. When no server answers there, PostgreSQL tests fail under `CI=true` and are
//! skipped, loudly, elsewhere; a server that answers and refuses (a wrong password, a missing
//! database) fails them everywhere. `backend_tests!` writes each test once and runs it on both.
//! Dev-dependency only.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use db::{Backend, DbConfig};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement};

/// The PostgreSQL server tests use unless `TEST_DATABASE_URL` says otherwise.
pub const DEFAULT_TEST_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty database for one test.
#[derive(Debug)]
pub struct TestDb {
    pub db: DatabaseConnection,
    pub config: DbConfig,
    file: Option<PathBuf>,
}

impl TestDb {
    /// A fresh in-memory SQLite database.
    pub async fn sqlite() -> Self {
        Self::open(DbConfig::new("sqlite::memory:").expect("valid url"), None).await
    }

    /// A fresh SQLite file in the temporary directory, removed when dropped.
    pub async fn sqlite_file() -> Self {
        let path = std::env::temp_dir().join(format!(
            "swole-test-{}-{}.db",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        remove_sqlite_files(&path);
        let url = format!("sqlite://{}?mode=rwc", path.display());
        Self::open(DbConfig::new(&url).expect("valid url"), Some(path)).await
    }

    /// A fresh schema on the test PostgreSQL server, or `None` when there is no server and this
    /// is not CI. Under `CI=true` a missing server is a test failure.
    pub async fn postgres() -> Option<Self> {
        let url =
            std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_PG_URL.to_owned());
        let mut admin_config = DbConfig::new(&url).expect("TEST_DATABASE_URL is a valid url");
        admin_config.max_connections = 1;
        let admin = match db::connect(&admin_config).await {
            Ok(it) => it,
            Err(err) => {
                // A server that answered and refused (wrong password, no such database) is a
                // broken set-up, never a reason to skip.
                assert!(err.is_unreachable(), "the PostgreSQL test server refused: {err}");
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "PostgreSQL is required under CI=true: {err}"
                );
                eprintln!(
                    "SKIPPED: PostgreSQL test (no server: {err}); set TEST_DATABASE_URL to run it"
                );
                return None;
            }
        };
        drop_stale_schemas(&admin).await;
        let schema = format!("t_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        admin
            .execute_unprepared(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .await
            .expect("create the test schema");
        admin.close().await.expect("close the admin connection");
        let mut config = DbConfig::new(&url).expect("valid url");
        config.pg_schema = Some(schema);
        config.max_connections = 4;
        Some(Self::open(config, None).await)
    }

    async fn open(config: DbConfig, file: Option<PathBuf>) -> Self {
        let db = db::connect(&config).await.expect("connect to the test database");
        Self { db, config, file }
    }

    pub fn backend(&self) -> Backend {
        self.config.backend()
    }

    /// A writer pool and a reader pool over this database, as the gateway opens them (for
    /// in-memory SQLite, this test's one connection serves both).
    pub async fn pools(&self) -> db::Pools {
        if self.config.is_sqlite_memory() {
            return db::Pools { write: self.db.clone(), read: self.db.clone() };
        }
        db::connect_pools(&self.config).await.expect("open the writer and reader pools")
    }

    /// A second connection pool to the same database (not possible for in-memory SQLite).
    pub async fn reconnect(&self) -> DatabaseConnection {
        db::connect(&self.config).await.expect("reconnect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.file {
            remove_sqlite_files(path);
        }
    }
}

fn remove_sqlite_files(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut it = path.as_os_str().to_owned();
        it.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(it));
    }
}

/// Drops test schemas left by processes that no longer run (tests that panicked or were killed).
async fn drop_stale_schemas(admin: &DatabaseConnection) {
    #[derive(FromQueryResult)]
    struct Row {
        nspname: String,
    }
    let Ok(rows) = Row::find_by_statement(Statement::from_string(
        DbBackend::Postgres,
        r"SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\_%\_%'",
    ))
    .all(admin)
    .await
    else {
        return;
    };
    for row in rows {
        let pid = row.nspname.split('_').nth(1).and_then(|it| it.parse::<u32>().ok());
        if pid.is_some_and(|pid| {
            pid != std::process::id() && !PathBuf::from(format!("/proc/{pid}")).exists()
        }) {
            let _ = admin
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS {} CASCADE", row.nspname))
                .await;
        }
    }
}

/// The schema as sorted text lines: tables, columns with types, nullability and defaults, indexes
/// with their columns and uniqueness, and every constraint in full (keys, `CHECK`s, foreign keys
/// with their `ON DELETE` actions). Two databases with equal snapshots have the same schema.
pub async fn schema_snapshot(db: &DatabaseConnection) -> Vec<String> {
    #[derive(FromQueryResult)]
    struct Line {
        line: String,
    }
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            r"SELECT m.type || ' ' || m.name || ' on ' || m.tbl_name || ': ' || COALESCE(m.sql, '') AS line
              FROM sqlite_master m
              WHERE m.name NOT LIKE 'sqlite_%'"
        }
        _ => {
            r"SELECT 'column ' || c.table_name || '.' || c.column_name || ' ' || c.data_type || ' ' || c.is_nullable
                     || ' default ' || COALESCE(c.column_default, '-') AS line
              FROM information_schema.columns c WHERE c.table_schema = current_schema()
              UNION ALL
              SELECT 'index ' || i.indexname || ': ' || i.indexdef FROM pg_indexes i
              WHERE i.schemaname = current_schema()
              UNION ALL
              SELECT 'constraint ' || t.relname || '.' || c.conname || ': ' || pg_get_constraintdef(c.oid)
              FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
              JOIN pg_namespace n ON n.oid = t.relnamespace
              WHERE n.nspname = current_schema()"
        }
    };
    let mut lines: Vec<String> =
        Line::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await
            .expect("read the schema")
            .into_iter()
            .map(|it| it.line)
            .collect();
    lines.sort();
    lines
}

/// Names of the non-primary-key indexes on `table`.
pub async fn index_names(db: &DatabaseConnection, table: &str) -> Vec<String> {
    #[derive(FromQueryResult)]
    struct Row {
        name: String,
    }
    let (sql, values) = match db.get_database_backend() {
        DbBackend::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND name NOT LIKE 'sqlite_autoindex%'",
            vec![table.into()],
        ),
        _ => (
            "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'",
            vec![table.into()],
        ),
    };
    let mut names: Vec<String> = Row::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .all(db)
    .await
    .expect("list indexes")
    .into_iter()
    .map(|it| it.name)
    .collect();
    names.sort();
    names
}

/// Writes a test once and runs it on SQLite and on PostgreSQL, as `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($( $(#[$meta:meta])* async fn $name:ident($db:ident: &TestDb) $body:block )*) => {
        $(
            mod $name {
                #[allow(unused_imports, reason = "the test body may use anything its parent imports")]
                use super::*;

                $(#[$meta])*
                async fn body($db: &$crate::TestDb) $body

                #[tokio::test]
                async fn sqlite() {
                    body(&$crate::TestDb::sqlite().await).await;
                }

                #[tokio::test]
                async fn postgres() {
                    if let Some(db) = $crate::TestDb::postgres().await {
                        body(&db).await;
                    }
                }
            }
        )*
    };
}

/// A streaming replica of the test PostgreSQL server on another port, made by
/// `deploy/postgres-replica.sh` (the script `.ci/run` and the README use), removed when dropped.
#[derive(Debug)]
pub struct Replica {
    pub port: u16,
    /// The replica's URL for the `test` database (read-only: it is in recovery).
    pub url: String,
}

impl Replica {
    fn script() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/postgres-replica.sh")
    }

    fn run(args: &[&str]) -> Result<(), String> {
        let out = std::process::Command::new("bash")
            .arg(Self::script())
            .args(args)
            .output()
            .map_err(|e| format!("cannot run the replica script: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Starts a replica on `port` applying transactions `delay` (`"1s"`, `"0"`) after their
    /// commit, or `None` when it cannot be made outside CI (printed as `SKIPPED:`). Under
    /// `CI=true` a replica that cannot be made fails the test, as a missing server does.
    pub fn start(port: u16, delay: &str) -> Option<Self> {
        let port_text = port.to_string();
        match Self::run(&["start", "--port", &port_text, "--delay", delay]) {
            Ok(()) => {
                Some(Self { port, url: format!("postgres://postgres@127.0.0.1:{port}/test") })
            }
            Err(err) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "a PostgreSQL replica is required under CI=true: {err}"
                );
                eprintln!("SKIPPED: replica test (cannot make a replica: {err})");
                None
            }
        }
    }

    /// Stops the replica's server, keeping its data (a replica that went down).
    pub fn halt(&self) {
        Self::run(&["halt", "--port", &self.port.to_string()]).expect("halt the replica");
    }

    /// Starts a halted replica again; it catches up from its slot.
    pub fn resume(&self) {
        Self::run(&["resume", "--port", &self.port.to_string()]).expect("resume the replica");
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = Self::run(&["stop", "--port", &self.port.to_string()]);
    }
}
