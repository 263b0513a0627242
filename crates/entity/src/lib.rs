//! The Swole Tracker schema as sea-orm entities: one module per table, columns only, no logic.
//!
//! The migrations own the DDL (indexes, foreign keys, phases); these types describe the rows.
//! A drift test migrates a fresh database and selects every entity, so the two cannot disagree.

pub mod exercise_daily_summary;
pub mod exercise_link;
pub mod exercise_resolution_cache;
pub mod exercise_trend;
pub mod exercise_weekly_summary;
pub mod key_lift;
pub mod master_exercise;
pub mod milestone;
pub mod milestone_achievement;
pub mod plateau;
pub mod pr_forecast;
pub mod rollout_flag;
pub mod session_exercise;
pub mod template_exercise;
pub mod user;
pub mod user_daily_summary;
pub mod user_preference;
pub mod user_warmup_percentage;
pub mod webhook_event;
pub mod wellness_data;
pub mod whoop_cycle;
pub mod whoop_recovery;
pub mod whoop_sleep;
pub mod whoop_workout;
pub mod workout_session;
pub mod workout_template;
