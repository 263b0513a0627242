//! Incremental summaries of set lines (PDR phase 2, §4): what progress reads instead of
//! re-aggregating raw set lines, so reading a year costs what reading a week costs.
//!
//! - [`summary`]: the pure part. Summary rows from set lines (warm-ups count nowhere), with no IO.
//! - [`maintain`]: the write part. A write records the user days it touches ([`Touched`]) and
//!   [`apply`] recomputes their daily and weekly rows in the write's transaction.
//! - [`trends`]: the pure part of PDR §7: per exercise and week, the best e1RM, the previous
//!   week's, the change and the 8-week slope, from the weekly rows.
//! - [`rebuild`]: recompute a user's rows from scratch, or compare the stored rows with a rebuild.
//!
//! Tables (phase 2): `exercise_daily_summary` (user × resolved exercise × local date),
//! `user_daily_summary` (user × local date), `exercise_weekly_summary` (user × resolved
//! exercise × ISO week of the user's calendar) and `exercise_trends` (the same key, weeks with an
//! e1RM).

pub mod maintain;
pub mod rebuild;
mod store;
pub mod summary;
pub mod trends;

pub use maintain::{AggregationError, Rows, Touched, apply};
pub use rebuild::{Summaries, compute_user, rebuild_user, stored_user};
