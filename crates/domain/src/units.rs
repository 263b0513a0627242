//! Weight units. Kilograms are canonical; what the user typed is kept beside it.

use std::fmt;
use std::str::FromStr;

/// The international avoirdupois pound, exactly (1959 agreement).
pub const KG_PER_LB: f64 = 0.453_592_37;

/// The unit a weight was entered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeightUnit {
    Kg,
    Lbs,
}

impl WeightUnit {
    /// The spelling stored in the database and accepted from clients.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kg => "kg",
            Self::Lbs => "lbs",
        }
    }

    /// Converts a weight in this unit to kilograms.
    pub fn to_kg(self, weight: f64) -> f64 {
        match self {
            Self::Kg => weight,
            Self::Lbs => weight * KG_PER_LB,
        }
    }

    /// Converts a weight in kilograms to this unit.
    pub fn from_kg(self, weight_kg: f64) -> f64 {
        match self {
            Self::Kg => weight_kg,
            Self::Lbs => weight_kg / KG_PER_LB,
        }
    }
}

impl fmt::Display for WeightUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unit string that is neither `kg` nor `lbs`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown weight unit `{0}`: expected `kg` or `lbs`")]
pub struct UnknownUnit(pub String);

impl FromStr for WeightUnit {
    type Err = UnknownUnit;

    /// Accepts the stored spellings and the common aliases (`lb`, `kgs`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "kg" | "kgs" => Ok(Self::Kg),
            "lb" | "lbs" => Ok(Self::Lbs),
            _ => Err(UnknownUnit(s.to_owned())),
        }
    }
}
