//! The `swole-gateway` binary as an operator runs it: the first stdout line, migrations on the
//! embedded default and on PostgreSQL, GraphiQL and introspection per mode, graceful SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};

use sea_orm::ConnectionTrait;
use test_support::TestDb;

/// A running gateway and the address it printed.
pub(crate) struct Gateway {
    pub(crate) child: Child,
    pub(crate) addr: String,
}

/// Starts the binary and waits for its first stdout line; `Err` with stderr when it exits first.
pub(crate) fn start(args: &[&str]) -> Result<Gateway, (ExitStatus, String)> {
    let listen: &[&str] =
        if args.contains(&"--listen") { &[] } else { &["--listen", "127.0.0.1:0"] };
    let mut child = Command::new(env!("CARGO_BIN_EXE_swole-gateway"))
        .args(listen)
        .args(args)
        .env_remove("SWOLE_DATABASE_URL")
        .env_remove("SWOLE_JWT_SECRET")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    if let Some(addr) = first.trim().strip_prefix("listening on http://") {
        return Ok(Gateway { child, addr: addr.to_owned() });
    }
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    Err((status, stderr))
}

impl Drop for Gateway {
    /// A test that panics never leaves its gateway running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A fresh PostgreSQL database of its own (a URL names a database, not a schema), dropped at the
/// end; `None` where the tests skip PostgreSQL.
pub(crate) struct PgDatabase {
    pub(crate) url: String,
    name: String,
    admin: TestDb,
    runtime: tokio::runtime::Runtime,
}

impl PgDatabase {
    pub(crate) fn create(tag: &str) -> Option<Self> {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let admin = runtime.block_on(TestDb::postgres())?;
        let name = format!("gw_{tag}_{}", std::process::id());
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            runtime.block_on(admin.db.execute_unprepared(&sql)).unwrap();
        }
        let base = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| test_support::DEFAULT_TEST_PG_URL.to_owned());
        let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
        Some(Self { url, name, admin, runtime })
    }

    /// The database's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = self.runtime.block_on(self.admin.db.execute_unprepared(&sql));
    }
}

/// A fresh SQLite file for a process test, removed with its WAL files when dropped.
pub(crate) struct TempSqlite(std::path::PathBuf);

impl TempSqlite {
    pub(crate) fn new(tag: &str) -> Self {
        Self(std::env::temp_dir().join(format!("swole-{tag}-{}.db", std::process::id())))
    }

    pub(crate) fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.display())
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// An HTTP response as the process tests read it.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: String,
    pub(crate) body: String,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then_some(value.trim())
        })
    }
}

/// `POST /graphql` with a bearer token to `addr`. `Err(true)` when the request may have reached
/// the server (the connection broke after it was sent), `Err(false)` when it cannot have (no
/// connection).
pub(crate) fn post_graphql(addr: &str, token: &str, body: &str) -> Result<Response, bool> {
    let mut stream = TcpStream::connect(addr).map_err(|_| false)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).map_err(|_| true)?;
    stream.write_all(body.as_bytes()).map_err(|_| true)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(|_| true)?;
    let (headers, body) = response.split_once("\r\n\r\n").ok_or(true)?;
    let status = headers.split(' ').nth(1).and_then(|it| it.parse().ok()).ok_or(true)?;
    Ok(Response { status, headers: headers.to_owned(), body: body.to_owned() })
}

impl Gateway {
    /// One HTTP/1.1 request; the status code and the body.
    pub(crate) fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response.split(' ').nth(1).and_then(|it| it.parse().ok()).unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map_or("", |it| it.1).to_owned();
        (status, body)
    }

    /// Sends SIGTERM and returns the exit status.
    pub(crate) fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        self.child.wait().unwrap()
    }
}

#[test]
fn the_embedded_default_migrates_serves_and_stops_on_sigterm() {
    let path = std::env::temp_dir().join(format!("swole-gateway-bin-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}?mode=rwc", path.display());
    // A fresh file: the writer creates it before the read-only readers open it.
    let tuned = ["--cache-progress-bytes", "1048576", "--cache-progress-ttl-s", "60"];
    let gateway =
        start(&[&["--database-url", &url, "--jwt-secret", "s3cret"][..], &tuned].concat()).unwrap();
    assert_eq!(gateway.request("GET", "/healthz", "").0, 200);
    assert_eq!(gateway.request("GET", "/readyz", "").0, 200, "migrations were applied");
    let (status, page) = gateway.request("GET", "/", "");
    assert!(status == 200 && page.to_lowercase().contains("graphiql"), "{status} {page}");
    let (status, body) = gateway.request("POST", "/graphql", r#"{"query":"{ viewer { id } }"}"#);
    assert_eq!(status, 200);
    assert!(body.contains("UNAUTHENTICATED"), "{body}");
    let introspection = r#"{"query":"{ __schema { queryType { name } } }"}"#;
    assert_eq!(
        gateway.request("POST", "/graphql", introspection),
        (200, r#"{"data":{"__schema":{"queryType":{"name":"QueryRoot"}}}}"#.to_owned())
    );
    assert!(gateway.terminate().success(), "SIGTERM is a graceful stop");

    // Production: no GraphiQL, no introspection; here also the rollout's fallback, no caches.
    let args = ["--database-url", &url, "--jwt-secret", "s3cret", "--production", "--no-cache"];
    let gateway = start(&[&args[..], &["--sqlite-readers", "2"]].concat()).unwrap();
    assert_eq!(gateway.request("GET", "/", "").0, 404);
    assert_eq!(
        gateway.request("POST", "/graphql", introspection),
        (200, r#"{"data":{"__schema":null}}"#.to_owned()),
        "introspection answers nothing in production"
    );
    assert!(gateway.terminate().success());

    // A SIGTERM right after the first line is graceful too (the handlers exist before it).
    for _ in 0..3 {
        let gateway = start(&["--database-url", &url, "--jwt-secret", "s3cret"]).unwrap();
        assert!(gateway.terminate().success());
    }

    // No secret and not --dev: refused with one line naming the flag.
    let (status, stderr) = start(&["--database-url", &url]).err().unwrap();
    assert!(!status.success());
    assert!(stderr.starts_with("error: --jwt-secret"), "{stderr}");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[test]
fn postgres_with_pending_migrations_is_refused_unless_migrate() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(t) = runtime.block_on(TestDb::postgres()) else {
        return;
    };
    // A database of its own: the binary takes a URL, and a URL names a database, not a schema.
    let name = format!("gw_bin_{}", std::process::id());
    let admin = |sql: String| runtime.block_on(t.db.execute_unprepared(&sql)).unwrap();
    admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    admin(format!("CREATE DATABASE {name}"));
    let base = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| test_support::DEFAULT_TEST_PG_URL.to_owned());
    let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);

    let (status, stderr) = start(&["--database-url", &url, "--jwt-secret", "s"]).err().unwrap();
    assert!(!status.success());
    assert!(stderr.contains("migrations are pending: run with --migrate"), "{stderr}");
    let gateway = start(&["--database-url", &url, "--jwt-secret", "s", "--migrate"]).unwrap();
    assert_eq!(gateway.request("GET", "/readyz", "").0, 200);
    assert!(gateway.terminate().success());
    // Migrated: it now starts without --migrate.
    let gateway = start(&["--database-url", &url, "--jwt-secret", "s"]).unwrap();
    assert!(gateway.terminate().success());
    admin(format!("DROP DATABASE {name} WITH (FORCE)"));
}

/// Writes `head` and then `body_len` bytes of body in 64 KiB writes, stopping early when the
/// server has answered and closed; returns the status line's code and the answer.
fn send_large(addr: &str, head: &str, body_len: usize, chunked: bool) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let block = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    while sent < body_len {
        let n = block.len().min(body_len - sent);
        let wrote = if chunked {
            write!(stream, "{n:x}\r\n")
                .and_then(|()| stream.write_all(&block[..n]))
                .and_then(|()| stream.write_all(b"\r\n"))
        } else {
            stream.write_all(&block[..n])
        };
        if wrote.is_err() {
            break; // The server answered and closed: the rest is never read.
        }
        sent += n;
    }
    if chunked && sent == body_len {
        let _ = stream.write_all(b"0\r\n\r\n");
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.split(' ').nth(1).and_then(|it| it.parse().ok()).unwrap_or(0);
    (status, response)
}

#[test]
fn a_large_body_is_refused_by_the_running_binary() {
    let path = std::env::temp_dir().join(format!("swole-gateway-body-{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let gateway = start(&["--database-url", &url, "--jwt-secret", "s3cret"]).unwrap();
    let addr = gateway.addr.clone();
    let two_mb = 2 * 1024 * 1024;
    let declared = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {two_mb}\r\n\r\n"
    );
    let (status, answer) = send_large(&addr, &declared, two_mb, false);
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("LIMIT_EXCEEDED") && answer.contains("requestId"), "{answer}");
    let chunked = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    let (status, answer) = send_large(&addr, &chunked, two_mb, true);
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("LIMIT_EXCEEDED"), "{answer}");
    // Still serving.
    assert_eq!(gateway.request("GET", "/healthz", "").0, 200);
    assert!(gateway.terminate().success());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[test]
fn sigterm_lets_a_request_in_flight_complete() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _context = runtime.enter();
    let t = runtime.block_on(TestDb::sqlite_file());
    runtime.block_on(super::seed(&t));
    let url = t.config.url().to_owned();
    let gateway = start(&["--database-url", &url, "--jwt-secret", "s3cret"]).unwrap();
    let token = gateway::Auth::new(b"s3cret").token_for(query::UserId(1), 60);
    // Hold SQLite's write lock, so the mutation below waits inside the gateway.
    let lock = runtime.block_on(db::begin_write(&t.db)).unwrap();
    runtime
        .block_on(
            lock.execute_unprepared("UPDATE users SET display_name = display_name WHERE id = 1"),
        )
        .unwrap();
    let addr = gateway.addr.clone();
    let in_flight = std::thread::spawn(move || {
        let body = r#"{"query":"mutation { startWorkout { id } }"}"#;
        let mut stream = TcpStream::connect(&addr).unwrap();
        write!(
            stream,
            "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    });
    // Let the gateway accept the request and block on the lock, then ask it to stop.
    runtime.block_on(async { tokio::time::sleep(std::time::Duration::from_millis(500)).await });
    let pid = gateway.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    runtime.block_on(async { tokio::time::sleep(std::time::Duration::from_millis(300)).await });
    runtime.block_on(lock.commit()).unwrap();
    let response = in_flight.join().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""startWorkout":{"id":"#), "{response}");
    let mut gateway = gateway;
    assert!(gateway.child.wait().unwrap().success(), "the stop after the request is graceful");
}
