//! Connection configuration: a validated database URL, pool size and the bound-parameter limit.

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

/// The embedded default: a SQLite file under `data/`, created on first use.
pub const DEFAULT_SQLITE_URL: &str = "sqlite://data/swole.db?mode=rwc";

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why a database URL was refused before any connection was attempted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbUrlError {
    #[error("database url is empty")]
    Empty,
    #[error("database url must start with `sqlite:` or `postgres://`, got scheme `{0}`")]
    UnsupportedScheme(String),
    #[error("database url is malformed: {0}")]
    Malformed(String),
}

/// The most parameters one SQL statement may bind. Cloudflare D1 allows 100; SQLite and
/// PostgreSQL allow far more, but the code runs to the strictest target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamLimit(NonZeroUsize);

impl ParamLimit {
    /// D1's documented limit.
    pub const D1: Self = Self(NonZeroUsize::new(100).expect("100 is not zero"));

    pub fn new(limit: usize) -> Option<Self> {
        NonZeroUsize::new(limit).map(Self)
    }

    pub fn get(self) -> usize {
        self.0.get()
    }
}

impl Default for ParamLimit {
    fn default() -> Self {
        Self::D1
    }
}

/// How to connect. The URL is validated on construction; `Debug` hides any password in it.
#[derive(Clone)]
pub struct DbConfig {
    url: String,
    backend: Backend,
    /// Pool size: PostgreSQL's pool (each of the writer and reader pools when split), and
    /// file-backed SQLite's shared pool (at most 4). In-memory SQLite always uses one connection,
    /// and a split SQLite writer pool always has exactly one.
    pub max_connections: u32,
    /// Readers of a split file-backed SQLite database (`connect_pools`): WAL lets each read a
    /// snapshot while the one writer commits.
    pub sqlite_readers: u32,
    /// PostgreSQL schema to put first on the search path (tests use one schema each).
    pub pg_schema: Option<String>,
    /// How long to wait for the database to answer a new connection.
    pub connect_timeout: Duration,
    /// How long a request waits for a pooled connection before failing.
    pub acquire_timeout: Duration,
    /// How long an unused pooled connection stays open (the pool keeps its minimum).
    pub idle_timeout: Duration,
    /// Prepared statements each connection keeps (the services use a few dozen distinct ones).
    pub statement_cache: usize,
    /// The bound-parameter limit every statement respects.
    pub param_limit: ParamLimit,
}

impl DbConfig {
    /// Validates `url` and returns a configuration with the defaults.
    pub fn new(url: &str) -> Result<Self, DbUrlError> {
        let backend = parse_backend(url)?;
        Ok(Self {
            url: url.to_owned(),
            backend,
            max_connections: 8,
            sqlite_readers: 4,
            pg_schema: None,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_mins(10),
            statement_cache: 256,
            param_limit: ParamLimit::default(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether this is an in-memory SQLite database (one connection, gone when closed).
    pub fn is_sqlite_memory(&self) -> bool {
        self.backend == Backend::Sqlite
            && (self.url.contains(":memory:") || self.url.contains("mode=memory"))
    }

    /// The file behind a file-backed SQLite URL.
    pub fn sqlite_path(&self) -> Option<&str> {
        if self.backend != Backend::Sqlite || self.is_sqlite_memory() {
            return None;
        }
        let rest = self.url.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty()).then_some(path)
    }

    /// The URL with any password replaced, safe for logs and error messages.
    pub fn redacted_url(&self) -> String {
        redact(&self.url)
    }
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig")
            .field("url", &self.redacted_url())
            .field("backend", &self.backend)
            .field("max_connections", &self.max_connections)
            .field("pg_schema", &self.pg_schema)
            .field("sqlite_readers", &self.sqlite_readers)
            .field("connect_timeout", &self.connect_timeout)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("statement_cache", &self.statement_cache)
            .field("param_limit", &self.param_limit)
            .finish()
    }
}

fn parse_backend(url: &str) -> Result<Backend, DbUrlError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(DbUrlError::Empty);
    }
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(DbUrlError::Malformed(format!("`{url}` has no scheme")));
    };
    match scheme {
        "sqlite" => {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() || path.starts_with('?') {
                return Err(DbUrlError::Malformed("sqlite url names no file".to_owned()));
            }
            Ok(Backend::Sqlite)
        }
        "postgres" | "postgresql" => {
            let parsed =
                url::Url::parse(url).map_err(|err| DbUrlError::Malformed(err.to_string()))?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(DbUrlError::Malformed("postgres url names no host".to_owned()));
            }
            Ok(Backend::Postgres)
        }
        other => Err(DbUrlError::UnsupportedScheme(other.to_owned())),
    }
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one, which this one has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_validated_before_connecting() {
        let ok = [
            ("sqlite::memory:", Backend::Sqlite),
            ("sqlite://data/swole.db?mode=rwc", Backend::Sqlite),
            ("sqlite:/tmp/x.db", Backend::Sqlite),
            ("postgres://postgres@127.0.0.1:5432/test", Backend::Postgres),
            ("postgresql://u:p@localhost/db", Backend::Postgres),
        ];
        for (url, backend) in ok {
            assert_eq!(DbConfig::new(url).unwrap().backend(), backend, "{url}");
        }
        let bad = [
            ("", "database url is empty"),
            (
                "mysql://x/y",
                "database url must start with `sqlite:` or `postgres://`, got scheme `mysql`",
            ),
            ("not a url", "database url is malformed: `not a url` has no scheme"),
            ("sqlite://", "database url is malformed: sqlite url names no file"),
            ("postgres://", "database url is malformed: postgres url names no host"),
            ("postgres://:5432/db", "database url is malformed: empty host"),
        ];
        for (url, message) in bad {
            assert_eq!(DbConfig::new(url).unwrap_err().to_string(), message, "{url}");
        }
    }

    #[test]
    fn passwords_never_reach_debug_output() {
        let config = DbConfig::new("postgres://app:hunter2@db.internal/swole").unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("app:***@db.internal"), "{shown}");
    }

    #[test]
    fn sqlite_paths_are_found() {
        let cases = [
            ("sqlite://data/swole.db?mode=rwc", Some("data/swole.db")),
            ("sqlite:/tmp/x.db", Some("/tmp/x.db")),
            ("sqlite::memory:", None),
            ("sqlite:file:t?mode=memory&cache=shared", None),
            ("postgres://h/db", None),
        ];
        for (url, path) in cases {
            assert_eq!(DbConfig::new(url).unwrap().sqlite_path(), path, "{url}");
        }
    }
}
