//! The index report: reads a live schema and judges every secondary index.
//!
//! Verdicts, in order: an index with the same columns as another is a *duplicate*; one whose
//! columns are a leading prefix of a wider index on the same table is a *prefix*; one that some
//! service query's plan uses (`EXPLAIN QUERY PLAN` / `EXPLAIN` of every `query::catalogue` entry)
//! is *used*; the narrowest index leading with a foreign-key column serves the key's cascades and
//! is *kept for the foreign key*; anything else on a table the services query is *unused*. Indexes
//! on tables no service queries yet are not judged unused. Constraint-backed indexes (primary
//! keys, `UNIQUE`) are never condemned.

pub mod aggregate;
pub mod rollout;
pub mod shadow;
pub mod storage;
pub mod whoop;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};

/// One secondary index as the database describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexInfo {
    pub table: String,
    pub name: String,
    pub columns: Vec<String>,
    /// Backs a primary key or unique constraint (or is itself unique).
    pub constraint: bool,
    pub bytes: i64,
}

/// What the report concludes about one index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Constraint,
    Used(Vec<String>),
    ForeignKey,
    NotJudged,
    Duplicate(String),
    Prefix(String),
    Unused,
}

impl Verdict {
    /// Whether the report recommends dropping the index.
    pub fn condemned(&self) -> bool {
        matches!(self, Self::Duplicate(_) | Self::Prefix(_) | Self::Unused)
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub rows: Vec<(IndexInfo, Verdict)>,
}

impl Report {
    pub fn condemned(&self) -> impl Iterator<Item = &IndexInfo> {
        self.rows.iter().filter(|(_, v)| v.condemned()).map(|(i, _)| i)
    }

    /// A plain-text table, one index per line, condemned ones first.
    pub fn render(&self) -> String {
        let mut rows: Vec<_> = self.rows.iter().collect();
        rows.sort_by_key(|(i, v)| (!v.condemned(), i.table.clone(), i.name.clone()));
        let mut res = format!(
            "{:<8} {:>10}  {:<22} {:<52} {}\n",
            "verdict", "bytes", "table", "index (columns)", "why"
        );
        for (info, verdict) in rows {
            let (word, why) = match verdict {
                Verdict::Constraint => {
                    ("keep", "backs a primary key or unique constraint".to_owned())
                }
                Verdict::Used(by) => ("keep", format!("used by {}", by.join(", "))),
                Verdict::ForeignKey => ("keep", "serves a foreign key's actions".to_owned()),
                Verdict::NotJudged => ("keep", "no service queries this table yet".to_owned()),
                Verdict::Duplicate(of) => ("DROP", format!("duplicate of {of}")),
                Verdict::Prefix(of) => ("DROP", format!("prefix of {of}")),
                Verdict::Unused => ("DROP", "no service query uses it".to_owned()),
            };
            let index = format!("{} ({})", info.name, info.columns.join(", "));
            let _ =
                writeln!(res, "{word:<8} {:>10}  {:<22} {index:<52} {why}", info.bytes, info.table);
        }
        let condemned: i64 = self.condemned().map(|i| i.bytes).sum();
        let _ = writeln!(res, "{} indexes condemned, {condemned} bytes", self.condemned().count());
        res
    }
}

async fn strings<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<Vec<String>>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
        .await?;
    rows.iter()
        .map(|row| {
            (0..row.column_names().len())
                .map(|idx| {
                    row.try_get_by_index::<Option<String>>(idx)
                        .or_else(|_| {
                            row.try_get_by_index::<Option<i64>>(idx)
                                .map(|it| it.map(|n| n.to_string()))
                        })
                        .or_else(|_| {
                            row.try_get_by_index::<Option<bool>>(idx)
                                .map(|it| it.map(|b| b.to_string()))
                        })
                        .map(Option::unwrap_or_default)
                })
                .collect()
        })
        .collect()
}

/// Reads every secondary index and each table's foreign-key columns.
pub async fn read_schema(
    db: &DatabaseConnection,
) -> Result<(Vec<IndexInfo>, BTreeSet<(String, String)>), DbErr> {
    let mut indexes = Vec::new();
    let mut fk_columns = BTreeSet::new();
    if db.get_database_backend() == DbBackend::Sqlite {
        {
            let tables = strings(
                db,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                vec![],
            )
            .await?;
            let has_dbstat = strings(db, "SELECT 1 FROM dbstat LIMIT 1", vec![]).await.is_ok();
            for table in tables.into_iter().filter_map(|mut r| r.pop()) {
                for fk in strings(
                    db,
                    &format!("SELECT \"from\" FROM pragma_foreign_key_list('{table}')"),
                    vec![],
                )
                .await?
                {
                    fk_columns.insert((table.clone(), fk[0].clone()));
                }
                for row in strings(
                    db,
                    &format!("SELECT name, \"unique\", origin FROM pragma_index_list('{table}')"),
                    vec![],
                )
                .await?
                {
                    let name = row[0].clone();
                    let columns = strings(
                        db,
                        &format!("SELECT name FROM pragma_index_info('{name}') ORDER BY seqno"),
                        vec![],
                    )
                    .await?
                    .into_iter()
                    .filter_map(|mut r| r.pop())
                    .collect();
                    let bytes = if has_dbstat {
                        strings(
                            db,
                            "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = $1",
                            vec![name.clone().into()],
                        )
                        .await?
                        .first()
                        .and_then(|r| r[0].parse().ok())
                        .unwrap_or(0)
                    } else {
                        0
                    };
                    let constraint = row[1] == "1" || row[2] != "c";
                    indexes.push(IndexInfo {
                        table: table.clone(),
                        name,
                        columns,
                        constraint,
                        bytes,
                    });
                }
            }
        }
    } else {
        {
            let sql = "SELECT t.relname, i.relname, ix.indisunique OR ix.indisprimary, pg_relation_size(i.oid), \
                       array_to_string(ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, n) \
                       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n), ',') \
                       FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid \
                       JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema()";
            for row in strings(db, sql, vec![]).await? {
                indexes.push(IndexInfo {
                    table: row[0].clone(),
                    name: row[1].clone(),
                    constraint: row[2] == "true",
                    bytes: row[3].parse().unwrap_or(0),
                    columns: row[4].split(',').map(str::to_owned).collect(),
                });
            }
            let sql = "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c \
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                       JOIN pg_namespace n ON n.oid = c.connamespace \
                       WHERE c.contype = 'f' AND n.nspname = current_schema()";
            for row in strings(db, sql, vec![]).await? {
                fk_columns.insert((row[0].trim_matches('"').to_owned(), row[1].clone()));
            }
        }
    }
    Ok((indexes, fk_columns))
}

/// Which indexes the plan of each catalogue statement uses, and which tables the statements read.
///
/// On PostgreSQL the plans are made with sequential scans disabled (in a transaction that is
/// rolled back), so an index counts as used when a query *can* use it, even on tables still small
/// enough that a scan would be cheaper.
pub async fn plan_usage(
    conn: &DatabaseConnection,
    user: i64,
) -> Result<(BTreeMap<String, Vec<String>>, BTreeSet<String>), DbErr> {
    let backend = conn.get_database_backend();
    #[expect(
        clippy::disallowed_methods,
        reason = "a read-only transaction that is rolled back: it only scopes SET LOCAL"
    )]
    let txn = conn.begin().await?;
    if backend == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off").await?;
    }
    let db = &txn;
    let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut tables = BTreeSet::new();
    let existing: BTreeSet<String> = match backend {
        DbBackend::Sqlite => strings(db, "SELECT name FROM sqlite_master WHERE type = 'table'", vec![]).await?,
        _ => strings(db, "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()", vec![]).await?,
    }
    .into_iter()
    .filter_map(|mut r| r.pop())
    .collect();
    for entry in query::catalogue::catalogue(backend, user) {
        if entry.requires_table.is_some_and(|t| !existing.contains(t)) {
            continue;
        }
        let prefix = if backend == DbBackend::Sqlite { "EXPLAIN QUERY PLAN " } else { "EXPLAIN " };
        let sql = format!("{prefix}{}", entry.statement.sql);
        let stmt = Statement { sql, values: entry.statement.values.clone(), db_backend: backend };
        let plan: String = db
            .query_all_raw(stmt)
            .await?
            .iter()
            .map(|row| {
                let last = row.column_names().len().saturating_sub(1);
                row.try_get_by_index::<String>(last).unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n");
        for word in plan.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if word.ends_with("_idx") || word.ends_with("_key") || word.ends_with("_pkey") {
                used.entry(word.to_owned()).or_default().push(entry.name.to_owned());
            }
        }
        for word in entry.statement.sql.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            tables.insert(word.to_owned());
        }
    }
    for it in used.values_mut() {
        it.sort();
        it.dedup();
    }
    txn.rollback().await?;
    Ok((used, tables))
}

/// Judges every index of the live schema.
pub async fn report(db: &DatabaseConnection, user: i64) -> Result<Report, DbErr> {
    let (indexes, fk_columns) = read_schema(db).await?;
    let (used, queried_tables) = plan_usage(db, user).await?;
    let mut rows = Vec::new();
    for info in &indexes {
        let same_table = || indexes.iter().filter(|o| o.table == info.table && o.name != info.name);
        let verdict = if info.constraint {
            Verdict::Constraint
        } else if let Some(dup) =
            same_table().find(|o| o.columns == info.columns && (o.constraint || o.name < info.name))
        {
            Verdict::Duplicate(dup.name.clone())
        } else if let Some(wider) = same_table()
            .find(|o| o.columns.len() > info.columns.len() && o.columns.starts_with(&info.columns))
        {
            Verdict::Prefix(wider.name.clone())
        } else if let Some(by) = used.get(&info.name) {
            Verdict::Used(by.clone())
        } else if needed_for_foreign_key(info, &indexes, &fk_columns, &used) {
            Verdict::ForeignKey
        } else if !queried_tables.contains(&info.table) {
            Verdict::NotJudged
        } else {
            Verdict::Unused
        };
        rows.push((info.clone(), verdict));
    }
    Ok(Report { rows })
}

/// Whether `info` is the index that serves its leading column's foreign key: no used or
/// constraint index already leads with that column, and no narrower candidate does.
fn needed_for_foreign_key(
    info: &IndexInfo,
    all: &[IndexInfo],
    fk_columns: &BTreeSet<(String, String)>,
    used: &BTreeMap<String, Vec<String>>,
) -> bool {
    let Some(lead) = info.columns.first() else { return false };
    if !fk_columns.contains(&(info.table.clone(), lead.clone())) {
        return false;
    }
    let leading: Vec<&IndexInfo> =
        all.iter().filter(|o| o.table == info.table && o.columns.first() == Some(lead)).collect();
    if leading.iter().any(|o| o.name != info.name && (o.constraint || used.contains_key(&o.name))) {
        return false;
    }
    // Among the remaining candidates, the narrowest (then first by name) serves the key.
    leading
        .iter()
        .filter(|o| !is_redundant(o, all))
        .min_by_key(|o| (o.columns.len(), o.name.clone()))
        .is_some_and(|best| best.name == info.name)
}

fn is_redundant(info: &IndexInfo, all: &[IndexInfo]) -> bool {
    all.iter().any(|o| {
        o.table == info.table
            && o.name != info.name
            && ((o.columns == info.columns && (o.constraint || o.name < info.name))
                || (o.columns.len() > info.columns.len() && o.columns.starts_with(&info.columns)))
    })
}
