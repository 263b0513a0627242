//! What to generate: a validated seed configuration.

use chrono::{Duration, NaiveDate};
use db::ParamLimit;
use domain::iso_week_start;

/// A validated description of one seed. The same value always generates the same data.
#[derive(Debug, Clone)]
pub struct SeedConfig {
    /// Number of users, at least 1.
    pub users: u32,
    /// Weeks of history ending on `end_date`, at least 1.
    pub weeks: u32,
    /// The random seed.
    pub seed: u64,
    /// The last day of generated history.
    pub end_date: NaiveDate,
    /// Migrate only up to this phase before writing.
    pub phase: u32,
    /// No statement binds more parameters than this.
    pub param_limit: ParamLimit,
}

/// A seed argument that breaks a rule; the message names the flag and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--{flag} {rule} (got {got})")]
pub struct SeedConfigError {
    pub flag: &'static str,
    pub rule: &'static str,
    pub got: String,
}

impl SeedConfig {
    pub const MAX_USERS: i64 = 100_000;
    pub const MAX_WEEKS: i64 = 1_040;

    /// Checks raw arguments (as parsed, possibly negative) and builds a configuration.
    pub fn new(
        users: i64,
        weeks: i64,
        seed: u64,
        end_date: NaiveDate,
        phase: i64,
        max_params: i64,
    ) -> Result<Self, SeedConfigError> {
        let err = |flag, rule, got: i64| SeedConfigError { flag, rule, got: got.to_string() };
        let users = u32::try_from(users)
            .ok()
            .filter(|n| (1..=Self::MAX_USERS).contains(&i64::from(*n)))
            .ok_or_else(|| err("users", "must be between 1 and 100000", users))?;
        let weeks = u32::try_from(weeks)
            .ok()
            .filter(|n| (1..=Self::MAX_WEEKS).contains(&i64::from(*n)))
            .ok_or_else(|| err("weeks", "must be between 1 and 1040", weeks))?;
        let latest = i64::from(migration::LATEST_PHASE);
        let phase = u32::try_from(phase)
            .ok()
            .filter(|p| i64::from(*p) <= latest)
            .ok_or_else(|| err("phase", "must be an existing phase (0 up to the latest)", phase))?;
        let param_limit = usize::try_from(max_params)
            .ok()
            .filter(|n| *n >= 25)
            .and_then(ParamLimit::new)
            .ok_or_else(|| {
                err("max-params", "must be at least 25 (the widest row binds 25)", max_params)
            })?;
        Ok(Self { users, weeks, seed, end_date, phase, param_limit })
    }

    /// The Monday that starts the first generated week.
    pub fn period_start(&self) -> NaiveDate {
        iso_week_start(self.end_date) - Duration::weeks(i64::from(self.weeks) - 1)
    }
}
