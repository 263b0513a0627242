//! `swole-gateway`: the GraphQL gateway. Parses configuration, connects, checks migrations, binds,
//! prints `listening on http://ADDR` as its first line of stdout, serves until SIGTERM/SIGINT.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use db::{Backend, DEFAULT_SQLITE_URL, DbConfig, ParamLimit};
use gateway::{AppState, Auth, Clock, Limits, app};
use query::{CacheConfig, CacheSettings, Db, Item, Percents, Rollout, UserId};

/// Gateway configuration. Every flag can also be set through its environment variable.
#[derive(Parser)]
#[command(about = "Swole Tracker's GraphQL gateway", version)]
#[expect(clippy::struct_excessive_bools, reason = "command-line switches")]
struct Config {
    /// Database URL; default: the embedded SQLite file.
    #[arg(long, env = "SWOLE_DATABASE_URL", default_value = DEFAULT_SQLITE_URL)]
    database_url: String,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "SWOLE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// HS256 secret for bearer tokens.
    #[arg(long, env = "SWOLE_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Development: without a secret, generate one and print a token for the first user.
    #[arg(long)]
    dev: bool,
    /// Production: no GraphiQL, no introspection.
    #[arg(long)]
    production: bool,
    /// Apply pending migrations on PostgreSQL (the embedded default always applies them).
    #[arg(long)]
    migrate: bool,
    /// Serve the schema at the phase it is, applying nothing (a phase-0 database runs the
    /// original's query paths: the baseline of `loadtest --compare`).
    #[arg(long, conflicts_with = "migrate")]
    no_migrate: bool,
    /// Maximum query depth.
    #[arg(long, env = "SWOLE_MAX_DEPTH", default_value_t = Limits::DEFAULT.max_depth)]
    max_depth: usize,
    /// Maximum query complexity.
    #[arg(long, env = "SWOLE_MAX_COMPLEXITY", default_value_t = Limits::DEFAULT.max_complexity)]
    max_complexity: usize,
    /// Maximum operations in one batched request.
    #[arg(long, env = "SWOLE_MAX_BATCH", default_value_t = Limits::DEFAULT.max_batch)]
    max_batch: usize,
    /// Maximum request body in bytes (larger bodies answer 413 before they are read).
    #[arg(long, env = "SWOLE_MAX_BODY_BYTES", default_value_t = Limits::DEFAULT.max_body_bytes)]
    max_body_bytes: usize,
    /// Time limit of one request in milliseconds (slower requests answer 408).
    #[arg(long, env = "SWOLE_TIMEOUT_MS", default_value_t = 10_000)]
    timeout_ms: u64,
    /// Empty workouts (started, never saved) older than this many minutes are deleted.
    #[arg(long, env = "SWOLE_EMPTY_WORKOUT_MAX_AGE_MIN", default_value_t = 240)]
    empty_workout_max_age_min: u64,
    /// Connections per pool (PostgreSQL; SQLite has one writer).
    #[arg(long, env = "SWOLE_MAX_CONNECTIONS", default_value_t = 8)]
    max_connections: u32,
    /// Reader connections on SQLite (reads never wait for the writer under WAL).
    #[arg(long, env = "SWOLE_SQLITE_READERS", default_value_t = 4)]
    sqlite_readers: u32,
    /// Requests and statements at least this slow are logged (milliseconds): the user, the
    /// request id and the statement's SQL text, never its values.
    #[arg(long, env = "SWOLE_SLOW_QUERY_MS", default_value_t = 500)]
    slow_query_ms: u64,
    /// The storage the database may fill, in bytes (`/metrics` reports it beside the database's
    /// size, for the storage alert); Cloudflare D1's 10 GB by default.
    #[arg(long, env = "SWOLE_STORAGE_CAPACITY_BYTES", default_value_t = AppState::STORAGE_CAPACITY)]
    storage_capacity_bytes: u64,
    /// How long a request waits for a pooled connection, in milliseconds.
    #[arg(long, env = "SWOLE_ACQUIRE_TIMEOUT_MS", default_value_t = 5_000)]
    acquire_timeout_ms: u64,
    /// How often the rollout's switches (`rollout_flags`) and the schema phase are re-read, in
    /// milliseconds: a change reaches this instance within that time, without a restart.
    #[arg(long, env = "SWOLE_ROLLOUT_POLL_MS", default_value_t = 1_000)]
    rollout_poll_ms: u64,
    /// Development: run ITEM at PERCENT on this instance whatever `rollout_flags` says
    /// (repeatable; items: `resolution_cache`, `dashboard`, `summaries`, `hot_columns`).
    #[arg(long, env = "SWOLE_WHOOP_WEBHOOK_SECRET", hide_env_values = true)]
    /// WHOOP's client secret: turns on `POST /webhooks/whoop` (signatures are checked with it).
    whoop_webhook_secret: Option<String>,
    /// WHOOP's API, where webhook events' records are fetched from.
    #[arg(
        long,
        env = "SWOLE_WHOOP_API_URL",
        default_value = "https://api.prod.whoop.com/developer"
    )]
    whoop_api_url: String,
    /// How long a worker keeps a claimed webhook event from the others (after a crash, the event
    /// is processed again once it ends).
    #[arg(long, env = "SWOLE_WHOOP_LEASE_MS", default_value_t = 60_000)]
    whoop_lease_ms: u64,
    /// Fetch webhook events' records from this WHOOP v2 export instead of the API (demos, replays).
    #[arg(long, env = "SWOLE_WHOOP_SOURCE_FILE")]
    whoop_source_file: Option<std::path::PathBuf>,
    /// A PostgreSQL streaming replica to read from (repeatable; comma-separated in the variable).
    /// A user's reads go to one that has replayed their last write, else to the primary.
    #[arg(long = "replica-url", env = "SWOLE_REPLICA_URLS", value_delimiter = ',')]
    replica_urls: Vec<String>,
    /// A replica further behind the primary than this is skipped until it catches up.
    #[arg(long, env = "SWOLE_REPLICA_MAX_LAG_MS", default_value_t = 5_000)]
    replica_max_lag_ms: u64,
    /// How often the replicas' replay position is read.
    #[arg(long, env = "SWOLE_REPLICA_POLL_MS", default_value_t = 20)]
    replica_poll_ms: u64,
    /// This gateway is the only process that writes to its PostgreSQL database: do not listen for
    /// other writers and skip the per-request fence. Never with a second gateway, or with tools
    /// writing meanwhile: their writes would show only when cached answers expire.
    #[arg(long, env = "SWOLE_SOLE_WRITER")]
    sole_writer: bool,
    #[arg(long = "flag", value_name = "ITEM=PERCENT", value_parser = parse_override)]
    flags: Vec<(Item, u8)>,
    #[command(flatten)]
    cache: CacheFlags,
}

/// `ITEM=PERCENT`, an override of one rollout switch.
fn parse_override(text: &str) -> Result<(Item, u8), String> {
    let (name, percent) = text.split_once('=').ok_or("expected ITEM=PERCENT")?;
    let item = Item::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Item::ALL.iter().map(|it| it.name()).collect();
        format!("unknown item `{name}`; the items are {}", names.join(", "))
    })?;
    let percent = percent
        .parse::<u8>()
        .ok()
        .filter(|it| *it <= 100)
        .ok_or_else(|| format!("`{percent}` is not a percentage from 0 to 100"))?;
    Ok((item, percent))
}

/// The caches' bounds and expiry; `--no-cache` reads the database every time (the rollout's
/// fallback).
#[derive(clap::Args)]
struct CacheFlags {
    /// Serve every read from the database.
    #[arg(long, env = "SWOLE_NO_CACHE")]
    no_cache: bool,
    /// Bytes the viewer-row cache may hold.
    #[arg(long, env = "SWOLE_CACHE_VIEWER_BYTES", default_value_t = CacheSettings::default().viewer.max_bytes)]
    cache_viewer_bytes: u64,
    /// Seconds a cached viewer row is served.
    #[arg(long, env = "SWOLE_CACHE_VIEWER_TTL_S", default_value_t = CacheSettings::default().viewer.ttl.as_secs())]
    cache_viewer_ttl_s: u64,
    /// Bytes the resolved-name cache may hold.
    #[arg(long, env = "SWOLE_CACHE_NAMES_BYTES", default_value_t = CacheSettings::default().names.max_bytes)]
    cache_names_bytes: u64,
    /// Seconds a cached resolved name is served.
    #[arg(long, env = "SWOLE_CACHE_NAMES_TTL_S", default_value_t = CacheSettings::default().names.ttl.as_secs())]
    cache_names_ttl_s: u64,
    /// Bytes the progress-answer cache may hold.
    #[arg(long, env = "SWOLE_CACHE_PROGRESS_BYTES", default_value_t = CacheSettings::default().progress.max_bytes)]
    cache_progress_bytes: u64,
    /// Seconds a cached progress answer is served.
    #[arg(long, env = "SWOLE_CACHE_PROGRESS_TTL_S", default_value_t = CacheSettings::default().progress.ttl.as_secs())]
    cache_progress_ttl_s: u64,
}

impl CacheFlags {
    /// The settings, or `None` with `--no-cache`.
    fn settings(&self) -> Option<CacheSettings> {
        if self.no_cache {
            return None;
        }
        let d = CacheSettings::default();
        let secs = std::time::Duration::from_secs;
        Some(CacheSettings {
            viewer: CacheConfig {
                max_bytes: self.cache_viewer_bytes,
                ttl: secs(self.cache_viewer_ttl_s),
                ..d.viewer
            },
            names: CacheConfig {
                max_bytes: self.cache_names_bytes,
                ttl: secs(self.cache_names_ttl_s),
                ..d.names
            },
            progress: CacheConfig {
                max_bytes: self.cache_progress_bytes,
                ttl: secs(self.cache_progress_ttl_s),
                ..d.progress
            },
        })
    }
}

fn main() -> ExitCode {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(it) => it,
        Err(err) => return fail(&err.into()),
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

fn fail(err: &anyhow::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {err:#}");
    ExitCode::FAILURE
}

async fn run(config: Config) -> anyhow::Result<()> {
    let mut db_config = DbConfig::new(&config.database_url)?;
    db_config.max_connections = config.max_connections;
    db_config.sqlite_readers = config.sqlite_readers;
    db_config.acquire_timeout = std::time::Duration::from_millis(config.acquire_timeout_ms);
    let mut pools = db::connect_pools(&db_config).await?;
    let slow_query = std::time::Duration::from_millis(config.slow_query_ms);
    gateway::monitor::observe_pool(&mut pools.write, "write", slow_query);
    gateway::monitor::observe_pool(&mut pools.read, "read", slow_query);
    gateway::monitor::handle();
    let conn = pools.write.clone();
    let pending = migration::pending_count(&conn).await.context("reading the migration history")?;
    if pending > 0 && config.no_migrate {
        tracing::warn!(
            pending,
            "serving the schema at the phase it is (--no-migrate): the rollout moves it (cargo xtask rollout)"
        );
    } else if pending > 0 {
        if db_config.backend() == Backend::Sqlite || config.migrate {
            migration::migrate_to_phase(&conn, migration::LATEST_PHASE)
                .await
                .context("applying migrations")?;
        } else {
            anyhow::bail!("{pending} migrations are pending: run with --migrate, or migrate first");
        }
    }
    let phase = migration::current_phase(&conn).await?.unwrap_or(0);
    let mut overrides: Percents = [None; Item::ALL.len()];
    for (item, percent) in &config.flags {
        overrides[item.index()] = Some(*percent);
    }
    let mut db = Db::with_rollout(pools, ParamLimit::D1, Rollout::live(phase, overrides));
    db.refresh_rollout().await.context("reading the rollout's switches")?;
    if let Some(settings) = config.cache.settings() {
        db = db.with_caches(settings);
    }
    if !config.replica_urls.is_empty() {
        anyhow::ensure!(
            db_config.backend() == Backend::Postgres,
            "--replica-url: replicas are PostgreSQL streaming replicas of a PostgreSQL primary"
        );
        let mut replicas = Vec::new();
        for (i, url) in config.replica_urls.iter().enumerate() {
            let mut replica_config = DbConfig::new(url)?;
            replica_config.max_connections = config.max_connections;
            replica_config.pg_schema.clone_from(&db_config.pg_schema);
            replica_config.acquire_timeout =
                std::time::Duration::from_millis(config.acquire_timeout_ms);
            let mut pool = db::connect(&replica_config)
                .await
                .with_context(|| format!("connecting to replica {}", i + 1))?;
            let name = format!("replica{}", i + 1);
            gateway::monitor::observe_pool(&mut pool, "read", slow_query);
            replicas.push((name, pool));
        }
        db = db.with_replicas(query::replicas::Replicas::new(
            replicas,
            std::time::Duration::from_millis(config.replica_max_lag_ms),
        ));
    }

    // Several gateways (and tools) may write to one PostgreSQL database: what this one caches
    // or routes to replicas follows their writes (`query::coherence`). On SQLite one process
    // owns the database.
    let coherent = db_config.backend() == Backend::Postgres
        && (db.caches().is_some() || db.replicas().is_some())
        && !config.sole_writer;

    let secret = match (&config.jwt_secret, config.dev) {
        (Some(secret), _) => secret.clone().into_bytes(),
        (None, true) => format!(
            "dev-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        )
        .into_bytes(),
        (None, false) => {
            anyhow::bail!("--jwt-secret (or SWOLE_JWT_SECRET) is required unless --dev")
        }
    };
    let auth = Auth::new(&secret);
    let limits = Limits {
        max_depth: config.max_depth,
        max_complexity: config.max_complexity,
        max_batch: config.max_batch,
        max_body_bytes: config.max_body_bytes,
        timeout: std::time::Duration::from_millis(config.timeout_ms),
        production: config.production,
        ..Limits::DEFAULT
    };
    // Signal handlers exist before anyone can learn the address: a SIGTERM right after the
    // "listening" line is a graceful stop, not the default action's kill.
    let stop = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{addr}")?;
    if config.dev {
        writeln!(out, "dev token for user 1: {}", auth.token_for(UserId(1), 7 * 24 * 3600))?;
    }
    drop(out);
    let replica_poll = tokio::spawn(gateway::monitor::follow_replicas(
        db.clone(),
        std::time::Duration::from_millis(config.replica_poll_ms.max(1)),
        std::time::Duration::from_millis(500),
    ));
    let coherence = std::sync::Arc::new(gateway::coherence::Coherence::new());
    let listen = coherent.then(|| {
        tokio::spawn(gateway::coherence::listen(
            std::sync::Arc::clone(&coherence),
            db.clone(),
            db_config,
        ))
    });
    let rollout = tokio::spawn(gateway::monitor::follow_rollout(
        db.clone(),
        std::time::Duration::from_millis(config.rollout_poll_ms.max(10)),
    ));
    let cleanup = tokio::spawn(gateway::maintenance::clean_empty_workouts(
        db.clone(),
        Clock::System,
        std::time::Duration::from_mins(config.empty_workout_max_age_min),
        std::time::Duration::from_mins(10),
    ));
    let mut state = AppState::new(db.clone(), auth, limits)
        .with_slow_query(slow_query)
        .with_storage_capacity(config.storage_capacity_bytes);
    if coherent {
        state = state.with_coherence(coherence);
    }
    let mut worker = None;
    if let Some(secret) = &config.whoop_webhook_secret {
        let source: std::sync::Arc<dyn whoop::Source> = match &config.whoop_source_file {
            Some(path) => std::sync::Arc::new(whoop::FileSource::open(path)?),
            None => std::sync::Arc::new(whoop::HttpSource::new(whoop::HttpSourceConfig {
                base_url: config.whoop_api_url.clone(),
                ..whoop::HttpSourceConfig::default()
            })?),
        };
        let hooks = gateway::webhooks::Webhooks::new(secret.as_bytes());
        worker = Some(tokio::spawn(gateway::webhooks::process(
            db,
            source,
            hooks.wake(),
            std::time::Duration::from_secs(1),
            std::time::Duration::from_millis(config.whoop_lease_ms.max(100)),
        )));
        state = state.with_webhooks(hooks);
    }
    let app = app(state);
    // In-flight requests complete before the process exits.
    axum::serve(listener, app).with_graceful_shutdown(stop).await?;
    cleanup.abort();
    rollout.abort();
    replica_poll.abort();
    if let Some(listen) = listen {
        listen.abort();
    }
    if let Some(worker) = worker {
        worker.abort();
    }
    Ok(())
}

/// Registers SIGTERM and SIGINT now; the future completes on the first of them.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("registering SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("registering SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
