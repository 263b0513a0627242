//! The tiers the app shows for WHOOP scores, derived from the score and stored beside it
//! (PDR §5) so that reads filter and group on a column instead of recomputing or parsing JSON.
//!
//! Recovery uses WHOOP's own colour bands (red ≤ 33, yellow 34–66, green ≥ 67); sleep quality uses
//! the original system's bands on sleep performance (`getSleepQualityTier`: 50, 70, 85). A score
//! between two whole numbers falls in the band of the lower bound it has reached: 33.9 is low.

/// WHOOP's recovery band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecoveryTier {
    Low,
    Medium,
    High,
}

impl RecoveryTier {
    /// The lowest score of each tier above `Low`, in order.
    pub const MEDIUM_FROM: f64 = 34.0;
    pub const HIGH_FROM: f64 = 67.0;

    /// The tier of a recovery score (0–100 %).
    pub fn of(score: f64) -> Self {
        if score < Self::MEDIUM_FROM {
            Self::Low
        } else if score < Self::HIGH_FROM {
            Self::Medium
        } else {
            Self::High
        }
    }

    /// The spelling stored in `whoop_recovery.recovery_score_tier`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// The original system's sleep-quality band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SleepQualityTier {
    Poor,
    Fair,
    Good,
    Excellent,
}

impl SleepQualityTier {
    pub const FAIR_FROM: f64 = 50.0;
    pub const GOOD_FROM: f64 = 70.0;
    pub const EXCELLENT_FROM: f64 = 85.0;

    /// The tier of a sleep performance percentage (0–100 %).
    pub fn of(performance: f64) -> Self {
        if performance < Self::FAIR_FROM {
            Self::Poor
        } else if performance < Self::GOOD_FROM {
            Self::Fair
        } else if performance < Self::EXCELLENT_FROM {
            Self::Good
        } else {
            Self::Excellent
        }
    }

    /// The spelling stored in `whoop_sleep.sleep_quality_tier`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Poor => "poor",
            Self::Fair => "fair",
            Self::Good => "good",
            Self::Excellent => "excellent",
        }
    }
}

/// The SQL expression that computes the recovery tier of the numeric `column` as [`RecoveryTier::of`]
/// does (NULL for a NULL score), for set-based writes of the column.
pub fn recovery_tier_sql(column: &str) -> String {
    format!(
        "CASE WHEN {column} IS NULL THEN NULL WHEN {column} < {m} THEN 'low' \
         WHEN {column} < {h} THEN 'medium' ELSE 'high' END",
        m = RecoveryTier::MEDIUM_FROM,
        h = RecoveryTier::HIGH_FROM,
    )
}

/// The SQL expression that computes the sleep-quality tier of `column` as [`SleepQualityTier::of`]
/// does (NULL for a NULL performance).
pub fn sleep_quality_tier_sql(column: &str) -> String {
    format!(
        "CASE WHEN {column} IS NULL THEN NULL WHEN {column} < {f} THEN 'poor' \
         WHEN {column} < {g} THEN 'fair' WHEN {column} < {e} THEN 'good' ELSE 'excellent' END",
        f = SleepQualityTier::FAIR_FROM,
        g = SleepQualityTier::GOOD_FROM,
        e = SleepQualityTier::EXCELLENT_FROM,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_bands_are_whoops_colours() {
        let cases = [
            (0.0, RecoveryTier::Low),
            (33.0, RecoveryTier::Low),
            (33.99, RecoveryTier::Low),
            (34.0, RecoveryTier::Medium),
            (66.99, RecoveryTier::Medium),
            (67.0, RecoveryTier::High),
            (100.0, RecoveryTier::High),
        ];
        for (score, tier) in cases {
            assert_eq!(RecoveryTier::of(score), tier, "score {score}");
        }
    }

    #[test]
    fn sleep_bands_are_the_originals() {
        let cases = [
            (0.0, SleepQualityTier::Poor),
            (49.9, SleepQualityTier::Poor),
            (50.0, SleepQualityTier::Fair),
            (69.9, SleepQualityTier::Fair),
            (70.0, SleepQualityTier::Good),
            (84.9, SleepQualityTier::Good),
            (85.0, SleepQualityTier::Excellent),
            (100.0, SleepQualityTier::Excellent),
        ];
        for (performance, tier) in cases {
            assert_eq!(SleepQualityTier::of(performance), tier, "performance {performance}");
        }
    }

    #[test]
    fn sql_spells_the_thresholds_as_numbers() {
        assert_eq!(
            recovery_tier_sql("r"),
            "CASE WHEN r IS NULL THEN NULL WHEN r < 34 THEN 'low' WHEN r < 67 THEN 'medium' \
             ELSE 'high' END"
        );
        assert!(sleep_quality_tier_sql("s").contains("s < 85 THEN 'good'"));
    }
}
