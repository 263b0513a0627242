//! The index report on seeded databases: at phase 0 everything it condemns is what the phase-1
//! migration drops; at phase 1 it condemns nothing more.

#![allow(clippy::unwrap_used, reason = "test helpers may panic")]

use std::collections::BTreeSet;

use chrono::NaiveDate;
use datagen::SeedConfig;
use dbtool::{Verdict, report};
use test_support::{TestDb, backend_tests};

async fn seed(t: &TestDb, phase: i64) {
    let end = NaiveDate::from_ymd_opt(2025, 11, 25).unwrap();
    let config = SeedConfig::new(6, 20, 42, end, phase, 100).unwrap();
    datagen::write::prepare(&t.db, &config, false).await.unwrap();
    datagen::write::write_all(&t.db, &config, |_| {}).await.unwrap();
}

/// The names the phase-1 index migration drops, read from the migration's source.
fn dropped_by_phase_one() -> BTreeSet<String> {
    let src = include_str!("../../../migration/src/m20251101_000002_consolidate_indexes.rs");
    let list = &src[src.find("pub(crate) const DROPPED").unwrap()
        ..src.find("pub(crate) const ADDED").unwrap()];
    list.lines()
        .filter_map(|l| l.trim().strip_prefix('"').and_then(|l| l.strip_suffix("\",")))
        .map(str::to_owned)
        .collect()
}

/// On SQLite every verdict counts; PostgreSQL's planner prefers other indexes on small tables, so
/// there only the structural verdicts (duplicate, prefix) are compared.
fn counted(t: &TestDb, verdict: &Verdict) -> bool {
    match t.backend() {
        db::Backend::Sqlite => verdict.condemned(),
        db::Backend::Postgres => matches!(verdict, Verdict::Duplicate(_) | Verdict::Prefix(_)),
    }
}

backend_tests! {
    async fn phase_zero_condemnations_are_what_phase_one_drops(t: &TestDb) {
        seed(t, 0).await;
        let res = report(&t.db, 2).await.unwrap();
        let condemned: BTreeSet<String> =
            res.rows.iter().filter(|(_, v)| counted(t, v)).map(|(i, _)| i.name.clone()).collect();
        let at_least = if t.backend() == db::Backend::Sqlite { 25 } else { 10 };
        assert!(condemned.len() >= at_least, "{}", res.render());
        let dropped = dropped_by_phase_one();
        let extra: Vec<_> = condemned.difference(&dropped).collect();
        assert!(extra.is_empty(), "condemned but kept by phase 1: {extra:?}\n{}", res.render());
        assert!(res.render().contains("duplicate of"), "{}", res.render());
    }

    async fn phase_one_leaves_nothing_to_condemn(t: &TestDb) {
        seed(t, 1).await;
        let res = report(&t.db, 2).await.unwrap();
        let condemned: Vec<_> = res.rows.iter().filter(|(_, v)| counted(t, v)).map(|(i, _)| &i.name).collect();
        assert!(condemned.is_empty(), "{condemned:?}\n{}", res.render());
        let kept: BTreeSet<&str> = res.rows.iter().map(|(i, _)| i.table.as_str()).collect();
        assert!(kept.contains("session_exercises"));
    }
}
