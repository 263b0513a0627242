//! What the benches that report percentiles share: latency sampling (criterion reports means)
//! and the seeded databases they read.

use std::time::Instant;

use hdrhistogram::Histogram;

/// Times `n` calls and returns the latency histogram in microseconds.
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
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            hist.record(micros.max(1)).expect("in range");
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
