//! The gateway under load: started here as a child process on loopback (the `swole-gateway`
//! release binary beside this one), or an existing one (`--target`); tokens for the seeded users
//! minted with the gateway's secret; each user's data discovered before the run; `/metrics`
//! read before and after the measured window.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use gateway::Auth;
use query::UserId;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::report::Server;
use crate::workload::{DISCOVERY_QUERY, UserData, Workload};

/// A gateway this tool started; stopped when dropped.
#[derive(Debug)]
pub struct Started {
    pub base: String,
    _child: Child,
}

/// The `swole-gateway` binary built beside this one.
fn gateway_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let dir = me.parent().context("the loadtest binary has no directory")?;
    let path = dir.join("swole-gateway");
    anyhow::ensure!(
        path.exists(),
        "{} not found: build it with `cargo build --release -p gateway` (cargo xtask loadtest does)",
        path.display()
    );
    Ok(path)
}

/// Starts `swole-gateway` on `database_url` at a free loopback port, with `secret`; waits for its
/// "listening on" line. `extra` goes to its command line as given.
pub async fn start_gateway(
    database_url: &str,
    secret: &str,
    extra: &[String],
) -> anyhow::Result<Started> {
    let mut cmd = Command::new(gateway_binary()?);
    cmd.args([
        "--database-url",
        database_url,
        "--listen",
        "127.0.0.1:0",
        "--jwt-secret",
        secret,
        "--production",
    ])
    .args(extra)
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .kill_on_drop(true);
    if database_url.starts_with("postgres") && !extra.iter().any(|a| a == "--no-migrate") {
        cmd.arg("--migrate");
    }
    let mut child = cmd.spawn().context("starting swole-gateway")?;
    let stdout = child.stdout.take().context("no stdout from swole-gateway")?;
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_mins(2), lines.next_line())
        .await
        .context("swole-gateway did not start within 120 s")??
        .context("swole-gateway exited before listening")?;
    let base = first
        .strip_prefix("listening on ")
        .with_context(|| format!("unexpected first line from swole-gateway: {first}"))?
        .to_owned();
    // Keep reading its stdout so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Started { base, _child: child })
}

/// A bearer token for each of users `1..=count`, valid for a day.
pub fn tokens(secret: &str, count: u32) -> BTreeMap<u32, String> {
    let auth = Auth::new(secret.as_bytes());
    (1..=count).map(|id| (id, auth.token_for(UserId(i64::from(id)), 24 * 3600))).collect()
}

/// Each user's data for the placeholders, one query per user (skipped when the workload names
/// none). A user the gateway does not know is left out of operations that need data.
pub async fn discover(
    base: &str,
    tokens: &BTreeMap<u32, String>,
    workload: &Workload,
) -> anyhow::Result<BTreeMap<u32, UserData>> {
    let mut res = BTreeMap::new();
    if !workload.needs_discovery() {
        return Ok(res);
    }
    let client = crate::http_client().build()?;
    let url = format!("{}/graphql", base.trim_end_matches('/'));
    let body = serde_json::to_vec(&serde_json::json!({ "query": DISCOVERY_QUERY }))?;
    for (user, token) in tokens {
        let answer = client
            .post(&url)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(body.clone())
            .send()
            .await
            .context("discovering the users' data")?
            .bytes()
            .await?;
        let value: serde_json::Value = serde_json::from_slice(&answer)?;
        res.insert(*user, UserData::from_discovery(&value["data"]));
    }
    Ok(res)
}

/// The gateway's `/metrics` text, or `None` when it has none.
pub async fn scrape(base: &str) -> Option<String> {
    let client = crate::http_client().build().ok()?;
    let res = client.get(format!("{}/metrics", base.trim_end_matches('/'))).send().await.ok()?;
    if !res.status().is_success() {
        return None;
    }
    res.text().await.ok()
}

fn total(text: &str, metric: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(metric) && l[metric.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A histogram's buckets (upper bound in seconds, cumulative count), from one scrape.
fn buckets(text: &str, metric: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{metric}_bucket{{le=\"");
    let mut res: Vec<(f64, f64)> = text
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&prefix)?;
            let (le, value) = rest.split_once("\"} ")?;
            let le = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
            Some((le, value.trim().parse().ok()?))
        })
        .collect();
    res.sort_by(|a, b| a.0.total_cmp(&b.0));
    res
}

/// The bucket bound under which `q` of the observations between two scrapes fall (an upper
/// bound of the quantile, as precise as the buckets), in milliseconds.
fn quantile_bound_ms(before: &str, after: &str, metric: &str, q: f64) -> Option<f64> {
    let (b, a) = (buckets(before, metric), buckets(after, metric));
    let delta: Vec<(f64, f64)> = a
        .iter()
        .map(|(le, n)| (*le, n - b.iter().find(|x| x.0.total_cmp(le).is_eq()).map_or(0.0, |x| x.1)))
        .collect();
    let total = delta.last()?.1;
    if total <= 0.0 {
        return None;
    }
    delta.iter().find(|(_, n)| *n >= q * total).map(|(le, _)| le * 1000.0)
}

/// What changed on the gateway between two scrapes.
pub fn server_delta(before: &str, after: &str) -> Server {
    let d = |metric| total(after, metric) - total(before, metric);
    let statements = d("swole_graphql_statements_per_request_sum");
    let requests = d("swole_graphql_statements_per_request_count");
    let hits = d("swole_cache_hits_total");
    let misses = d("swole_cache_misses_total");
    Server {
        statements_per_request: (requests > 0.0).then(|| statements / requests),
        cache_hits: hits,
        cache_misses: misses,
        cache_hit_rate: (hits + misses > 0.0).then(|| hits / (hits + misses)),
        aggregations: d("swole_aggregation_duration_seconds_count"),
        aggregation_mean_ms: {
            let n = d("swole_aggregation_duration_seconds_count");
            (n > 0.0).then(|| d("swole_aggregation_duration_seconds_sum") / n * 1000.0)
        },
        aggregation_p99_bound_ms: quantile_bound_ms(
            before,
            after,
            "swole_aggregation_duration_seconds",
            0.99,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_sum_every_series_of_a_metric() {
        let before = "swole_cache_hits_total{cache=\"a\"} 10\nswole_cache_hits_total{cache=\"b\"} 5\nswole_cache_misses_total{cache=\"a\"} 5\nswole_graphql_statements_per_request_sum 10\nswole_graphql_statements_per_request_count 5\n";
        let after = "swole_cache_hits_total{cache=\"a\"} 40\nswole_cache_hits_total{cache=\"b\"} 5\nswole_cache_misses_total{cache=\"a\"} 15\nswole_graphql_statements_per_request_sum 40\nswole_graphql_statements_per_request_count 15\n";
        let it = server_delta(before, after);
        assert_eq!((it.cache_hits, it.cache_misses), (30.0, 10.0));
        assert_eq!(it.cache_hit_rate, Some(0.75));
        assert_eq!(it.statements_per_request, Some(3.0));
        // 100 recomputations between the scrapes: 90 under 5 ms, 9 more under 25 ms, 1 under 1 s.
        let b = "swole_aggregation_duration_seconds_bucket{le=\"0.005\"} 10\nswole_aggregation_duration_seconds_bucket{le=\"0.025\"} 10\nswole_aggregation_duration_seconds_bucket{le=\"1\"} 10\nswole_aggregation_duration_seconds_bucket{le=\"+Inf\"} 10\nswole_aggregation_duration_seconds_sum 0.01\nswole_aggregation_duration_seconds_count 10\n";
        let a = "swole_aggregation_duration_seconds_bucket{le=\"0.005\"} 100\nswole_aggregation_duration_seconds_bucket{le=\"0.025\"} 109\nswole_aggregation_duration_seconds_bucket{le=\"1\"} 110\nswole_aggregation_duration_seconds_bucket{le=\"+Inf\"} 110\nswole_aggregation_duration_seconds_sum 0.51\nswole_aggregation_duration_seconds_count 110\n";
        let it = server_delta(b, a);
        assert_eq!((it.aggregations, it.aggregation_p99_bound_ms), (100.0, Some(25.0)));
        assert!((it.aggregation_mean_ms.unwrap() - 5.0).abs() < 1e-9);
        assert_eq!(
            quantile_bound_ms(b, a, "swole_aggregation_duration_seconds", 0.999),
            Some(1000.0)
        );
    }
}
