//! Shared inputs for the criterion benches in `benches/`: fixed seeds from `datagen`, so every
//! run measures the same rows.

use chrono::NaiveDate;
use datagen::{IdCounters, SeedConfig, UserData, generate_user};

/// One year of one lifter's history, the unit the write-path bench stores.
pub fn one_lifter_year(seed: u64) -> UserData {
    let end = NaiveDate::from_ymd_opt(2025, 11, 25).expect("valid date");
    let config = SeedConfig::new(1, 52, seed, end, i64::from(migration::LATEST_PHASE), 100)
        .expect("valid seed config");
    generate_user(&config, 0, &mut IdCounters::default())
}
