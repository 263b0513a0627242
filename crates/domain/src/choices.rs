//! The closed sets of words the original stored as free text: warm-up strategies, progression
//! types, and the other choices of a user's preferences. Each is an enum with the stored spelling,
//! so a value outside its set is refused on input and is a fault when read back.

use std::fmt;
use std::str::FromStr;

/// A stored word that is not one of its set's, with the set's name and its words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`: expected one of {expected}")]
pub struct UnknownChoice {
    pub kind: &'static str,
    pub value: String,
    pub expected: String,
}

macro_rules! choice {
    ($(#[$doc:meta])* $name:ident, $kind:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The spelling stored in the database (the original's).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word),+
                }
            }

            /// The stored spellings, comma-separated (for error messages).
            pub fn words() -> String {
                Self::ALL.iter().map(|it| it.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownChoice;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|it| it.as_str() == s).ok_or_else(|| UnknownChoice {
                    kind: $kind,
                    value: s.to_owned(),
                    expected: Self::words(),
                })
            }
        }
    };
}

choice!(
    /// How warm-up sets are proposed: from percentages of the working weight, a fixed ramp, the
    /// user's history for the exercise, or not at all.
    WarmupStrategy, "warm-up strategy", {
        Percentage => "percentage",
        Fixed => "fixed",
        History => "history",
        None => "none",
    }
);

choice!(
    /// How the reps of proposed warm-up sets are chosen.
    WarmupRepsStrategy, "warm-up reps strategy", {
        MatchWorking => "match_working",
        Descending => "descending",
        Fixed => "fixed",
    }
);

choice!(
    /// How the next session's weights are progressed.
    ProgressionType, "progression type", {
        Linear => "linear",
        Percentage => "percentage",
        Adaptive => "adaptive",
    }
);

choice!(
    /// What a right swipe on an exercise card does in the logging screen.
    RightSwipeAction, "right swipe action", {
        CollapseExpand => "collapse_expand",
        None => "none",
    }
);

choice!(
    /// How strongly the recovery planner adjusts a session.
    RecoveryPlannerStrategy, "recovery planner strategy", {
        Conservative => "conservative",
        Moderate => "moderate",
        Adaptive => "adaptive",
        Aggressive => "aggressive",
    }
);

choice!(
    /// The lifter's experience, which scales plateau and milestone thresholds.
    ExperienceLevel, "experience level", {
        Beginner => "beginner",
        Intermediate => "intermediate",
        Advanced => "advanced",
    }
);

choice!(
    /// Where the stored bodyweight came from.
    BodyweightSource, "bodyweight source", {
        Manual => "manual",
        Whoop => "whoop",
    }
);

choice!(
    /// How sure a plateau detection is, from how long the stall lasts (`Severity::of`).
    Severity, "severity", {
        Low => "low",
        Medium => "medium",
        High => "high",
    }
);

choice!(
    /// Whether a plateau still holds.
    PlateauStatus, "plateau status", {
        Active => "active",
        Resolved => "resolved",
    }
);

choice!(
    /// Which way an exercise's e1RM is heading.
    Trajectory, "trajectory", {
        Improving => "improving",
        Stable => "stable",
        Declining => "declining",
    }
);

choice!(
    /// What a milestone measures: the heaviest weight of a counted line (kg), that weight as a
    /// multiple of bodyweight, or the kilograms moved on the exercise in one workout.
    MilestoneType, "milestone type", {
        AbsoluteWeight => "absolute_weight",
        BodyweightMultiplier => "bodyweight_multiplier",
        Volume => "volume",
    }
);
