//! The open-loop driver: requests leave on a fixed arrival schedule (constant or Poisson), each
//! timed from its *intended* send time, so a server that stalls cannot hide the queue it builds
//! (no coordinated omission). Sending never waits for an answer: every request is a task of its
//! own, all on one HTTP connection pool. The driver measures its own lag behind the schedule;
//! past `max_lag` at p99, or with requests dropped at the in-flight cap, the run is void.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use tokio::time::Instant;

use crate::workload::{OpDraw, UserData, UserDraw, Workload, fill};

/// How requests are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    /// Evenly, `1 / rate` apart.
    Constant,
    /// Exponential gaps with mean `1 / rate` (independent arrivals, as from many phones).
    Poisson,
}

/// One run's settings.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Requests per second.
    pub rate: f64,
    pub duration: Duration,
    /// Sent before the measured window, not recorded.
    pub warmup: Duration,
    pub arrival: Arrival,
    pub seed: u64,
    /// Requests in flight at most; beyond it a request is dropped and the run void.
    pub max_in_flight: usize,
    /// The generator's p99 lag behind schedule beyond which the run is void.
    pub max_lag: Duration,
}

/// Where requests go, and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    /// The gateway's base URL (`http://127.0.0.1:8080`).
    pub base: String,
    /// A bearer token per user id.
    pub tokens: BTreeMap<u32, String>,
    /// Each user's data, for the placeholders (empty when the workload names none).
    pub users: BTreeMap<u32, UserData>,
    /// WHOOP's client secret, to sign webhook deliveries (workloads with `webhook` operations).
    pub webhook_secret: Option<Vec<u8>>,
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// An error code: the GraphQL `extensions.code`, `HTTP_<status>`, or `TRANSPORT`.
    Error(String),
}

/// One measured request.
#[derive(Debug, Clone)]
pub struct Sample {
    pub op: usize,
    /// Intended send time, from the measured window's start.
    pub at: Duration,
    /// From the intended send time to the end of the answer.
    pub latency: Duration,
    pub outcome: Outcome,
    /// SQL statements the gateway ran for it (`x-swole-statements`), when it said.
    pub statements: Option<u64>,
}

/// What a run recorded.
#[derive(Debug)]
pub struct Recorded {
    pub samples: Vec<Sample>,
    /// Lag of each dispatch behind its intended time (measured window), microseconds.
    pub lag: Histogram<u64>,
    pub scheduled: u64,
    pub dropped: u64,
    pub elapsed: Duration,
}

impl Recorded {
    /// Whether the generator kept its schedule: no drop, p99 lag within `max_lag`.
    pub fn kept_schedule(&self, max_lag: Duration) -> bool {
        self.dropped == 0
            && self.lag.value_at_quantile(0.99)
                <= u64::try_from(max_lag.as_micros()).unwrap_or(u64::MAX)
    }
}

/// The offsets of the arrivals from the start, until `until`.
fn arrivals(config: &RunConfig, until: Duration, rng: &mut ChaCha8Rng) -> Vec<Duration> {
    let mut res = Vec::new();
    let mut t = 0.0_f64;
    let end = until.as_secs_f64();
    let mut i = 0u64;
    loop {
        let next = match config.arrival {
            #[expect(clippy::cast_precision_loss, reason = "arrival counts are far below 2^52")]
            Arrival::Constant => i as f64 / config.rate,
            Arrival::Poisson => {
                let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                t += -u.ln() / config.rate;
                t
            }
        };
        if next >= end {
            return res;
        }
        res.push(Duration::from_secs_f64(next));
        i += 1;
    }
}

/// A prepared request: what to send, as whom.
#[derive(Debug)]
struct Prepared {
    op: usize,
    user: u32,
    body: Vec<u8>,
    /// A webhook delivery: its timestamp and signature headers.
    signed: Option<(String, String)>,
}

/// Picks an operation and a user able to run it, and builds the body.
fn prepare(
    workload: &Workload,
    target: &Target,
    ops: &OpDraw,
    users: &UserDraw,
    rng: &mut ChaCha8Rng,
    serial: u64,
    send_at: chrono::DateTime<chrono::Utc>,
) -> Option<Prepared> {
    for _ in 0..64 {
        let op = ops.draw(rng);
        let operation = &workload.operations[op];
        if let Some(event_type) = &operation.webhook {
            let user = users.draw(rng);
            let body = serde_json::to_vec(&serde_json::json!({
                "user_id": 10_000 + 7 * i64::from(user),
                "id": format!("{:08x}-0000-4000-8000-{:012x}", rng.random::<u32>(), serial),
                "type": event_type,
                "trace_id": format!("lt-{serial}-{}", rng.random::<u32>()),
            }))
            .ok()?;
            let secret = target.webhook_secret.as_deref()?;
            let ts = send_at.timestamp_millis().to_string();
            let signature = whoop::sign(secret, &ts, &body);
            return Some(Prepared { op, user, body, signed: Some((ts, signature)) });
        }
        let needs = operation.needs();
        let user = users.draw(rng);
        let data = target.users.get(&user);
        if !needs.is_empty() && !data.is_some_and(|d| d.has(&needs)) {
            continue;
        }
        let now = chrono::Utc::now().to_rfc3339();
        let key = format!("lt-{serial}-{}", rng.random::<u32>());
        let mut pick = |name: &str| {
            let list = data?.values.get(name)?;
            (!list.is_empty()).then(|| list[rng.random_range(0..list.len())].clone())
        };
        let variables: serde_json::Map<String, Value> = operation
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), fill(v, &mut pick, &now, &key)))
            .collect();
        let body = serde_json::to_vec(
            &serde_json::json!({"query": operation.query, "variables": variables}),
        )
        .ok()?;
        return Some(Prepared { op, user, body, signed: None });
    }
    None
}

/// Sends one request and reads how it ended.
async fn send(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    item: Prepared,
) -> (Outcome, Option<u64>) {
    let path = if item.signed.is_some() { "webhooks/whoop" } else { "graphql" };
    let mut request = client
        .post(format!("{base}/{path}"))
        .header("content-type", "application/json")
        .body(item.body);
    if let Some((ts, signature)) = item.signed {
        request = request
            .header("x-whoop-signature-timestamp", ts)
            .header("x-whoop-signature", signature);
    } else if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let Ok(res) = request.send().await else {
        return (Outcome::Error("TRANSPORT".to_owned()), None);
    };
    let status = res.status();
    let statements = res
        .headers()
        .get(gateway::http::STATEMENTS_HEADER)
        .and_then(|it| it.to_str().ok())
        .and_then(|it| it.parse().ok());
    let Ok(bytes) = res.bytes().await else {
        return (Outcome::Error("TRANSPORT".to_owned()), statements);
    };
    if !status.is_success() {
        return (Outcome::Error(format!("HTTP_{}", status.as_u16())), statements);
    }
    // Parse only answers that carry errors; a successful answer is not looked into.
    if memchr(b"\"errors\"", &bytes) {
        let code = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v["errors"][0]["extensions"]["code"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "UNKNOWN".to_owned());
        return (Outcome::Error(code), statements);
    }
    (Outcome::Ok, statements)
}

fn memchr(needle: &[u8], haystack: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs `workload` against `target` on the open-loop schedule of `config`. `progress` is called
/// about every 250 ms with (requests sent, requests in flight, seconds into the run).
pub async fn run(
    workload: &Workload,
    target: &Target,
    config: &RunConfig,
    progress: &(dyn Fn(u64, usize, f64) + Sync),
) -> anyhow::Result<Recorded> {
    anyhow::ensure!(config.rate > 0.0 && config.rate.is_finite(), "--rate: must be more than 0");
    let client = crate::http_client()
        .pool_max_idle_per_host(config.max_in_flight)
        .timeout(Duration::from_secs(30))
        .build()?;
    let url = target.base.trim_end_matches('/').to_owned();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let ops = OpDraw::new(&workload.operations);
    let users = UserDraw::new(workload.users.count, workload.users.skew);
    let total = config.warmup + config.duration;
    let schedule = arrivals(config, total, &mut rng);
    // Bodies are built before the clock starts, so building them never delays a send.
    let mut prepared = Vec::with_capacity(schedule.len());
    let clock_start = chrono::Utc::now();
    for (serial, offset) in schedule.iter().enumerate() {
        let send_at = clock_start + chrono::Duration::from_std(*offset).unwrap_or_default();
        prepared.push(prepare(workload, target, &ops, &users, &mut rng, serial as u64, send_at));
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Sample>();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut lag = crate::report::histogram();
    let mut dropped = 0u64;
    let mut sent = 0u64;
    let mut last_progress = Instant::now();
    let start = Instant::now() + Duration::from_millis(50);
    for (offset, item) in schedule.iter().zip(prepared) {
        let intended = start + *offset;
        tokio::time::sleep_until(intended).await;
        let measured = *offset >= config.warmup;
        if measured {
            let behind = Instant::now().saturating_duration_since(intended);
            lag.saturating_record(u64::try_from(behind.as_micros()).unwrap_or(u64::MAX).max(1));
        }
        let Some(item) = item else {
            if measured {
                dropped += 1;
            }
            continue;
        };
        if in_flight.load(Ordering::Relaxed) >= config.max_in_flight {
            if measured {
                dropped += 1;
            }
            continue;
        }
        sent += 1;
        in_flight.fetch_add(1, Ordering::Relaxed);
        let client = client.clone();
        let url = url.clone();
        let token = target.tokens.get(&item.user).cloned();
        let tx = tx.clone();
        let counter = Arc::clone(&in_flight);
        let at = offset.saturating_sub(config.warmup);
        let op = item.op;
        tokio::spawn(async move {
            let (outcome, statements) = send(&client, &url, token.as_deref(), item).await;
            let latency = Instant::now().saturating_duration_since(intended);
            counter.fetch_sub(1, Ordering::Relaxed);
            if measured {
                let _ = tx.send(Sample { op, at, latency, outcome, statements });
            }
        });
        if last_progress.elapsed() >= Duration::from_millis(250) {
            last_progress = Instant::now();
            progress(sent, in_flight.load(Ordering::Relaxed), start.elapsed().as_secs_f64());
        }
    }
    drop(tx);
    let mut samples = Vec::new();
    while let Some(it) = rx.recv().await {
        samples.push(it);
    }
    samples.sort_by_key(|it| it.at);
    Ok(Recorded {
        samples,
        lag,
        scheduled: schedule.iter().filter(|it| **it >= config.warmup).count() as u64,
        dropped,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(arrival: Arrival) -> RunConfig {
        RunConfig {
            rate: 100.0,
            duration: Duration::from_secs(10),
            warmup: Duration::ZERO,
            arrival,
            seed: 1,
            max_in_flight: 100,
            max_lag: Duration::from_millis(10),
        }
    }

    #[test]
    fn arrivals_follow_the_rate() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let constant = arrivals(&config(Arrival::Constant), Duration::from_secs(10), &mut rng);
        assert_eq!(constant.len(), 1000);
        assert_eq!(constant[1].checked_sub(constant[0]), Some(Duration::from_millis(10)));
        let poisson = arrivals(&config(Arrival::Poisson), Duration::from_secs(10), &mut rng);
        assert!((900..1100).contains(&poisson.len()), "{}", poisson.len());
        assert!(poisson.windows(2).all(|w| w[0] <= w[1]));
        // Exponential gaps: about 37% of them are longer than the mean.
        let long = poisson
            .windows(2)
            .filter(|w| w[1].saturating_sub(w[0]) > Duration::from_millis(10))
            .count();
        assert!((300..450).contains(&long), "{long}");
    }
}
