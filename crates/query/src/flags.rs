//! Which path each phase-1 item takes. One value, chosen at start-up; later issues store it in the
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
    /// `load_resolved_exercise_name_map`: item by item, or from `exercise_resolution_cache`.
    pub resolution_cache: Path,
    /// The progress dashboard: the original's separate queries, or one statement with CTEs.
    pub dashboard: Path,
}

impl Flags {
    pub const ORIGINAL: Self = Self { resolution_cache: Path::Original, dashboard: Path::Original };
    pub const OPTIMIZED: Self =
        Self { resolution_cache: Path::Optimized, dashboard: Path::Optimized };
}
