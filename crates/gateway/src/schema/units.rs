//! The API's enums and the one place derived weights are presented: converted from canonical kg
//! into the requested unit and rounded to 0.01 for a person to read. The services keep full
//! precision in kg; set lines keep exactly what the user typed.

use async_graphql::Enum;
use query::progress;

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum TimeRange {
    Week,
    Month,
    Quarter,
    Year,
}

impl From<TimeRange> for progress::TimeRange {
    fn from(it: TimeRange) -> Self {
        match it {
            TimeRange::Week => Self::Week,
            TimeRange::Month => Self::Month,
            TimeRange::Quarter => Self::Quarter,
            TimeRange::Year => Self::Year,
        }
    }
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum WeightUnit {
    Kg,
    Lbs,
}

impl From<domain::WeightUnit> for WeightUnit {
    fn from(it: domain::WeightUnit) -> Self {
        match it {
            domain::WeightUnit::Kg => Self::Kg,
            domain::WeightUnit::Lbs => Self::Lbs,
        }
    }
}

impl From<WeightUnit> for domain::WeightUnit {
    fn from(it: WeightUnit) -> Self {
        match it {
            WeightUnit::Kg => Self::Kg,
            WeightUnit::Lbs => Self::Lbs,
        }
    }
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum SetType {
    Warmup,
    #[default]
    Working,
    Drop,
    Failure,
}

impl From<domain::SetType> for SetType {
    fn from(it: domain::SetType) -> Self {
        match it {
            domain::SetType::Warmup => Self::Warmup,
            domain::SetType::Working => Self::Working,
            domain::SetType::Drop => Self::Drop,
            domain::SetType::Failure => Self::Failure,
        }
    }
}

impl From<SetType> for domain::SetType {
    fn from(it: SetType) -> Self {
        match it {
            SetType::Warmup => Self::Warmup,
            SetType::Working => Self::Working,
            SetType::Drop => Self::Drop,
            SetType::Failure => Self::Failure,
        }
    }
}

/// How warm-up sets are proposed for an exercise.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::WarmupStrategy")]
pub enum WarmupStrategy {
    Percentage,
    Fixed,
    History,
    None,
}

/// How the reps of proposed warm-up sets are chosen.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::WarmupRepsStrategy")]
pub enum WarmupRepsStrategy {
    MatchWorking,
    Descending,
    Fixed,
}

/// How the next session's weights are progressed.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::ProgressionType")]
pub enum ProgressionType {
    Linear,
    Percentage,
    Adaptive,
}

/// What a right swipe on an exercise card does.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::RightSwipeAction")]
pub enum RightSwipeAction {
    CollapseExpand,
    None,
}

/// How strongly the recovery planner adjusts a session.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::RecoveryPlannerStrategy")]
pub enum RecoveryPlannerStrategy {
    Conservative,
    Moderate,
    Adaptive,
    Aggressive,
}

/// The lifter's experience.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::ExperienceLevel")]
pub enum ExperienceLevel {
    Beginner,
    Intermediate,
    Advanced,
}

/// Where the stored bodyweight came from.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::BodyweightSource")]
pub enum BodyweightSource {
    Manual,
    Whoop,
}

/// The orders a list of templates comes in.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "query::templates::TemplateOrder")]
pub enum TemplateOrder {
    /// By name, A to Z.
    #[default]
    Name,
    /// Newest first.
    Newest,
    /// Latest workout first; never-used templates last.
    LastUsed,
    /// Most workouts first.
    MostUsed,
}

/// A derived weight (volume, maximum, e1RM, trend point) of `kg` kilograms as shown in `unit`:
/// converted once, rounded to 0.01.
pub(super) fn shown(unit: domain::WeightUnit, kg: f64) -> f64 {
    round2(unit.from_kg(kg))
}

/// `shown` for an optional weight.
pub(super) fn shown_opt(unit: domain::WeightUnit, kg: Option<f64>) -> Option<f64> {
    kg.map(|it| shown(unit, it))
}

/// Rounds to two decimals, half away from zero.
pub(super) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(clippy::float_cmp, reason = "rounded values are compared exactly on purpose")]
    fn derived_weights_are_rounded_once_in_the_requested_unit() {
        // (unit, kg, shown): literal expectations, not computed with the code's own constant.
        let cases = [
            (domain::WeightUnit::Kg, 180.000_000_000_000_03, 180.0),
            (domain::WeightUnit::Kg, 102.058_283_25, 102.06),
            (domain::WeightUnit::Lbs, 102.058_283_25, 225.0),
            (domain::WeightUnit::Lbs, 121_232.0, 267_270.81),
            (domain::WeightUnit::Kg, 0.004, 0.0),
            (domain::WeightUnit::Kg, 0.005, 0.01),
        ];
        for (unit, kg, expected) in cases {
            assert_eq!(shown(unit, kg), expected, "{kg} kg in {unit:?}");
        }
        assert_eq!(shown_opt(domain::WeightUnit::Lbs, None), None);
    }
}
