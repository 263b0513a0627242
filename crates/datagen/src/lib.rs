//! Deterministic, realistic Swole Tracker data, and the bulk write path that stores it.
//!
//! `generate` builds one lifter's history as plain entity models (pure: same config, same rows);
//! `write` stores them one transaction per user through `db::insert_chunked`; `inspect` reads a
//! database back as row counts and a content checksum, so seeds can be compared across backends.

mod catalog;
mod config;
mod generate;
pub mod inspect;
mod rng;
mod whoop;
pub mod write;

pub use config::{SeedConfig, SeedConfigError};
pub use generate::{IdCounters, UserData, generate_user};
pub use whoop::WhoopData;

/// Every phase-0 table of users' data, in foreign-key order (not `rollout_flags`, the rollout's own
/// switches, which change during a rollout). The seed writes all but the check-in and
/// plateau/milestone tables, which only the services write.
pub const TABLES: &[&str] = &[
    "users",
    "user_preferences",
    "workout_templates",
    "template_exercises",
    "master_exercises",
    "exercise_links",
    "workout_sessions",
    "session_exercises",
    "wellness_data",
    "key_lifts",
    "plateaus",
    "milestones",
    "milestone_achievements",
    "pr_forecasts",
    "whoop_cycles",
    "whoop_sleep",
    "whoop_recovery",
    "whoop_workouts",
    "webhook_events",
];
