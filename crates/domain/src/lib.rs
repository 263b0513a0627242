//! The workout domain's rules, in one place: weight units, the e1RM formula, volume load, set types,
//! exercise-name normalisation, users' local calendar dates and ISO weeks, input validation, and the
//! WHOOP score tiers, and the key lifts' rules (plateaus, forecasts, milestones, advice).
//!
//! Every other crate computes these through this crate, so there is exactly one 1RM formula and one
//! unit conversion (the original had three formulas and summed kilograms with pounds).
//! This crate does no IO and knows no database or framework.

mod calendar;
mod choices;
mod lifts;
mod set;
mod similarity;
mod streaks;
mod units;
mod validate;
mod whoop;

pub use calendar::{TimeZoneError, UserTimeZone, iso_week_start, local_date};
pub use choices::{
    BodyweightSource, ExperienceLevel, MilestoneType, PlateauStatus, ProgressionType,
    RecoveryPlannerStrategy, RightSwipeAction, Severity, Trajectory, UnknownChoice,
    WarmupRepsStrategy, WarmupStrategy,
};
pub use lifts::{
    Forecast, PLATEAU_WORKOUTS, PlateauKind, Priority, RECENT_WORKOUTS, Recommendation, Rule,
    Stall, VELOCITY_WORKOUTS, WorkoutBest, default_multiples, detect_plateau, forecast,
    progress_percent, recommendations,
};
pub use set::{DerivedSet, SetType, UnknownSetType, e1rm_kg, normalize_exercise_name, volume_load};
pub use similarity::name_similarity;
pub use streaks::{Consistency, consistency};
pub use units::{KG_PER_LB, UnknownUnit, WeightUnit};
pub use validate::{
    Limits, ValidationError, Violation, check_name, check_range, check_workout_date,
};
pub use whoop::{
    RecoveryTier, SleepQualityTier, VersusBaseline, readiness, recovery_tier_sql,
    sleep_quality_tier_sql,
};

#[cfg(test)]
mod tests;
