//! `loadtest`: open-loop load against the gateway (see the crate's documentation). Run through
//! `cargo xtask loadtest`, which builds it with `swole-gateway` beside it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use loadtest::report::Report;
use loadtest::run::{Arrival, RunConfig, Target};
use loadtest::workload::Workload;

/// A duration: seconds (`30`), or with a unit (`500ms`, `30s`, `2m`).
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("not a duration: {text} (try 30s, 500ms, 2m)"))?;
    if !(value >= 0.0 && value.is_finite()) {
        return Err(format!("not a duration: {text}"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

/// Open-loop load against the Swole Tracker gateway, with honest percentiles.
#[derive(Debug, Parser)]
#[command(name = "loadtest", version)]
struct Args {
    /// Requests per second (the start of the ramp with --find-max).
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// The measured window.
    #[arg(long, value_parser = duration, default_value = "30s")]
    duration: Duration,
    /// Load before the window, not recorded.
    #[arg(long, value_parser = duration, default_value = "5s")]
    warmup: Duration,
    /// Users drawn (the seeded ids 1..=N); the workload's `users.count` by default.
    #[arg(long)]
    users: Option<u32>,
    /// Random seed of the schedule, the operations and the users.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// A workload file (TOML); the committed default otherwise.
    #[arg(long)]
    workload: Option<std::path::PathBuf>,
    #[arg(long, value_enum, default_value_t = Arrival::Poisson)]
    arrival: Arrival,
    /// An existing gateway to load (its --jwt-secret is needed); without it one is started here.
    #[arg(long)]
    target: Option<String>,
    /// The secret of the --target gateway's tokens.
    #[arg(long, env = "SWOLE_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// The database the started gateway serves.
    #[arg(long, env = "SWOLE_DATABASE_URL", default_value = "sqlite://data/swole.db?mode=rwc")]
    database_url: String,
    /// WHOOP's client secret for `webhook` operations (a started gateway gets one of its own).
    #[arg(long, env = "SWOLE_WHOOP_WEBHOOK_SECRET", hide_env_values = true)]
    whoop_webhook_secret: Option<String>,
    /// An argument for the started gateway (repeatable), e.g. --gateway-arg=--no-cache.
    #[arg(long, allow_hyphen_values = true)]
    gateway_arg: Vec<String>,
    /// Ramp to the highest rate that keeps p99 under --slo with no errors.
    #[arg(long)]
    find_max: bool,
    /// The p99 objective of --find-max.
    #[arg(long, value_parser = duration, default_value = "50ms")]
    slo: Duration,
    /// Windows --find-max runs at most.
    #[arg(long, default_value_t = 8)]
    steps: u32,
    /// Requests in flight at most; the run is void if the cap is reached.
    #[arg(long, default_value_t = 10_000)]
    max_in_flight: usize,
    /// The generator's p99 lag behind schedule beyond which the run is void.
    #[arg(long, value_parser = duration, default_value = "10ms")]
    max_lag: Duration,
    /// Also load a baseline gateway (phase 0, the original's paths, no caches) on this database,
    /// interleaved with the latest, and report the ratios. Seed it like the main database with
    /// `--phase 0` (same arguments give the same rows).
    #[arg(long, requires = "baseline_database_url")]
    compare: bool,
    /// The phase-0 database of --compare.
    #[arg(long)]
    baseline_database_url: Option<String>,
    /// Rounds of --compare (each one window per side, the order alternating).
    #[arg(long, default_value_t = 4)]
    rounds: u32,
    /// Write the report as JSON.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Write the report as a self-contained HTML page.
    #[arg(long)]
    html: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(it) => it,
        Err(err) => return fail(&err.into()),
    };
    match runtime.block_on(main_async(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(err) => fail(&err),
    }
}

fn fail(err: &anyhow::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {err:#}");
    ExitCode::FAILURE
}

/// Runs; `false` when the generator fell behind (the figures are void).
async fn main_async(args: Args) -> anyhow::Result<bool> {
    let mut workload = match &args.workload {
        Some(path) => Workload::parse(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("workload {}", path.display()))?,
        None => Workload::default_workload(),
    };
    if let Some(users) = args.users {
        anyhow::ensure!(users >= 1, "--users: must be at least 1");
        workload.users.count = users;
    }
    let (base, secret, _started) = if let Some(url) = &args.target {
        let secret = args
            .jwt_secret
            .clone()
            .context("--target needs the gateway's --jwt-secret (or SWOLE_JWT_SECRET)")?;
        (url.clone(), secret, None)
    } else {
        let secret = format!(
            "loadtest-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        );
        eprintln!("starting swole-gateway on {}", args.database_url);
        let mut extra = args.gateway_arg.clone();
        if workload.has_webhooks() {
            let hook =
                args.whoop_webhook_secret.clone().unwrap_or_else(|| format!("{secret}-whoop"));
            extra.push(format!("--whoop-webhook-secret={hook}"));
        }
        let started = loadtest::target::start_gateway(&args.database_url, &secret, &extra).await?;
        (started.base.clone(), secret, Some(started))
    };
    let tokens = loadtest::target::tokens(&secret, workload.users.count);
    if args.compare {
        return compare(&args, &workload, base, &secret, tokens).await;
    }
    eprintln!("discovering the data of {} users at {base}", tokens.len());
    let users = loadtest::target::discover(&base, &tokens, &workload).await?;
    let webhook_secret = match (&args.target, &args.whoop_webhook_secret) {
        (_, Some(given)) => Some(given.as_bytes().to_vec()),
        (None, None) => Some(format!("{secret}-whoop").into_bytes()),
        (Some(_), None) => None,
    };
    anyhow::ensure!(
        webhook_secret.is_some() || !workload.has_webhooks(),
        "the workload sends WHOOP webhooks: give the --target gateway's --whoop-webhook-secret"
    );
    let target = Target { base: base.clone(), tokens, users, webhook_secret };
    let config = RunConfig {
        rate: args.rate,
        duration: args.duration,
        warmup: args.warmup,
        arrival: args.arrival,
        seed: args.seed,
        max_in_flight: args.max_in_flight,
        max_lag: args.max_lag,
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(200));
    let total = (args.warmup + args.duration).as_secs_f64();
    let progress = |sent: u64, in_flight: usize, t: f64| {
        bar.set_message(format!("{t:5.1}/{total:.0} s · sent {sent} · in flight {in_flight}"));
    };
    let mut report = if args.find_max {
        let on_step = |s: &loadtest::report::Step| {
            bar.suspend(|| {
                eprintln!(
                    "step: {:.0} req/s → p99 {:.2} ms, {} errors, schedule {} → {}",
                    s.rate,
                    s.p99_ms,
                    s.errors,
                    if s.kept_schedule { "kept" } else { "missed" },
                    if s.passed { "pass" } else { "fail" }
                );
            });
        };
        loadtest::find_max(&workload, &target, &config, args.slo, args.steps, &progress, &on_step)
            .await?
    } else {
        loadtest::measure(&workload, &target, &config, &progress).await?
    };
    bar.finish_and_clear();
    settings(&mut report, &args, &workload, &base);
    print(&report, &args);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, loadtest::report::html(&report))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report.generator.kept_schedule || args.find_max)
}

/// `--compare`: a baseline gateway beside the latest, interleaved windows, ratios.
async fn compare(
    args: &Args,
    workload: &Workload,
    base: String,
    secret: &str,
    tokens: std::collections::BTreeMap<u32, String>,
) -> anyhow::Result<bool> {
    anyhow::ensure!(
        args.target.is_none() && !args.find_max,
        "--compare starts both gateways itself and runs fixed windows: leave out --target and --find-max"
    );
    let url =
        args.baseline_database_url.clone().context("--compare needs --baseline-database-url")?;
    let mut baseline_args = vec!["--no-migrate".to_owned(), "--no-cache".to_owned()];
    baseline_args.extend(args.gateway_arg.iter().cloned());
    eprintln!(
        "starting the baseline swole-gateway on {} (phase as seeded, no caches)",
        redact(&url)
    );
    let started = loadtest::target::start_gateway(&url, secret, &baseline_args).await?;
    eprintln!("discovering the data of {} users", tokens.len());
    // The two databases hold the same seed, so a user's ids are the same on both.
    let users = loadtest::target::discover(&base, &tokens, workload).await?;
    let latest = Target {
        base: base.clone(),
        tokens: tokens.clone(),
        users: users.clone(),
        webhook_secret: None,
    };
    let baseline = Target { base: started.base.clone(), tokens, users, webhook_secret: None };
    let config = RunConfig {
        rate: args.rate,
        duration: args.duration,
        warmup: args.warmup,
        arrival: args.arrival,
        seed: args.seed,
        max_in_flight: args.max_in_flight,
        max_lag: args.max_lag,
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(200));
    let progress = |sent: u64, in_flight: usize, t: f64| {
        bar.set_message(format!("{t:5.1} s · sent {sent} · in flight {in_flight}"));
    };
    let mut it =
        loadtest::compare(workload, &baseline, &latest, &config, args.rounds, &progress).await?;
    bar.finish_and_clear();
    settings(&mut it.latest, args, workload, &base);
    it.baseline.settings = it.latest.settings.clone();
    it.baseline.settings.insert("database".into(), serde_json::json!(redact(&url)));
    it.baseline.settings.insert("target".into(), serde_json::json!(started.base));
    println!("baseline (phase as seeded, original paths, no caches):");
    print(&it.baseline, args);
    println!("\nlatest:");
    print(&it.latest, args);
    println!(
        "\n{:<22} {:>8} {:>8} {:>8}   (baseline / latest; above 1: the latest is faster)",
        "operation", "p50", "p95", "p99"
    );
    for r in &it.ratios {
        println!("{:<22} {:>8.2} {:>8.2} {:>8.2}", r.name, r.p50, r.p95, r.p99);
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&it)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        let mut page = loadtest::report::html(&it.latest);
        let mut rows = String::new();
        for r in &it.ratios {
            let _ = write!(
                rows,
                "<tr><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td></tr>",
                r.name, r.p50, r.p95, r.p99
            );
        }
        let table = format!(
            "<h2>Baseline / latest (above 1: the latest is faster), {} interleaved rounds</h2><table><tr><th>operation</th><th>p50</th><th>p95</th><th>p99</th></tr>{rows}</table><h1>Baseline</h1>",
            it.rounds
        );
        let baseline = loadtest::report::html(&it.baseline);
        let body_start = baseline.find("<h1>").unwrap_or(0);
        page = page.replace("</html>\n", "");
        page.push_str(&table);
        page.push_str(
            &baseline[body_start + "<h1>Load test</h1>".len().min(baseline.len() - body_start)..],
        );
        std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(it.baseline.generator.kept_schedule && it.latest.generator.kept_schedule)
}

fn settings(report: &mut Report, args: &Args, workload: &Workload, base: &str) {
    use serde_json::json;
    let s = &mut report.settings;
    s.insert("rate".into(), json!(args.rate));
    s.insert("duration_s".into(), json!(args.duration.as_secs_f64()));
    s.insert("warmup_s".into(), json!(args.warmup.as_secs_f64()));
    s.insert("arrival".into(), json!(args.arrival));
    s.insert("users".into(), json!(workload.users.count));
    s.insert("skew".into(), json!(workload.users.skew));
    s.insert("seed".into(), json!(args.seed));
    s.insert(
        "workload".into(),
        json!(
            args.workload
                .as_ref()
                .map_or_else(|| "default".to_owned(), |p| p.display().to_string())
        ),
    );
    s.insert("target".into(), json!(base));
    if args.target.is_none() {
        s.insert("database".into(), json!(redact(&args.database_url)));
        s.insert("gateway_args".into(), json!(args.gateway_arg));
    }
    s.insert("max_lag_ms".into(), json!(args.max_lag.as_secs_f64() * 1000.0));
    if args.find_max {
        s.insert("slo_ms".into(), json!(args.slo.as_secs_f64() * 1000.0));
        s.insert("steps".into(), json!(args.steps));
    }
    s.insert(
        "cores".into(),
        json!(std::thread::available_parallelism().map_or(0, std::num::NonZero::get)),
    );
    s.insert("started_at".into(), json!(chrono::Utc::now().to_rfc3339()));
}

/// A URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn print(report: &Report, args: &Args) {
    let g = &report.generator;
    println!(
        "generator: scheduled {} sent {} dropped {} · lag p99 {:.3} ms max {:.3} ms · {}",
        g.scheduled,
        g.sent,
        g.dropped,
        g.lag_p99_ms,
        g.lag_max_ms,
        if g.kept_schedule { "kept its schedule" } else { "FELL BEHIND: these figures are void" }
    );
    println!(
        "{:<22} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}  errors",
        "operation", "count", "rps", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "stmts"
    );
    for s in std::iter::once(&report.overall).chain(&report.operations) {
        let errors: Vec<String> = s.errors.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        println!(
            "{:<22} {:>7} {:>8.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>6}  {}",
            s.name,
            s.count,
            s.throughput_rps,
            s.p50_ms,
            s.p95_ms,
            s.p99_ms,
            s.p999_ms,
            s.max_ms,
            s.statements_per_request.map_or_else(|| "-".to_owned(), |n| format!("{n:.2}")),
            errors.join(" ")
        );
    }
    if let Some(server) = &report.server {
        println!(
            "gateway: statements per request {} · cache hit rate {} · {} summary recomputations, mean {} ms, p99 under {} ms",
            server.statements_per_request.map_or_else(|| "-".to_owned(), |n| format!("{n:.2}")),
            server.cache_hit_rate.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0)),
            server.aggregations,
            server.aggregation_mean_ms.map_or_else(|| "-".to_owned(), |n| format!("{n:.2}")),
            server.aggregation_p99_bound_ms.map_or_else(|| "-".to_owned(), |n| format!("{n}"))
        );
    }
    if args.find_max {
        let best = report
            .steps
            .iter()
            .filter(|s| s.passed)
            .map(|s| s.rate)
            .fold(None, |a: Option<f64>, r| Some(a.map_or(r, |a| a.max(r))));
        match best {
            Some(rate) => println!(
                "highest rate with p99 ≤ {:.0} ms and no errors: {rate:.0} req/s",
                args.slo.as_secs_f64() * 1000.0
            ),
            None => println!(
                "no step kept p99 ≤ {:.0} ms with no errors",
                args.slo.as_secs_f64() * 1000.0
            ),
        }
    }
}
