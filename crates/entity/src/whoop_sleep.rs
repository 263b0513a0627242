//! `whoop_sleep`: A WHOOP v2 sleep. `raw_data` is the full payload as JSON text.
//!
//! Phase 2 adds `sleep_quality_tier`, derived from `sleep_performance_percentage`
//! (`domain::SleepQualityTier`) and written with it. It is not a field here: this model is the
//! phase-0 row, which loads at every phase.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "whoop_sleep")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    #[sea_orm(unique)]
    pub whoop_sleep_id: String,
    pub cycle_id: String,
    pub start_time: DateTimeUtc,
    pub end_time: DateTimeUtc,
    pub timezone_offset: String,
    pub nap: bool,
    pub score_state: String,
    pub sleep_performance_percentage: Option<f64>,
    pub total_sleep_time_milli: Option<i64>,
    pub sleep_efficiency_percentage: Option<f64>,
    pub slow_wave_sleep_time_milli: Option<i64>,
    pub rem_sleep_time_milli: Option<i64>,
    pub light_sleep_time_milli: Option<i64>,
    pub wake_time_milli: Option<i64>,
    pub disturbance_count: Option<i32>,
    pub sleep_consistency_percentage: Option<f64>,
    pub respiratory_rate: Option<f64>,
    pub sleep_need_baseline_milli: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub raw_data: String,
    pub webhook_received_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
