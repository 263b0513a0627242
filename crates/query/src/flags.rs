//! Which path each switchable item takes. One value, chosen at start-up; later issues store it in the
//! database for phased rollout.

/// The original system's query pattern, or the design's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Path {
    #[default]
    Original,
    Optimized,
}

/// One path per switchable item. Index consolidation is a schema phase (a migration), not a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// `load_resolved_exercise_name_map`: one joined statement per chunk of ids, or from
    /// `exercise_resolution_cache`.
    pub resolution_cache: Path,
    /// The progress dashboard: the original's separate queries, or one statement with CTEs.
    pub dashboard: Path,
    /// Progress reads (phase 2): aggregate raw set lines, or read the summary tables.
    pub summaries: Path,
    /// Preference reads (phase 2): parse the warm-up percentages' JSON text, or read their columns.
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
        let from = |first: u32| if phase >= first { Path::Optimized } else { Path::Original };
        Self {
            resolution_cache: from(1),
            dashboard: from(1),
            summaries: from(2),
            hot_columns: from(2),
        }
    }
}
