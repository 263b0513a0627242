//! Repository invariants, checked by `cargo xtask tidy` and by `cargo test` (the `tidy` test):
//! crate layering, manifest hygiene, module docs, banned test attributes, migration registration.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::project_root;

/// Which workspace crates each crate may depend on (normal and build dependencies).
/// Adding an edge here is an architecture change: update ARCHITECTURE.md in the same commit.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("entity", &[]),
    ("db", &[]),
    ("migration", &["whoop"]),
    ("whoop", &[]),
    ("cache", &[]),
    ("aggregation", &["domain", "entity", "db"]),
    ("datagen", &["domain", "entity", "db", "migration", "aggregation", "whoop"]),
    ("test-support", &["db", "migration"]),
    (
        "bench",
        &["domain", "entity", "db", "datagen", "migration", "query", "gateway", "cache", "whoop"],
    ),
    ("query", &["domain", "entity", "db", "migration", "aggregation", "cache", "whoop"]),
    ("dbtool", &["db", "query", "aggregation", "migration", "datagen", "whoop"]),
    ("gateway", &["query", "db", "migration", "domain", "whoop"]),
    ("loadtest", &["gateway", "query", "whoop"]),
    ("e2e", &[]),
    ("xtask", &[]),
];

/// External crates a workspace crate must never name (normal dependencies): keeps the pure
/// layers pure and frameworks where they belong.
const BANNED: &[(&str, &[&str])] = &[
    ("domain", &["sea-orm", "tokio", "sqlx", "serde_json", "async-graphql", "axum"]),
    ("entity", &["tokio", "async-graphql", "axum", "serde_json"]),
    ("migration", &["entity", "tokio", "async-graphql", "axum"]),
    ("db", &["async-graphql", "axum", "clap"]),
    ("query", &["async-graphql", "axum", "clap", "tokio"]),
    ("aggregation", &["async-graphql", "axum", "clap", "tokio"]),
    ("cache", &["sea-orm", "sqlx", "async-graphql", "axum", "tokio"]),
    ("xtask", &["sea-orm", "tokio", "domain", "entity", "db", "datagen"]),
];

/// Crates that may only ever be dev-dependencies.
const DEV_ONLY: &[&str] = &["test-support", "proptest", "criterion", "hdrhistogram"];

/// Tools whose job is measuring: they may depend on the measuring crates of `DEV_ONLY`.
const MEASURING: &[(&str, &str)] = &[("loadtest", "hdrhistogram")];

pub(crate) fn run() -> anyhow::Result<()> {
    let violations = check_all()?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!("tidy found problems:\n{}", violations.join("\n")))
    }
}

fn check_all() -> anyhow::Result<Vec<String>> {
    let mut res = Vec::new();
    let metadata = cargo_metadata()?;
    check_layers(&metadata, &mut res);
    check_architecture_table(
        &fs::read_to_string(project_root().join("ARCHITECTURE.md"))?,
        &mut res,
    );
    check_manifests(&mut res)?;
    check_sources(&mut res)?;
    check_query_writes(&mut res)?;
    check_migrations(&mut res)?;
    Ok(res)
}

fn cargo_metadata() -> anyhow::Result<serde_json::Value> {
    let out =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
            .current_dir(project_root())
            .output()?;
    anyhow::ensure!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// Checks every workspace crate's dependencies against `LAYERS`, `BANNED` and `DEV_ONLY`.
/// A metadata document of an unexpected shape is itself a violation, so the check can never pass
/// by reading nothing.
fn check_layers(metadata: &serde_json::Value, res: &mut Vec<String>) {
    let Some(packages) = metadata["packages"].as_array() else {
        res.push("cargo metadata: no `packages` array (has its format changed?)".to_owned());
        return;
    };
    let members: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    for (name, _) in LAYERS {
        if !members.contains(name) {
            res.push(format!("LAYERS lists {name}, which is not a workspace member"));
        }
    }
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let banned: BTreeMap<&str, &[&str]> = BANNED.iter().copied().collect();
    for package in packages {
        let Some(name) = package["name"].as_str() else {
            res.push("cargo metadata: a package without a name".to_owned());
            continue;
        };
        let Some(ok) = allowed.get(name) else {
            res.push(format!("{name}: not listed in LAYERS (xtask/src/tidy.rs)"));
            continue;
        };
        let Some(deps) = package["dependencies"].as_array() else {
            res.push(format!("cargo metadata: {name} has no `dependencies` array"));
            continue;
        };
        for dep in deps {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            let is_dev = dep["kind"].as_str() == Some("dev");
            if !is_dev && DEV_ONLY.contains(&dep_name) && !MEASURING.contains(&(name, dep_name)) {
                res.push(format!("{name} -> {dep_name}: only allowed as a dev-dependency"));
            }
            if is_dev {
                continue;
            }
            if members.contains(&dep_name) && !ok.contains(&dep_name) {
                res.push(format!("{name} -> {dep_name}: edge not allowed by LAYERS"));
            }
            if banned.get(name).is_some_and(|list| list.contains(&dep_name)) {
                res.push(format!("{name} -> {dep_name}: banned for this crate"));
            }
        }
    }
}

/// The crates named in backticks in a Markdown table cell, in order.
fn backticked(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// ARCHITECTURE.md's "Layering" table says exactly what `LAYERS` says: the same crates, each
/// with the same allowed edges.
fn check_architecture_table(architecture: &str, res: &mut Vec<String>) {
    let mut documented: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let text = format!("\n{architecture}");
    let table =
        text.split("\n## ").find(|section| section.starts_with("Layering")).unwrap_or_default();
    for line in table.lines().filter(|it| it.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
        let [crates, deps] = cells.as_slice() else {
            res.push(format!("ARCHITECTURE.md: a layering row without two cells: {line}"));
            continue;
        };
        for krate in backticked(crates) {
            let mut edges = backticked(deps);
            edges.sort_unstable();
            documented.insert(krate, edges);
        }
    }
    if documented.is_empty() {
        res.push("ARCHITECTURE.md: no \"## Layering\" table found".to_owned());
        return;
    }
    for (name, deps) in LAYERS {
        let mut deps = deps.to_vec();
        deps.sort_unstable();
        match documented.remove(name) {
            None => res.push(format!("ARCHITECTURE.md: the layering table does not list {name}")),
            Some(doc) if doc != deps => res.push(format!(
                "ARCHITECTURE.md says {name} may depend on {doc:?}, LAYERS says {deps:?}"
            )),
            Some(_) => {}
        }
    }
    for name in documented.keys() {
        res.push(format!("ARCHITECTURE.md lists {name}, which LAYERS does not"));
    }
}

fn member_dirs() -> anyhow::Result<Vec<PathBuf>> {
    let root = project_root();
    let mut res =
        vec![root.join("migration"), root.join("benches"), root.join("tests"), root.join("xtask")];
    for entry in fs::read_dir(root.join("crates"))? {
        res.push(entry?.path());
    }
    res.sort();
    Ok(res)
}

fn check_manifests(res: &mut Vec<String>) -> anyhow::Result<()> {
    for dir in member_dirs()? {
        let manifest = fs::read_to_string(dir.join("Cargo.toml"))?;
        let shown = dir.strip_prefix(project_root()).unwrap_or(&dir).display().to_string();
        if !manifest.contains("[lints]\nworkspace = true") {
            res.push(format!("{shown}/Cargo.toml: missing `[lints] workspace = true`"));
        }
        if !manifest.contains("publish.workspace = true") {
            res.push(format!("{shown}/Cargo.toml: missing `publish.workspace = true`"));
        }
        let mut section = String::new();
        for line in manifest.lines() {
            if line.starts_with('[') {
                line.clone_into(&mut section);
                continue;
            }
            let in_deps = section.ends_with("dependencies]");
            if in_deps && !line.trim().is_empty() && !line.contains("workspace = true") {
                res.push(format!("{shown}/Cargo.toml: `{line}` must use `workspace = true`"));
            }
        }
    }
    Ok(())
}

fn rust_files(dir: &Path, res: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, res)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            res.push(path);
        }
    }
    Ok(())
}

fn check_sources(res: &mut Vec<String>) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for dir in member_dirs()? {
        rust_files(&dir, &mut files)?;
    }
    // Spelled in pieces so this file does not trip its own check.
    let banned = [concat!("#[should", "_panic"), concat!("#[ig", "nore")];
    for file in files {
        let text = fs::read_to_string(&file)?;
        let shown = file.strip_prefix(project_root()).unwrap_or(&file).display().to_string();
        if !text.starts_with("//!") {
            res.push(format!(
                "{shown}: must start with a `//!` comment saying what the module is for"
            ));
        }
        for pattern in banned {
            if text.contains(pattern) {
                res.push(format!("{shown}: uses `{pattern}`; assert on the error instead"));
            }
        }
        if text.lines().any(|l| l.ends_with(' ') || l.ends_with('\t')) {
            res.push(format!("{shown}: trailing whitespace"));
        }
    }
    Ok(())
}

/// The one module of `query` that may open, commit or nest transactions: its commit retires the
/// writer's cached answers, so a write anywhere else would leave them stale.
const WRITES_MODULE: &str = "crates/query/src/writes.rs";

/// What only `WRITES_MODULE` may spell: every way to open a transaction (what can be committed
/// must first be begun), and writes straight on the reader pool, which refuses them at run time
/// anyway. Spelled in pieces so this file does not trip its own check.
const TRANSACTION_CALLS: [&str; 7] = [
    concat!("begin", "_write("),
    concat!(".beg", "in()"),
    concat!("begin_with", "_options"),
    concat!(".trans", "action("),
    concat!("Transaction", "Trait"),
    concat!("db.conn", ".execute"),
    concat!("exec(&", "db.conn"),
];

fn check_query_writes(res: &mut Vec<String>) -> anyhow::Result<()> {
    let mut files = Vec::new();
    rust_files(&project_root().join("crates/query/src"), &mut files)?;
    for file in files {
        let shown = file.strip_prefix(project_root()).unwrap_or(&file).display().to_string();
        bypasses_writes(&shown, &fs::read_to_string(&file)?, res);
    }
    Ok(())
}

fn bypasses_writes(shown: &str, text: &str, res: &mut Vec<String>) {
    if shown == WRITES_MODULE {
        return;
    }
    for (idx, line) in text.lines().enumerate() {
        if let Some(call) = TRANSACTION_CALLS.iter().find(|it| line.contains(*it)) {
            res.push(format!(
                "{shown}:{}: `{call}` outside {WRITES_MODULE}: write through writes::begin and Write::commit, which retire the cached answers",
                idx + 1
            ));
        }
    }
}

fn check_migrations(res: &mut Vec<String>) -> anyhow::Result<()> {
    let src = project_root().join("migration/src");
    let lib = fs::read_to_string(src.join("lib.rs"))?;
    let mut names: Vec<String> = fs::read_dir(&src)?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.starts_with('m') && Path::new(n).extension().is_some_and(|e| e == "rs"))
        .map(|n| n.trim_end_matches(".rs").to_owned())
        .collect();
    names.sort();
    let mut last_pos = 0;
    for name in &names {
        let well_formed = name.len() > 18
            && name[1..9].bytes().all(|b| b.is_ascii_digit())
            && &name[9..10] == "_"
            && name[10..16].bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            res.push(format!("migration/src/{name}.rs: name must be mYYYYMMDD_NNNNNN_verb_object"));
        }
        match (lib.find(&format!("mod {name};")), lib.find(&format!("{name}::Migration"))) {
            (Some(_), Some(pos)) if pos >= last_pos => last_pos = pos,
            (Some(_), Some(_)) => res.push(format!("migration {name}: registered out of order")),
            _ => res.push(format!("migration {name}: not registered in migration/src/lib.rs")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{bypasses_writes, check_architecture_table, check_layers};

    #[test]
    fn tidy() {
        let violations = super::check_all().unwrap();
        assert!(violations.is_empty(), "tidy found problems:\n{}", violations.join("\n"));
    }

    /// A write function that commits its own transaction is caught; the one module that may is not.
    #[test]
    fn a_write_that_bypasses_the_commit_helper_is_caught() {
        let planted = "let txn = db::begin_write(&db.conn).await?;\n    txn.commit().await?;\n    db.conn.execute_raw(stmt).await?;";
        let mut res = Vec::new();
        bypasses_writes("crates/query/src/new_feature.rs", planted, &mut res);
        assert_eq!(res.len(), 2, "{res:?}");
        assert!(res[1].starts_with("crates/query/src/new_feature.rs:3:"), "{res:?}");
        assert!(res[0].starts_with("crates/query/src/new_feature.rs:1:"), "{res:?}");
        res.clear();
        bypasses_writes(super::WRITES_MODULE, planted, &mut res);
        assert!(res.is_empty(), "{res:?}");
    }

    /// The checks catch what they exist for: a planted edge, a changed metadata shape, a table
    /// that disagrees.
    #[test]
    fn the_layering_checks_are_not_vacuous() {
        let mut metadata: serde_json::Value = serde_json::json!({"packages": super::LAYERS.iter().map(|(name, _)| serde_json::json!({"name": name, "dependencies": []})).collect::<Vec<_>>()});
        let mut res = Vec::new();
        check_layers(&metadata, &mut res);
        assert!(res.is_empty(), "{res:?}");
        metadata["packages"][0]["dependencies"] =
            serde_json::json!([{"name": "gateway", "kind": null}]);
        check_layers(&metadata, &mut res);
        assert_eq!(res, ["domain -> gateway: edge not allowed by LAYERS"]);
        res.clear();
        check_layers(&serde_json::json!({"crates": []}), &mut res);
        assert_eq!(res.len(), 1, "{res:?}");
        res.clear();
        check_layers(&serde_json::json!({"packages": []}), &mut res);
        assert_eq!(res.len(), super::LAYERS.len(), "every listed crate is missing: {res:?}");

        let table = "## Layering\n\n| crate | may depend on |\n| --- | --- |\n| `domain`, `entity`, `db`, `migration` | none |\n| `query` | `domain`, `db` |\n";
        res.clear();
        check_architecture_table(table, &mut res);
        assert!(res.iter().any(|it| it.contains("query may depend on")), "{res:?}");
        assert!(res.iter().any(|it| it.contains("does not list gateway")), "{res:?}");
        res.clear();
        check_architecture_table("# nothing here", &mut res);
        assert_eq!(res.len(), 1, "{res:?}");
    }
}
