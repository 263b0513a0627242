//! Query services: the SQL behind the frontend's workouts, templates, exercises and progress.
//!
//! Every phase-1 item of the performance design exists here twice, chosen at run time by `Flags`:
//! the `Original` path reproduces the original system's query pattern, the `Optimized` path is the
//! design's. Both are real and tested equal, because rollout falls back to the original and every
//! benchmark compares the two. Every statement binds at most the configured parameter limit, and
//! every query is scoped to the calling user.

mod sql;

pub mod analytics;
pub mod catalogue;
mod error;
pub mod exercises;
mod flags;
mod owned;
pub mod preferences;
pub mod progress;
pub mod resolution;
mod summaries;
pub mod templates;
pub mod users;
pub mod workouts;

use db::ParamLimit;
use sea_orm::DatabaseConnection;

pub use db::chunk::{IN_BUCKETS, bucket_for, in_list_chunks};
pub use error::QueryError;
pub use flags::{Flags, Path};

/// A user's id. Every service method takes the caller's id and never returns another user's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// What every service holds: the connection, the schema phase it runs against, the parameter
/// limit and the path flags.
#[derive(Debug, Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    /// The rollout phase the database is at (phase-1 tables exist only from phase 1).
    pub phase: u32,
    pub param_limit: ParamLimit,
    pub flags: Flags,
}

impl Db {
    /// Checks that the flags only ask for what the schema has.
    pub fn new(
        conn: DatabaseConnection,
        phase: u32,
        param_limit: ParamLimit,
        flags: Flags,
    ) -> Result<Self, QueryError> {
        if phase < 1 && flags.resolution_cache == Path::Optimized {
            return Err(QueryError::Unavailable(
                "the exercise-resolution cache needs schema phase 1",
            ));
        }
        if phase < 2 && flags.summaries == Path::Optimized {
            return Err(QueryError::Unavailable("the summary tables need schema phase 2"));
        }
        if phase < 2 && flags.hot_columns == Path::Optimized {
            return Err(QueryError::Unavailable("the hot-field columns need schema phase 2"));
        }
        Ok(Self { conn, phase, param_limit, flags })
    }

    /// Whether the phase-1 tables (the exercise-resolution cache) exist and must be maintained.
    pub fn has_resolution_cache(&self) -> bool {
        self.phase >= 1
    }

    /// Whether the phase-2 summary tables exist and must be maintained by every write.
    pub fn has_summaries(&self) -> bool {
        self.phase >= 2
    }

    /// Whether the phase-2 columns for hot JSON fields exist and must be written with their source.
    pub fn has_hot_columns(&self) -> bool {
        self.phase >= 2
    }
}
