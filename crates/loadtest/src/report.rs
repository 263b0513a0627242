//! What a run measured, per operation and overall, as JSON (`--json`) and as a self-contained
//! HTML page (`--html`: tables and inline SVG charts, no script, no CDN).
//!
//! JSON schema (all latencies in milliseconds, from the intended send time):
//! `{ settings: {...}, generator: { scheduled, sent, dropped, lag_p50_ms, lag_p99_ms, lag_max_ms,
//! kept_schedule }, overall: Stats, operations: [Stats], timeline: [{ second, count, errors,
//! p50_ms, p99_ms, max_ms }], server: { statements_per_request, cache_hit_rate, cache_hits,
//! cache_misses, aggregations, aggregation_mean_ms, aggregation_p99_bound_ms } | null,
//! steps: [Step] }` where `Stats = { name, count, errors: {code: n},
//! throughput_rps, p50_ms, p95_ms, p99_ms, p999_ms, max_ms, mean_ms, statements_per_request,
//! percentiles: [[percentile, ms]] }` and `Step` (`--find-max`) = `{ rate, p99_ms, errors,
//! kept_schedule, passed }`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::run::{Outcome, Recorded};

/// The percentiles of the curves.
const CURVE: [f64; 9] = [50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99, 100.0];

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub name: String,
    pub count: u64,
    pub errors: BTreeMap<String, u64>,
    pub throughput_rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    /// Mean SQL statements per request, as the gateway reported them.
    pub statements_per_request: Option<f64>,
    pub percentiles: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Generator {
    pub scheduled: u64,
    pub sent: u64,
    pub dropped: u64,
    pub lag_p50_ms: f64,
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
    pub kept_schedule: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Second {
    pub second: u64,
    pub count: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// What the gateway's `/metrics` said changed during the measured window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Server {
    pub statements_per_request: Option<f64>,
    pub cache_hits: f64,
    pub cache_misses: f64,
    pub cache_hit_rate: Option<f64>,
    /// Summary recomputations (one per write that moved summaries), their mean time, and the
    /// bucket bound their p99 falls under (the design's aim: under 1 s per write).
    pub aggregations: f64,
    pub aggregation_mean_ms: Option<f64>,
    pub aggregation_p99_bound_ms: Option<f64>,
}

/// One step of `--find-max`.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub rate: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub kept_schedule: bool,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub settings: BTreeMap<String, serde_json::Value>,
    pub generator: Generator,
    pub overall: Stats,
    pub operations: Vec<Stats>,
    pub timeline: Vec<Second>,
    pub server: Option<Server>,
    pub steps: Vec<Step>,
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// 1 µs to 10 minutes at 3 significant digits; `saturating_record` clamps beyond.
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("constant, valid histogram bounds")
}

fn stats(
    name: &str,
    hist: &Histogram<u64>,
    errors: BTreeMap<String, u64>,
    seconds: f64,
    statements: (u64, u64),
) -> Stats {
    let count = hist.len();
    let q = |p: f64| ms(hist.value_at_quantile(p));
    Stats {
        name: name.to_owned(),
        count,
        errors,
        throughput_rps: if seconds > 0.0 { count as f64 / seconds } else { 0.0 },
        p50_ms: q(0.50),
        p95_ms: q(0.95),
        p99_ms: q(0.99),
        p999_ms: q(0.999),
        max_ms: ms(hist.max()),
        mean_ms: hist.mean() / 1000.0,
        statements_per_request: (statements.1 > 0)
            .then(|| statements.0 as f64 / statements.1 as f64),
        percentiles: CURVE.iter().map(|p| (*p, ms(hist.value_at_percentile(*p)))).collect(),
    }
}

/// Latencies, errors by code, and (statements, requests that reported them) of one operation.
type Tally = (Histogram<u64>, BTreeMap<String, u64>, (u64, u64));

/// Summarizes a run.
pub fn summarize(
    names: &[String],
    recorded: &Recorded,
    seconds: f64,
    max_lag: std::time::Duration,
) -> Report {
    let mut per_op: Vec<Tally> =
        names.iter().map(|_| (histogram(), BTreeMap::new(), (0, 0))).collect();
    let mut overall: Tally = (histogram(), BTreeMap::new(), (0, 0));
    let mut timeline: BTreeMap<u64, (Histogram<u64>, u64)> = BTreeMap::new();
    for s in &recorded.samples {
        let us = u64::try_from(s.latency.as_micros()).unwrap_or(u64::MAX).max(1);
        let slot = &mut per_op[s.op];
        for (hist, errors, statements) in [
            (&mut slot.0, &mut slot.1, &mut slot.2),
            (&mut overall.0, &mut overall.1, &mut overall.2),
        ] {
            hist.saturating_record(us);
            if let Outcome::Error(code) = &s.outcome {
                *errors.entry(code.clone()).or_default() += 1;
            }
            if let Some(n) = s.statements {
                statements.0 += n;
                statements.1 += 1;
            }
        }
        let second = timeline.entry(s.at.as_secs()).or_insert_with(|| (histogram(), 0));
        second.0.saturating_record(us);
        if s.outcome != Outcome::Ok {
            second.1 += 1;
        }
    }
    let operations = names
        .iter()
        .zip(per_op)
        .filter(|(_, it)| !it.0.is_empty())
        .map(|(name, (hist, errors, statements))| stats(name, &hist, errors, seconds, statements))
        .collect();
    let lag = &recorded.lag;
    Report {
        settings: BTreeMap::new(),
        generator: Generator {
            scheduled: recorded.scheduled,
            sent: recorded.samples.len() as u64,
            dropped: recorded.dropped,
            lag_p50_ms: ms(lag.value_at_quantile(0.5)),
            lag_p99_ms: ms(lag.value_at_quantile(0.99)),
            lag_max_ms: ms(lag.max()),
            kept_schedule: recorded.kept_schedule(max_lag),
        },
        overall: stats("overall", &overall.0, overall.1, seconds, overall.2),
        operations,
        timeline: timeline
            .into_iter()
            .map(|(second, (hist, errors))| Second {
                second,
                count: hist.len(),
                errors,
                p50_ms: ms(hist.value_at_quantile(0.5)),
                p99_ms: ms(hist.value_at_quantile(0.99)),
                max_ms: ms(hist.max()),
            })
            .collect(),
        server: None,
        steps: Vec::new(),
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An SVG line chart of `series` (name, points), x and y labelled, y on a linear scale.
fn chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    x_ticks: &[(f64, String)],
) -> String {
    const W: f64 = 760.0;
    const H: f64 = 300.0;
    const L: f64 = 60.0;
    const B: f64 = 40.0;
    let colors = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf",
    ];
    let xs = series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| s.1.iter().map(|p| p.1));
    let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let y1 = ys.fold(0.0_f64, f64::max).max(1e-3) * 1.1;
    let (x0, x1) = if x0 >= x1 { (x0 - 1.0, x0 + 1.0) } else { (x0, x1) };
    let px = |x: f64| L + (x - x0) / (x1 - x0) * (W - L - 10.0);
    let py = |y: f64| H - B - y / y1 * (H - B - 20.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{t}\"><text x=\"{L}\" y=\"14\" font-size=\"13\">{t}</text>",
        t = esc(title)
    );
    let _ = write!(
        svg,
        "<line x1=\"{L}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        H - B,
        W - 10.0,
        H - B
    );
    let _ = write!(svg, "<line x1=\"{L}\" y1=\"20\" x2=\"{L}\" y2=\"{}\" stroke=\"#333\"/>", H - B);
    for i in 0..=4 {
        let y = y1 * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{y:.1}</text><line x1=\"{L}\" x2=\"{}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#eee\"/>",
            L - 4.0,
            py(y) + 3.0,
            W - 10.0
        );
    }
    for (x, label) in x_ticks {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            px(*x),
            H - B + 14.0,
            esc(label)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
        f64::midpoint(L, W),
        H - 6.0,
        esc(x_label)
    );
    let _ = write!(
        svg,
        "<text x=\"12\" y=\"{}\" font-size=\"11\" transform=\"rotate(-90 12 {0})\" text-anchor=\"middle\">{}</text>",
        H / 2.0,
        esc(y_label)
    );
    for (i, (name, points)) in series.iter().enumerate() {
        let color = colors[i % colors.len()];
        let path: Vec<String> =
            points.iter().map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y))).collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"/>",
            path.join(" ")
        );
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{color}\">{}</text>",
            W - 170.0,
            30.0 + 12.0 * i as f64,
            esc(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The report as one HTML page.
pub fn html(report: &Report) -> String {
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>swole loadtest</title>\
         <style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style>\
         <h1>Load test</h1>",
    );
    page.push_str("<h2>Settings</h2><table>");
    for (k, v) in &report.settings {
        let _ = write!(page, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v.to_string()));
    }
    let g = &report.generator;
    let _ = write!(
        page,
        "</table><h2>Generator</h2><p>scheduled {} · sent {} · dropped {} · lag p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms · {}</p>",
        g.scheduled,
        g.sent,
        g.dropped,
        g.lag_p50_ms,
        g.lag_p99_ms,
        g.lag_max_ms,
        if g.kept_schedule { "kept its schedule" } else { "<b>fell behind: the run is void</b>" }
    );
    page.push_str("<h2>Latency by operation (ms, from the intended send time)</h2><table><tr><th>operation</th><th>count</th><th>rps</th><th>p50</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>statements</th><th>errors</th></tr>");
    for s in std::iter::once(&report.overall).chain(&report.operations) {
        let errors: Vec<String> = s.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.name),
            s.count,
            s.throughput_rps,
            s.p50_ms,
            s.p95_ms,
            s.p99_ms,
            s.p999_ms,
            s.max_ms,
            s.statements_per_request.map_or_else(|| "–".to_owned(), |n| format!("{n:.2}")),
            esc(&errors.join(", "))
        );
    }
    page.push_str("</table>");
    if let Some(server) = &report.server {
        let _ = write!(
            page,
            "<p>Gateway (/metrics over the window): statements per request {}, cache hit rate {}, {} summary recomputations (mean {} ms, p99 under {} ms)</p>",
            server.statements_per_request.map_or_else(|| "–".to_owned(), |n| format!("{n:.2}")),
            server.cache_hit_rate.map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0)),
            server.aggregations,
            server.aggregation_mean_ms.map_or_else(|| "–".to_owned(), |n| format!("{n:.2}")),
            server.aggregation_p99_bound_ms.map_or_else(|| "–".to_owned(), |n| format!("{n}"))
        );
    }
    let over_time = vec![
        ("p50".to_owned(), report.timeline.iter().map(|s| (s.second as f64, s.p50_ms)).collect()),
        ("p99".to_owned(), report.timeline.iter().map(|s| (s.second as f64, s.p99_ms)).collect()),
        ("max".to_owned(), report.timeline.iter().map(|s| (s.second as f64, s.max_ms)).collect()),
    ];
    let ticks: Vec<(f64, String)> = report
        .timeline
        .iter()
        .step_by((report.timeline.len() / 10).max(1))
        .map(|s| (s.second as f64, s.second.to_string()))
        .collect();
    page.push_str("<h2>Latency over time</h2>");
    page.push_str(&chart("latency per second of the run (ms)", "second", "ms", &over_time, &ticks));
    // Percentile curves on a "nines" axis: x = -log10(1 - p/100), so 90, 99, 99.9 are evenly spaced.
    let nines = |p: f64| if p >= 100.0 { 5.0 } else { -(1.0 - p / 100.0).log10() };
    let curves: Vec<(String, Vec<(f64, f64)>)> = std::iter::once(&report.overall)
        .chain(&report.operations)
        .take(10)
        .map(|s| (s.name.clone(), s.percentiles.iter().map(|(p, v)| (nines(*p), *v)).collect()))
        .collect();
    let curve_ticks: Vec<(f64, String)> = CURVE
        .iter()
        .map(|p| (nines(*p), if *p >= 100.0 { "max".to_owned() } else { format!("{p}") }))
        .collect();
    page.push_str("<h2>Percentile curves</h2>");
    page.push_str(&chart("latency by percentile (ms)", "percentile", "ms", &curves, &curve_ticks));
    if !report.steps.is_empty() {
        page.push_str("<h2>--find-max steps</h2><table><tr><th>rate</th><th>p99 ms</th><th>errors</th><th>kept schedule</th><th>passed</th></tr>");
        for s in &report.steps {
            let _ = write!(
                page,
                "<tr><td>{:.0}</td><td>{:.2}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                s.rate, s.p99_ms, s.errors, s.kept_schedule, s.passed
            );
        }
        page.push_str("</table>");
    }
    page.push_str("</html>\n");
    page
}
