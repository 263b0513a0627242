//! Training streaks and consistency over a lifter's workout dates (local dates).
//!
//! A week streak counts consecutive ISO weeks with at least one workout; the current one may end in
//! this week or, while this week is still young, in the last one. The day streak counts
//! consecutive days with a workout ending today or yesterday. Dates may repeat (two sessions a
//! day count once), which the original got wrong.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};

use crate::calendar::iso_week_start;

/// Streaks and consistency of one lifter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Consistency {
    /// Distinct workout days in the period.
    pub workout_days: i64,
    /// Workout days per week over the period.
    pub frequency_per_week: f64,
    /// `frequency / target × 100`, capped at 100.
    pub score: i64,
    pub current_week_streak: i64,
    pub longest_week_streak: i64,
    pub current_day_streak: i64,
}

/// Computes consistency over `period_days` days ending `today`, and streaks over all `dates`.
pub fn consistency(
    dates: &[NaiveDate],
    today: NaiveDate,
    period_days: i64,
    target_per_week: f64,
) -> Consistency {
    let days: BTreeSet<NaiveDate> = dates.iter().copied().filter(|d| *d <= today).collect();
    let from = today - Duration::days(period_days - 1);
    let workout_days = i64::try_from(days.range(from..=today).count()).unwrap_or(i64::MAX);
    let frequency_per_week = workout_days as f64 / (period_days as f64 / 7.0);
    let score = if target_per_week > 0.0 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "the value is rounded and clamped to 0..=100"
        )]
        let score = (frequency_per_week / target_per_week * 100.0).round().clamp(0.0, 100.0) as i64;
        score
    } else {
        0
    };

    let weeks: BTreeSet<NaiveDate> = days.iter().map(|d| iso_week_start(*d)).collect();
    let mut longest_week_streak = 0;
    let mut run = 0;
    let mut previous: Option<NaiveDate> = None;
    for &week in &weeks {
        run = if previous.is_some_and(|p| week - p == Duration::weeks(1)) { run + 1 } else { 1 };
        longest_week_streak = longest_week_streak.max(run);
        previous = Some(week);
    }
    let this_week = iso_week_start(today);
    let mut cursor =
        if weeks.contains(&this_week) { this_week } else { this_week - Duration::weeks(1) };
    let mut current_week_streak = 0;
    while weeks.contains(&cursor) {
        current_week_streak += 1;
        cursor -= Duration::weeks(1);
    }
    let mut cursor = if days.contains(&today) { today } else { today - Duration::days(1) };
    let mut current_day_streak = 0;
    while days.contains(&cursor) {
        current_day_streak += 1;
        cursor -= Duration::days(1);
    }
    Consistency {
        workout_days,
        frequency_per_week,
        score,
        current_week_streak,
        longest_week_streak,
        current_day_streak,
    }
}
