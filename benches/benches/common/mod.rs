//! What the benches that report percentiles share: latency sampling (criterion reports means)
//! and the seeded databases they read.

use std::time::Instant;

use hdrhistogram::Histogram;

/// Times `n` calls and returns the latency histogram in nanoseconds (a cache hit takes less than
/// a microsecond).
pub(crate) fn timed(
    runtime: &tokio::runtime::Runtime,
    n: usize,
    mut call: impl AsyncFnMut(),
) -> Histogram<u64> {
    let mut hist = Histogram::<u64>::new(3).expect("histogram");
    runtime.block_on(async {
        for _ in 0..n / 10 {
            call().await; // warm-up
        }
        for _ in 0..n {
            let started = Instant::now();
            call().await;
            let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            hist.record(nanos.max(1)).expect("in range");
        }
    });
    hist
}

/// The seeded database file named by `var`, else `default` relative to the workspace root, as a
/// SQLite URL; panics with how to make it when it is missing.
pub(crate) fn seeded_db_url(var: &str, default: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = std::env::var(var).unwrap_or_else(|_| root.join(default).display().to_string());
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: seed it first (see BENCHMARKS.md)"
    );
    format!("sqlite://{path}")
}

/// A latency quantile of `hist` (nanoseconds) in milliseconds.
pub(crate) fn ms(hist: &Histogram<u64>, quantile: f64) -> f64 {
    hist.value_at_quantile(quantile) as f64 / 1_000_000.0
}

/// Runs `paths` (labels) in alternating blocks of `calls` calls, `rounds` times, so drift on the
/// machine lands on every path alike; `block(i)` times one block of path `i`.
///
/// Prints each block's p50/p95/p99 and, per round, the ratio of each path to the next (the gain
/// of that step) and of every earlier path to the last (the gain up to the last); then the
/// spread of every ratio over the rounds.
pub(crate) fn interleaved(
    what: &str,
    paths: &[&str],
    rounds: usize,
    mut block: impl FnMut(usize) -> Histogram<u64>,
) {
    let mut steps: Vec<(String, usize, usize)> =
        (1..paths.len()).map(|i| (format!("{} / {}", paths[i - 1], paths[i]), i - 1, i)).collect();
    let last = paths.len() - 1;
    for i in 0..last.saturating_sub(1) {
        steps.push((format!("{} / {}", paths[i], paths[last]), i, last));
    }
    let mut ratios = vec![Vec::new(); steps.len()];
    for round in 1..=rounds {
        let hists: Vec<Histogram<u64>> = (0..paths.len()).map(&mut block).collect();
        for (label, hist) in paths.iter().zip(&hists) {
            println!(
                "{what}, round {round}: {label:<28} p50 {:>9.4} ms  p95 {:>9.4} ms  p99 {:>9.4} ms",
                ms(hist, 0.5),
                ms(hist, 0.95),
                ms(hist, 0.99)
            );
        }
        for ((label, a, b), seen) in steps.iter().zip(&mut ratios) {
            let ratio = |q: f64| ms(&hists[*a], q) / ms(&hists[*b], q);
            println!(
                "{what}, round {round}: {label}: p50 {:.2}x  p99 {:.2}x",
                ratio(0.5),
                ratio(0.99)
            );
            seen.push((ratio(0.5), ratio(0.99)));
        }
    }
    for ((label, _, _), seen) in steps.iter().zip(&ratios) {
        let range = |f: fn(&(f64, f64)) -> f64| {
            let v = seen.iter().map(f);
            (v.clone().fold(f64::MAX, f64::min), v.fold(f64::MIN, f64::max))
        };
        let ((a, b), (c, d)) = (range(|r| r.0), range(|r| r.1));
        println!(
            "{what}: {label} over {rounds} rounds: p50 {a:.2}x to {b:.2}x, p99 {c:.2}x to {d:.2}x"
        );
    }
}
