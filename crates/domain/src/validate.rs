//! Input validation with field paths. Every violation names the field and the rule it broke, and
//! a write that has any violation is rejected whole (the caller writes nothing).

use std::fmt;
use std::ops::RangeInclusive;

use chrono::{DateTime, Duration, Utc};

/// The documented bounds on user input: the one home of every range and count a write or a page
/// is checked against (the services validate with them, the gateway sizes its lists by them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits;

impl Limits {
    pub const WEIGHT_KG: RangeInclusive<f64> = 0.0..=1000.0;
    pub const REPS: RangeInclusive<i32> = 0..=1000;
    pub const SETS: RangeInclusive<i32> = 1..=100;
    pub const RPE: RangeInclusive<f64> = 1.0..=10.0;
    pub const REST_SECONDS: RangeInclusive<i32> = 0..=3600;
    pub const NAME_CHARS: RangeInclusive<usize> = 1..=100;
    pub const EXERCISES_PER_WORKOUT: usize = 50;
    pub const SET_LINES_PER_WORKOUT: usize = 500;
    /// Lines of one template.
    pub const TEMPLATE_LINES: usize = 50;
    /// Workouts of one offline batch (`saveWorkouts`).
    pub const WORKOUTS_PER_BATCH: usize = 20;
    /// Set lines changed by one `updateSets`.
    pub const SET_UPDATES: usize = 500;
    /// Rows of one page of a list (`first`).
    pub const PAGE_SIZE: RangeInclusive<i32> = 1..=100;
    /// Entries of a ranking (`topExercises(first)`).
    pub const RANKING_SIZE: RangeInclusive<i32> = 1..=50;
    /// ISO weeks of an exercise's trend (`exerciseTrends(weeks)`): up to three years.
    pub const TREND_WEEKS: RangeInclusive<i32> = 1..=156;
    /// The least name similarity a bulk link accepts (`linkSimilarExercises`).
    pub const SIMILARITY: RangeInclusive<f64> = 0.0..=1.0;
    /// Preferences.
    pub const TARGET_WORKOUTS_PER_WEEK: RangeInclusive<f64> = 1.0..=14.0;
    pub const WARMUP_SETS: RangeInclusive<i32> = 0..=10;
    pub const WARMUP_PERCENT: RangeInclusive<i32> = 1..=100;
    pub const BODYWEIGHT_KG: RangeInclusive<f64> = 20.0..=400.0;
    pub const PROGRESSION_KG: RangeInclusive<f64> = 0.0..=25.0;
    pub const PROGRESSION_PERCENT: RangeInclusive<f64> = 0.0..=25.0;
    pub const WARMUP_FIXED_REPS: RangeInclusive<i32> = 1..=30;
    pub const PLANNER_SENSITIVITY: RangeInclusive<i32> = 1..=10;
    /// Wellness check-ins: energy and sleep quality, the notes, the stats window.
    pub const WELLNESS_SCORE: RangeInclusive<i32> = 1..=10;
    pub const WELLNESS_NOTES_CHARS: usize = 500;
    pub const WELLNESS_STATS_DAYS: RangeInclusive<i32> = 1..=365;
    /// How long after a workout began a check-in may still be saved for it, in hours.
    pub const WELLNESS_BACKFILL_HOURS: i64 = 24;
    /// The WHOOP figures a check-in carries: percentages, heart-rate variability, resting heart
    /// rate, the day strain.
    pub const PERCENT: RangeInclusive<f64> = 0.0..=100.0;
    pub const HRV_MS: RangeInclusive<f64> = 1.0..=500.0;
    pub const HEART_RATE_BPM: RangeInclusive<f64> = 20.0..=250.0;
    pub const STRAIN: RangeInclusive<f64> = 0.0..=21.0;
    /// Milestone targets: a multiple of bodyweight, and kilograms moved in one workout.
    pub const BODYWEIGHT_MULTIPLE: RangeInclusive<f64> = 0.0..=5.0;
    pub const WORKOUT_VOLUME_KG: RangeInclusive<f64> = 0.0..=1_000_000.0;
}

/// One broken rule: `field` is a path such as `exercises[2].sets[0].reps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub rule: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

/// All the violations found in one input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError(pub Vec<Violation>);

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (idx, it) in self.0.iter().enumerate() {
            if idx > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{it}")?;
        }
        Ok(())
    }
}

/// Checks that `value` lies in `range`; NaN is never in range.
pub fn check_range<T>(field: &str, value: T, range: &RangeInclusive<T>) -> Result<(), Violation>
where
    T: PartialOrd + fmt::Display + Copy,
{
    if range.contains(&value) {
        Ok(())
    } else {
        Err(Violation {
            field: field.to_owned(),
            rule: format!("must be between {} and {}", range.start(), range.end()),
        })
    }
}

/// Checks a display name and returns it trimmed: 1 to 100 characters after trimming.
pub fn check_name(field: &str, value: &str) -> Result<String, Violation> {
    let trimmed = value.trim();
    let n_chars = trimmed.chars().count();
    if Limits::NAME_CHARS.contains(&n_chars) {
        Ok(trimmed.to_owned())
    } else {
        Err(Violation {
            field: field.to_owned(),
            rule: format!(
                "must be {} to {} characters after trimming",
                Limits::NAME_CHARS.start(),
                Limits::NAME_CHARS.end()
            ),
        })
    }
}

/// Checks that a workout instant lies at most one day after `now` (clocks and time zones differ).
pub fn check_workout_date(
    field: &str,
    value: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Violation> {
    if value <= now + Duration::days(1) {
        Ok(())
    } else {
        Err(Violation {
            field: field.to_owned(),
            rule: "must be at most one day in the future".to_owned(),
        })
    }
}
