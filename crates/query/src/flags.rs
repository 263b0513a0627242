//! Which path each switchable item takes, per user, and where that is decided: the rollout's
//! switches in `rollout_flags`, which every gateway instance re-reads every second or so.
//!
//! An item is on for a user when the user's bucket (a stable hash of the item and the user id,
//! 0–99) is below the item's percentage, so the same users stay on the optimized path while the
//! percentage holds and a raise only adds users. An item is never on below the schema phase that
//! created its tables, whatever its row says.

use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use sha2::{Digest, Sha256};

use crate::UserId;

/// The original system's query pattern, or the design's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Path {
    #[default]
    Original,
    Optimized,
}

/// A switchable item: a read that exists on an original and an optimized path. Index
/// consolidation is a schema phase (a migration), not an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    /// `load_resolved_exercise_name_map`: one joined statement per chunk of ids, or from
    /// `exercise_resolution_cache`.
    ResolutionCache,
    /// The progress dashboard: the original's separate queries, or one statement with CTEs.
    Dashboard,
    /// Progress reads: aggregate raw set lines, or read the summary tables.
    Summaries,
    /// Preference reads: parse the warm-up percentages' JSON text, or read their rows.
    HotColumns,
}

impl Item {
    pub const ALL: [Self; 4] =
        [Self::ResolutionCache, Self::Dashboard, Self::Summaries, Self::HotColumns];

    /// Its key in `rollout_flags` and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ResolutionCache => "resolution_cache",
            Self::Dashboard => "dashboard",
            Self::Summaries => "summaries",
            Self::HotColumns => "hot_columns",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|it| it.name() == name)
    }

    /// The schema phase whose migrations create what the optimized path reads.
    pub const fn phase(self) -> u32 {
        match self {
            Self::ResolutionCache | Self::Dashboard => 1,
            Self::Summaries | Self::HotColumns => 2,
        }
    }

    /// What the optimized path needs, in words.
    pub const fn needs(self) -> &'static str {
        match self {
            Self::ResolutionCache => "the exercise-resolution cache needs schema phase 1",
            Self::Dashboard => "the one-statement dashboard needs schema phase 1",
            Self::Summaries => "the summary tables need schema phase 2",
            Self::HotColumns => "the hot-field columns need schema phase 2",
        }
    }

    /// Its position in [`Item::ALL`] and in [`Percents`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// One path per switchable item: what one request of one user runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    pub resolution_cache: Path,
    pub dashboard: Path,
    pub summaries: Path,
    pub hot_columns: Path,
}

impl Flags {
    pub const ORIGINAL: Self = Self {
        resolution_cache: Path::Original,
        dashboard: Path::Original,
        summaries: Path::Original,
        hot_columns: Path::Original,
    };
    /// Every item optimized: needs the latest schema phase.
    pub const OPTIMIZED: Self = Self {
        resolution_cache: Path::Optimized,
        dashboard: Path::Optimized,
        summaries: Path::Optimized,
        hot_columns: Path::Optimized,
    };

    /// Every item optimized that schema `phase` has the tables for.
    pub fn for_phase(phase: u32) -> Self {
        let mut res = Self::ORIGINAL;
        for item in Item::ALL {
            if phase >= item.phase() {
                res.set(item, Path::Optimized);
            }
        }
        res
    }

    pub const fn get(&self, item: Item) -> Path {
        match item {
            Item::ResolutionCache => self.resolution_cache,
            Item::Dashboard => self.dashboard,
            Item::Summaries => self.summaries,
            Item::HotColumns => self.hot_columns,
        }
    }

    pub const fn set(&mut self, item: Item, path: Path) {
        match item {
            Item::ResolutionCache => self.resolution_cache = path,
            Item::Dashboard => self.dashboard = path,
            Item::Summaries => self.summaries = path,
            Item::HotColumns => self.hot_columns = path,
        }
    }

    /// The same flags with every item the schema lacks the tables for on its original path.
    #[must_use]
    pub fn capped(mut self, phase: u32) -> Self {
        for item in Item::ALL {
            if phase < item.phase() {
                self.set(item, Path::Original);
            }
        }
        self
    }
}

/// `user`'s bucket for `item`, 0–99: the first 8 bytes of SHA-256 over the item's name and the
/// user id, modulo 100. Stable across processes, machines and releases (unlike std's hasher), and
/// independent per item, so each item's sample is its own.
pub fn bucket(item: Item, user: UserId) -> u8 {
    let digest = Sha256::new()
        .chain_update(b"swole-rollout\0")
        .chain_update(item.name().as_bytes())
        .chain_update(b"\0")
        .chain_update(user.0.to_le_bytes())
        .finalize();
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    u8::try_from(u64::from_le_bytes(first) % 100).unwrap_or(0)
}

/// Whether `item` at `percent` is on for `user`.
pub fn is_on(item: Item, percent: u8, user: UserId) -> bool {
    percent >= 100 || (percent > 0 && bucket(item, user) < percent)
}

/// An item's percentage as stored: `None` when `rollout_flags` has no row for it (the default:
/// on wherever the schema has its tables, as a database migrated without the rollout tool runs).
pub type Percents = [Option<u8>; Item::ALL.len()];

/// What the rollout state was when last read: the schema phase and the stored percentages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub phase: u32,
    pub percents: Percents,
}

impl Snapshot {
    /// The percentage `item` runs at: its row's, or 100 without one; 0 below its phase.
    pub fn effective(&self, item: Item) -> u8 {
        if self.phase < item.phase() { 0 } else { self.percents[item.index()].unwrap_or(100) }
    }
}

const NO_ROW: u8 = u8::MAX;

/// The PostgreSQL advisory lock between writes and migrations: every write transaction takes it
/// shared (`writes::begin`), `rollout apply` and `rollout rollback` take it exclusively around each
/// migration step, so a step never runs beside a write that decided from the old schema what to
/// maintain.
pub const MIGRATION_GATE: i64 = 0x5357_4f4c_4501;

/// The PostgreSQL advisory lock (with the schema's hash as its second key) one `rollout apply` or
/// `rollback` holds for its whole run, so a second one refuses to start.
pub const ROLLOUT_LOCK: i32 = 0x5357_4f4c;

/// The rollout state one process sees: fixed flags (tests, benches, tools), or the database's
/// switches as last read, each optionally overridden on this instance (development only).
#[derive(Debug)]
pub struct Rollout {
    fixed: Option<Flags>,
    overrides: Percents,
    phase: AtomicU32,
    percents: [AtomicU8; Item::ALL.len()],
}

impl Rollout {
    /// Always `flags` (capped by the phase): nothing is read from the database.
    pub fn fixed(phase: u32, flags: Flags) -> Self {
        Self { fixed: Some(flags), ..Self::live(phase, [None; 4]) }
    }

    /// The database's switches, to be read with [`Rollout::refresh`]; until then every item is at
    /// its default. `overrides` replace the stored percentage of an item on this instance.
    pub fn live(phase: u32, overrides: Percents) -> Self {
        Self {
            fixed: None,
            overrides,
            phase: AtomicU32::new(phase),
            percents: std::array::from_fn(|_| AtomicU8::new(NO_ROW)),
        }
    }

    /// The schema phase as last read.
    pub fn phase(&self) -> u32 {
        self.phase.load(Ordering::Relaxed)
    }

    /// The state as last read, overrides applied.
    pub fn snapshot(&self) -> Snapshot {
        let percents = std::array::from_fn(|idx| {
            self.overrides[idx].or_else(|| {
                let it = self.percents[idx].load(Ordering::Relaxed);
                (it != NO_ROW).then_some(it)
            })
        });
        Snapshot { phase: self.phase(), percents }
    }

    /// The path of every item for one request of `user`, reads at schema `phase`.
    pub fn flags(&self, user: UserId, phase: u32) -> Flags {
        if let Some(fixed) = self.fixed {
            return fixed.capped(phase);
        }
        let snapshot = Snapshot { phase, ..self.snapshot() };
        let mut res = Flags::ORIGINAL;
        for item in Item::ALL {
            if is_on(item, snapshot.effective(item), user) {
                res.set(item, Path::Optimized);
            }
        }
        res
    }

    /// Reads the schema phase and the switches from the database (two statements).
    pub async fn refresh<C: ConnectionTrait>(&self, conn: &C) -> Result<Snapshot, DbErr> {
        let (phase, percents) = read(conn).await?;
        self.phase.store(phase, Ordering::Relaxed);
        for (slot, it) in self.percents.iter().zip(percents) {
            slot.store(it.unwrap_or(NO_ROW), Ordering::Relaxed);
        }
        Ok(self.snapshot())
    }
}

/// The schema phase (from the migration history) and the stored percentages.
pub async fn read<C: ConnectionTrait>(conn: &C) -> Result<(u32, Percents), DbErr> {
    let backend = conn.get_database_backend();
    let phase = schema_phase(conn).await?;
    let mut percents = [None; 4];
    let rows = conn
        .query_all_raw(Statement::from_string(backend, "SELECT item, percent FROM rollout_flags"))
        .await?;
    for row in rows {
        let name: String = row.try_get("", "item")?;
        let percent: i16 = row.try_get("", "percent")?;
        if let Some(item) = Item::parse(&name) {
            percents[item.index()] = Some(u8::try_from(percent.clamp(0, 100)).unwrap_or(0));
        }
    }
    Ok((phase, percents))
}

/// The schema phase from the migration history: how many migrations are applied.
pub async fn schema_phase<C: ConnectionTrait>(conn: &C) -> Result<u32, DbErr> {
    Ok(migration::phase_of_applied(migration::applied_count(conn).await?).unwrap_or(0))
}

/// Stores `item` at `percent` (0–100) for every instance to pick up.
pub async fn store<C: ConnectionTrait>(
    conn: &C,
    item: Item,
    percent: u8,
    now_millis: i64,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO rollout_flags (item, percent, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (item) DO UPDATE SET percent = excluded.percent, updated_at = excluded.updated_at"
        }
        _ => {
            "INSERT INTO rollout_flags (item, percent, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (item) DO UPDATE SET percent = excluded.percent, updated_at = excluded.updated_at"
        }
    };
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [item.name().into(), i16::from(percent.min(100)).into(), now_millis.into()],
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_stable_and_spread() {
        // Pinned values: a change of the hash would move users between paths mid-rollout.
        let pinned: Vec<u8> = (1..=6).map(|id| bucket(Item::Dashboard, UserId(id))).collect();
        assert_eq!(pinned, [10, 58, 88, 90, 59, 89]);
        let mut per_decile = [0_u32; 10];
        for id in 1..=10_000 {
            per_decile[usize::from(bucket(Item::Summaries, UserId(id)) / 10)] += 1;
        }
        for (decile, n) in per_decile.iter().enumerate() {
            assert!((900..=1100).contains(n), "decile {decile} holds {n} of 10,000 users");
        }
    }

    #[test]
    fn a_percentage_admits_that_share_and_a_raise_only_adds_users() {
        let on = |percent| {
            (1..=10_000)
                .filter(|id| is_on(Item::Dashboard, percent, UserId(*id)))
                .collect::<Vec<_>>()
        };
        assert!(on(0).is_empty());
        assert_eq!(on(100).len(), 10_000);
        let (ten, fifty) = (on(10), on(50));
        assert!((900..=1100).contains(&ten.len()), "{}", ten.len());
        assert!((4800..=5200).contains(&fifty.len()), "{}", fifty.len());
        assert!(ten.iter().all(|id| fifty.contains(id)));
    }

    #[test]
    fn items_are_sampled_independently() {
        let both = (1..=10_000)
            .filter(|id| {
                is_on(Item::Dashboard, 50, UserId(*id)) && is_on(Item::Summaries, 50, UserId(*id))
            })
            .count();
        assert!((2300..=2700).contains(&both), "{both}");
    }

    #[test]
    fn an_item_is_never_on_below_its_phase() {
        let rollout = Rollout::live(1, [None; 4]);
        let flags = rollout.flags(UserId(7), 1);
        assert_eq!(flags.dashboard, Path::Optimized);
        assert_eq!(flags.summaries, Path::Original);
        let fixed = Rollout::fixed(2, Flags::OPTIMIZED);
        assert_eq!(fixed.flags(UserId(7), 1), Flags::for_phase(1));
        let overridden = Rollout::live(2, [None, Some(0), None, None]);
        assert_eq!(overridden.flags(UserId(7), 2).dashboard, Path::Original);
    }
}
