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

/// How a morning measure compares with its baseline (the original's `getReadinessAggregation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersusBaseline {
    /// HRV more than 10 % under its baseline; resting heart rate more than 5 % over it.
    Worse,
    Normal,
    /// HRV more than 10 % over its baseline; resting heart rate more than 5 % under it.
    Better,
}

impl VersusBaseline {
    /// Its weight in the readiness score: 0.6, 0.8 or 0.9 (no baseline counts as normal).
    pub fn score(self) -> f64 {
        match self {
            Self::Worse => 0.6,
            Self::Normal => 0.8,
            Self::Better => 0.9,
        }
    }

    /// HRV against its baseline, ±10 %.
    pub fn hrv(now: f64, baseline: Option<f64>) -> Self {
        match baseline.filter(|b| *b > 0.0) {
            Some(b) if now < b * 0.9 => Self::Worse,
            Some(b) if now > b * 1.1 => Self::Better,
            _ => Self::Normal,
        }
    }

    /// Resting heart rate against its baseline, ±5 % (lower is better).
    pub fn resting_heart_rate(now: f64, baseline: Option<f64>) -> Self {
        match baseline.filter(|b| *b > 0.0) {
            Some(b) if now > b * 1.05 => Self::Worse,
            Some(b) if now < b * 0.95 => Self::Better,
            _ => Self::Normal,
        }
    }
}

/// The original's readiness, 0–1: 0.4·recovery/100 + 0.3·sleep/100 + 0.2·HRV score + 0.1·RHR score.
pub fn readiness(
    recovery: f64,
    sleep_performance: f64,
    hrv: VersusBaseline,
    rhr: VersusBaseline,
) -> f64 {
    0.4 * recovery / 100.0 + 0.3 * sleep_performance / 100.0 + 0.2 * hrv.score() + 0.1 * rhr.score()
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
    fn readiness_is_the_originals_weighted_sum() {
        let cases = [
            // (recovery, sleep, hrv, hrv baseline, rhr, rhr baseline, readiness)
            (80.0, 90.0, 60.0, Some(60.0), 50.0, Some(50.0), 0.32 + 0.27 + 0.16 + 0.08),
            (80.0, 90.0, 50.0, Some(60.0), 55.0, Some(50.0), 0.32 + 0.27 + 0.12 + 0.06),
            (80.0, 90.0, 70.0, Some(60.0), 45.0, Some(50.0), 0.32 + 0.27 + 0.18 + 0.09),
            (0.0, 0.0, 70.0, None, 45.0, None, 0.16 + 0.08),
        ];
        for (rec, sleep, hrv, hrv_b, rhr, rhr_b, want) in cases {
            let got = readiness(
                rec,
                sleep,
                VersusBaseline::hrv(hrv, hrv_b),
                VersusBaseline::resting_heart_rate(rhr, rhr_b),
            );
            assert!((got - want).abs() < 1e-12, "{rec} {sleep} {hrv} {rhr}: {got} != {want}");
        }
        // The bands' edges: exactly 10 % / 5 % off is still normal.
        assert_eq!(VersusBaseline::hrv(54.0, Some(60.0)), VersusBaseline::Normal);
        assert_eq!(VersusBaseline::resting_heart_rate(52.5, Some(50.0)), VersusBaseline::Normal);
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
