//! Key lifts' rules (the original's `plateau-milestone` feature, rule-based): plateau detection on
//! workouts, PR forecasts from recent velocity, default milestones, and recommendations.
//!
//! Everything here is pure and works on one exercise's workouts, oldest first, each reduced to its
//! top set (heaviest weight, then most reps) and its best e1RM, in kilograms. Weights compare in
//! whole grams, so a weight entered in pounds and converted never differs from itself by a bit.

use chrono::NaiveDate;

use crate::{ExperienceLevel, MilestoneType, Severity, Trajectory};

/// One workout of an exercise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkoutBest {
    pub local_date: NaiveDate,
    /// The top set: heaviest weight, then most reps at it.
    pub top_weight_kg: f64,
    pub top_reps: i32,
    /// The best e1RM of the workout's lines, if any line has one.
    pub best_one_rm: Option<f64>,
}

fn grams(kg: f64) -> i64 {
    // Weights are bounded (`Limits::WEIGHT_KG`), far inside i64.
    #[expect(clippy::cast_possible_truncation, reason = "bounded weights, rounded first")]
    let res = (kg * 1000.0).round() as i64;
    res
}

impl WorkoutBest {
    /// The top set's rank: grams, then reps.
    fn rank(&self) -> (i64, i32) {
        (grams(self.top_weight_kg), self.top_reps)
    }
}

/// How many workouts in a row without a better top set make a plateau.
pub const PLATEAU_WORKOUTS: usize = 3;

/// How many of an exercise's latest workouts detection and forecasts look at.
pub const RECENT_WORKOUTS: usize = 20;

impl Severity {
    /// The original's rule: six stalled workouts or more is high, four or five medium.
    pub fn of(stalled_workouts: usize) -> Self {
        match stalled_workouts {
            6.. => Self::High,
            4 | 5 => Self::Medium,
            _ => Self::Low,
        }
    }
}

/// A detected stall: the record top set the latest workouts could not beat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stall {
    pub weight_kg: f64,
    pub reps: i32,
    /// Workouts since the record was set, none better.
    pub workouts: usize,
    pub severity: Severity,
}

/// The plateau of an exercise's recent workouts (oldest first), if the last
/// [`PLATEAU_WORKOUTS`] or more did not beat the best top set before them.
///
/// A workout beats the record when its top set is heavier, or as heavy with more reps. The
/// original looked at the last three set *lines* (so three sets of one workout looked like a
/// plateau) and, for lack of a matching column, never found any.
pub fn detect_plateau(workouts: &[WorkoutBest]) -> Option<Stall> {
    let recent = &workouts[workouts.len().saturating_sub(RECENT_WORKOUTS)..];
    let (first, rest) = recent.split_first()?;
    let mut record = first;
    let mut since = 0;
    for it in rest {
        if it.rank() > record.rank() {
            record = it;
            since = 0;
        } else {
            since += 1;
        }
    }
    (since >= PLATEAU_WORKOUTS).then_some(Stall {
        weight_kg: record.top_weight_kg,
        reps: record.top_reps,
        workouts: since,
        severity: Severity::of(since),
    })
}

/// A forecast of an exercise's next e1RM record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    /// The best e1RM of the recent workouts.
    pub current_one_rm_kg: f64,
    /// The next multiple of the increment above it.
    pub target_kg: f64,
    pub weeks_low: i32,
    pub weeks_high: i32,
    /// How well a straight line fits the recent e1RMs (R², in percent); at most 30 with fewer
    /// than five workouts.
    pub confidence_percent: i32,
    pub trajectory: Trajectory,
    /// e1RM gained per workout (least squares over the last ten).
    pub velocity_kg: f64,
    pub workouts_used: usize,
}

/// Workouts the velocity is fitted over.
pub const VELOCITY_WORKOUTS: usize = 10;

/// A change per workout of less than this share of the current e1RM is "stable".
const STABLE_SHARE: f64 = 0.0025;

/// Least-squares slope and R² of `ys` against 0, 1, 2, …; none with fewer than two points or no
/// spread.
fn fit(ys: &[f64]) -> Option<(f64, f64)> {
    #[expect(clippy::cast_precision_loss, reason = "at most RECENT_WORKOUTS points")]
    let n = ys.len() as f64;
    if ys.len() < 2 {
        return None;
    }
    #[expect(clippy::cast_precision_loss, reason = "small indexes")]
    let xs: Vec<f64> = (0..ys.len()).map(|it| it as f64).collect();
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = ys.iter().sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mean_x) * (y - mean_y)).sum();
    let syy: f64 = ys.iter().map(|y| (y - mean_y).powi(2)).sum();
    let slope = sxy / sxx;
    let r2 = if syy > 0.0 { (sxy * sxy) / (sxx * syy) } else { 1.0 };
    Some((slope, r2))
}

/// Workouts per week the original assumed for an experience level, when the history does not say.
fn assumed_per_week(level: ExperienceLevel) -> f64 {
    match level {
        ExperienceLevel::Beginner => 2.0,
        ExperienceLevel::Intermediate => 3.0,
        ExperienceLevel::Advanced => 4.0,
    }
}

/// The forecast of the next e1RM record from an exercise's recent workouts (oldest first): none
/// with fewer than three workouts with an e1RM, or when the last ten do not rise.
///
/// The target is the next multiple of `increment_kg` above the best e1RM; workouts needed come
/// from the fitted velocity, weeks from how often the exercise was trained in the window (or the
/// original's frequency per experience level when it spans less than a week).
pub fn forecast(
    workouts: &[WorkoutBest],
    increment_kg: f64,
    level: ExperienceLevel,
) -> Option<Forecast> {
    let recent = &workouts[workouts.len().saturating_sub(RECENT_WORKOUTS)..];
    let points: Vec<(NaiveDate, f64)> =
        recent.iter().filter_map(|it| it.best_one_rm.map(|rm| (it.local_date, rm))).collect();
    if points.len() < 3 || increment_kg <= 0.0 {
        return None;
    }
    let current = points.iter().map(|it| it.1).fold(f64::MIN, f64::max);
    let ys: Vec<f64> = points.iter().map(|it| it.1).collect();
    let (overall, _) = fit(&ys)?;
    let last = &ys[ys.len().saturating_sub(VELOCITY_WORKOUTS)..];
    let (velocity, r2) = fit(last)?;
    if velocity <= 0.0 {
        return None;
    }
    let trajectory = if overall > current * STABLE_SHARE {
        Trajectory::Improving
    } else if overall < -current * STABLE_SHARE {
        Trajectory::Declining
    } else {
        Trajectory::Stable
    };
    let target = ((current / increment_kg).floor() + 1.0) * increment_kg;
    let workouts_needed = ((target - current) / velocity).ceil().max(1.0);
    let span_days = (points[points.len() - 1].0 - points[0].0).num_days();
    #[expect(clippy::cast_precision_loss, reason = "small counts and spans")]
    let per_week = if span_days >= 7 {
        (points.len() - 1) as f64 / (span_days as f64 / 7.0)
    } else {
        assumed_per_week(level)
    };
    let weeks = (workouts_needed / per_week).ceil().clamp(1.0, 520.0);
    #[expect(clippy::cast_possible_truncation, reason = "clamped to 1..=520 above")]
    let weeks = weeks as i32;
    #[expect(clippy::cast_possible_truncation, reason = "R² is within 0..=1")]
    let mut confidence = (r2.clamp(0.0, 1.0) * 100.0).round() as i32;
    if points.len() < 5 {
        confidence = confidence.min(30);
    }
    Some(Forecast {
        current_one_rm_kg: current,
        target_kg: target,
        weeks_low: (weeks - 1).max(1),
        weeks_high: weeks + 1,
        confidence_percent: confidence,
        trajectory,
        velocity_kg: velocity,
        workouts_used: points.len(),
    })
}

impl MilestoneType {
    /// The value a workout reached: its heaviest weight, that over `bodyweight_kg` (none without
    /// a bodyweight), or its volume.
    pub fn value(
        self,
        top_weight_kg: Option<f64>,
        volume_kg: f64,
        bodyweight_kg: Option<f64>,
    ) -> Option<f64> {
        match self {
            Self::AbsoluteWeight => top_weight_kg,
            Self::BodyweightMultiplier => match (top_weight_kg, bodyweight_kg) {
                (Some(top), Some(bw)) if bw > 0.0 => Some(top / bw),
                _ => None,
            },
            Self::Volume => Some(volume_kg),
        }
    }
}

/// The standard bodyweight multiples of the big lifts, easiest first; a key lift whose name
/// matches gets the first two (beginner), three (intermediate) or four (advanced) as milestones.
const STANDARDS: &[(&[&str], [f64; 4])] = &[
    (&["deadlift"], [1.5, 2.0, 2.5, 3.0]),
    (&["squat"], [1.0, 1.5, 2.0, 2.5]),
    (&["bench"], [0.75, 1.0, 1.25, 1.5]),
    (&["overhead press", "ohp", "military press", "shoulder press"], [0.5, 0.75, 1.0, 1.25]),
    (&["row"], [0.75, 1.0, 1.25, 1.5]),
];

/// The default bodyweight-multiple milestones for an exercise of this (normalized) name; none for
/// an exercise that is not one of the big lifts.
pub fn default_multiples(normalized_name: &str, level: ExperienceLevel) -> Vec<f64> {
    let take = match level {
        ExperienceLevel::Beginner => 2,
        ExperienceLevel::Intermediate => 3,
        ExperienceLevel::Advanced => 4,
    };
    STANDARDS
        .iter()
        .find(|(words, _)| words.iter().any(|w| normalized_name.contains(w)))
        .map(|(_, multiples)| multiples[..take].to_vec())
        .unwrap_or_default()
}

/// Progress towards a target, in percent, capped at 100.
pub fn progress_percent(current: f64, target: f64) -> f64 {
    if target <= 0.0 { 0.0 } else { (current / target * 100.0).clamp(0.0, 100.0) }
}

/// A rule a recommendation follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    Deload,
    MicroLoading,
    RepRangeChange,
    VolumeIncrease,
    TechniqueWork,
    RecoveryCheck,
}

/// How urgent a recommendation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    High,
    Medium,
    Low,
}

/// The kind of plateau the lifter says it is, to narrow the advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlateauKind {
    Strength,
    Hypertrophy,
    Endurance,
    Technique,
}

/// One piece of advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recommendation {
    pub rule: Rule,
    pub description: &'static str,
    pub action: &'static str,
    pub priority: Priority,
}

/// Advice for a stall of `severity` for a lifter at `level`, highest priority first.
pub fn recommendations(
    severity: Severity,
    level: ExperienceLevel,
    kind: Option<PlateauKind>,
) -> Vec<Recommendation> {
    use Priority::{High, Low, Medium};
    let rec = |rule, description, action, priority| Recommendation {
        rule,
        description,
        action,
        priority,
    };
    let mut res = Vec::new();
    if severity == Severity::High {
        res.push(rec(
            Rule::Deload,
            "A long stall usually means accumulated fatigue",
            "Take a deload week at about 60% of your working weight, then restart 5% below the stalled weight",
            High,
        ));
    }
    match kind {
        Some(PlateauKind::Technique) => res.push(rec(
            Rule::TechniqueWork,
            "A technique limit shows as the same failure point every workout",
            "Film a top set, then practise paused reps at 70-80% for two weeks",
            High,
        )),
        Some(PlateauKind::Hypertrophy | PlateauKind::Endurance) => res.push(rec(
            Rule::VolumeIncrease,
            "More work drives size and endurance once intensity stalls",
            "Add one or two sets per workout for three weeks before adding weight again",
            High,
        )),
        Some(PlateauKind::Strength) | None => {
            if level == ExperienceLevel::Beginner {
                res.push(rec(
                    Rule::MicroLoading,
                    "Beginners stall when the jumps outgrow their progress",
                    "Add 1-1.25 kg per workout instead of 2.5 kg",
                    High,
                ));
            } else {
                res.push(rec(
                    Rule::RepRangeChange,
                    "A new rep range restarts progress at a lighter weight",
                    "Switch to sets of 3-5 at a heavier weight, or 8-12 at a lighter one, for four weeks",
                    High,
                ));
            }
            res.push(rec(
                Rule::VolumeIncrease,
                "Volume builds the base for the next strength gain",
                "Add one set per workout for three weeks",
                Medium,
            ));
        }
    }
    if severity != Severity::Low {
        res.push(rec(
            Rule::RecoveryCheck,
            "Sleep and recovery cap what training can add",
            "Check your sleep and recovery scores for the stalled weeks before changing the plan",
            Low,
        ));
    }
    res.sort_by_key(|it| it.priority);
    res
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "exact values of exact inputs")]
mod tests {
    use super::*;

    /// Top sets in, the expected stall (weight, reps, workouts, severity) out.
    type Case = (&'static [(f64, i32)], Option<(f64, i32, usize, Severity)>);

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(i64::from(n))
    }

    fn workouts(sets: &[(f64, i32)]) -> Vec<WorkoutBest> {
        sets.iter()
            .enumerate()
            .map(|(i, (w, r))| WorkoutBest {
                local_date: day(u32::try_from(i).unwrap() * 3),
                top_weight_kg: *w,
                top_reps: *r,
                best_one_rm: crate::e1rm_kg(*w, *r),
            })
            .collect()
    }

    #[test]
    fn a_plateau_is_three_workouts_without_a_better_top_set() {
        let cases: &[Case] = &[
            (&[], None),
            (&[(100.0, 5), (100.0, 5), (100.0, 5)], None),
            (&[(100.0, 5), (100.0, 5), (100.0, 5), (100.0, 5)], Some((100.0, 5, 3, Severity::Low))),
            // More reps at the same weight is progress; fewer is not.
            (
                &[(100.0, 5), (100.0, 6), (100.0, 4), (97.5, 8), (100.0, 6)],
                Some((100.0, 6, 3, Severity::Low)),
            ),
            (&[(100.0, 5), (100.0, 5), (100.0, 5), (102.5, 1)], None),
            // A pound-converted weight equals itself in grams.
            (
                &[(45.359_237, 5), (45.359_237_000_1, 5), (45.359_237, 5), (45.359_237, 5)],
                Some((45.359_237, 5, 3, Severity::Low)),
            ),
            (
                &[(80.0, 5), (80.0, 5), (80.0, 5), (80.0, 5), (80.0, 5), (80.0, 5)],
                Some((80.0, 5, 5, Severity::Medium)),
            ),
            (
                &[(80.0, 5), (70.0, 5), (70.0, 5), (70.0, 5), (70.0, 5), (70.0, 5), (70.0, 5)],
                Some((80.0, 5, 6, Severity::High)),
            ),
        ];
        for (sets, expected) in cases {
            let got = detect_plateau(&workouts(sets))
                .map(|s| (s.weight_kg, s.reps, s.workouts, s.severity));
            assert_eq!(got, *expected, "{sets:?}");
        }
        // Only the latest RECENT_WORKOUTS count: an old record outside them does not stall.
        let mut long = vec![(200.0, 5)];
        long.extend(std::iter::repeat_n((100.0, 5), RECENT_WORKOUTS - 1));
        long.push((101.0, 5));
        assert_eq!(detect_plateau(&workouts(&long)), None);
    }

    #[test]
    fn a_forecast_follows_the_velocity_to_the_next_increment() {
        // e1RM 100, 101, …, 109 every 3.5 days (two a week): a perfect line, 1 kg per workout.
        let ws: Vec<WorkoutBest> = (0..10)
            .map(|i| WorkoutBest {
                local_date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
                    + chrono::Duration::hours(84 * i),
                top_weight_kg: 90.0,
                top_reps: 3,
                best_one_rm: Some(100.0 + f64::from(u32::try_from(i).unwrap())),
            })
            .collect();
        let it = forecast(&ws, 2.5, ExperienceLevel::Intermediate).unwrap();
        assert_eq!(
            (it.current_one_rm_kg, it.target_kg, it.trajectory),
            (109.0, 110.0, Trajectory::Improving)
        );
        assert!((it.velocity_kg - 1.0).abs() < 1e-9);
        // One workout needed at ~2 a week (9 gaps over 31.5 days): one week, shown as 1-2.
        assert_eq!((it.weeks_low, it.weeks_high, it.confidence_percent), (1, 2, 100));
        // Falling or flat: no forecast. Too few points: none.
        let falling: Vec<WorkoutBest> = ws
            .iter()
            .rev()
            .enumerate()
            .map(|(i, w)| WorkoutBest { local_date: day(u32::try_from(i).unwrap()), ..*w })
            .collect();
        assert_eq!(forecast(&falling, 2.5, ExperienceLevel::Intermediate), None);
        assert_eq!(forecast(&ws[..2], 2.5, ExperienceLevel::Intermediate), None);
        // Four points within a week: the level's frequency, and confidence capped at 30.
        let short: Vec<WorkoutBest> = (0..4)
            .map(|i| WorkoutBest {
                local_date: day(i),
                top_weight_kg: 90.0,
                top_reps: 3,
                best_one_rm: Some(100.0 + f64::from(i) * 0.5),
            })
            .collect();
        let it = forecast(&short, 2.5, ExperienceLevel::Beginner).unwrap();
        // 101.5 → 102.5 at 0.5 per workout: 2 workouts, 2 a week → 1 week.
        assert_eq!(
            (it.target_kg, it.weeks_low, it.weeks_high, it.confidence_percent),
            (102.5, 1, 2, 30)
        );
    }

    #[test]
    fn defaults_follow_the_name_and_the_level() {
        assert_eq!(default_multiples("back squat", ExperienceLevel::Beginner), vec![1.0, 1.5]);
        assert_eq!(
            default_multiples("romanian deadlift", ExperienceLevel::Advanced),
            vec![1.5, 2.0, 2.5, 3.0]
        );
        assert_eq!(default_multiples("ohp", ExperienceLevel::Intermediate), vec![0.5, 0.75, 1.0]);
        assert_eq!(default_multiples("bicep curl", ExperienceLevel::Advanced), Vec::<f64>::new());
        assert_eq!(
            MilestoneType::BodyweightMultiplier.value(Some(150.0), 0.0, Some(75.0)),
            Some(2.0)
        );
        assert_eq!(MilestoneType::BodyweightMultiplier.value(Some(150.0), 0.0, None), None);
        assert_eq!(progress_percent(50.0, 200.0), 25.0);
        assert_eq!(progress_percent(300.0, 200.0), 100.0);
    }

    #[test]
    fn advice_grows_with_the_stall() {
        let rules =
            |s, l, k| recommendations(s, l, k).into_iter().map(|r| r.rule).collect::<Vec<_>>();
        assert_eq!(
            rules(Severity::Low, ExperienceLevel::Beginner, None),
            vec![Rule::MicroLoading, Rule::VolumeIncrease]
        );
        assert_eq!(
            rules(Severity::High, ExperienceLevel::Advanced, None),
            vec![Rule::Deload, Rule::RepRangeChange, Rule::VolumeIncrease, Rule::RecoveryCheck]
        );
        assert_eq!(
            rules(Severity::Medium, ExperienceLevel::Intermediate, Some(PlateauKind::Technique)),
            vec![Rule::TechniqueWork, Rule::RecoveryCheck]
        );
    }
}
