//! `cargo xtask loadtest`: an open-loop load generator for the gateway.
//!
//! - `workload`: what is sent (TOML; `workload.toml` is the default), users drawn with a skew.
//! - `run`: the open-loop driver: a fixed arrival schedule, latency from the intended send time
//!   into HDR histograms, the generator's own lag measured.
//! - `report`: per operation and overall statistics, JSON and a self-contained HTML page.
//! - `target`: the gateway under load (started here, or `--target`), tokens, discovery, `/metrics`.
//!
//! [`measure`] runs one window and summarizes it; [`find_max`] ramps the rate to the highest one
//! that keeps p99 under an objective with no errors, in a bounded number of steps.

pub mod report;
pub mod run;
pub mod target;
pub mod workload;

/// A `reqwest` client builder. The workspace's reqwest is built with rustls and no crypto
/// provider of its own (the WHOOP client shares it); this installs the ring provider the rest of the
/// stack uses, once, before any client exists. Loopback targets never use TLS.
pub fn http_client() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

use std::time::Duration;

use report::{Report, Step};
use run::{RunConfig, Target};
use workload::Workload;

/// Runs one measured window and summarizes it, with the gateway's `/metrics` deltas when it
/// has them.
pub async fn measure(
    workload: &Workload,
    target: &Target,
    config: &RunConfig,
    progress: &(dyn Fn(u64, usize, f64) + Sync),
) -> anyhow::Result<Report> {
    let before = target::scrape(&target.base).await;
    let recorded = run::run(workload, target, config, progress).await?;
    let after = target::scrape(&target.base).await;
    let names: Vec<String> = workload.operations.iter().map(|op| op.name.clone()).collect();
    let mut report =
        report::summarize(&names, &recorded, config.duration.as_secs_f64(), config.max_lag);
    report.server = before.zip(after).map(|(b, a)| target::server_delta(&b, &a));
    Ok(report)
}

/// Whether a window met the objective: p99 within `slo`, no error, the schedule kept.
pub fn passed(report: &Report, slo: Duration) -> bool {
    report.generator.kept_schedule
        && report.overall.errors.is_empty()
        && report.overall.count > 0
        && report.overall.p99_ms <= slo.as_secs_f64() * 1000.0
}

/// Ramps the rate from `config.rate`: doubling while windows pass, then halving the interval
/// between the best pass and the first failure, `steps` windows in all. Returns the report of
/// the highest passing window (or the last window when none passed) with every step listed.
pub async fn find_max(
    workload: &Workload,
    target: &Target,
    config: &RunConfig,
    slo: Duration,
    steps: u32,
    progress: &(dyn Fn(u64, usize, f64) + Sync),
    on_step: &(dyn Fn(&Step) + Sync),
) -> anyhow::Result<Report> {
    let mut rate = config.rate;
    let (mut best, mut fail): (Option<(f64, Report)>, Option<f64>) = (None, None);
    let mut last = None;
    let mut listed = Vec::new();
    for step in 0..steps.max(1) {
        let window = RunConfig { rate, seed: config.seed + u64::from(step), ..config.clone() };
        let report = measure(workload, target, &window, progress).await?;
        let ok = passed(&report, slo);
        let it = Step {
            rate,
            p99_ms: report.overall.p99_ms,
            errors: report.overall.errors.values().sum(),
            kept_schedule: report.generator.kept_schedule,
            passed: ok,
        };
        on_step(&it);
        listed.push(it);
        if ok {
            best = Some((rate, report));
        } else {
            fail = Some(fail.map_or(rate, |f: f64| f.min(rate)));
            last = Some(report);
        }
        rate = match (best.as_ref().map(|b| b.0), fail) {
            (Some(pass), Some(fail)) => f64::midpoint(pass, fail),
            (Some(pass), None) => pass * 2.0,
            (None, Some(fail)) => fail / 2.0,
            (None, None) => rate,
        };
    }
    let Some(mut report) = best.map(|it| it.1).or(last) else {
        anyhow::bail!("no step ran");
    };
    report.steps = listed;
    Ok(report)
}

/// One operation's figures on the baseline divided by the latest's (above 1: the latest is
/// faster).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ratio {
    pub name: String,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

/// `--compare`: the same workload against the baseline (phase 0, the original's paths) and the
/// latest phase, interleaved window by window.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Comparison {
    pub baseline: Report,
    pub latest: Report,
    pub ratios: Vec<Ratio>,
    pub rounds: u32,
}

fn merge(into: &mut Option<run::Recorded>, mut next: run::Recorded, offset: Duration) {
    for it in &mut next.samples {
        it.at += offset;
    }
    match into {
        None => *into = Some(next),
        Some(acc) => {
            acc.samples.append(&mut next.samples);
            let _ = acc.lag.add(&next.lag);
            acc.scheduled += next.scheduled;
            acc.dropped += next.dropped;
            acc.elapsed += next.elapsed;
        }
    }
}

/// Runs `rounds` rounds, each one window on either side, the order alternating (ABBA), with the
/// same schedule on both sides within a round; summarizes each side and the ratios.
pub async fn compare(
    workload: &Workload,
    baseline: &Target,
    latest: &Target,
    config: &RunConfig,
    rounds: u32,
    progress: &(dyn Fn(u64, usize, f64) + Sync),
) -> anyhow::Result<Comparison> {
    let names: Vec<String> = workload.operations.iter().map(|op| op.name.clone()).collect();
    let mut recorded: [Option<run::Recorded>; 2] = [None, None];
    // Each gateway serves only its own side, so one delta over all its windows is exact.
    let before = [target::scrape(&baseline.base).await, target::scrape(&latest.base).await];
    for round in 0..rounds.max(1) {
        let window = RunConfig { seed: config.seed + u64::from(round), ..config.clone() };
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let target = if side == 0 { baseline } else { latest };
            let it = run::run(workload, target, &window, progress).await?;
            merge(&mut recorded[side], it, config.duration * round);
        }
    }
    let seconds = config.duration.as_secs_f64() * f64::from(rounds.max(1));
    let [Some(a), Some(b)] = recorded else { anyhow::bail!("no window ran") };
    let mut baseline_report = report::summarize(&names, &a, seconds, config.max_lag);
    let mut latest_report = report::summarize(&names, &b, seconds, config.max_lag);
    let [before_a, before_b] = before;
    let delta = |before: Option<String>, after: Option<String>| {
        before.zip(after).map(|(b, a)| target::server_delta(&b, &a))
    };
    baseline_report.server = delta(before_a, target::scrape(&baseline.base).await);
    latest_report.server = delta(before_b, target::scrape(&latest.base).await);
    let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
    let mut ratios = vec![Ratio {
        name: "overall".to_owned(),
        p50: ratio(baseline_report.overall.p50_ms, latest_report.overall.p50_ms),
        p95: ratio(baseline_report.overall.p95_ms, latest_report.overall.p95_ms),
        p99: ratio(baseline_report.overall.p99_ms, latest_report.overall.p99_ms),
    }];
    for op in &baseline_report.operations {
        if let Some(other) = latest_report.operations.iter().find(|o| o.name == op.name) {
            ratios.push(Ratio {
                name: op.name.clone(),
                p50: ratio(op.p50_ms, other.p50_ms),
                p95: ratio(op.p95_ms, other.p95_ms),
                p99: ratio(op.p99_ms, other.p99_ms),
            });
        }
    }
    Ok(Comparison {
        baseline: baseline_report,
        latest: latest_report,
        ratios,
        rounds: rounds.max(1),
    })
}
