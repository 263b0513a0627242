//! Latency sampling shared by the benches that report percentiles (criterion reports means).

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
