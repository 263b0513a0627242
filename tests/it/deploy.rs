//! The monitoring files under `deploy/`: Prometheus accepts the alert rules and the scrape
//! configuration, the rules' unit tests pass (`promtool`, Debian package `prometheus`; required
//! under `CI=true`, skipped loudly elsewhere), and every metric the rules and the Grafana
//! dashboard name is one the gateway or the services record.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn promtool(args: &[&str]) -> Option<String> {
    let out = match Command::new("promtool")
        .args(args)
        .current_dir(root().join("deploy/prometheus"))
        .output()
    {
        Ok(it) => it,
        Err(err) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "promtool is required under CI=true: {err}"
            );
            eprintln!("SKIPPED: promtool {args:?}: {err} (apt-get install prometheus)");
            return None;
        }
    };
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    Some(text)
}

#[test]
fn prometheus_accepts_the_rules_and_their_tests_pass() {
    if let Some(text) = promtool(&["check", "rules", "alerts.yml"]) {
        assert!(text.contains("SUCCESS: 4 rules found"), "{text}");
    }
    if let Some(text) = promtool(&["test", "rules", "alerts.test.yml"]) {
        assert!(text.contains("SUCCESS"), "{text}");
    }
    promtool(&["check", "config", "prometheus.yml"]);
}

/// The `swole_…` metric names in `text`, histogram suffixes removed.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut res = BTreeSet::new();
    for (at, _) in text.match_indices("swole_") {
        let name: String =
            text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let base = ["_bucket", "_sum", "_count"].iter().fold(name.clone(), |it, suffix| {
            it.strip_suffix(suffix).map_or(it.clone(), str::to_owned)
        });
        res.insert(base);
    }
    res
}

#[test]
fn the_dashboard_and_rules_name_only_recorded_metrics() {
    let recorded: String = ["crates/gateway/src/monitor.rs", "crates/query/src/summaries.rs"]
        .iter()
        .map(|it| std::fs::read_to_string(root().join(it)).unwrap())
        .collect();
    let recorded = metric_names(&recorded);
    let dashboard = std::fs::read_to_string(root().join("deploy/grafana/gateway.json")).unwrap();
    let rules = std::fs::read_to_string(root().join("deploy/prometheus/alerts.yml")).unwrap();
    for (file, text) in [("gateway.json", &dashboard), ("alerts.yml", &rules)] {
        let named = metric_names(text);
        assert!(!named.is_empty(), "{file} names no metric");
        let unknown: Vec<&String> = named.difference(&recorded).collect();
        assert!(unknown.is_empty(), "{file} names metrics nothing records: {unknown:?}");
    }
    // The dashboard is JSON Grafana can import: panels, each with at least one query, none
    // overlapping another on the grid.
    let json: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let panels = json["panels"].as_array().unwrap();
    assert!(panels.len() >= 10);
    let mut cells = BTreeSet::new();
    for panel in panels {
        assert!(
            panel["targets"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|q| q["expr"].is_string())),
            "{panel}"
        );
        let grid = &panel["gridPos"];
        let (x, y, w, h) =
            [&grid["x"], &grid["y"], &grid["w"], &grid["h"]].map(|it| it.as_u64().unwrap()).into();
        for cx in x..x + w {
            for cy in y..y + h {
                assert!(cells.insert((cx, cy)), "panels overlap at {cx},{cy}");
            }
        }
    }
}
