//! A workload: which GraphQL operations lifters send, how often, as which users.
//!
//! Parsed from TOML (`workload.toml` beside this crate is the default). Users are the seeded ids
//! `1..=count`, drawn with a Zipf skew: rank k is drawn with weight 1/k^skew, so a few heavy users
//! send most requests, as in a real app. Variables may name a user's own data with placeholders
//! (`{exercise}`, `{workout}`, `{set}`, `{templateExercise}`, `{master}`), found per user before
//! the run (`discovery_query`), or the send itself (`{now}`, `{key}`).

use std::collections::BTreeMap;

use rand::Rng;
use serde::Deserialize;
use serde_json::Value;

/// The placeholders that stand for a user's own data.
pub const DATA_PLACEHOLDERS: [&str; 5] =
    ["exercise", "workout", "set", "templateExercise", "master"];

/// The placeholders that stand for the send.
pub const SEND_PLACEHOLDERS: [&str; 2] = ["now", "key"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Users {
    /// Users `1..=count`.
    pub count: u32,
    /// Zipf exponent (0 draws every user alike).
    #[serde(default = "default_skew")]
    pub skew: f64,
}

fn default_skew() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    pub name: String,
    pub weight: u32,
    /// The GraphQL document (empty for a webhook operation).
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub variables: toml::Table,
    /// A WHOOP event type (`sleep.updated`): the operation is a signed delivery to
    /// `/webhooks/whoop` for the user's WHOOP user (the seed's 10000 + 7 × id), with a fresh
    /// record id and trace id each time, instead of a GraphQL request.
    #[serde(default)]
    pub webhook: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub users: Users,
    #[serde(rename = "operation")]
    pub operations: Vec<Operation>,
}

/// Every `{name}` in the string values of `value`.
fn placeholders_in(value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::String(text) => {
            let mut rest = text.as_str();
            while let Some(start) = rest.find('{') {
                let Some(len) = rest[start..].find('}') else { break };
                out.push(rest[start + 1..start + len].to_owned());
                rest = &rest[start + len + 1..];
            }
        }
        toml::Value::Array(list) => list.iter().for_each(|it| placeholders_in(it, out)),
        toml::Value::Table(table) => table.values().for_each(|it| placeholders_in(it, out)),
        _ => {}
    }
}

impl Operation {
    /// The user data this operation's variables name.
    pub fn needs(&self) -> Vec<String> {
        let mut found = Vec::new();
        self.variables.values().for_each(|it| placeholders_in(it, &mut found));
        found.retain(|it| DATA_PLACEHOLDERS.contains(&it.as_str()));
        found.sort();
        found.dedup();
        found
    }
}

impl Workload {
    /// Parses and checks a workload; every error names the operation and the rule.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let it: Self = toml::from_str(text)?;
        anyhow::ensure!(it.users.count >= 1, "users.count: must be at least 1");
        anyhow::ensure!(
            it.users.skew >= 0.0 && it.users.skew.is_finite(),
            "users.skew: must be 0 or more"
        );
        anyhow::ensure!(!it.operations.is_empty(), "operation: at least one is needed");
        let mut names = std::collections::BTreeSet::new();
        for op in &it.operations {
            anyhow::ensure!(
                names.insert(op.name.as_str()),
                "operation {}: the name is used twice",
                op.name
            );
            anyhow::ensure!(op.weight >= 1, "operation {}: weight must be at least 1", op.name);
            anyhow::ensure!(
                op.webhook.is_some() == op.query.is_empty(),
                "operation {}: give either a query or a webhook event type",
                op.name
            );
            let mut found = Vec::new();
            op.variables.values().for_each(|v| placeholders_in(v, &mut found));
            for name in found {
                anyhow::ensure!(
                    DATA_PLACEHOLDERS.contains(&name.as_str())
                        || SEND_PLACEHOLDERS.contains(&name.as_str()),
                    "operation {}: unknown placeholder {{{name}}}",
                    op.name
                );
            }
        }
        Ok(it)
    }

    /// The default workload (`workload.toml`).
    pub fn default_workload() -> Self {
        // The file is part of the crate and parsed by a test, so this cannot fail at run time
        // unless the crate itself is broken.
        Self::parse(include_str!("../workload.toml"))
            .unwrap_or_else(|err| panic!("workload.toml: {err}"))
    }

    /// Whether any operation is a WHOOP webhook delivery (the run then needs the secret).
    pub fn has_webhooks(&self) -> bool {
        self.operations.iter().any(|op| op.webhook.is_some())
    }

    /// Whether any operation names user data (then users are discovered before the run).
    pub fn needs_discovery(&self) -> bool {
        self.operations.iter().any(|op| !op.needs().is_empty())
    }
}

/// A user's own data, for the placeholders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserData {
    pub values: BTreeMap<String, Vec<String>>,
}

impl UserData {
    /// Whether the user has something for each of `needs`.
    pub fn has(&self, needs: &[String]) -> bool {
        needs.iter().all(|n| self.values.get(n).is_some_and(|v| !v.is_empty()))
    }

    /// Reads the answer of [`DISCOVERY_QUERY`].
    pub fn from_discovery(data: &Value) -> Self {
        let strings = |items: Vec<&Value>| -> Vec<String> {
            items.into_iter().filter_map(|it| it.as_str().map(str::to_owned)).collect()
        };
        let edges = |v: &Value| v["edges"].as_array().cloned().unwrap_or_default();
        let mut values = BTreeMap::new();
        let names: Vec<&Value> = data["exerciseList"]
            .as_array()
            .map(|l| l.iter().map(|e| &e["name"]).collect())
            .unwrap_or_default();
        values.insert("exercise".to_owned(), strings(names));
        let workouts = edges(&data["recentWorkouts"]);
        values.insert(
            "workout".to_owned(),
            workouts.iter().filter_map(|w| w["node"]["id"].as_str().map(str::to_owned)).collect(),
        );
        let mut sets = Vec::new();
        for w in &workouts {
            for e in w["node"]["exercises"].as_array().into_iter().flatten() {
                sets.extend(
                    e["sets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|s| s["id"].as_str().map(str::to_owned)),
                );
            }
        }
        values.insert("set".to_owned(), sets);
        let mut lines = Vec::new();
        for t in edges(&data["templates"]) {
            lines.extend(
                t["node"]["exercises"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["id"].as_str().map(str::to_owned)),
            );
        }
        values.insert("templateExercise".to_owned(), lines);
        values.insert(
            "master".to_owned(),
            edges(&data["masterExercises"])
                .iter()
                .filter_map(|m| m["node"]["id"].as_str().map(str::to_owned))
                .collect(),
        );
        Self { values }
    }
}

/// What a user owns, for the placeholders: one query per user before the run.
pub const DISCOVERY_QUERY: &str = "{ exerciseList { name } recentWorkouts(first: 5) { edges { node { id exercises { sets { id } } } } } templates(first: 5) { edges { node { exercises { id } } } } masterExercises(first: 20) { edges { node { id } } } }";

/// Draws users `1..=count` with a Zipf skew.
#[derive(Debug, Clone)]
pub struct UserDraw {
    cumulative: Vec<f64>,
}

impl UserDraw {
    pub fn new(count: u32, skew: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=count)
            .map(|rank| {
                total += 1.0 / f64::from(rank).powf(skew);
                total
            })
            .collect();
        Self { cumulative }
    }

    /// A user id (1-based rank: user 1 is the heaviest).
    pub fn draw(&self, rng: &mut impl Rng) -> u32 {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.random::<f64>() * total;
        let idx = self.cumulative.partition_point(|c| *c < x);
        u32::try_from(idx.min(self.cumulative.len().saturating_sub(1))).unwrap_or(0) + 1
    }
}

/// Draws an operation by weight.
#[derive(Debug, Clone)]
pub struct OpDraw {
    cumulative: Vec<u64>,
}

impl OpDraw {
    pub fn new(ops: &[Operation]) -> Self {
        let mut total = 0;
        Self {
            cumulative: ops
                .iter()
                .map(|op| {
                    total += u64::from(op.weight);
                    total
                })
                .collect(),
        }
    }

    pub fn draw(&self, rng: &mut impl Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let x = rng.random_range(0..total);
        self.cumulative.partition_point(|c| *c <= x)
    }
}

/// `value` (TOML) as JSON with every placeholder replaced: user data picked by `pick`, `{now}`
/// and `{key}` from the send.
pub fn fill(
    value: &toml::Value,
    pick: &mut dyn FnMut(&str) -> Option<String>,
    now: &str,
    key: &str,
) -> Value {
    match value {
        toml::Value::String(text) => {
            let mut out = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(start) = rest.find('{') {
                let Some(len) = rest[start..].find('}') else { break };
                out.push_str(&rest[..start]);
                let name = &rest[start + 1..start + len];
                match name {
                    "now" => out.push_str(now),
                    "key" => out.push_str(key),
                    other => out.push_str(&pick(other).unwrap_or_default()),
                }
                rest = &rest[start + len + 1..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        toml::Value::Integer(it) => Value::from(*it),
        toml::Value::Float(it) => Value::from(*it),
        toml::Value::Boolean(it) => Value::from(*it),
        toml::Value::Datetime(it) => Value::from(it.to_string()),
        toml::Value::Array(list) => {
            Value::Array(list.iter().map(|it| fill(it, pick, now, key)).collect())
        }
        toml::Value::Table(table) => {
            Value::Object(table.iter().map(|(k, v)| (k.clone(), fill(v, pick, now, key))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn the_default_workload_parses_and_names_its_needs() {
        let w = Workload::default_workload();
        assert!(w.operations.len() >= 10);
        let save = w.operations.iter().find(|o| o.name == "save_workout").unwrap();
        assert_eq!(save.needs(), vec!["exercise".to_owned()]);
        assert!(w.needs_discovery());
        let bad = "[users]\ncount = 3\n[[operation]]\nname = \"x\"\nweight = 1\nquery = \"{ viewer { id } }\"\nvariables = { a = \"{nope}\" }\n";
        assert!(
            Workload::parse(bad).unwrap_err().to_string().contains("unknown placeholder {nope}")
        );
    }

    #[test]
    fn the_reads_workload_is_the_default_without_its_writes() {
        let reads = Workload::parse(include_str!("../reads.toml")).unwrap();
        let all = Workload::default_workload();
        let expected: Vec<(&str, u32)> = all
            .operations
            .iter()
            .filter(|o| !o.query.trim_start().starts_with("mutation"))
            .map(|o| (o.name.as_str(), o.weight))
            .collect();
        let got: Vec<(&str, u32)> =
            reads.operations.iter().map(|o| (o.name.as_str(), o.weight)).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn users_are_skewed_towards_the_first_ranks() {
        let draw = UserDraw::new(20, 1.1);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut counts = [0u32; 21];
        for _ in 0..20_000 {
            counts[draw.draw(&mut rng) as usize] += 1;
        }
        assert_eq!(counts[0], 0, "ids start at 1");
        // Rank 1 is drawn about 2^1.1 ≈ 2.1 times as often as rank 2, and far more than rank 20.
        let ratio = f64::from(counts[1]) / f64::from(counts[2]);
        assert!((1.8..2.5).contains(&ratio), "{ratio}");
        assert!(counts[1] > 10 * counts[20], "{counts:?}");
        let flat = UserDraw::new(4, 0.0);
        let mut seen = [0u32; 5];
        for _ in 0..4_000 {
            seen[flat.draw(&mut rng) as usize] += 1;
        }
        assert!(seen[1..].iter().all(|n| (800..1200).contains(n)), "{seen:?}");
    }

    #[test]
    fn placeholders_are_filled_from_the_user_and_the_send() {
        let value: toml::Value = toml::from_str::<toml::Table>(
            "i = { name = \"{exercise}\", key = \"k-{key}\", at = \"{now}\", n = 3 }",
        )
        .unwrap()["i"]
            .clone();
        let got = fill(
            &value,
            &mut |name| (name == "exercise").then(|| "Squat".to_owned()),
            "2025-01-01T00:00:00Z",
            "7",
        );
        assert_eq!(
            got,
            serde_json::json!({"name": "Squat", "key": "k-7", "at": "2025-01-01T00:00:00Z", "n": 3})
        );
    }
}
