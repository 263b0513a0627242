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
