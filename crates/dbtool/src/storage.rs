//! `cargo xtask storage`: bytes per table and per index, and the total, at any phase.
//!
//! SQLite: `dbstat` (the pages each b-tree holds, in use), and the file's size with its free
//! pages (space a `VACUUM` would return). PostgreSQL: `pg_table_size` per table (its heap,
//! TOAST, free-space and visibility maps: what its rows take) and `pg_relation_size` per index,
//! in the connection's schema.

use std::fmt::Write as _;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// One table and its indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableBytes {
    pub table: String,
    pub bytes: u64,
    /// Name and bytes of each index (SQLite's automatic ones for keys and `UNIQUE` included).
    pub indexes: Vec<(String, u64)>,
}

impl TableBytes {
    pub fn index_bytes(&self) -> u64 {
        self.indexes.iter().map(|it| it.1).sum()
    }
}

/// A database's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    pub tables: Vec<TableBytes>,
    /// SQLite: the file's bytes and the free pages' bytes in it.
    pub file: Option<(u64, u64)>,
}

impl Storage {
    /// Tables and indexes, in use.
    pub fn total(&self) -> u64 {
        self.tables.iter().map(|t| t.bytes + t.index_bytes()).sum()
    }

    /// The bytes of one table (without its indexes), 0 if absent.
    pub fn table(&self, name: &str) -> u64 {
        self.tables.iter().find(|t| t.table == name).map_or(0, |t| t.bytes)
    }

    pub fn render(&self) -> String {
        let mut out = format!("{:<40} {:>14} {:>14}\n", "table", "table bytes", "index bytes");
        for t in &self.tables {
            let _ = writeln!(out, "{:<40} {:>14} {:>14}", t.table, t.bytes, t.index_bytes());
            for (name, bytes) in &t.indexes {
                let _ = writeln!(out, "  {name:<38} {:>14} {bytes:>14}", "");
            }
        }
        let _ =
            writeln!(out, "total in use: {} bytes ({:.1} MiB)", self.total(), mib(self.total()));
        if let Some((file, free)) = self.file {
            let _ = writeln!(
                out,
                "file: {file} bytes ({:.1} MiB), of which free pages: {free} bytes",
                mib(file)
            );
        }
        out
    }
}

#[expect(clippy::cast_precision_loss, reason = "a display figure")]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

async fn rows<C: ConnectionTrait>(db: &C, sql: &str) -> Result<Vec<(String, String, i64)>, DbErr> {
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?)))
        .collect()
}

async fn one<C: ConnectionTrait>(db: &C, sql: &str) -> Result<i64, DbErr> {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

fn bytes(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Measures the database behind `db`.
pub async fn measure<C: ConnectionTrait>(db: &C) -> Result<Storage, DbErr> {
    let mut tables: Vec<TableBytes> = Vec::new();
    let file = if db.get_database_backend() == DbBackend::Sqlite {
        // name, its table, bytes in use (dbstat counts every page of every b-tree).
        let sql = "SELECT m.name, m.tbl_name, CAST(COALESCE(SUM(d.pgsize), 0) AS INTEGER) \
                   FROM sqlite_master m LEFT JOIN dbstat d ON d.name = m.name \
                   WHERE m.type IN ('table', 'index') GROUP BY m.name, m.tbl_name, m.type \
                   ORDER BY m.type DESC, m.name";
        for (name, table, n) in rows(db, sql).await? {
            if name == table {
                tables.push(TableBytes { table, bytes: bytes(n), indexes: Vec::new() });
            } else if let Some(t) = tables.iter_mut().find(|t| t.table == table) {
                t.indexes.push((name, bytes(n)));
            }
        }
        let page = one(db, "SELECT page_size FROM pragma_page_size").await?;
        let pages = one(db, "SELECT page_count FROM pragma_page_count").await?;
        let free = one(db, "SELECT freelist_count FROM pragma_freelist_count").await?;
        Some((bytes(page * pages), bytes(page * free)))
    } else {
        let sql = "SELECT c.relname, c.relname, pg_table_size(c.oid) FROM pg_class c \
                   JOIN pg_namespace n ON n.oid = c.relnamespace \
                   WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname";
        for (table, _, n) in rows(db, sql).await? {
            tables.push(TableBytes { table, bytes: bytes(n), indexes: Vec::new() });
        }
        let sql = "SELECT i.relname, t.relname, pg_relation_size(i.oid) FROM pg_index x \
                   JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
                   JOIN pg_namespace n ON n.oid = t.relnamespace \
                   WHERE n.nspname = current_schema() ORDER BY i.relname";
        for (name, table, n) in rows(db, sql).await? {
            if let Some(t) = tables.iter_mut().find(|t| t.table == table) {
                t.indexes.push((name, bytes(n)));
            }
        }
        None
    };
    Ok(Storage { tables, file })
}
