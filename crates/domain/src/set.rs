//! One logged set line and the values derived from it: canonical weight, e1RM and volume load.

use std::fmt;
use std::str::FromStr;

use crate::units::WeightUnit;

/// What kind of set a line is. Warm-ups count in no aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetType {
    Warmup,
    Working,
    Drop,
    Failure,
}

impl SetType {
    pub const ALL: [Self; 4] = [Self::Warmup, Self::Working, Self::Drop, Self::Failure];

    /// The spelling stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warmup => "warmup",
            Self::Working => "working",
            Self::Drop => "drop",
            Self::Failure => "failure",
        }
    }

    /// Whether rows of this type count toward volume, e1RM, PRs and set and session counts.
    pub fn counts_in_aggregates(self) -> bool {
        !matches!(self, Self::Warmup)
    }
}

impl fmt::Display for SetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set-type string that is not one of the four known types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown set type `{0}`: expected warmup, working, drop or failure")]
pub struct UnknownSetType(pub String);

impl FromStr for SetType {
    type Err = UnknownSetType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|it| it.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownSetType(s.to_owned()))
    }
}

/// Estimated one-rep max in kilograms.
///
/// One rep is the weight itself; 2 to 10 reps use Brzycki `w·36/(37−r)`; 11 to 30 reps use Epley
/// `w·(1+r/30)` (the two agree at 10 reps, so the curve is continuous). Zero or more than 30 reps,
/// or a weight that is not positive, give no estimate.
pub fn e1rm_kg(weight_kg: f64, reps: i32) -> Option<f64> {
    if !(weight_kg > 0.0 && weight_kg.is_finite()) {
        return None;
    }
    match reps {
        1 => Some(weight_kg),
        2..=10 => Some(weight_kg * 36.0 / (37.0 - f64::from(reps))),
        11..=30 => Some(weight_kg * (1.0 + f64::from(reps) / 30.0)),
        _ => None,
    }
}

/// Volume load in kilograms: sets × reps × weight when all three are positive, else zero.
pub fn volume_load(sets: i32, reps: i32, weight_kg: f64) -> f64 {
    if sets > 0 && reps > 0 && weight_kg > 0.0 && weight_kg.is_finite() {
        f64::from(sets) * f64::from(reps) * weight_kg
    } else {
        0.0
    }
}

/// The stored columns derived from what the user typed. Computed here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DerivedSet {
    pub weight_kg: Option<f64>,
    pub one_rm_estimate: Option<f64>,
    pub volume_load: f64,
}

impl DerivedSet {
    /// Derives the canonical columns of a set line; `sets` defaults to 1 when absent.
    pub fn compute(
        weight: Option<f64>,
        unit: WeightUnit,
        reps: Option<i32>,
        sets: Option<i32>,
    ) -> Self {
        let weight_kg = weight.map(|w| unit.to_kg(w));
        let sets = sets.unwrap_or(1);
        let reps_or_zero = reps.unwrap_or(0);
        let one_rm_estimate = weight_kg.and_then(|w| e1rm_kg(w, reps_or_zero));
        let volume_load = volume_load(sets, reps_or_zero, weight_kg.unwrap_or(0.0));
        Self { weight_kg, one_rm_estimate, volume_load }
    }
}

/// The key master exercises are unique on: lower-cased, trimmed, inner whitespace collapsed.
pub fn normalize_exercise_name(name: &str) -> String {
    let mut res = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !res.is_empty() {
            res.push(' ');
        }
        res.extend(word.chars().flat_map(char::to_lowercase));
    }
    res
}
